-- Accounts and authentication: credentials and sign-in counters, sessions, single-use
-- tokens (invitation, password reset, setup), recovery codes, per-address rate limits.
-- Secrets are stored hashed (tokens, recovery codes: SHA-256 hex; passwords: argon2id) or
-- encrypted (TOTP: AES-256-GCM, versioned key).

CREATE TABLE credentials (
    user_id          TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES users (id),
    password_hash    TEXT,
    totp_secret      TEXT,
    totp_last_step   BIGINT,
    failed_count     BIGINT NOT NULL DEFAULT 0,
    throttled_until  BIGINT,
    locked_until     BIGINT
);
CREATE INDEX credentials_locked ON credentials (locked_until);

CREATE TABLE sessions (
    token_hash   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    id           TEXT COLLATE "C" NOT NULL,
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    stage        TEXT NOT NULL CHECK (stage IN ('full', 'mfa', 'enrol')),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    client_ip    TEXT,
    user_agent   TEXT,
    CONSTRAINT sessions_id_key UNIQUE (id)
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE auth_tokens (
    token_hash  TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('invitation', 'password_reset', 'setup')),
    business_id TEXT REFERENCES businesses (id),
    user_id     TEXT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX auth_tokens_user_kind ON auth_tokens (user_id, kind);

CREATE TABLE recovery_codes (
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    code_hash  TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE rate_limits (
    bucket       TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
