-- The change feed's cursor (issue 14): each node polls for the businesses that moved since
-- its last pass instead of reading every business's change sequence ten times a second.
-- `change_tick` counts commits that bumped a `change_seq`, over all businesses: the commit
-- takes the highest tick plus one. SQLite has one writer at a time, so ticks appear in the
-- order their transactions commit, and a pass reads the ticks above the highest it has seen.
ALTER TABLE businesses ADD COLUMN change_tick INTEGER NOT NULL DEFAULT 0;
CREATE INDEX businesses_change_tick ON businesses (change_tick);
