-- Passkeys (WebAuthn credentials): a user's public keys, their signature counters and
-- backup flags (checked at each use), the attestation format they came with (recorded,
-- not verified: Gatehouse asks for none). Challenges are sealed and stateless; a used one
-- is remembered until it expires, so each is accepted once, on any node.
CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY NOT NULL,
    business_id        TEXT NOT NULL REFERENCES businesses (id),
    user_id            TEXT NOT NULL REFERENCES users (id),
    credential_id      TEXT NOT NULL,
    name               TEXT NOT NULL,
    public_key         TEXT NOT NULL,
    algorithm          BIGINT NOT NULL,
    sign_count         BIGINT NOT NULL,
    backup_eligible    BIGINT NOT NULL,
    backed_up          BIGINT NOT NULL,
    attestation_format TEXT NOT NULL,
    aaguid             TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    last_used_at       BIGINT,
    CONSTRAINT passkeys_credential_key UNIQUE (credential_id)
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

CREATE TABLE webauthn_used_challenges (
    challenge_hash TEXT PRIMARY KEY NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX webauthn_used_challenges_expiry ON webauthn_used_challenges (expires_at);

-- Which second factor a session's sign-in passed ('totp', 'recovery', 'passkey'), for the
-- OpenID Connect amr and acr; and a business's policy for phishing-resistant factors.
ALTER TABLE sessions ADD COLUMN mfa_method TEXT;
ALTER TABLE oauth_grants ADD COLUMN mfa_method TEXT;
ALTER TABLE businesses ADD COLUMN passkey_policy TEXT NOT NULL DEFAULT 'off';
