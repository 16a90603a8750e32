-- +goose Up
-- The dashboard counts requests closed per week and replies per month over bounded periods: each count is a
-- range scan of one of these indexes, whatever the number of requests stored. (requests_closed serves
-- retention only: it leaves out the redacted requests, which the dashboard counts.)
CREATE INDEX requests_closed_at ON requests (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX requests_replied_at ON requests (replied_at) WHERE replied_at IS NOT NULL;

-- +goose Down
DROP INDEX requests_replied_at;
DROP INDEX requests_closed_at;
