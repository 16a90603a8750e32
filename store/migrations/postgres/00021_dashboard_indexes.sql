-- +goose Up
-- The dashboard aggregates over bounded periods; each of its counts reads one of these indexes and not the
-- rows, whatever the number of requests stored:
-- the open requests per queue, and how many are overdue (closed_at, always null here, lets SQLite count from
-- the index alone);
CREATE INDEX requests_open_queue ON requests (queue_id, due_at, closed_at) WHERE closed_at IS NULL;
-- the requests closed per week (requests_closed serves retention only: it leaves out the redacted requests);
CREATE INDEX requests_closed_at ON requests (closed_at) WHERE closed_at IS NOT NULL;
-- the replies per month and how many were on time, and the working days to reply per type and policy.
CREATE INDEX requests_replied_at ON requests (replied_at, due_at, policy, type, received_at) WHERE replied_at IS NOT NULL;

-- +goose Down
DROP INDEX requests_replied_at;
DROP INDEX requests_closed_at;
DROP INDEX requests_open_queue;
