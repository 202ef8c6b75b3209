-- Security settings of a business, and the change records the access engine's feed reads.

ALTER TABLE businesses ADD COLUMN mfa_policy TEXT NOT NULL DEFAULT 'live_access';
ALTER TABLE businesses ADD COLUMN mfa_grace_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE businesses ADD COLUMN mfa_policy_changed_at INTEGER NOT NULL DEFAULT 0;

-- What each committed change touched, by the business change sequence it got. Nodes read
-- the records after the sequence their snapshot is at and reload only those objects. Old
-- records are pruned; a node that fell further behind reloads the whole business.
CREATE TABLE access_changes (
    business_id TEXT NOT NULL REFERENCES businesses (id),
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    PRIMARY KEY (business_id, seq, kind, entity_id)
);
