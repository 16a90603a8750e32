-- +goose Up
-- Text kept in clear until now is sealed from now on: external IDs, export file names, erasure systems, and
-- delivery failures of mails and transmissions. Marking the values found here with 'rd0:' tells them apart from
-- sealed ones ('rd1:...') whatever they hold; the program seals them at its next start (SealClearText).
UPDATE requests SET external_id = 'rd0:' || external_id WHERE external_id <> '';
UPDATE exports SET name = 'rd0:' || name WHERE name <> '';
UPDATE erasures SET systems = 'rd0:' || systems WHERE systems <> '';
UPDATE outbox SET last_error = 'rd0:' || last_error WHERE last_error <> '';
UPDATE transmissions SET last_error = 'rd0:' || last_error WHERE last_error <> '';

-- The audit head's MAC under a key derived from the data key: whoever can only write the database cannot set
-- the head back (truncating the newest events) without verification noticing. Empty until the program keys it.
ALTER TABLE audit_head ADD COLUMN mac TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_head DROP COLUMN mac;
-- Values sealed since stay sealed (an older version shows them as stored); the marks are removed.
UPDATE transmissions SET last_error = substr(last_error, 5) WHERE substr(last_error, 1, 4) = 'rd0:';
UPDATE outbox SET last_error = substr(last_error, 5) WHERE substr(last_error, 1, 4) = 'rd0:';
UPDATE erasures SET systems = substr(systems, 5) WHERE substr(systems, 1, 4) = 'rd0:';
UPDATE exports SET name = substr(name, 5) WHERE substr(name, 1, 4) = 'rd0:';
UPDATE requests SET external_id = substr(external_id, 5) WHERE substr(external_id, 1, 4) = 'rd0:';
