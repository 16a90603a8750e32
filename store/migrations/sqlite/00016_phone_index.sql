-- +goose Up
-- A second keyed hash per request, of the subject's phone number, so that a search by phone finds the requests
-- filed with an e-mail address too (subject_index holds the e-mail's hash when there is one). NULL marks a row
-- not indexed yet: every row written before this migration, or by an older replica since; the program fills it
-- in at its next start (BackfillPhoneIndex). '' means no phone (or redacted).
ALTER TABLE requests ADD COLUMN phone_index TEXT;
CREATE INDEX requests_phone_index ON requests (phone_index);

-- +goose Down
DROP INDEX requests_phone_index;
ALTER TABLE requests DROP COLUMN phone_index;
