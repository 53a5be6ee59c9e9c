-- Passkeys (WebAuthn credentials), their single-use challenges, and when each connected app was
-- last used (the grants themselves live in the OAuth library's KV).

CREATE TABLE passkeys (
  -- The credential id, base64url, as the authenticator reports it.
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- The COSE public key, base64url. Public: nothing here signs anything in.
  public_key TEXT NOT NULL,
  -- The signature counter: an assertion that does not advance a non-zero counter is refused.
  counter INTEGER NOT NULL,
  transports TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX passkeys_by_user ON passkeys(user_id);

CREATE TABLE webauthn_challenges (
  -- SHA-256 of the browser's session (or pre-sign-in) id and the purpose: one open ceremony each.
  key TEXT PRIMARY KEY,
  challenge TEXT NOT NULL,
  -- The user a registration is for; NULL for a usernameless sign-in.
  user_id TEXT,
  expires_at INTEGER NOT NULL
);

CREATE TABLE app_use (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  last_used_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, client_id)
);
