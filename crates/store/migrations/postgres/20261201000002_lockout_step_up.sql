-- Lockout: a failure period that moves on at every reset, so a sign-in attempt reserved
-- before a reset can neither lock nor release anything after it.
-- Step-up: when the session's user last proved who they are (a sign-in, or a fresh
-- password and second factor), for changes to their own second factor.
ALTER TABLE credentials ADD COLUMN failure_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT;
UPDATE sessions SET authenticated_at = created_at;
