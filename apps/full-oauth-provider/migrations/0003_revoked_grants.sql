-- Grants revoked (one from /account or the CLI, or every grant of a disabled account). The
-- library deletes a revoked grant and its tokens from KV, which other locations may go on serving
-- from their cache for up to a minute; /mcp and every refresh also ask D1, which answers the same
-- everywhere at once. Rows older than a day are pruned when a new one is written: by then every
-- location has seen the KV deletion.
CREATE TABLE revoked_grants (
  grant_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  revoked_at INTEGER NOT NULL
);
CREATE INDEX revoked_grants_by_time ON revoked_grants(revoked_at);
