//! Authentication's reads, and its bookkeeping writes that are not audited changes (a
//! session's activity, rate-limit hits, reserving a sign-in attempt).

use async_trait::async_trait;
use gatehouse_domain::auth::model::{
    AttemptReservation, AuthToken, Credentials, Session, SessionStage, TokenKind,
};
use gatehouse_domain::auth::store::AuthReads;
use gatehouse_domain::auth::{MfaMethod, TokenHash};
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, UserId};
use gatehouse_domain::model::{Business, User};
use gatehouse_domain::types::{Email, Slug};
use gatehouse_domain::{Error, Result};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::db;
use crate::store::SqlStore;
use crate::{queries, rows};

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("stored {what} does not parse"))
}

fn hash(row: &AnyRow, col: &str) -> Result<TokenHash> {
    TokenHash::from_hex(&rows::text(row, col)?).ok_or_else(|| corrupt(col))
}

fn credentials(row: &AnyRow) -> Result<Credentials> {
    Ok(Credentials {
        password_hash: rows::opt_text(row, "password_hash")?,
        totp_secret: rows::opt_text(row, "totp_secret")?,
        totp_last_step: opt_int(row, "totp_last_step")?,
        failed_count: rows::int(row, "failed_count")?,
        throttled_until: rows::opt_time(row, "throttled_until")?,
        locked_until: rows::opt_time(row, "locked_until")?,
        failure_epoch: rows::int(row, "failure_epoch")?,
    })
}

fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    use sqlx::Row;
    row.try_get::<Option<i64>, _>(col).map_err(db)
}

pub(crate) const SESSION_COLS: &str = "token_hash, id, business_id, user_id, stage, created_at, authenticated_at, mfa_at, mfa_method, last_seen_at, expires_at, client_ip, user_agent";

pub(crate) fn session(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: rows::id(row, "id")?,
        token_hash: hash(row, "token_hash")?,
        business_id: rows::id(row, "business_id")?,
        user_id: rows::id(row, "user_id")?,
        stage: SessionStage::parse(&rows::text(row, "stage")?).ok_or_else(|| corrupt("stage"))?,
        created_at: rows::time(row, "created_at")?,
        authenticated_at: match rows::opt_time(row, "authenticated_at")? {
            Some(t) => t,
            None => rows::time(row, "created_at")?,
        },
        mfa_at: rows::opt_time(row, "mfa_at")?,
        mfa_method: rows::opt_text(row, "mfa_method")?
            .map(|m| MfaMethod::parse(&m).ok_or_else(|| corrupt("mfa_method")))
            .transpose()?,
        last_seen_at: rows::time(row, "last_seen_at")?,
        expires_at: rows::time(row, "expires_at")?,
        client_ip: rows::opt_text(row, "client_ip")?,
        user_agent: rows::opt_text(row, "user_agent")?,
    })
}

pub(crate) const TOKEN_COLS: &str =
    "token_hash, kind, business_id, user_id, created_at, expires_at, used_at, revoked_at";

pub(crate) fn auth_token(row: &AnyRow) -> Result<AuthToken> {
    let opt_id = |col: &str| -> Result<Option<String>> { rows::opt_text(row, col) };
    Ok(AuthToken {
        hash: hash(row, "token_hash")?,
        kind: TokenKind::parse(&rows::text(row, "kind")?).ok_or_else(|| corrupt("kind"))?,
        business_id: opt_id("business_id")?
            .map(|s| s.parse().map_err(|_| corrupt("business_id")))
            .transpose()?,
        user_id: opt_id("user_id")?
            .map(|s| s.parse().map_err(|_| corrupt("user_id")))
            .transpose()?,
        created_at: rows::time(row, "created_at")?,
        expires_at: rows::time(row, "expires_at")?,
        used_at: rows::opt_time(row, "used_at")?,
        revoked_at: rows::opt_time(row, "revoked_at")?,
    })
}

pub(crate) async fn get_credentials(
    c: &mut AnyConnection,
    user: UserId,
) -> Result<Option<Credentials>> {
    get_credentials_with(c, user, "").await
}

/// The credentials row, with `suffix` (a locking clause) after the query.
pub(crate) async fn get_credentials_with(
    c: &mut AnyConnection,
    user: UserId,
    suffix: &str,
) -> Result<Option<Credentials>> {
    let sql = format!(
        "SELECT password_hash, totp_secret, totp_last_step, failed_count, throttled_until, locked_until, failure_epoch \
         FROM credentials WHERE user_id = $1{suffix}"
    );
    sqlx::query(&sql)
        .bind(user.to_string())
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?
        .as_ref()
        .map(credentials)
        .transpose()
}

#[async_trait]
impl AuthReads for SqlStore {
    async fn get_business_by_slug(&self, slug: &Slug) -> Result<Option<Business>> {
        let row = sqlx::query(
            "SELECT id, slug, name, created_at, updated_at FROM businesses WHERE slug = $1",
        )
        .bind(slug.as_str())
        .fetch_optional(self.reader())
        .await
        .map_err(db)?;
        row.as_ref().map(rows::business).transpose()
    }

