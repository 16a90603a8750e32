-- +goose Up
-- Signing in to the console. A user's password is an argon2id hash with its own salt and parameters ('' for
-- none yet); a deactivated user can neither sign in nor use her tokens; her TOTP secret is sealed like personal
-- data, enabled once she proved she holds it, and the last time step she used is kept so that a code is
-- accepted once.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Invitations and password resets: single-use links, only the SHA-256 of their token kept.
CREATE TABLE invitations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    purpose    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX invitations_user ON invitations (user_id);

-- Recovery codes of a second factor: keyed hashes, each used once.
CREATE TABLE recovery_codes (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL UNIQUE,
    used_at   TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Settings admins change at run time, such as requiring a second factor of admins.
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE recovery_codes;
DROP TABLE invitations;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_secret;
ALTER TABLE users DROP COLUMN deactivated_at;
ALTER TABLE users DROP COLUMN password_hash;
