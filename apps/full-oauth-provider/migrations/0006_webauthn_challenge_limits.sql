-- WebAuthn challenges: which address opened each ceremony, so one address can hold only so many
-- open at once, and an index to prune expired rows (every new challenge deletes them).
ALTER TABLE webauthn_challenges ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges(expires_at);
CREATE INDEX webauthn_challenges_by_address ON webauthn_challenges(address, expires_at);
