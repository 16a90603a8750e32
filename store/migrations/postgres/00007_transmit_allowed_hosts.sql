-- +goose Up
-- Hosts an admin allow-listed through the API: portability copies may reach them on private or loopback
-- addresses. RIGHTSDESK_TRANSMIT_ALLOW_HOSTS adds the operator's fixed entries, which are not stored here.
CREATE TABLE transmit_allowed_hosts (
    host       TEXT PRIMARY KEY,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE transmit_allowed_hosts;
