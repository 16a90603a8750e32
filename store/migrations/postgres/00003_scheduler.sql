-- +goose Up
-- One holder at a time runs each scheduled job: a lease with an expiry, so a killed holder is replaced.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE job_runs (
    id          TEXT PRIMARY KEY,
    job         TEXT NOT NULL,
    holder      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs (job, started_at);

-- The escalation sweep reads open requests by due time, leaving out paused clocks.
CREATE INDEX requests_escalation ON requests (due_at, id) WHERE closed_at IS NULL AND clock_paused IS NULL;

-- +goose Down
DROP INDEX requests_escalation;
DROP TABLE job_runs;
DROP TABLE job_leases;
