//! Builds a `Gatehouse` on a fresh database of either backend, with a manual clock.

use std::sync::Arc;

use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::ids::BusinessId;
use gatehouse_domain::model::{Business, Tenant};
use gatehouse_domain::principal::BusinessAccess;
use gatehouse_domain::principal::{BusinessPermission, OperatorAccess, Principal};
use gatehouse_domain::types::{BusinessName, Slug, TenantName};
use gatehouse_domain::{Gatehouse, ManualClock};
use gatehouse_store::testing::{TestDatabase, Unavailable};
use time::macros::datetime;

pub struct Env {
    pub gh: Gatehouse,
    pub clock: Arc<ManualClock>,
    pub db: TestDatabase,
    pub op: OperatorAccess,
    pub ctx: RequestContext,
}

impl Env {
    fn new(db: TestDatabase) -> Self {
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-29 09:00 UTC)));
        let gh = Gatehouse::new(
            db.store.clone(),
            clock.clone(),
            Arc::new(Catalog::default()),
        );
        let op = Principal::Operator.operator().unwrap();
        let ctx = RequestContext {
            request_id: Some("req-1".into()),
            client_ip: Some("127.0.0.1".into()),
            user_agent: Some("tests".into()),
        };
        Self {
            gh,
            clock,
            db,
            op,
            ctx,
        }
    }

    pub async fn business(&self, slug: &str) -> Business {
        self.gh
            .create_business(
                &self.op,
                &self.ctx,
                BusinessName::parse(slug).unwrap(),
                Slug::parse(slug).unwrap(),
            )
            .await
            .unwrap()
    }

    pub async fn tenant(&self, business: BusinessId, slug: &str) -> Tenant {
        self.gh
            .create_tenant(
                &self.op,
                &self.ctx,
                business,
                TenantName::parse(slug).unwrap(),
                Slug::parse(slug).unwrap(),
            )
            .await
            .unwrap()
    }

    pub fn access<P: BusinessPermission>(&self, business: BusinessId) -> BusinessAccess<P> {
        self.op.in_business::<P>(business)
    }
}

pub async fn sqlite() -> Env {
    Env::new(TestDatabase::sqlite().await.unwrap())
}

pub async fn postgres() -> Option<Env> {
    match TestDatabase::postgres().await {
        Ok(db) => Some(Env::new(db)),
        Err(Unavailable::Skipped) => {
            eprintln!(
                "notice: {} is not set; skipping the PostgreSQL run of this test",
                gatehouse_store::testing::POSTGRES_URL_VAR
            );
            None
        }
        Err(Unavailable::Failed(e)) => panic!("PostgreSQL test database unavailable: {e}"),
    }
}

/// Runs each named `async fn(Env)` once per backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::harness::sqlite().await).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(env) = $crate::harness::postgres().await { super::$name(env).await }
            })*
        }
    };
}
