-- Plans that do not depend on luck (issue 14), SQLite.
--
-- PostgreSQL's file makes every id column "C"-collated like the ids it references; SQLite's
-- are all TEXT with the BINARY collation already (the same byte order), so nothing to change.
--
-- Each business's users by status, kept by the triggers below in the same statement as the
-- change (so in its transaction): the users list's total without a filter, or with the
-- status filter alone, is read here instead of counted.
ALTER TABLE businesses ADD COLUMN users_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE businesses ADD COLUMN users_active INTEGER NOT NULL DEFAULT 0;
ALTER TABLE businesses ADD COLUMN users_locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE businesses ADD COLUMN users_deactivated INTEGER NOT NULL DEFAULT 0;

UPDATE businesses SET
    users_pending = (SELECT COUNT(*) FROM users u WHERE u.business_id = businesses.id AND u.status = 'pending'),
    users_active = (SELECT COUNT(*) FROM users u WHERE u.business_id = businesses.id AND u.status = 'active'),
    users_locked = (SELECT COUNT(*) FROM users u WHERE u.business_id = businesses.id AND u.status = 'locked'),
    users_deactivated = (SELECT COUNT(*) FROM users u WHERE u.business_id = businesses.id AND u.status = 'deactivated');

CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
    UPDATE businesses SET
        users_pending = users_pending + (NEW.status = 'pending'),
        users_active = users_active + (NEW.status = 'active'),
        users_locked = users_locked + (NEW.status = 'locked'),
        users_deactivated = users_deactivated + (NEW.status = 'deactivated')
    WHERE id = NEW.business_id;
END;

CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
    UPDATE businesses SET
        users_pending = users_pending - (OLD.status = 'pending'),
        users_active = users_active - (OLD.status = 'active'),
        users_locked = users_locked - (OLD.status = 'locked'),
        users_deactivated = users_deactivated - (OLD.status = 'deactivated')
    WHERE id = OLD.business_id;
END;

-- Most updates leave the status alone: those touch no business row.
CREATE TRIGGER users_count_update AFTER UPDATE OF status, business_id ON users
WHEN OLD.status <> NEW.status OR OLD.business_id <> NEW.business_id BEGIN
    UPDATE businesses SET
        users_pending = users_pending - (OLD.status = 'pending'),
        users_active = users_active - (OLD.status = 'active'),
        users_locked = users_locked - (OLD.status = 'locked'),
        users_deactivated = users_deactivated - (OLD.status = 'deactivated')
    WHERE id = OLD.business_id;
    UPDATE businesses SET
        users_pending = users_pending + (NEW.status = 'pending'),
        users_active = users_active + (NEW.status = 'active'),
        users_locked = users_locked + (NEW.status = 'locked'),
        users_deactivated = users_deactivated + (NEW.status = 'deactivated')
    WHERE id = NEW.business_id;
END;

-- Indexes the listings walk whatever the statistics say. A membership is checked for a
--    user (the tenant filter's semi-join) from one index entry, without reading the row;
--    a business's users in id order (newest and oldest first, the total's sample) from an
--    index of their own, not the primary key's walk over every business.
CREATE INDEX group_members_user_group ON group_members (user_id, group_id);
DROP INDEX group_members_user;
CREATE INDEX users_business_id ON users (business_id, id);
