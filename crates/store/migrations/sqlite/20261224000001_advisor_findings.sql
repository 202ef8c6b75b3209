-- The access-health findings that stood at the advisor's last computation, by key (a
-- finding's kind and what it is about): the next computation compares with them to tell
-- which findings opened and which were resolved (`advisor.finding_opened` /
-- `advisor.finding_resolved`). The primary key makes each opening and resolution happen once
-- when two computations race.
CREATE TABLE advisor_open_findings (
    business_id TEXT NOT NULL REFERENCES businesses (id),
    finding_key TEXT NOT NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    opened_at   INTEGER NOT NULL,
    PRIMARY KEY (business_id, finding_key)
);
