-- Temporary access: a membership may end. NULL is a membership without an end. The engine
-- treats a membership as absent from `expires_at` on; the sweeper deletes it afterwards.
ALTER TABLE group_members ADD COLUMN expires_at BIGINT;
CREATE INDEX group_members_expires ON group_members (expires_at) WHERE expires_at IS NOT NULL;
