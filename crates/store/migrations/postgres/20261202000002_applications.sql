-- Applications: the OpenID Connect clients of a business. The client_id is the id. Lists
-- (redirect URIs, scopes, grant types) are JSON arrays; lifetimes are seconds. Only the
-- SHA-256 of a confidential client's secret is kept (hex). An application with the
-- client_credentials grant holds its rights through an internal API key (service_key_id),
-- which names its application (api_keys.application_id) so it is not listed or revoked as
-- a key of its own; it stays, revoked, when its application is deleted.

CREATE TABLE applications (
    id                        TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    business_id               TEXT NOT NULL REFERENCES businesses (id),
    name                      TEXT NOT NULL,
    client_type               TEXT NOT NULL CHECK (client_type IN ('confidential', 'public')),
    first_party               BIGINT NOT NULL,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    backchannel_logout_uri    TEXT,
    allowed_scopes            TEXT NOT NULL,
    grant_types               TEXT NOT NULL,
    require_mfa               BIGINT NOT NULL,
    access_token_ttl_secs     BIGINT NOT NULL,
    refresh_token_ttl_secs    BIGINT NOT NULL,
    id_token_ttl_secs         BIGINT NOT NULL,
    id_token_alg              TEXT NOT NULL CHECK (id_token_alg IN ('ES256', 'RS256')),
    secret_hash               TEXT,
    secret_rotated_at         BIGINT,
    service_key_id            TEXT COLLATE "C" REFERENCES api_keys (id),
    created_by                TEXT NOT NULL,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL
);
CREATE INDEX applications_business ON applications (business_id, id);

ALTER TABLE api_keys ADD COLUMN application_id TEXT COLLATE "C";
