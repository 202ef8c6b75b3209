//! The OAuth state: grants, authorization codes, refresh tokens, consents. Codes and
//! refresh tokens are used with one conditional `UPDATE … WHERE used_at IS NULL`: of two
//! simultaneous uses exactly one finds the row unused (PostgreSQL's row lock makes the
//! second wait and re-check; SQLite's writes are serialised), so the other is a replay.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::auth::{Session, TokenHash};
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::ids::{ApplicationId, OAuthGrantId, SessionId, UserId};
use gatehouse_domain::oidc::grants::{
    AuthCode, ClaimedLogout, EndingSessions, LogoutOutcome, OAuthGrant, OAuthReads, OAuthWrites,
    RefreshToken, Use,
};
use time::OffsetDateTime;

use crate::auth::{SESSION_COLS, session};
use crate::connect::Backend;
use crate::error::db;
use crate::rows;
use crate::store::SqlStore;
use crate::tx::SqlTx;

mod records;

use records::{CODE_COLS, REFRESH_COLS, code, get_grant, refresh};

#[async_trait]
impl OAuthReads for SqlStore {
    async fn get_oauth_grant(&self, id: OAuthGrantId) -> Result<Option<OAuthGrant>> {
        get_grant(self.reader(), id).await
    }

    async fn find_refresh_token(&self, h: &TokenHash) -> Result<Option<RefreshToken>> {
        let sql = format!("SELECT {REFRESH_COLS} FROM oauth_refresh_tokens WHERE token_hash = $1");
        let row = sqlx::query(&sql)
            .bind(h.to_hex())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?;
        row.as_ref().map(refresh).transpose()
    }

