-- +goose Up
-- The per-subject daily cap on filings counts a subject's recent requests by the keyed hash of its address.
CREATE INDEX requests_subject_recent ON requests (subject_index, created_at);

-- +goose Down
DROP INDEX requests_subject_recent;
