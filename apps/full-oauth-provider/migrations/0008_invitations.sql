-- Invitations: `npm run users -- invite` adds a user without any credential and a one-time code
-- (32 random bytes, in the link it prints once); the person sets a password or adds a passkey on
-- /invite. Only the code's SHA-256 is kept: the code is random, so a plain hash is as strong as a
-- slow one, and the table alone cannot be turned back into links.
CREATE TABLE invitations (
  code_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  -- Set once, by the one accept that wins (a conditional UPDATE): a second use changes nothing.
  accepted_at INTEGER,
  -- How it was accepted: `password` or `passkey`.
  method TEXT
);
CREATE INDEX invitations_by_user ON invitations(user_id);
