-- +goose Up
-- A filing looks for an open request of the same subject and type. With requests_subject_recent keyed by the
-- subject alone, PostgreSQL, before its first ANALYZE of a young table, answered that look-up from the partial
-- index of every open request ANDed with the type's index: it read every open row, on every filing. Keyed by
-- subject and type, one index serves that look-up in its order (the oldest received first), on any statistics,
-- and the per-subject cap (a subject's few rows).
DROP INDEX requests_subject_recent;
CREATE INDEX requests_subject ON requests (subject_index, type, received_at);

-- +goose Down
DROP INDEX requests_subject;
CREATE INDEX requests_subject_recent ON requests (subject_index, created_at);
