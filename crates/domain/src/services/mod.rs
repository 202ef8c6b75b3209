//! The operations Gatehouse offers, one module per resource. Each takes the proof of
//! permission it needs ([`BusinessAccess`](crate::principal::BusinessAccess) or
//! [`OperatorAccess`](crate::principal::OperatorAccess)), validates, writes through one
//! transaction and commits it with its audit event.

mod api_keys;
mod audit;
mod businesses;
mod groups;
mod tenants;
mod users;

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

pub use api_keys::{ApiKeySecret, ApiKeyToken, NewApiKey, hash_secret};
pub use groups::{GroupPatch, NewGroup};
pub use users::{NewUser, UserPatch};

use crate::audit::{AuditEvent, AuditTarget, RequestContext};
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::{AuditEventId, BusinessId};
use crate::principal::Actor;
use crate::store::Store;

/// The application core: storage, time and the catalog, shared by every request.
#[derive(Debug, Clone)]
pub struct Gatehouse {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    catalog: Arc<Catalog>,
}

impl Gatehouse {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, catalog: Arc<Catalog>) -> Self {
        Self {
            store,
            clock,
            catalog,
        }
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
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
        }
    }
}
