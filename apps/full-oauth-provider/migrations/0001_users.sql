-- The people this Worker signs in, their browser sessions, and what happened (the audit log).

CREATE TABLE users (
  -- Random, never reused; never contains ':' (the OAuth library's key separator).
  id TEXT PRIMARY KEY CHECK (id NOT LIKE '%:%' AND length(id) BETWEEN 3 AND 64),
  email TEXT NOT NULL,
  -- The email as compared: trimmed and lower-cased, so one address is one account.
  email_key TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  -- `$pbkdf2-sha256$i=…,k=<pepper id>$salt$hash`; NULL for a user without a password.
  password_hash TEXT,
  created_at INTEGER NOT NULL,
  -- Set while the account is disabled: no sign-in, no token works, no refresh.
  disabled_at INTEGER
);

CREATE TABLE sessions (
  -- SHA-256 of the cookie's id: the table alone cannot be replayed as cookies.
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  -- sign_in, sign_out, consent, grant_created, grant_revoked, client_registered, user_*, security…
  event TEXT NOT NULL,
  -- ok, failed, locked, denied, refused…
  outcome TEXT NOT NULL,
  user_id TEXT,
  client_id TEXT,
  grant_id TEXT,
  address TEXT,
  -- A stable reason code, never a secret.
  detail TEXT
);
CREATE INDEX audit_by_user ON audit_log(user_id, at);
CREATE INDEX audit_by_time ON audit_log(at);
