-- +goose Up
-- Queues route new requests to the officers who work them.
CREATE TABLE queues (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    escalation_email TEXT NOT NULL DEFAULT '',
    locale           TEXT NOT NULL,
    route_types      TEXT NOT NULL,
    route_channels   TEXT NOT NULL,
    is_default       BOOLEAN NOT NULL,
    position         INTEGER NOT NULL,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL
);

CREATE TABLE queue_members (
    queue_id TEXT NOT NULL REFERENCES queues (id),
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX queue_members_user ON queue_members (user_id);

ALTER TABLE requests ADD COLUMN denial_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN reply_message TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN duplicate_of TEXT;
ALTER TABLE requests ADD COLUMN possible_duplicate_of TEXT;
ALTER TABLE requests ADD COLUMN subject_index TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN verified_at DATETIME;
ALTER TABLE requests ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
-- Duplicate detection looks up open requests of a type by the keyed hash of the subject's address.
CREATE INDEX requests_subject ON requests (subject_index, type) WHERE closed_at IS NULL;
-- Reports read requests by receipt time.
CREATE INDEX requests_received ON requests (received_at);

-- Internal notes of officers on a request.
CREATE TABLE request_notes (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    author_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, created_at);

-- Deadline extensions granted under the request's policy.
CREATE TABLE request_extensions (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    count      INTEGER NOT NULL,
    unit       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX request_extensions_request ON request_extensions (request_id);

-- Single-use links e-mailed to the subject (verify, withdraw); only the SHA-256 of the token is kept.
CREATE TABLE subject_links (
    token_hash TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    purpose    TEXT NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX subject_links_request ON subject_links (request_id, purpose);

-- The durable outbox: every e-mail is decided in the transaction of its cause and sent from here.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    request_id      TEXT,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE subject_links;
DROP TABLE request_extensions;
DROP TABLE request_notes;
DROP INDEX requests_received;
DROP INDEX requests_subject;
ALTER TABLE requests DROP COLUMN locale;
ALTER TABLE requests DROP COLUMN verified_at;
ALTER TABLE requests DROP COLUMN subject_index;
ALTER TABLE requests DROP COLUMN possible_duplicate_of;
ALTER TABLE requests DROP COLUMN duplicate_of;
ALTER TABLE requests DROP COLUMN reply_message;
ALTER TABLE requests DROP COLUMN denial_reason;
DROP TABLE queue_members;
DROP TABLE queues;
