-- +goose Up
-- One user per e-mail address, compared without case: email_key is the lowercased address, NULL for users
-- without one. A database that already holds two users with the same address keeps them both; the oldest
-- takes the key, so that the address cannot be given to a third.
ALTER TABLE users ADD COLUMN email_key TEXT;
UPDATE users SET email_key = lower(email)
WHERE email <> '' AND id = (
    SELECT u2.id FROM users AS u2 WHERE lower(u2.email) = lower(users.email) ORDER BY u2.created_at, u2.id LIMIT 1
);
CREATE UNIQUE INDEX users_email_key ON users (email_key);

-- +goose Down
DROP INDEX users_email_key;
ALTER TABLE users DROP COLUMN email_key;
