-- Plans that do not depend on luck (issue 14), PostgreSQL.
--
-- 1. Every id column and every column that references one is TEXT COLLATE "C", as the ids
--    they point to are. A join of a "C" column with a default-collation one (C.UTF-8 here)
--    compares under no common collation: the planner casts one side, so the join cannot use
--    the other side's index and falls back to a filtered nested loop (16 M rows compared for
--    a tenant filter before the first ANALYZE). The store test `id_columns_share_one_type`
--    keeps it so. Only the referencing columns change: every referenced id already is "C".
ALTER TABLE access_changes ALTER COLUMN entity_id TYPE TEXT COLLATE "C";
ALTER TABLE access_groups ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE access_requests ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C", ALTER COLUMN group_id TYPE TEXT COLLATE "C";
ALTER TABLE advisor_digest_opt_outs ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE advisor_digests ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE advisor_scores ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE advisor_settings ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE api_keys ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE applications ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN created_by TYPE TEXT COLLATE "C";
-- The append-only trigger names its columns: it is set aside while their collation changes
-- (a change of collation rewrites no row, so no event's content moves).
DROP TRIGGER audit_events_no_update ON audit_events;
ALTER TABLE audit_events ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN actor_id TYPE TEXT COLLATE "C", ALTER COLUMN target_id TYPE TEXT COLLATE "C", ALTER COLUMN request_id TYPE TEXT COLLATE "C";
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OF id, business_id, occurred_at, actor_kind, actor_id, actor_label, action,
    target_kind, target_id, target_label, before_state, after_state, request_id, client_ip, user_agent ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
ALTER TABLE auth_tokens ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE group_members ALTER COLUMN group_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C", ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE group_permissions ALTER COLUMN group_id TYPE TEXT COLLATE "C";
ALTER TABLE group_tenants ALTER COLUMN group_id TYPE TEXT COLLATE "C", ALTER COLUMN tenant_id TYPE TEXT COLLATE "C";
ALTER TABLE import_jobs ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE mail_outbox ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE oauth_codes ALTER COLUMN grant_id TYPE TEXT COLLATE "C";
ALTER TABLE oauth_consents ALTER COLUMN user_id TYPE TEXT COLLATE "C", ALTER COLUMN application_id TYPE TEXT COLLATE "C";
ALTER TABLE oauth_grants ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN application_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C", ALTER COLUMN session_id TYPE TEXT COLLATE "C";
ALTER TABLE oauth_logouts ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE oauth_refresh_tokens ALTER COLUMN grant_id TYPE TEXT COLLATE "C";
ALTER TABLE passkeys ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C", ALTER COLUMN credential_id TYPE TEXT COLLATE "C";
ALTER TABLE scim_accounts ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C", ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE scim_group_links ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN group_id TYPE TEXT COLLATE "C", ALTER COLUMN external_id TYPE TEXT COLLATE "C";
ALTER TABLE scim_requests ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE scim_settings ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE sessions ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE tenants ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN business_id TYPE TEXT COLLATE "C";
ALTER TABLE webhook_deliveries ALTER COLUMN business_id TYPE TEXT COLLATE "C", ALTER COLUMN endpoint_id TYPE TEXT COLLATE "C", ALTER COLUMN event_id TYPE TEXT COLLATE "C";
ALTER TABLE webhook_endpoints ALTER COLUMN business_id TYPE TEXT COLLATE "C";

-- 2. Each business's users by status, kept by the triggers below in the same statement as
--    the change (so in its transaction): the users list's total without a filter, or with
--    the status filter alone, is read here instead of counted. On the business row, whose
--    lock every access-model write already takes at commit (its change sequence), so the
--    counters add no second lock to wait for in another order.
ALTER TABLE businesses
    ADD COLUMN users_pending     BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN users_active      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN users_locked      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN users_deactivated BIGINT NOT NULL DEFAULT 0;

UPDATE businesses b SET
    users_pending     = (SELECT COUNT(*) FROM users u WHERE u.business_id = b.id AND u.status = 'pending'),
    users_active      = (SELECT COUNT(*) FROM users u WHERE u.business_id = b.id AND u.status = 'active'),
    users_locked      = (SELECT COUNT(*) FROM users u WHERE u.business_id = b.id AND u.status = 'locked'),
    users_deactivated = (SELECT COUNT(*) FROM users u WHERE u.business_id = b.id AND u.status = 'deactivated');

-- Statement-level with transition tables: a 500-row INSERT updates each business row once,
-- not 500 times (which would leave 500 versions of one row behind in one transaction).
CREATE FUNCTION users_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE businesses b SET
        users_pending = b.users_pending + d.pending,
        users_active = b.users_active + d.active,
        users_locked = b.users_locked + d.locked,
        users_deactivated = b.users_deactivated + d.deactivated
    FROM (SELECT business_id,
                 COUNT(*) FILTER (WHERE status = 'pending') AS pending,
                 COUNT(*) FILTER (WHERE status = 'active') AS active,
                 COUNT(*) FILTER (WHERE status = 'locked') AS locked,
                 COUNT(*) FILTER (WHERE status = 'deactivated') AS deactivated
          FROM new_rows GROUP BY business_id) d
    WHERE b.id = d.business_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_count_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_insert();

CREATE FUNCTION users_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE businesses b SET
        users_pending = b.users_pending - d.pending,
        users_active = b.users_active - d.active,
        users_locked = b.users_locked - d.locked,
        users_deactivated = b.users_deactivated - d.deactivated
    FROM (SELECT business_id,
                 COUNT(*) FILTER (WHERE status = 'pending') AS pending,
                 COUNT(*) FILTER (WHERE status = 'active') AS active,
                 COUNT(*) FILTER (WHERE status = 'locked') AS locked,
                 COUNT(*) FILTER (WHERE status = 'deactivated') AS deactivated
          FROM old_rows GROUP BY business_id) d
    WHERE b.id = d.business_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_count_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_delete();

-- Most updates leave the status alone: those touch no business row.
CREATE FUNCTION users_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE businesses b SET
        users_pending = b.users_pending + d.pending,
        users_active = b.users_active + d.active,
        users_locked = b.users_locked + d.locked,
        users_deactivated = b.users_deactivated + d.deactivated
    FROM (SELECT business_id,
                 COALESCE(SUM(n) FILTER (WHERE status = 'pending'), 0) AS pending,
                 COALESCE(SUM(n) FILTER (WHERE status = 'active'), 0) AS active,
                 COALESCE(SUM(n) FILTER (WHERE status = 'locked'), 0) AS locked,
                 COALESCE(SUM(n) FILTER (WHERE status = 'deactivated'), 0) AS deactivated
          FROM (SELECT business_id, status, 1 AS n FROM new_rows
                UNION ALL
                SELECT business_id, status, -1 AS n FROM old_rows) c
          GROUP BY business_id) d
    WHERE b.id = d.business_id AND (d.pending <> 0 OR d.active <> 0 OR d.locked <> 0 OR d.deactivated <> 0);
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_count_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_count_update();

-- 3. Indexes the listings walk whatever the statistics say. A membership is checked for a
--    user (the tenant filter's semi-join) from one index entry, without reading the row;
--    a business's users in id order (newest and oldest first, the total's sample) from an
--    index of their own, not the primary key's walk over every business.
CREATE INDEX group_members_user_group ON group_members (user_id, group_id);
DROP INDEX group_members_user;
CREATE INDEX users_business_id ON users (business_id, id);
