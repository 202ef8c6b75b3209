//! Authentication's writes inside a transaction. Anything that changes a user's status or
//! MFA state goes through `update_user` (which records the user for the change feed); the
//! rows here are not part of the access model.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::auth::TokenHash;
use gatehouse_domain::auth::model::{AuthToken, Credentials, Session, TokenKind};
use gatehouse_domain::auth::store::AuthWrites;
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::{BusinessId, SessionId, UserId};
use time::OffsetDateTime;

use crate::error::db;
use crate::tx::SqlTx;
use crate::{auth, rows};

impl SqlTx {
    /// Makes sure the user has a credentials row to update.
    async fn ensure_credentials(&mut self, user: UserId) -> Result<()> {
        sqlx::query(
            "INSERT INTO credentials (user_id, failed_count) VALUES ($1, 0) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn exec<'q>(
        &mut self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<u64> {
        Ok(q.execute(&mut *self.tx).await.map_err(db)?.rows_affected())
    }
}

#[async_trait]
impl AuthWrites for SqlTx {
    async fn get_credentials(&mut self, user: UserId) -> Result<Option<Credentials>> {
        auth::get_credentials(&mut self.tx, user).await
    }

    async fn set_password_hash(&mut self, user: UserId, hash: Option<&str>) -> Result<()> {
        self.ensure_credentials(user).await?;
        let q = sqlx::query("UPDATE credentials SET password_hash = $1 WHERE user_id = $2")
            .bind(hash.map(str::to_owned))
            .bind(user.to_string());
        self.exec(q).await.map(drop)
    }

    async fn lock_credentials(&mut self, user: UserId) -> Result<Credentials> {
        self.ensure_credentials(user).await?;
        // PostgreSQL: the row lock serialises every decision on this account's counters.
        // SQLite: the transaction already holds the database's only write lock.
        let suffix = if self.postgres { " FOR UPDATE" } else { "" };
        auth::get_credentials_with(&mut self.tx, user, suffix)
            .await?
            .ok_or_else(|| gatehouse_domain::Error::Storage("credentials row vanished".into()))
    }

    async fn reset_sign_in_failures(&mut self, user: UserId) -> Result<()> {
        let q = sqlx::query(
            "UPDATE credentials SET failed_count = 0, throttled_until = NULL, locked_until = NULL, \
             failure_epoch = failure_epoch + 1 WHERE user_id = $1",
        )
        .bind(user.to_string());
        self.exec(q).await.map(drop)
    }

    async fn throttle_sign_in(&mut self, user: UserId, until: OffsetDateTime) -> Result<()> {
        let q = sqlx::query(
            "UPDATE credentials SET throttled_until = $1 \
             WHERE user_id = $2 AND (throttled_until IS NULL OR throttled_until < $1)",
        )
        .bind(to_micros(until))
        .bind(user.to_string());
        self.exec(q).await.map(drop)
    }

    async fn lock_sign_in(&mut self, user: UserId, until: OffsetDateTime) -> Result<()> {
        let q = sqlx::query(
            "UPDATE credentials SET locked_until = $1 \
             WHERE user_id = $2 AND (locked_until IS NULL OR locked_until < $1)",
        )
        .bind(to_micros(until))
        .bind(user.to_string());
        self.exec(q).await.map(drop)
    }

    async fn set_totp(
        &mut self,
        user: UserId,
        secret: Option<&str>,
        last_step: Option<i64>,
    ) -> Result<()> {
        self.ensure_credentials(user).await?;
        let q = sqlx::query(
            "UPDATE credentials SET totp_secret = $1, totp_last_step = $2 WHERE user_id = $3",
        )
        .bind(secret.map(str::to_owned))
        .bind(last_step)
        .bind(user.to_string());
        self.exec(q).await.map(drop)
    }

    async fn use_totp_step(&mut self, user: UserId, step: i64) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE credentials SET totp_last_step = $1 \
             WHERE user_id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user.to_string());
        Ok(self.exec(q).await? == 1)
    }

