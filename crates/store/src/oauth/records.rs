//! Reading the OAuth rows, and the one-time use of a code or a refresh token.

use gatehouse_domain::auth::{MfaMethod, TokenHash};
use gatehouse_domain::clock::to_micros;
use gatehouse_domain::ids::OAuthGrantId;
use gatehouse_domain::oidc::grants::{AuthCode, OAuthGrant, RefreshToken, Use};
use gatehouse_domain::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};
use time::OffsetDateTime;

use crate::error::db;
use crate::rows;
use crate::tx::SqlTx;

pub(super) const GRANT_COLS: &str = "id, business_id, application_id, user_id, session_id, scope, nonce, auth_time, mfa, mfa_method, created_at, expires_at, revoked_at";
pub(super) const CODE_COLS: &str =
    "code_hash, grant_id, redirect_uri, code_challenge, created_at, expires_at, used_at";
pub(super) const REFRESH_COLS: &str = "token_hash, grant_id, created_at, used_at";

fn hash(row: &AnyRow, col: &str) -> Result<TokenHash> {
    TokenHash::from_hex(&rows::text(row, col)?)
        .ok_or_else(|| Error::Storage(format!("stored {col} does not parse")))
}

pub(super) fn grant(row: &AnyRow) -> Result<OAuthGrant> {
    Ok(OAuthGrant {
        id: rows::id(row, "id")?,
        business_id: rows::id(row, "business_id")?,
        application_id: rows::id(row, "application_id")?,
        user_id: rows::id(row, "user_id")?,
        session_id: rows::id(row, "session_id")?,
        scope: rows::text(row, "scope")?,
        nonce: rows::opt_text(row, "nonce")?,
        auth_time: rows::time(row, "auth_time")?,
        mfa: rows::int(row, "mfa")? != 0,
        mfa_method: rows::opt_text(row, "mfa_method")?.and_then(|m| MfaMethod::parse(&m)),
        created_at: rows::time(row, "created_at")?,
        expires_at: rows::time(row, "expires_at")?,
        revoked_at: rows::opt_time(row, "revoked_at")?,
    })
}

pub(super) fn code(row: &AnyRow) -> Result<AuthCode> {
    Ok(AuthCode {
        hash: hash(row, "code_hash")?,
        grant_id: rows::id(row, "grant_id")?,
        redirect_uri: rows::text(row, "redirect_uri")?,
        code_challenge: rows::text(row, "code_challenge")?,
        created_at: rows::time(row, "created_at")?,
        expires_at: rows::time(row, "expires_at")?,
        used_at: rows::opt_time(row, "used_at")?,
    })
}

pub(super) fn refresh(row: &AnyRow) -> Result<RefreshToken> {
    Ok(RefreshToken {
        hash: hash(row, "token_hash")?,
        grant_id: rows::id(row, "grant_id")?,
        created_at: rows::time(row, "created_at")?,
        used_at: rows::opt_time(row, "used_at")?,
    })
}

pub(super) async fn get_grant<'e, E: Executor<'e, Database = Any>>(
    e: E,
    id: OAuthGrantId,
) -> Result<Option<OAuthGrant>> {
    let sql = format!("SELECT {GRANT_COLS} FROM oauth_grants WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(e)
        .await
        .map_err(db)?;
    row.as_ref().map(grant).transpose()
}

impl SqlTx {
    /// Marks a single-use row used; what it was before tells a first use from a replay.
    pub(super) async fn use_once<T>(
        &mut self,
        table: &str,
        key: &str,
        cols: &str,
        h: &TokenHash,
        at: OffsetDateTime,
        parse: fn(&AnyRow) -> Result<T>,
    ) -> Result<Use<T>> {
        let sql = format!(
            "UPDATE {table} SET used_at = $1 WHERE {key} = $2 AND used_at IS NULL RETURNING {cols}"
        );
        let fresh = sqlx::query(&sql)
            .bind(to_micros(at))
            .bind(h.to_hex())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        if let Some(row) = fresh {
            return Ok(Use::Fresh(parse(&row)?));
        }
        let sql = format!("SELECT {cols} FROM {table} WHERE {key} = $1");
        let seen = sqlx::query(&sql)
            .bind(h.to_hex())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(match seen {
            Some(row) => Use::Replayed(parse(&row)?),
            None => Use::Unknown,
        })
    }
}
