-- +goose Up
-- Setup links: the first start's single-use link to the page where the first admin chooses her name, e-mail
-- address and password; only the SHA-256 of its token kept.
CREATE TABLE setup_links (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- +goose Down
DROP TABLE setup_links;
