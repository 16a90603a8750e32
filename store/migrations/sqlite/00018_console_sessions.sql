-- +goose Up
-- The console's sessions: people signed in with a browser. Only the SHA-256 of a session's secret (the cookie)
-- is kept. A user's language is the one she reads the console in; '' for her browser's.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN language;
DROP TABLE sessions;
