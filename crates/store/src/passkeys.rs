//! Passkeys and the used WebAuthn challenges: reads on the store, writes in a transaction.
//! Adding or removing a passkey records its user for the change feed (the engine's MFA rule
//! counts passkeys; `access.rs` reads them with the user).

use async_trait::async_trait;
use data_encoding::BASE64URL_NOPAD;
use gatehouse_domain::auth::TokenHash;
use gatehouse_domain::auth::passkey::Passkey;
use gatehouse_domain::auth::passkey_store::{PasskeyReads, PasskeyWrites};
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, PasskeyId, UserId};
use gatehouse_domain::{Error, Result};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::db;
use crate::rows;
use crate::store::SqlStore;
use crate::tx::SqlTx;

const COLS: &str = "id, business_id, user_id, credential_id, name, public_key, algorithm, sign_count, \
     backup_eligible, backed_up, attestation_format, aaguid, created_at, last_used_at";

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored passkey {what} does not parse"))
}

fn passkey(row: &AnyRow) -> Result<Passkey> {
    Ok(Passkey {
        id: rows::id(row, "id")?,
        business_id: rows::id(row, "business_id")?,
        user_id: rows::id(row, "user_id")?,
        credential_id: rows::text(row, "credential_id")?,
        name: rows::text(row, "name")?,
        public_key: BASE64URL_NOPAD
            .decode(rows::text(row, "public_key")?.as_bytes())
            .map_err(|_| corrupt("public_key"))?,
        algorithm: rows::int(row, "algorithm")?,
        sign_count: u32::try_from(rows::int(row, "sign_count")?)
            .map_err(|_| corrupt("sign_count"))?,
        backup_eligible: rows::int(row, "backup_eligible")? != 0,
        backed_up: rows::int(row, "backed_up")? != 0,
        attestation_format: rows::text(row, "attestation_format")?,
        aaguid: rows::text(row, "aaguid")?,
        created_at: rows::time(row, "created_at")?,
        last_used_at: rows::opt_time(row, "last_used_at")?,
    })
}

#[async_trait]
impl PasskeyReads for SqlStore {
    async fn list_passkeys(&self, business: BusinessId, user: UserId) -> Result<Vec<Passkey>> {
        let sql = format!(
            "SELECT {COLS} FROM passkeys WHERE business_id = $1 AND user_id = $2 ORDER BY created_at, id"
        );
        let found = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(user.to_string())
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        found.iter().map(passkey).collect()
    }

    async fn get_passkey_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>> {
        let sql = format!("SELECT {COLS} FROM passkeys WHERE credential_id = $1");
        let row = sqlx::query(&sql)
            .bind(credential_id.to_owned())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?;
        row.as_ref().map(passkey).transpose()
    }
}

#[async_trait]
impl PasskeyWrites for SqlTx {
    async fn insert_passkey(&mut self, p: &Passkey) -> Result<bool> {
        let q = sqlx::query(
            "INSERT INTO passkeys (id, business_id, user_id, credential_id, name, public_key, algorithm, sign_count, \
             backup_eligible, backed_up, attestation_format, aaguid, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(p.id.to_string())
        .bind(p.business_id.to_string())
        .bind(p.user_id.to_string())
        .bind(p.credential_id.clone())
        .bind(p.name.clone())
        .bind(BASE64URL_NOPAD.encode(&p.public_key))
        .bind(p.algorithm)
        .bind(i64::from(p.sign_count))
        .bind(i64::from(p.backup_eligible))
        .bind(i64::from(p.backed_up))
        .bind(p.attestation_format.clone())
        .bind(p.aaguid.clone())
        .bind(to_micros(p.created_at))
        .bind(p.last_used_at.map(to_micros));
        let inserted = self.exec(q).await? == 1;
        if inserted {
            self.record(p.business_id, "user", p.user_id.to_string());
        }
        Ok(inserted)
    }

    async fn delete_passkey(
        &mut self,
        business: BusinessId,
        user: UserId,
        id: PasskeyId,
    ) -> Result<Option<Passkey>> {
        let sql = format!(
            "DELETE FROM passkeys WHERE business_id = $1 AND user_id = $2 AND id = $3 RETURNING {COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        let gone = row.as_ref().map(passkey).transpose()?;
        if gone.is_some() {
            self.record(business, "user", user.to_string());
        }
        Ok(gone)
    }

    async fn delete_user_passkeys(&mut self, business: BusinessId, user: UserId) -> Result<u64> {
        let q = sqlx::query("DELETE FROM passkeys WHERE business_id = $1 AND user_id = $2")
            .bind(business.to_string())
            .bind(user.to_string());
        let n = self.exec(q).await?;
        if n > 0 {
            self.record(business, "user", user.to_string());
        }
        Ok(n)
    }

    async fn count_passkeys(&mut self, user: UserId) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM passkeys WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)?;
        rows::int(&row, "n")
    }

    async fn record_passkey_use(
        &mut self,
        id: PasskeyId,
        seen: u32,
        sign_count: u32,
        backed_up: bool,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE passkeys SET sign_count = $1, backed_up = $2, last_used_at = $3 WHERE id = $4 AND sign_count = $5",
        )
        .bind(i64::from(sign_count))
        .bind(i64::from(backed_up))
        .bind(to_micros(at))
        .bind(id.to_string())
        .bind(i64::from(seen));
        Ok(self.exec(q).await? == 1)
    }

    async fn use_webauthn_challenge(
        &mut self,
        hash: &TokenHash,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let prune = sqlx::query("DELETE FROM webauthn_used_challenges WHERE expires_at < $1")
            .bind(to_micros(now));
        self.exec(prune).await?;
        let q = sqlx::query(
            "INSERT INTO webauthn_used_challenges (challenge_hash, expires_at) VALUES ($1, $2) \
             ON CONFLICT (challenge_hash) DO NOTHING",
        )
        .bind(hash.to_hex())
        .bind(to_micros(expires_at));
        Ok(self.exec(q).await? == 1)
    }
}
