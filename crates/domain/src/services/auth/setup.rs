//! First start: with no business in the database, the server prints a one-time setup
//! link. Its page creates the first business, its first tenant and the person's own
//! administrator account in a business group holding every permission; they then enrol in
//! MFA. The link dies once used, and any later one is refused once a business exists.

use std::collections::BTreeSet;

use serde_json::json;

use super::NewSession;
use super::unusable;
use crate::Gatehouse;
use crate::audit::RequestContext;
use crate::auth::model::TokenState;
use crate::auth::{SecretToken, SessionStage, TokenKind};
use crate::error::{Error, Result};
use crate::ids::{BusinessId, GroupId, TenantId, UserId};
use crate::model::{
    Business, Group, GroupRef, GroupScope, SecuritySettings, Tenant, User, UserStatus,
};
use crate::principal::Actor;
use crate::services::{Audit, user_target};
use crate::types::{BusinessName, Description, DisplayName, Email, GroupName, Slug, TenantName};

/// What the setup page asks for.
#[derive(Debug, Clone, Default)]
pub struct SetupForm {
    pub business_name: String,
    pub business_slug: String,
    pub tenant_name: String,
    pub tenant_slug: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
}

/// The name of the group the first administrator lands in.
pub const ADMIN_GROUP: &str = "Administrators";

impl Gatehouse {
    /// With an empty database, a fresh setup link (any earlier one dies); `None` once a
    /// business exists.
    pub async fn prepare_setup(&self) -> Result<Option<String>> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.any_business().await? {
            return Ok(None);
        }
        tx.revoke_auth_tokens(None, TokenKind::Setup, now).await?;
        let (token, _) = self
            .issue_token(
                tx.as_mut(),
                TokenKind::Setup,
                None,
                self.auth.config.setup_ttl,
            )
            .await?;
        let actor = Actor::system();
        let ctx = RequestContext::default();
        let audit = Audit::new(now, None, &actor, &ctx);
        let event = audit.event(
            "setup.link_issued",
            ("setup", String::new(), "first start".to_owned()),
            None,
            None,
        );
        self.commit(tx, vec![event]).await?;
        Ok(Some(self.link(&format!("/setup/{}", token.encode()))))
    }

    /// Whether a setup link can still be used (for its page).
    pub async fn setup_state(&self, raw: &str) -> Result<TokenState> {
        Ok(self.look_up_token(None, raw, TokenKind::Setup).await?.0)
    }

    /// Creates the first business, tenant and administrator; the session that returns must
    /// enrol in MFA before anything else.
    pub async fn complete_setup(
        &self,
        ctx: &RequestContext,
        raw: &str,
        form: SetupForm,
    ) -> Result<NewSession> {
        let state = self.setup_state(raw).await?;
        if state != TokenState::Usable {
            return Err(unusable(state));
        }
        let business_name = BusinessName::parse(&form.business_name)?;
        let business_slug = Slug::parse(&form.business_slug)?;
        let tenant_name = TenantName::parse(&form.tenant_name)?;
        let tenant_slug = Slug::parse(&form.tenant_slug)?;
        let email = Email::parse(&form.email)?;
        let display_name = DisplayName::parse(&form.display_name)?;
        self.auth.config.password.check(
            &form.password,
            email.local_part(),
            business_name.as_str(),
        )?;
        let hash = self.hash_password(&form.password).await?;
        let token = SecretToken::parse(raw).ok_or(unusable(TokenState::Unknown))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if tx.any_business().await? {
            return Err(Error::AlreadySetUp);
        }
        if tx
            .consume_auth_token(&token.hash(), TokenKind::Setup, now)
            .await?
            .is_none()
        {
            return Err(unusable(TokenState::Used));
        }
        let business = Business {
            id: BusinessId::new(now),
            slug: business_slug,
            name: business_name,
            created_at: now,
            updated_at: now,
        };
        tx.insert_business(&business, &SecuritySettings::new(now))
            .await?;
        let tenant = Tenant {
            id: TenantId::new(now),
            business_id: business.id,
            slug: tenant_slug,
            name: tenant_name,
            created_at: now,
            updated_at: now,
        };
        tx.insert_tenant(&tenant).await?;
        let group = Group {
            id: GroupId::new(now),
            business_id: business.id,
            name: GroupName::parse(ADMIN_GROUP)?,
            description: Description::parse("Every permission; made at first start")?,
            scope: GroupScope::Business,
            grants: self.catalog.everything(),
            member_count: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tx.insert_group(&group).await?;
        let user = User {
            id: UserId::new(now),
            business_id: business.id,
            email,
            display_name,
            status: UserStatus::Active,
            mfa_enrolled: false,
            groups: vec![GroupRef {
                id: group.id,
                name: group.name.clone(),
            }],
            activated_at: Some(now),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tx.insert_user(&user).await?;
        tx.set_user_groups(business.id, user.id, &[group.id], now)
            .await?;
        tx.set_password_hash(user.id, Some(&hash)).await?;
        let actor = Actor::system();
        let audit = Audit::new(now, Some(business.id), &actor, ctx);
        // Granting every permission acknowledges the sensitive ones: that is the point.
        let sensitive: BTreeSet<crate::grants::ScopedPermission> = self
            .catalog
            .sensitive_in(&group.grants)
            .into_iter()
            .collect();
        let mut events = vec![
            audit.event(
                "business.created",
                (
                    "business",
                    business.id.to_string(),
                    business.slug.to_string(),
                ),
                None,
                Some(json!({ "slug": business.slug, "name": business.name })),
            ),
            audit.event(
                "tenant.created",
                ("tenant", tenant.id.to_string(), tenant.slug.to_string()),
                None,
                Some(json!({ "slug": tenant.slug, "name": tenant.name })),
            ),
            audit.event(
                "group.created",
                ("group", group.id.to_string(), group.name.to_string()),
                None,
                Some(
                    json!({ "name": group.name, "type": "business", "permissions": group.grants }),
                ),
            ),
            audit.event(
                "user.created",
                user_target(&user),
                None,
                Some(
                    json!({ "email": user.email, "status": user.status, "groups": [ADMIN_GROUP] }),
                ),
            ),
            audit.event("setup.completed", user_target(&user), None, None),
        ];
        if !sensitive.is_empty() {
            events.push(audit.event(
                "group.sensitive_granted",
                ("group", group.id.to_string(), group.name.to_string()),
                None,
                Some(json!({ "permissions": sensitive })),
            ));
        }
        self.commit(tx, events).await?;
        self.open_session(ctx, &user, SessionStage::Enrol).await
    }
}
