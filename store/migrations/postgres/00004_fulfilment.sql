-- +goose Up
-- Backup systems and the deletion ledger: a deletion is done in the backups once each holds enough snapshots
-- taken after it, and must be applied again after a restore of an older snapshot.
CREATE TABLE backup_systems (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    owner_email      TEXT NOT NULL,
    refresh_schedule TEXT NOT NULL,
    generations      INTEGER NOT NULL,
    grace_hours      INTEGER NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE backup_snapshots (
    id               TEXT PRIMARY KEY,
    backup_system_id TEXT NOT NULL REFERENCES backup_systems (id),
    taken_at         TIMESTAMPTZ NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX backup_snapshots_system ON backup_snapshots (backup_system_id, taken_at);

CREATE TABLE backup_restores (
    id               TEXT PRIMARY KEY,
    backup_system_id TEXT NOT NULL REFERENCES backup_systems (id),
    snapshot_taken_at TIMESTAMPTZ NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL,
    recorded_by      TEXT NOT NULL
);

CREATE TABLE erasures (
    request_id   TEXT PRIMARY KEY REFERENCES requests (id),
    executed_at  TIMESTAMPTZ NOT NULL,
    systems      TEXT NOT NULL,
    state        TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    recorded_by  TEXT NOT NULL,
    completed_at TIMESTAMPTZ
);
CREATE INDEX erasures_executed ON erasures (executed_at);

CREATE TABLE backup_purges (
    request_id       TEXT NOT NULL REFERENCES requests (id),
    backup_system_id TEXT NOT NULL REFERENCES backup_systems (id),
    state            TEXT NOT NULL,
    purged_at        TIMESTAMPTZ,
    overdue_notified_at TIMESTAMPTZ,
    PRIMARY KEY (request_id, backup_system_id)
);
CREATE INDEX backup_purges_pending ON backup_purges (backup_system_id) WHERE state = 'pending';

-- Consent withdrawals: a keyed hash of the subject's identifier per purpose, never the identifier.
CREATE TABLE suppressions (
    subject_hash TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    since        TIMESTAMPTZ NOT NULL,
    request_id   TEXT NOT NULL,
    reference    TEXT NOT NULL,
    PRIMARY KEY (subject_hash, purpose)
);

-- Export files an officer attached to an access or portability request.
CREATE TABLE exports (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    name       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    content    BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX exports_request ON exports (request_id);

-- Direct transmissions of portability copies to the recipient the subject named.
CREATE TABLE transmissions (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL UNIQUE REFERENCES requests (id),
    endpoint        TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX transmissions_due ON transmissions (status, next_attempt_at);

ALTER TABLE requests ADD COLUMN linked_request_id TEXT;
ALTER TABLE requests ADD COLUMN correction_outcomes TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN redacted_at TIMESTAMPTZ;
CREATE INDEX requests_closed ON requests (closed_at) WHERE closed_at IS NOT NULL AND redacted_at IS NULL;

-- +goose Down
DROP INDEX requests_closed;
ALTER TABLE requests DROP COLUMN redacted_at;
ALTER TABLE requests DROP COLUMN correction_outcomes;
ALTER TABLE requests DROP COLUMN linked_request_id;
DROP TABLE transmissions;
DROP TABLE exports;
DROP TABLE suppressions;
DROP TABLE backup_purges;
DROP TABLE erasures;
DROP TABLE backup_restores;
DROP TABLE backup_snapshots;
DROP TABLE backup_systems;
