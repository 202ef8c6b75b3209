-- Gatehouse schema, PostgreSQL. Ids are UUIDv7 text; times are microseconds since the Unix epoch.

CREATE TABLE businesses (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- bumped by every committed change of the business's access model (the change feed)
    change_seq  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT businesses_slug_key UNIQUE (slug)
);

CREATE TABLE tenants (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id),
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT tenants_business_slug_key UNIQUE (business_id, slug)
);

CREATE TABLE users (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    email        TEXT COLLATE "C" NOT NULL,
    display_name TEXT NOT NULL,
    name_key     TEXT COLLATE "C" NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'active', 'locked', 'deactivated')),
    mfa_enrolled BIGINT NOT NULL DEFAULT 0,
    activated_at BIGINT,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT users_business_email_key UNIQUE (business_id, email)
);
CREATE INDEX users_business_status_email ON users (business_id, status, email);
CREATE INDEX users_business_name_key ON users (business_id, name_key);

CREATE TABLE access_groups (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id),
    name        TEXT NOT NULL,
    name_key    TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('business', 'tenants')),
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT access_groups_business_name_key UNIQUE (business_id, name_key)
);

CREATE TABLE group_tenants (
    group_id  TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (group_id, tenant_id)
);
CREATE INDEX group_tenants_tenant ON group_tenants (tenant_id);

CREATE TABLE group_permissions (
    group_id   TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL CHECK (scope IN ('business', 'live', 'sandbox')),
    permission TEXT NOT NULL,
    PRIMARY KEY (group_id, scope, permission)
);

CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    business_id TEXT NOT NULL REFERENCES businesses (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    grants       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_business ON api_keys (business_id, id);

CREATE TABLE audit_events (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    business_id  TEXT,
    occurred_at  BIGINT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_kind  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    target_label TEXT NOT NULL,
    before_state TEXT,
    after_state  TEXT,
    request_id   TEXT,
    client_ip    TEXT,
    user_agent   TEXT
);
CREATE INDEX audit_events_business ON audit_events (business_id, id);
CREATE INDEX audit_events_business_target ON audit_events (business_id, target_id, id);
CREATE INDEX audit_events_business_actor ON audit_events (business_id, actor_id, id);

-- The audit trail is append-only, whatever code runs against the database.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
