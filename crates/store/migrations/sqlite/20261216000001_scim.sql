-- SCIM provisioning. What a provisioned account carries besides the user row: the
-- client's externalId and the attributes that do not map onto the account (a JSON object);
-- groups' externalIds; each business's provisioning settings; and a short log of recent
-- SCIM requests for the dashboard's Provisioning page (the audit log keeps the changes).
-- Table names avoid "users" and "groups": constraint errors are read by table name.

CREATE TABLE scim_accounts (
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    external_id  TEXT,
    attributes   TEXT NOT NULL,
    PRIMARY KEY (business_id, user_id)
);
CREATE INDEX scim_accounts_external ON scim_accounts (business_id, external_id);

CREATE TABLE scim_group_links (
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    group_id     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    PRIMARY KEY (business_id, group_id)
);

CREATE TABLE scim_settings (
    business_id  TEXT PRIMARY KEY NOT NULL REFERENCES businesses (id),
    invite       INTEGER NOT NULL
);

CREATE TABLE scim_requests (
    id           TEXT PRIMARY KEY NOT NULL,
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    status       INTEGER NOT NULL,
    error        TEXT
);
CREATE INDEX scim_requests_business ON scim_requests (business_id, at);
