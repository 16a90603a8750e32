-- +goose Up
-- A filing's acknowledgement is rendered and sealed before the transaction that numbers its request, with a
-- mark where the reference goes; the reference is written here, in clear (it names no one), and put in place of
-- the mark whenever the mail is read. Other mails are written whole and leave it empty.
ALTER TABLE outbox ADD COLUMN reference TEXT NOT NULL DEFAULT '';

-- +goose Down
-- Going back loses the references of acknowledgements not sent yet: the older version would send them with the
-- mark. Send or fail the outbox's pending mail first.
ALTER TABLE outbox DROP COLUMN reference;
