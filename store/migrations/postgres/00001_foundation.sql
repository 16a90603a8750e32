-- +goose Up
-- The same schema as the SQLite one, in PostgreSQL types.
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE requests (
    id               TEXT PRIMARY KEY,
    reference        TEXT NOT NULL UNIQUE,
    type             TEXT NOT NULL,
    status           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    details          TEXT NOT NULL,
    channel          TEXT NOT NULL,
    policy           TEXT NOT NULL,
    external_id      TEXT NOT NULL DEFAULT '',
    received_at      TIMESTAMPTZ NOT NULL,
    due_date         TEXT NOT NULL,
    due_at           TIMESTAMPTZ NOT NULL,
    due_provisional  BOOLEAN NOT NULL,
    clock_start      TEXT NOT NULL,
    clock_used       INTEGER NOT NULL,
    clock_budget     INTEGER NOT NULL,
    clock_paused     TEXT,
    queue_id         TEXT,
    assignee_id      TEXT,
    escalation_level TEXT NOT NULL DEFAULT '',
    replied_at       TIMESTAMPTZ,
    closed_at        TIMESTAMPTZ,
    outcome          TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
-- Listings are keyset-paginated by (due_at, id), under each filter they offer.
CREATE INDEX requests_due ON requests (due_at, id);
CREATE INDEX requests_status_due ON requests (status, due_at, id);
CREATE INDEX requests_queue_due ON requests (queue_id, due_at, id);
CREATE INDEX requests_assignee_due ON requests (assignee_id, due_at, id);
CREATE INDEX requests_type_due ON requests (type, due_at, id);
-- Only requests still open (not closed by a reply, a withdrawal, expiry or a merge) can be overdue or
-- provisional: keep their indexes small.
CREATE INDEX requests_open_due ON requests (due_at, id) WHERE closed_at IS NULL;
CREATE INDEX requests_provisional ON requests (id) WHERE due_provisional AND closed_at IS NULL;

CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    request_id  TEXT NOT NULL REFERENCES requests (id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    at         TIMESTAMPTZ NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    request_id TEXT,
    data       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_events_request ON audit_events (request_id, seq);

-- The chain's head, kept apart from the events so that truncating them is detected.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE calendar_years (
    calendar  TEXT NOT NULL,
    year      INTEGER NOT NULL,
    schedule  TEXT NOT NULL,
    PRIMARY KEY (calendar, year)
);

-- +goose Down
DROP TABLE calendar_years;
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE idempotency_keys;
DROP TABLE reference_counters;
DROP TABLE requests;
DROP TABLE tokens;
DROP TABLE users;
