-- OpenID Connect signing keys, shared by every node (see README "OpenID Connect: keys").
--   next:    activated_at NULL: published in the JWKS, not signing yet;
--   active:  activated_at set, retired_at NULL: signs new tokens;
--   retired: retired_at set: published and verifying until removable_at, then deleted.
-- private_key is PKCS#8 DER sealed with the secret cipher (AES-256-GCM), bound to the kid;
-- public_jwk is the JWK (JSON text). Times are microseconds since the epoch.
-- At most one next and one active key per algorithm: nodes that start or rotate at the same
-- time cannot both win (their inserts do nothing, their updates match no row).

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY NOT NULL,
    alg          TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    private_key  TEXT NOT NULL,
    public_jwk   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    activated_at INTEGER,
    retired_at   INTEGER,
    removable_at INTEGER,
    CHECK (retired_at IS NULL OR (activated_at IS NOT NULL AND removable_at IS NOT NULL))
);
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE activated_at IS NULL;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg)
    WHERE activated_at IS NOT NULL AND retired_at IS NULL;
