-- API keys: only the SHA-256 of each key is stored. Lookups go by hash (indexed, unique).
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);

-- Exact per-key, per-day usage: one atomic upsert per request, never read-modify-write.
CREATE TABLE api_key_usage (
  key_id TEXT NOT NULL,
  day TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (key_id, day)
);
