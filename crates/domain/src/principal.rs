//! Who is asking, and the proof that they may. A service that changes a business takes a
//! [`BusinessAccess<P>`] for the permission `P` it needs; the only way to get one is
//! [`Principal::authorize`], so an unchecked call does not compile.

use std::marker::PhantomData;
use std::sync::Arc;

use time::OffsetDateTime;

pub use gatehouse_core::actor::{Actor, ActorKind};

use crate::authz::{CheckQuery, PermissionIndex, Snapshot};
use crate::catalog::PermissionKey;
use crate::error::{Error, Result};
use crate::grants::{GrantScope, Grants, ScopedPermission};
use crate::ids::{ApiKeyId, BusinessId, UserId};
use crate::model::GroupScope;
use crate::types::{ApiKeyName, Email};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// Whoever runs the deployment: creates businesses and tenants; may do anything.
    Operator,
    /// A business's API key, with its grants.
    ApiKey {
        id: ApiKeyId,
        business_id: BusinessId,
        name: ApiKeyName,
        grants: Arc<Grants>,
    },
    /// A signed-in user. What they hold is read from the access snapshot taken when the
    /// request was authenticated, so one request sees one consistent model.
    User {
        id: UserId,
        business_id: BusinessId,
        email: Email,
        snapshot: Arc<Snapshot>,
        perms: Arc<PermissionIndex>,
        now: OffsetDateTime,
    },
}

/// What a capability requires of its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// A business-scope permission, by its catalog key.
    Permission(&'static str),
    /// Only being an active member (a user) or a live key of the business.
    Membership,
}

impl Requirement {
    /// The permission key, for errors; empty for membership.
    fn key(self) -> &'static str {
        match self {
            Requirement::Permission(key) => key,
            Requirement::Membership => "",
        }
    }
}

/// A business-scope permission a service may require, as a type.
pub trait BusinessPermission {
    const REQUIRES: Requirement;
}

macro_rules! business_permissions {
    ($($ty:ident => $key:literal),* $(,)?) => {$(
        #[doc = concat!("The `", $key, "` permission.")]
        #[derive(Debug, Clone, Copy)]
        pub struct $ty;
        impl BusinessPermission for $ty {
            const REQUIRES: Requirement = Requirement::Permission($key);
        }
    )*};
}

business_permissions! {
    UsersView => "users.view",
    UsersManage => "users.manage",
    GroupsManage => "groups.manage",
    AuditView => "audit.view",
    ApiKeysManage => "api_keys.manage",
    ApplicationsManage => "applications.manage",
    SettingsManage => "settings.manage",
    WebhooksManage => "webhooks.manage",
    AuthzCheck => "authz.check",
    ScimProvision => "scim.provision",
    ReviewsManage => "reviews.manage",
}

/// Any authenticated principal of the business: reading the catalog and the tenant list.
#[derive(Debug, Clone, Copy)]
pub struct AnyMember;
impl BusinessPermission for AnyMember {
    const REQUIRES: Requirement = Requirement::Membership;
}

/// Proof that `actor` may use permission `P` in business `business_id`.
#[derive(Debug, Clone)]
pub struct BusinessAccess<P> {
    business_id: BusinessId,
    actor: Actor,
    /// What the caller holds, for the no-escalation rule.
    holds: Holdings,
    permission: PhantomData<P>,
}

/// What a principal holds in a business.
#[derive(Debug, Clone)]
pub enum Holdings {
    /// The operator: everything.
    Everything,
    /// An API key: business-wide grants.
    Grants(Arc<Grants>),
    /// A user: what the engine says they hold, where.
    User {
        id: UserId,
        snapshot: Arc<Snapshot>,
        perms: Arc<PermissionIndex>,
        now: OffsetDateTime,
    },
}

impl<P> BusinessAccess<P> {
    pub fn business_id(&self) -> BusinessId {
        self.business_id
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Refuses a grant the caller does not hold themselves where it would apply: in every
    /// tenant of a tenants scope, or business-wide (tenants created later included) for a
    /// business scope. The operator is exempt.
    pub fn ensure_holds(&self, wanted: &Grants, scope: &GroupScope) -> Result<()> {
        let missing = self.lacks(wanted, scope);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::WouldEscalate { missing })
        }
    }

    /// Whether the caller may grant `key` in `grant_scope` to a group of `scope` (the rule of
    /// [`BusinessAccess::ensure_holds`], one right at a time: for forms that offer rights).
    pub fn may_grant(
        &self,
        grant_scope: GrantScope,
        key: &PermissionKey,
        scope: &GroupScope,
    ) -> bool {
        let mut one = Grants::default();
        match grant_scope {
            GrantScope::Business => one.business.insert(key.clone()),
            GrantScope::Live => one.live.insert(key.clone()),
            GrantScope::Sandbox => one.sandbox.insert(key.clone()),
        };
        self.lacks(&one, scope).is_empty()
    }

    /// What of `wanted` the caller does not hold where it would apply: in every tenant of a
    /// tenants scope, or business-wide for a business scope. Empty for the operator.
    pub fn lacks(&self, wanted: &Grants, scope: &GroupScope) -> Vec<ScopedPermission> {
        match &self.holds {
            Holdings::Everything => Vec::new(),
            Holdings::Grants(held) => wanted.missing_from(held),
            Holdings::User {
                id,
                snapshot,
                perms,
                now,
            } => wanted
                .entries()
                .filter(|(grant_scope, key)| {
                    let check = |tenant, environment| {
                        let q = CheckQuery {
                            user: *id,
                            permission: key.as_str(),
                            tenant,
                            environment,
                        };
                        snapshot.check(perms, &q, *now).is_ok_and(|d| d.allowed)
                    };
                    let held = match (grant_scope.environment(), scope) {
                        (None, _) => check(None, None),
                        (Some(env), GroupScope::Business) => {
                            snapshot.holds_business_wide(perms, *id, key.as_str(), env, *now)
                        }
                        (Some(env), GroupScope::Tenants(set)) => {
                            set.iter().all(|t| check(Some(*t), Some(env)))
                        }
                    };
                    !held
                })
                .map(|(grant_scope, key)| ScopedPermission::new(grant_scope, key))
                .collect(),
        }
    }
}

