//! The storage applications need, as two traits the `Store` and `StoreTx` also are: reads,
//! and the writes of a transaction.

use async_trait::async_trait;

use crate::application::Application;
use crate::error::Result;
use crate::ids::{ApiKeyId, ApplicationId, BusinessId};

/// Reads of applications. Each is one indexed read.
#[async_trait]
pub trait ApplicationReads: Send + Sync {
    async fn get_application(
        &self,
        business: BusinessId,
        id: ApplicationId,
    ) -> Result<Option<Application>>;
    /// The business's applications, oldest first.
    async fn list_applications(&self, business: BusinessId) -> Result<Vec<Application>>;
}

/// Writes to applications, inside a [`StoreTx`](crate::store::StoreTx).
#[async_trait]
pub trait ApplicationWrites: Send {
    /// The application, locked for the rest of the transaction (so that a secret rotation
    /// and a change of settings never undo each other).
    async fn lock_application(
        &mut self,
        business: BusinessId,
        id: ApplicationId,
    ) -> Result<Option<Application>>;
    async fn insert_application(&mut self, app: &Application) -> Result<()>;
    /// Writes every setting of `app`, its secret's hash and service key included.
    async fn update_application(&mut self, app: &Application) -> Result<()>;
    async fn delete_application(&mut self, business: BusinessId, id: ApplicationId) -> Result<()>;
    /// Marks `key` as the internal key of application `app`: no longer listed or revoked
    /// as an API key of its own, only through its application.
    async fn mark_service_key(
        &mut self,
        business: BusinessId,
        key: ApiKeyId,
        app: ApplicationId,
    ) -> Result<()>;
}
