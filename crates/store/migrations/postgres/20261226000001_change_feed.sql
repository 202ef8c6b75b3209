-- The change feed's cursor (issue 14): each node polls for the businesses that moved since
-- its last pass instead of reading every business's change sequence ten times a second.
-- `change_tx` is the transaction that last bumped `change_seq`. A pass reads the rows whose
-- `change_tx` is at or above the previous pass's horizon, the oldest transaction still running
-- when it read (`pg_snapshot_xmin`): every transaction below the horizon had ended, so its
-- rows were in that pass's snapshot, and any transaction that commits later has an id at or
-- above it. Transaction ids (xid8) never wrap.
ALTER TABLE businesses ADD COLUMN change_tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX businesses_change_tx ON businesses (change_tx);