/// Proof that the caller is the operator.
#[derive(Debug, Clone)]
pub struct OperatorAccess(());

impl OperatorAccess {
    pub fn actor(&self) -> Actor {
        Actor::operator()
    }

    /// The operator acting inside one business (bootstrap: the first API key).
    pub fn in_business<P: BusinessPermission>(&self, business_id: BusinessId) -> BusinessAccess<P> {
        BusinessAccess {
            business_id,
            actor: Actor::operator(),
            holds: Holdings::Everything,
            permission: PhantomData,
        }
    }
}

impl Principal {
    /// The business this principal belongs to; `None` for the operator.
    pub fn business_id(&self) -> Option<BusinessId> {
        match self {
            Principal::Operator => None,
            Principal::ApiKey { business_id, .. } | Principal::User { business_id, .. } => {
                Some(*business_id)
            }
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Principal::Operator => Actor::operator(),
            Principal::ApiKey { id, name, .. } => Actor {
                kind: ActorKind::ApiKey,
                id: Some(id.to_string()),
                label: name.to_string(),
            },
            Principal::User { id, email, .. } => Actor {
                kind: ActorKind::User,
                id: Some(id.to_string()),
                label: email.to_string(),
            },
        }
    }

    /// Checks that the principal holds business permission `P` in its own business.
    /// The operator is not a member of any business: use [`OperatorAccess::in_business`].
    pub fn authorize<P: BusinessPermission>(&self) -> Result<BusinessAccess<P>> {
        match self {
            Principal::Operator => Err(Error::PermissionDenied {
                permission: P::REQUIRES.key().to_owned(),
            }),
            Principal::ApiKey {
                business_id,
                grants,
                ..
            } => {
                let held = match P::REQUIRES {
                    Requirement::Membership => true,
                    Requirement::Permission(key) => {
                        grants.business.iter().any(|k| k.as_str() == key)
                    }
                };
                if !held {
                    return Err(Error::PermissionDenied {
                        permission: P::REQUIRES.key().to_owned(),
                    });
                }
                Ok(BusinessAccess {
                    business_id: *business_id,
                    actor: self.actor(),
                    holds: Holdings::Grants(grants.clone()),
                    permission: PhantomData,
                })
            }
            Principal::User {
                id,
                business_id,
                snapshot,
                perms,
                now,
                ..
            } => {
                let held = match P::REQUIRES {
                    Requirement::Membership => snapshot.is_active(*id),
                    Requirement::Permission(key) => {
                        let q = CheckQuery {
                            user: *id,
                            permission: key,
                            tenant: None,
                            environment: None,
                        };
                        snapshot.check(perms, &q, *now).is_ok_and(|d| d.allowed)
                    }
                };
                if !held {
                    return Err(Error::PermissionDenied {
                        permission: P::REQUIRES.key().to_owned(),
                    });
                }
                Ok(BusinessAccess {
                    business_id: *business_id,
                    actor: self.actor(),
                    holds: Holdings::User {
                        id: *id,
                        snapshot: snapshot.clone(),
                        perms: perms.clone(),
                        now: *now,
                    },
                    permission: PhantomData,
                })
            }
        }
    }

    pub fn operator(&self) -> Result<OperatorAccess> {
        match self {
            Principal::Operator => Ok(OperatorAccess(())),
            Principal::ApiKey { .. } | Principal::User { .. } => Err(Error::OperatorOnly),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, PermissionKey};

    #[test]
    fn markers_exist_in_the_catalog() {
        let c = Catalog::default();
        let keys = [
            UsersView::REQUIRES,
            UsersManage::REQUIRES,
            GroupsManage::REQUIRES,
            AuditView::REQUIRES,
            ApiKeysManage::REQUIRES,
            ApplicationsManage::REQUIRES,
            SettingsManage::REQUIRES,
            AuthzCheck::REQUIRES,
            ScimProvision::REQUIRES,
        ];
        for k in keys {
            let Requirement::Permission(k) = k else {
                panic!("{k:?} names a permission")
            };
            assert!(c.get(k).is_some(), "{k}");
        }
        assert_eq!(AnyMember::REQUIRES, Requirement::Membership);
    }

    #[test]
    fn api_key_needs_the_permission() {
        let mut grants = Grants::default();
        grants
            .business
            .insert(PermissionKey::parse("users.view").unwrap());
        let p = Principal::ApiKey {
            id: ApiKeyId::new(time::OffsetDateTime::UNIX_EPOCH),
            business_id: BusinessId::new(time::OffsetDateTime::UNIX_EPOCH),
            name: ApiKeyName::parse("ci").unwrap(),
            grants: Arc::new(grants),
        };
        assert!(p.authorize::<UsersView>().is_ok());
        assert_eq!(
            p.authorize::<UsersManage>().unwrap_err().code(),
            "permission_denied"
        );
        assert_eq!(p.operator().unwrap_err().code(), "operator_only");
        assert!(Principal::Operator.authorize::<UsersView>().is_err());
    }
}
