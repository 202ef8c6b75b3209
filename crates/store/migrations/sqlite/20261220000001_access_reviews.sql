-- Access reviews (certifications). group_owners: who is accountable for a group (owning
-- grants nothing; owners review their groups' members). A review captures its scope's
-- memberships at the start as items (group and email by name, what the group granted as
-- JSON, the member's last sign-in), each with its reviewers; decisions are recorded on the
-- item; the report (JSON) is stored when the review closes. Notices: which reminder or
-- escalation each person got, once per review. Schedules start reviews again and again.
-- Items keep names rather than foreign keys to groups and users: the report outlives them.
CREATE TABLE group_owners (
    group_id    TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    business_id TEXT NOT NULL REFERENCES businesses (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_owners_business ON group_owners (business_id, group_id);

CREATE TABLE access_reviews (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id),
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    reviewers   TEXT NOT NULL,
    schedule_id TEXT,
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    due_at      INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    started_by  TEXT NOT NULL,
    closed_at   INTEGER,
    closed_by   TEXT,
    report      TEXT
);
CREATE INDEX access_reviews_business ON access_reviews (business_id, id);
CREATE INDEX access_reviews_open ON access_reviews (state, due_at);

CREATE TABLE access_review_items (
    id           TEXT PRIMARY KEY NOT NULL,
    review_id    TEXT NOT NULL REFERENCES access_reviews (id),
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    group_id     TEXT NOT NULL,
    group_name   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    email        TEXT NOT NULL,
    permissions  TEXT NOT NULL,
    expires_at   INTEGER,
    last_sign_in INTEGER,
    decision     TEXT CHECK (decision IN ('keep', 'remove')),
    comment      TEXT,
    decided_by   TEXT,
    decided_at   INTEGER
);
CREATE INDEX access_review_items_review ON access_review_items (review_id, group_name, email);

CREATE TABLE access_review_reviewers (
    item_id   TEXT NOT NULL REFERENCES access_review_items (id),
    review_id TEXT NOT NULL REFERENCES access_reviews (id),
    user_id   TEXT NOT NULL,
    PRIMARY KEY (item_id, user_id)
);
CREATE INDEX access_review_reviewers_user ON access_review_reviewers (user_id, review_id);

CREATE TABLE access_review_notices (
    review_id TEXT NOT NULL REFERENCES access_reviews (id),
    user_id   TEXT NOT NULL,
    stage     TEXT NOT NULL CHECK (stage IN ('assigned', 'reminder', 'overdue')),
    sent_at   INTEGER NOT NULL,
    PRIMARY KEY (review_id, user_id, stage)
);

CREATE TABLE access_review_schedules (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id),
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    reviewers   TEXT NOT NULL,
    every_days  INTEGER NOT NULL,
    review_days INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX access_review_schedules_next ON access_review_schedules (next_at);
