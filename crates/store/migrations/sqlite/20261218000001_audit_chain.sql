-- The tamper-evident audit trail: each business's events form a hash chain. An event's link
-- (its position, the previous event's hash, its own hash) is written with it, under the
-- business's chain head (audit_heads), which serialises appends per business.
ALTER TABLE audit_events ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_events ADD COLUMN chain_prev TEXT;
ALTER TABLE audit_events ADD COLUMN chain_hash TEXT;
CREATE UNIQUE INDEX audit_events_chain ON audit_events (business_id, chain_seq);

CREATE TABLE audit_heads (
    business_id TEXT PRIMARY KEY NOT NULL,
    seq         INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    -- Events written before the chain existed, up to this id, still to be linked (in id
    -- order) by the backfill that runs after migrating, or by the business's next write.
    backfill_to TEXT
);
INSERT INTO audit_heads (business_id, seq, hash, backfill_to)
SELECT business_id, 0, '0000000000000000000000000000000000000000000000000000000000000000', MAX(id)
FROM audit_events WHERE business_id IS NOT NULL GROUP BY business_id;

-- Still append-only: an event's content never changes, and its link is written once (the
-- backfill links events that predate the chain).
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OF id, business_id, occurred_at, actor_kind, actor_id, actor_label, action,
    target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, user_agent ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_link_once BEFORE UPDATE OF chain_seq, chain_prev, chain_hash
    ON audit_events WHEN OLD.chain_seq IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
