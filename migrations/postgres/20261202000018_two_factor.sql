-- Optional two-factor sign-in for staff (TOTP, RFC 6238). The secret (base32) is kept
-- once confirmed; a secret being set up waits in totp_pending until a first code
-- proves the authenticator holds it. totp_last_step is the last time step accepted:
-- a code is taken once, whichever instance sees it.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- One-time recovery codes, kept as SHA-256 digests (each has 50 random bits).
CREATE TABLE user_recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
