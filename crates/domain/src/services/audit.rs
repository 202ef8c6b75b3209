//! Reading the audit trail. Events are append-only: nothing here or anywhere changes them.

use super::Gatehouse;
use crate::audit::{AuditEvent, AuditFilter};
use crate::error::{Error, Result};
use crate::page::{Page, decode_cursor, paginate};
use crate::principal::{AuditView, BusinessAccess};

impl Gatehouse {
    pub async fn list_audit_events(
        &self,
        access: &BusinessAccess<AuditView>,
        mut filter: AuditFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<AuditEvent>> {
        if let Some(c) = cursor {
            filter.before_id = Some(
                decode_cursor(c)?
                    .parse()
                    .map_err(|_| Error::InvalidCursor)?,
            );
        }
        let items = self
            .store
            .list_audit_events(access.business_id(), &filter, limit + 1)
            .await?;
        Ok(paginate(items, limit, None, |e| e.id.to_string()))
    }
}
