-- Remembered approvals: a user approved a client, at one redirect URI, for one resource and these
-- scopes, so the consent page may be skipped next time. Kept here, not in a browser cookie, so
-- that Revoke, disabling the account and a password change can end them.
CREATE TABLE approvals (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  -- The RFC 8707 resource the approval was for ('' when the request named none).
  resource TEXT NOT NULL,
  -- The approved scopes, space-separated; a request for any other scope brings the page back.
  scopes TEXT NOT NULL,
  approved_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, client_id, redirect_uri, resource)
);
CREATE INDEX approvals_by_expiry ON approvals(expires_at);
