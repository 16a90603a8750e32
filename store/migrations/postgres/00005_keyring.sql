-- +goose Up
-- The index secret of the keyed hashes, sealed by the data key: it outlives every rotation of that key.
CREATE TABLE keyring (
    purpose TEXT PRIMARY KEY,
    sealed  TEXT NOT NULL
);

-- +goose Down
DROP TABLE keyring;
