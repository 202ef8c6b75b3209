-- OpenID Connect / OAuth 2.0 grants. A grant is one authorisation of an application by a
-- user in a browser session; its
-- codes and refresh tokens are its family: a replayed code or a reused refresh token
-- revokes the whole grant. A grant lives no longer than the session it came from.
-- Codes and refresh tokens are stored as SHA-256 hex of their secret, never in clear.

ALTER TABLE sessions ADD COLUMN mfa_at INTEGER;

CREATE TABLE oauth_grants (
    id             TEXT PRIMARY KEY NOT NULL,
    business_id    TEXT NOT NULL REFERENCES businesses (id),
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id),
    session_id     TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    auth_time      INTEGER NOT NULL,
    mfa            INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoked_reason TEXT
);
CREATE INDEX oauth_grants_session ON oauth_grants (session_id);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id);
CREATE INDEX oauth_grants_expiry ON oauth_grants (expires_at);

CREATE TABLE oauth_codes (
    code_hash      TEXT PRIMARY KEY NOT NULL,
    grant_id       TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);
CREATE INDEX oauth_codes_grant ON oauth_codes (grant_id);

CREATE TABLE oauth_refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

CREATE TABLE oauth_consents (
    user_id        TEXT NOT NULL REFERENCES users (id),
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scope          TEXT NOT NULL,
    granted_at     INTEGER NOT NULL,
    PRIMARY KEY (user_id, application_id)
);

-- Back-channel logouts owed (OIDC Back-Channel Logout 1.0): one row per ended session and
-- application that holds a grant of it and registered a back-channel logout URI, written
-- in the transaction that ends the session, delivered by a sender with a lease, retries
-- and back-off (as the mail outbox). `attempts` fences a sender whose lease ran out.
CREATE TABLE oauth_logouts (
    session_id      TEXT NOT NULL,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    business_id     TEXT NOT NULL REFERENCES businesses (id),
    user_id         TEXT NOT NULL,
    uri             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
    -- When it is due; while 'sending', when its sender's lease runs out.
    next_attempt_at INTEGER NOT NULL,
    finished_at     INTEGER,
    last_error      TEXT,
    PRIMARY KEY (session_id, application_id)
);
CREATE INDEX oauth_logouts_due ON oauth_logouts (state, next_attempt_at);
