-- Requests for temporary access (break-glass): a user asks for a group for a while, with a
-- reason; an administrator approves (which adds the temporary membership, ending
-- duration_secs after the approval) or denies. status: pending, approved, denied.
CREATE TABLE access_requests (
    id            TEXT PRIMARY KEY NOT NULL,
    business_id   TEXT NOT NULL REFERENCES businesses (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    group_id      TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    duration_secs INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER,
    decided_by    TEXT,
    expires_at    INTEGER
);
CREATE INDEX access_requests_business ON access_requests (business_id, status, id);
CREATE INDEX access_requests_user ON access_requests (user_id, id);
