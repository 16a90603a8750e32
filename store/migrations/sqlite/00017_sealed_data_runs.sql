-- +goose Up
-- A data run's parts are sealed from now on: a part's error quotes an http system's own words (which may name the
-- person) or a failed delivery naming the system's host. The parts found here in clear are marked 'rd0:', as
-- migration 00013 did, and the program seals them at its next start (SealClearText).
UPDATE data_runs SET systems = 'rd0:' || systems WHERE systems <> '';

-- +goose Down
-- Parts sealed since stay sealed (an older version cannot read them: restore a backup taken before the upgrade);
-- the marks are removed.
UPDATE data_runs SET systems = substr(systems, 5) WHERE substr(systems, 1, 4) = 'rd0:';
