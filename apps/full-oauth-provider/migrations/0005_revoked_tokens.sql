-- Access tokens a client revoked itself (RFC 7009 at /token). The library deletes such a token
-- from KV, which other locations may go on serving for up to a minute; /mcp also asks D1, as it
-- does for revoked grants. Keyed by the token's SHA-256 (the library's own token id), never the
-- token. Rows older than a day are pruned when a new one is written.
CREATE TABLE revoked_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  revoked_at INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_by_time ON revoked_tokens(revoked_at);
