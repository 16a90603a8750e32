-- +goose Up
-- Two indexes of requests repeated others, and every filing and every change of an indexed column paid for
-- them: requests_escalation (due_at, id) of the open, running requests is requests_open_due (due_at, id) of the
-- open ones less the few paused, which the escalation sweep now filters; requests_subject (subject_index, type)
-- of the open ones is served by requests_subject_recent (subject_index, created_at), since a subject has a
-- handful of requests.
DROP INDEX requests_escalation;
DROP INDEX requests_subject;

-- +goose Down
CREATE INDEX requests_subject ON requests (subject_index, type) WHERE closed_at IS NULL;
CREATE INDEX requests_escalation ON requests (due_at, id) WHERE closed_at IS NULL AND clock_paused IS NULL;
