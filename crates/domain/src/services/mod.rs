//! The operations Gatehouse offers, one module per resource. Each takes the proof of
//! permission it needs ([`BusinessAccess`](crate::principal::BusinessAccess) or
//! [`OperatorAccess`](crate::principal::OperatorAccess)), validates, writes through one
//! transaction and commits it with its audit event.

pub mod advisor;
mod api_keys;
mod audit;
mod audit_chain;
pub(crate) mod auth;
mod businesses;
mod dashboard;
mod decisions;
mod feed;
mod group_plan;
mod groups;
mod idle;
mod import;
mod mail;
pub mod reviews;
mod settings;
pub mod temporary;
mod tenants;
mod user_listing;
mod users;

use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use serde_json::Value;
use time::OffsetDateTime;

pub use api_keys::{ApiKeySecret, ApiKeyToken, NewApiKey, TOKEN_PREFIX, hash_secret};
pub(crate) use api_keys::{PreparedKey, insert_prepared_key};
pub use auth::{
    AuthSetup, Enrolment, InvitationView, NewSession, PASSKEY_NAME_MAX, PasskeyRegistered,
    RECOVERY_CODES, SetupForm, SignInHold,
};
pub use dashboard::InvitationState;
pub use decisions::{Checks, Decisions};
pub use feed::FeedLag;
pub use group_plan::{GroupPlan, GroupProposal};
pub use groups::{GroupPatch, NewGroup};
pub use import::{
    GROUP_SEPARATOR, IMPORT_BATCH_ROWS, IMPORT_JOB_STALE_AFTER, ImportCounts, ImportFormat,
    ImportJob, ImportJobState, ImportJobs, ImportReport, MAX_IMPORT_ROWS, RowAction, RowError,
    RowOutcome,
};
pub use settings::{MAX_GRACE_DAYS, SettingsPatch};
pub use users::{NewUser, UserPatch};

use crate::audit::{AuditEvent, AuditTarget, RequestContext};
use crate::authz::AccessEngine;
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::grants::Grants;
use crate::ids::{ApiKeyId, AuditEventId, BusinessId};
use crate::principal::Actor;
use crate::store::{Store, StoreTx};
pub(crate) use idle::idle;
pub(crate) use users::{audit_view as user_audit_view, target as user_target};

/// The application core: storage, time, the catalog and the access engine, shared by every
/// request.
#[derive(Debug, Clone)]
pub struct Gatehouse {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    catalog: Arc<Catalog>,
    pub(crate) engine: Arc<AccessEngine>,
    /// When each API key's use was last recorded by this node.
    key_touches: Arc<Mutex<FxHashMap<ApiKeyId, OffsetDateTime>>>,
    /// Authentication: its settings, the password hasher, the TOTP cipher, randomness, mail.
    pub(crate) auth: Arc<auth::AuthRuntime>,
    /// The OpenID Provider: signing keys in memory, issuers.
    pub(crate) oidc: Arc<crate::oidc::OidcRuntime>,
    /// Bulk imports' turn to write: one batch at a time on this node, apart from requests.
    imports: Arc<tokio::sync::Semaphore>,
    /// What the operator allows of webhook endpoints.
    pub(crate) webhooks: crate::webhooks::WebhookConfig,
    /// This node's counters, for `/metrics`.
    meters: Arc<crate::meters::Meters>,
}