    async fn get_user_by_email(&self, business: BusinessId, email: &Email) -> Result<Option<User>> {
        let mut c = self.reader().acquire().await.map_err(db)?;
        let sql = format!(
            "SELECT {} FROM users u WHERE u.business_id = $1 AND u.email = $2",
            queries::USER_COLS
        );
        let row = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(email.as_str())
            .fetch_optional(&mut *c)
            .await
            .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let mut users = [rows::user(&row)?];
        queries::attach_groups(&mut c, &mut users).await?;
        let [user] = users;
        Ok(Some(user))
    }

    async fn list_accounts_with_email(&self, email: &Email) -> Result<Vec<(BusinessId, UserId)>> {
        let found = sqlx::query("SELECT business_id, id FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        business_user_ids(&found)
    }

    async fn get_credentials(&self, user: UserId) -> Result<Option<Credentials>> {
        let mut c = self.reader().acquire().await.map_err(db)?;
        get_credentials(&mut c, user).await
    }

    async fn get_session(&self, hash: &TokenHash) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1");
        let row = sqlx::query(&sql)
            .bind(hash.to_hex())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?;
        row.as_ref().map(session).transpose()
    }

    async fn list_sessions(&self, business: BusinessId, user: UserId) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE business_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC"
        );
        let found = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(user.to_string())
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        found.iter().map(session).collect()
    }

    async fn touch_session(&self, hash: &TokenHash, at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1",
        )
        .bind(to_micros(at))
        .bind(hash.to_hex())
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_expired_session(&self, hash: &TokenHash) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash.to_hex())
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn get_auth_token(&self, hash: &TokenHash) -> Result<Option<AuthToken>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM auth_tokens WHERE token_hash = $1");
        let row = sqlx::query(&sql)
            .bind(hash.to_hex())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?;
        row.as_ref().map(auth_token).transpose()
    }

    async fn reserve_sign_in_attempt(
        &self,
        user: UserId,
        now: OffsetDateTime,
        threshold: i64,
    ) -> Result<Option<AttemptReservation>> {
        // One statement: the row lock (PostgreSQL) or the single writer (SQLite) makes it
        // atomic, so parallel attempts can never evaluate more than `threshold` guesses.
        let row = sqlx::query(
            "UPDATE credentials SET failed_count = failed_count + 1 \
             WHERE user_id = $1 AND failed_count < $2 \
             AND (throttled_until IS NULL OR throttled_until <= $3) \
             AND (locked_until IS NULL OR locked_until <= $3) \
             RETURNING failed_count, failure_epoch",
        )
        .bind(user.to_string())
        .bind(threshold)
        .bind(to_micros(now))
        .fetch_optional(self.writer())
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(AttemptReservation {
                count: rows::int(&r, "failed_count")?,
                epoch: rows::int(&r, "failure_epoch")?,
            })
        })
        .transpose()
    }

    async fn release_sign_in_attempt(&self, user: UserId, epoch: i64) -> Result<()> {
        sqlx::query(
            "UPDATE credentials SET failed_count = failed_count - 1 \
             WHERE user_id = $1 AND failure_epoch = $2 AND failed_count > 0",
        )
        .bind(user.to_string())
        .bind(epoch)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn hit_rate_limit(&self, bucket: &str, window_start: OffsetDateTime) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start = $2 THEN rate_limits.hits + 1 ELSE 1 END, \
             window_start = $2 \
             RETURNING hits",
        )
        .bind(bucket)
        .bind(to_micros(window_start))
        .fetch_one(self.writer())
        .await
        .map_err(db)?;
        rows::int(&row, "hits")
    }

    async fn claim_rate_limit(
        &self,
        bucket: &str,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> Result<bool> {
        // The upsert's WHERE leaves a row used since `since` alone, and then nothing is
        // returned; concurrent claims wait on the row (or the key) and see the winner's time.
        let row = sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET window_start = $2, hits = 1 \
             WHERE rate_limits.window_start <= $3 \
             RETURNING hits",
        )
        .bind(bucket)
        .bind(to_micros(now))
        .bind(to_micros(since))
        .fetch_optional(self.writer())
        .await
        .map_err(db)?;
        Ok(row.is_some())
    }

    async fn prune_rate_limits(&self, before: OffsetDateTime) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(to_micros(before))
                .execute(self.writer())
                .await
                .map_err(db)?
                .rows_affected(),
        )
    }

    async fn list_expired_locks(&self, now: OffsetDateTime) -> Result<Vec<(BusinessId, UserId)>> {
        let found = sqlx::query(
            "SELECT u.business_id, u.id FROM credentials c JOIN users u ON u.id = c.user_id \
             WHERE u.status = 'locked' AND (c.locked_until IS NULL OR c.locked_until <= $1)",
        )
        .bind(to_micros(now))
        .fetch_all(self.reader())
        .await
        .map_err(db)?;
        business_user_ids(&found)
    }
}

/// The `(business_id, id)` of each row of users.
fn business_user_ids(found: &[sqlx::any::AnyRow]) -> Result<Vec<(BusinessId, UserId)>> {
    found
        .iter()
        .map(|r| Ok((rows::id(r, "business_id")?, rows::id(r, "id")?)))
        .collect()
}
