-- +goose Up
-- The company's own systems that collection and erasure runs reach (issue 16). dsn, erase_dsn and endpoint are
-- sealed: they carry credentials. map is the dataset map, as JSON.
CREATE TABLE data_systems (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL,
    dsn                  TEXT NOT NULL DEFAULT '',
    erase_dsn            TEXT NOT NULL DEFAULT '',
    endpoint             TEXT NOT NULL DEFAULT '',
    owner_email          TEXT NOT NULL DEFAULT '',
    map                  TEXT NOT NULL,
    row_cap              INTEGER NOT NULL,
    statement_timeout_ms INTEGER NOT NULL,
    callback_timeout_s   INTEGER NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    created_by           TEXT NOT NULL
);

-- A collection or erasure run on a request, with each system's part (status, counts, reason) as JSON: counts and
-- table names only, never a value.
CREATE TABLE data_runs (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES requests (id),
    kind        TEXT NOT NULL,
    preview     BOOLEAN NOT NULL,
    status      TEXT NOT NULL,
    systems     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX data_runs_request ON data_runs (request_id, created_at);
CREATE INDEX data_runs_status ON data_runs (status, created_at);

-- +goose Down
DROP TABLE data_runs;
DROP TABLE data_systems;