    async fn get_consent(
        &self,
        user: UserId,
        application: ApplicationId,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT scope FROM oauth_consents WHERE user_id = $1 AND application_id = $2",
        )
        .bind(user.to_string())
        .bind(application.to_string())
        .fetch_optional(self.reader())
        .await
        .map_err(db)?;
        row.map(|r| rows::text(&r, "scope")).transpose()
    }

    async fn get_session_by_id(&self, id: SessionId) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?;
        row.as_ref().map(session).transpose()
    }

    async fn session_has_grants(&self, id: SessionId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM oauth_grants WHERE session_id = $1 LIMIT 1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await
            .map_err(db)?;
        Ok(row.is_some())
    }

    async fn ended_sessions_with_grants(
        &self,
        now: OffsetDateTime,
        idle_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE id IN (SELECT session_id FROM oauth_grants) \
             AND (expires_at <= $1 OR last_seen_at <= $2) ORDER BY id LIMIT $3"
        );
        let found = sqlx::query(&sql)
            .bind(to_micros(now))
            .bind(to_micros(idle_before))
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await
            .map_err(db)?;
        found.iter().map(session).collect()
    }

    async fn claim_logouts(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<ClaimedLogout>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE oauth_logouts SET state = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
             WHERE (session_id, application_id) IN (SELECT session_id, application_id FROM oauth_logouts \
             WHERE state IN ('pending', 'sending') AND next_attempt_at <= $2 \
             ORDER BY next_attempt_at LIMIT $3{lock}) \
             RETURNING session_id, application_id, business_id, user_id, uri, attempts"
        );
        let found = sqlx::query(&sql)
            .bind(to_micros(lease_until))
            .bind(to_micros(now))
            .bind(i64::from(limit))
            .fetch_all(self.writer())
            .await
            .map_err(db)?;
        found
            .iter()
            .map(|row| {
                Ok(ClaimedLogout {
                    session_id: rows::id(row, "session_id")?,
                    application_id: rows::id(row, "application_id")?,
                    business_id: rows::id(row, "business_id")?,
                    user_id: rows::id(row, "user_id")?,
                    uri: rows::text(row, "uri")?,
                    attempt: rows::int(row, "attempts")?,
                })
            })
            .collect()
    }

    async fn finish_logout(&self, l: &ClaimedLogout, outcome: LogoutOutcome) -> Result<bool> {
        let (state, at, error) = match outcome {
            LogoutOutcome::Delivered { at } => ("delivered", at, None),
            LogoutOutcome::Retry { at, error } => ("pending", at, Some(error)),
            LogoutOutcome::Failed { at, error } => ("failed", at, Some(error)),
        };
        let finished = state != "pending";
        let sql = if finished {
            "UPDATE oauth_logouts SET state = $1, finished_at = $2, last_error = $3 \
             WHERE session_id = $4 AND application_id = $5 AND attempts = $6 AND state = 'sending'"
        } else {
            "UPDATE oauth_logouts SET state = $1, next_attempt_at = $2, last_error = $3 \
             WHERE session_id = $4 AND application_id = $5 AND attempts = $6 AND state = 'sending'"
        };
        let done = sqlx::query(sql)
            .bind(state)
            .bind(to_micros(at))
            .bind(error)
            .bind(l.session_id.to_string())
            .bind(l.application_id.to_string())
            .bind(l.attempt)
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(done.rows_affected() > 0)
    }

    fn logout_signal(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        Some(self.logout_signal.clone())
    }

    async fn prune_logouts(&self, before: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM oauth_logouts WHERE state IN ('delivered', 'failed') AND finished_at < $1",
        )
        .bind(to_micros(before))
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl OAuthWrites for SqlTx {
    async fn insert_oauth_grant(&mut self, g: &OAuthGrant) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO oauth_grants (id, business_id, application_id, user_id, session_id, scope, nonce, auth_time, mfa, mfa_method, created_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)",
        )
        .bind(g.id.to_string())
        .bind(g.business_id.to_string())
        .bind(g.application_id.to_string())
        .bind(g.user_id.to_string())
        .bind(g.session_id.to_string())
        .bind(g.scope.clone())
        .bind(g.nonce.clone())
        .bind(to_micros(g.auth_time))
        .bind(i64::from(g.mfa))
        .bind(g.mfa_method.map(|m| m.as_str()))
        .bind(to_micros(g.created_at))
        .bind(to_micros(g.expires_at));
        self.exec(q).await.map(drop)
    }

    async fn get_oauth_grant(&mut self, id: OAuthGrantId) -> Result<Option<OAuthGrant>> {
        get_grant(&mut *self.tx, id).await
    }

    async fn get_session_by_id(&mut self, id: SessionId) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(session).transpose()
    }

    async fn revoke_oauth_grant(
        &mut self,
        id: OAuthGrantId,
        at: OffsetDateTime,
        reason: &str,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(to_micros(at))
        .bind(reason.to_owned())
        .bind(id.to_string());
        Ok(self.exec(q).await? > 0)
    }

    async fn insert_oauth_code(&mut self, c: &AuthCode) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, code_challenge, created_at, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(c.hash.to_hex())
        .bind(c.grant_id.to_string())
        .bind(c.redirect_uri.clone())
        .bind(c.code_challenge.clone())
        .bind(to_micros(c.created_at))
        .bind(to_micros(c.expires_at));
        self.exec(q).await.map(drop)
    }

    async fn use_oauth_code(&mut self, h: &TokenHash, at: OffsetDateTime) -> Result<Use<AuthCode>> {
        self.use_once("oauth_codes", "code_hash", CODE_COLS, h, at, code)
            .await
    }

    async fn insert_refresh_token(&mut self, t: &RefreshToken) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, used_at) VALUES ($1, $2, $3, NULL)",
        )
        .bind(t.hash.to_hex())
        .bind(t.grant_id.to_string())
        .bind(to_micros(t.created_at));
        self.exec(q).await.map(drop)
    }

    async fn use_refresh_token(
        &mut self,
        h: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<Use<RefreshToken>> {
        self.use_once(
            "oauth_refresh_tokens",
            "token_hash",
            REFRESH_COLS,
            h,
            at,
            refresh,
        )
        .await
    }

    async fn put_consent(
        &mut self,
        user: UserId,
        application: ApplicationId,
        scope: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO oauth_consents (user_id, application_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, application_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(user.to_string())
        .bind(application.to_string())
        .bind(scope.to_owned())
        .bind(to_micros(at));
        self.exec(q).await.map(drop)
    }

    async fn touch_session_by_id(&mut self, id: SessionId, at: OffsetDateTime) -> Result<()> {
        let q = sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1",
        )
        .bind(to_micros(at))
        .bind(id.to_string());
        self.exec(q).await.map(drop)
    }

    async fn queue_backchannel_logouts(
        &mut self,
        business: BusinessId,
        ending: EndingSessions<'_>,
        at: OffsetDateTime,
    ) -> Result<u64> {
        let (sessions, key, keep) = match ending {
            EndingSessions::One { id, .. } => (
                "SELECT id FROM sessions WHERE id = $3",
                id.to_string(),
                None,
            ),
            EndingSessions::ByHash(h) => (
                "SELECT id FROM sessions WHERE token_hash = $3",
                h.to_hex(),
                None,
            ),
            EndingSessions::OfUser { user, keep } => (
                "SELECT id FROM sessions WHERE user_id = $3 AND id <> $4",
                user.to_string(),
                Some(keep.map(|k| k.to_string()).unwrap_or_default()),
            ),
        };
        let sql = format!(
            "INSERT INTO oauth_logouts (session_id, application_id, business_id, user_id, uri, created_at, attempts, state, next_attempt_at) \
             SELECT g.session_id, g.application_id, MIN(g.business_id), MIN(g.user_id), MIN(a.backchannel_logout_uri), $1, 0, 'pending', $1 \
             FROM oauth_grants g JOIN applications a ON a.id = g.application_id \
             WHERE g.business_id = $2 AND a.backchannel_logout_uri IS NOT NULL AND g.session_id IN ({sessions}) \
             GROUP BY g.session_id, g.application_id \
             ON CONFLICT (session_id, application_id) DO NOTHING"
        );
        let mut q = sqlx::query(&sql)
            .bind(to_micros(at))
            .bind(business.to_string())
            .bind(key);
        if let Some(keep) = keep {
            q = q.bind(keep);
        }
        let queued = self.exec(q).await?;
        self.queued_logouts |= queued > 0;
        Ok(queued)
    }

    async fn prune_oauth_grants(&mut self, before: OffsetDateTime) -> Result<u64> {
        let cutoff = to_micros(before);
        let q = sqlx::query(
            "DELETE FROM oauth_grants WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)",
        )
        .bind(cutoff);
        self.exec(q).await
    }
}
