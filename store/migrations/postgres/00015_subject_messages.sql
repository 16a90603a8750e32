-- +goose Up
-- The privacy center: the officer's questions to a subject and the subject's answers (sealed: they may hold
-- personal data), with the files a subject sends (content sealed; removed by retention).
CREATE TABLE subject_messages (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX subject_messages_request ON subject_messages (request_id, created_at);

CREATE TABLE subject_files (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    message_id   TEXT NOT NULL REFERENCES subject_messages (id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX subject_files_message ON subject_files (message_id);
CREATE INDEX subject_files_request ON subject_files (request_id);

-- +goose Down
DROP TABLE subject_files;
DROP TABLE subject_messages;