impl Gatehouse {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, catalog: Arc<Catalog>) -> Self {
        let engine = Arc::new(AccessEngine::new(&catalog));
        Self {
            store,
            clock,
            catalog,
            engine,
            key_touches: Arc::default(),
            auth: Arc::new(auth::AuthRuntime::ephemeral()),
            oidc: Arc::new(crate::oidc::OidcRuntime::new(Default::default())),
            imports: Arc::new(tokio::sync::Semaphore::new(1)),
            webhooks: Default::default(),
            meters: Arc::default(),
        }
    }

    pub fn engine(&self) -> &AccessEngine {
        &self.engine
    }

    /// This node's counters (decisions, audited actions), for `/metrics`.
    pub fn meters(&self) -> &crate::meters::Meters {
        &self.meters
    }

    /// Commits a change with its audit events, then brings this node's snapshots of the
    /// businesses whose access model it changed up to date before returning
    /// (read-your-writes).
    pub(crate) async fn commit(&self, tx: Box<dyn StoreTx>, events: Vec<AuditEvent>) -> Result<()> {
        let actions = crate::meters::actions_of(&events);
        let changed = tx.commit(events).await?;
        self.meters.audited(actions.iter().map(String::as_str));
        for business in changed {
            // Committed is committed: a failed refresh drops the snapshot (checks fail
            // closed) and the change feed retries; the write itself succeeded.
            let _ = self.engine.refresh(self.store.as_ref(), business).await;
        }
        Ok(())
    }

    /// The storage, for the domain only: callers outside it go through services that
    /// take the proof of a permission.
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Whether any business exists yet (a fresh install has none: it waits for its setup).
    pub async fn has_businesses(&self) -> Result<bool> {
        Ok(!self.store.list_businesses(None, 1).await?.is_empty())
    }

    /// Whether the storage answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        self.store.ping().await
    }

    /// A business by its slug: public (its name shows on its sign-in page).
    pub async fn business_by_slug(
        &self,
        slug: &crate::types::Slug,
    ) -> Result<Option<crate::model::Business>> {
        self.store.get_business_by_slug(slug).await
    }

    /// Loads every business's access snapshot (at start, before serving); how many.
    pub async fn load_snapshots(&self) -> Result<usize> {
        self.engine.load_all(self.store.as_ref()).await
    }

    /// The business's current access snapshot, for views that read the whole model (the
    /// dashboard's group editor). Requires any permission of the business.
    pub async fn access_snapshot<P: crate::principal::BusinessPermission>(
        &self,
        access: &crate::principal::BusinessAccess<P>,
    ) -> Result<std::sync::Arc<crate::authz::Snapshot>> {
        self.engine
            .snapshot_or_load(self.store.as_ref(), access.business_id())
            .await
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The sensitive permissions `granted` contains; an error unless the caller acknowledged
    /// them.
    pub(crate) fn check_sensitive(
        &self,
        granted: &Grants,
        acknowledged: bool,
    ) -> Result<Vec<crate::grants::ScopedPermission>> {
        let sensitive = self.catalog.sensitive_in(granted);
        if !sensitive.is_empty() && !acknowledged {
            return Err(Error::SensitiveGrantUnacknowledged {
                permissions: sensitive,
            });
        }
        Ok(sensitive)
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

/// Optimistic-concurrency expectations of a write: `If-Match` and/or a `version` field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Precondition {
    pub if_match: Option<i64>,
    pub version: Option<i64>,
}

impl Precondition {
    /// Fails when a stated expectation does not hold for `current`.
    pub fn check(self, current: i64) -> Result<()> {
        if self.if_match.is_some_and(|v| v != current) {
            return Err(Error::PreconditionFailed { current });
        }
        if self.version.is_some_and(|v| v != current) {
            return Err(Error::VersionConflict { current });
        }
        Ok(())
    }
}

/// Builds the audit events of one change: same time, actor and request for all.
#[derive(Debug)]
pub(crate) struct Audit<'a> {
    now: OffsetDateTime,
    business: Option<BusinessId>,
    actor: &'a Actor,
    ctx: &'a RequestContext,
}

impl<'a> Audit<'a> {
    pub(crate) fn new(
        now: OffsetDateTime,
        business: Option<BusinessId>,
        actor: &'a Actor,
        ctx: &'a RequestContext,
    ) -> Self {
        Self {
            now,
            business,
            actor,
            ctx,
        }
    }

    /// The separate record of a sensitive grant, when there is one.
    pub(crate) fn sensitive_grant(
        &self,
        action: &str,
        target: (&str, String, String),
        permissions: &[crate::grants::ScopedPermission],
    ) -> Option<AuditEvent> {
        (!permissions.is_empty()).then(|| {
            self.event(
                action,
                target,
                None,
                Some(serde_json::json!({ "permissions": permissions })),
            )
        })
    }

    /// The time the audited change happens at.
    pub(crate) fn at(&self) -> OffsetDateTime {
        self.now
    }

    pub(crate) fn event(
        &self,
        action: &str,
        target: (&str, String, String),
        before: Option<Value>,
        after: Option<Value>,
    ) -> AuditEvent {
        let (kind, id, label) = target;
        AuditEvent {
            id: AuditEventId::new(self.now),
            occurred_at: self.now,
            business_id: self.business,
            actor: self.actor.clone(),
            action: action.to_owned(),
            target: AuditTarget {
                kind: kind.to_owned(),
                id,
                label,
            },
            before,
            after,
            request_id: self.ctx.request_id.clone(),
            client_ip: self.ctx.client_ip.clone(),
            user_agent: self.ctx.user_agent.clone(),
            chain: None,
        }
    }
}
