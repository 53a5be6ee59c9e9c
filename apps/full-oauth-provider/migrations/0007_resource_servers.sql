-- Resource servers registered to introspect this server's tokens (RFC 7662 at /introspect), e.g.
-- token-validation with AUTH_METHODS=introspection. Only the SHA-256 of the secret is kept: the
-- secret is 32 random bytes, shown once by `npm run resource-servers -- add`. `resources` is a
-- JSON array of the resource identifiers (RFC 8707) whose tokens it may learn about.
CREATE TABLE resource_servers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  resources TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
