-- +goose Up
-- The dashboard aggregates over bounded periods; each of its counts reads one of these indexes and not the
-- rows, whatever the number of requests stored:
-- the open requests per queue, and how many are overdue (closed_at, always null here, lets SQLite count from
-- the index alone);
-- It holds id too, in the listings' order (due_at, id): a queue's open requests are then read in the order the
-- work list shows them and the first page stops at 50 rows; without id, a listing of an officer's open queue
-- would choose this index and sort all of the queue's open requests for every page.
CREATE INDEX requests_open_queue ON requests (queue_id, due_at, id, closed_at) WHERE closed_at IS NULL;
-- the requests closed per week (requests_closed serves retention only: it leaves out the redacted requests);
CREATE INDEX requests_closed_at ON requests (closed_at) WHERE closed_at IS NOT NULL;
-- the replies per month and how many were on time, and the working days to reply per type and policy.
CREATE INDEX requests_replied_at ON requests (replied_at, due_at, policy, type, received_at) WHERE replied_at IS NOT NULL;

-- +goose Down
DROP INDEX requests_replied_at;
DROP INDEX requests_closed_at;
DROP INDEX requests_open_queue;