    async fn replace_recovery_codes(
        &mut self,
        user: UserId,
        hashes: &[TokenHash],
        at: OffsetDateTime,
    ) -> Result<()> {
        let q = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user.to_string());
        self.exec(q).await?;
        for h in hashes {
            let q = sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user.to_string())
            .bind(h.to_hex())
            .bind(to_micros(at));
            self.exec(q).await?;
        }
        Ok(())
    }

    async fn use_recovery_code(&mut self, user: UserId, hash: &TokenHash) -> Result<bool> {
        let q = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
            .bind(user.to_string())
            .bind(hash.to_hex());
        Ok(self.exec(q).await? == 1)
    }

    async fn count_recovery_codes(&mut self, user: UserId) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)?;
        rows::int(&row, "n")
    }

    async fn insert_session(&mut self, s: &Session) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO sessions (token_hash, id, business_id, user_id, stage, created_at, authenticated_at, mfa_at, mfa_method, last_seen_at, expires_at, client_ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(s.token_hash.to_hex())
        .bind(s.id.to_string())
        .bind(s.business_id.to_string())
        .bind(s.user_id.to_string())
        .bind(s.stage.as_str())
        .bind(to_micros(s.created_at))
        .bind(to_micros(s.authenticated_at))
        .bind(s.mfa_at.map(to_micros))
        .bind(s.mfa_method.map(|m| m.as_str()))
        .bind(to_micros(s.last_seen_at))
        .bind(to_micros(s.expires_at))
        .bind(s.client_ip.clone())
        .bind(s.user_agent.clone());
        self.exec(q).await.map(drop)
    }

    async fn delete_session(
        &mut self,
        business: BusinessId,
        user: UserId,
        id: SessionId,
    ) -> Result<bool> {
        let q =
            sqlx::query("DELETE FROM sessions WHERE business_id = $1 AND user_id = $2 AND id = $3")
                .bind(business.to_string())
                .bind(user.to_string())
                .bind(id.to_string());
        Ok(self.exec(q).await? > 0)
    }

    async fn set_session_authenticated(
        &mut self,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<()> {
        let q = sqlx::query("UPDATE sessions SET authenticated_at = $1 WHERE token_hash = $2")
            .bind(to_micros(at))
            .bind(hash.to_hex());
        self.exec(q).await.map(drop)
    }

    async fn delete_session_by_hash(&mut self, hash: &TokenHash) -> Result<bool> {
        let q = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash.to_hex());
        Ok(self.exec(q).await? > 0)
    }

    async fn delete_user_sessions(
        &mut self,
        business: BusinessId,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<u64> {
        let keep = keep.map(|k| k.to_string()).unwrap_or_default();
        let q = sqlx::query(
            "DELETE FROM sessions WHERE business_id = $1 AND user_id = $2 AND id <> $3",
        )
        .bind(business.to_string())
        .bind(user.to_string())
        .bind(keep);
        self.exec(q).await
    }

    async fn insert_auth_token(&mut self, t: &AuthToken) -> Result<()> {
        self.insert_auth_tokens(std::slice::from_ref(t)).await
    }

    async fn insert_auth_tokens(&mut self, tokens: &[AuthToken]) -> Result<()> {
        use crate::queries::Bind;
        let rows = tokens
            .iter()
            .map(|t| {
                vec![
                    Bind::Text(t.hash.to_hex()),
                    Bind::Text(t.kind.as_str().to_owned()),
                    Bind::OptText(t.business_id.map(|b| b.to_string())),
                    Bind::OptText(t.user_id.map(|u| u.to_string())),
                    Bind::Int(to_micros(t.created_at)),
                    Bind::Int(to_micros(t.expires_at)),
                    Bind::OptInt(t.used_at.map(to_micros)),
                    Bind::OptInt(t.revoked_at.map(to_micros)),
                ]
            })
            .collect();
        crate::queries::insert_rows(
            &mut self.tx,
            "auth_tokens (token_hash, kind, business_id, user_id, created_at, expires_at, used_at, revoked_at)",
            "",
            rows,
        )
        .await
        .map(drop)
    }

    async fn consume_auth_token(
        &mut self,
        hash: &TokenHash,
        kind: TokenKind,
        now: OffsetDateTime,
    ) -> Result<Option<AuthToken>> {
        let sql = format!(
            "UPDATE auth_tokens SET used_at = $1 WHERE token_hash = $2 AND kind = $3 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 RETURNING {}",
            auth::TOKEN_COLS
        );
        let row = sqlx::query(&sql)
            .bind(to_micros(now))
            .bind(hash.to_hex())
            .bind(kind.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(auth::auth_token).transpose()
    }

    async fn revoke_auth_tokens(
        &mut self,
        user: Option<UserId>,
        kind: TokenKind,
        now: OffsetDateTime,
    ) -> Result<u64> {
        let q = match user {
            Some(u) => sqlx::query(
                "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND kind = $3 AND used_at IS NULL AND revoked_at IS NULL",
            )
            .bind(to_micros(now))
            .bind(u.to_string())
            .bind(kind.as_str()),
            None => sqlx::query(
                "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id IS NULL AND kind = $2 AND used_at IS NULL AND revoked_at IS NULL",
            )
            .bind(to_micros(now))
            .bind(kind.as_str()),
        };
        self.exec(q).await
    }

    async fn lock_business(&mut self, business: BusinessId) -> Result<()> {
        // SQLite: `BEGIN IMMEDIATE` already made this the only writer. PostgreSQL: a row
        // lock that, unlike FOR UPDATE, lets foreign-key checks of inserts elsewhere pass.
        if self.postgres {
            sqlx::query("SELECT id FROM businesses WHERE id = $1 FOR NO KEY UPDATE")
                .bind(business.to_string())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    async fn count_active_holders(
        &mut self,
        business: BusinessId,
        permissions: &[&str],
        except: Option<UserId>,
    ) -> Result<i64> {
        let mut sql = String::from(
            "SELECT COUNT(*) AS n FROM users u WHERE u.business_id = $1 AND u.status = 'active' AND u.id <> $2",
        );
        for i in 0..permissions.len() {
            sql.push_str(&format!(
                // Temporary access ends by itself: only memberships without an end count.
                " AND EXISTS (SELECT 1 FROM group_members m JOIN group_permissions p ON p.group_id = m.group_id \
                 WHERE m.user_id = u.id AND m.expires_at IS NULL AND p.scope = 'business' AND p.permission = ${})",
                i + 3
            ));
        }
        let mut q = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(except.map(|u| u.to_string()).unwrap_or_default());
        for p in permissions {
            q = q.bind(*p);
        }
        let row = q.fetch_one(&mut *self.tx).await.map_err(db)?;
        rows::int(&row, "n")
    }

    async fn any_business(&mut self) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM businesses")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(rows::int(&row, "n")? > 0)
    }
}
