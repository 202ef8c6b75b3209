//! The business's audit hash chain as a service: its head, publishing it (an audited event,
//! which webhooks subscribed to audit events carry out for anchoring), and verifying the
//! chain in the database.

use serde_json::json;

use super::{Audit, Gatehouse};
use crate::audit::{AuditEvent, RequestContext};
use crate::audit_chain::{ChainHead, ChainReport, ChainVerifier};
use crate::error::Result;
use crate::principal::{AuditView, BusinessAccess};

impl Gatehouse {
    /// The business's chain head as recorded. Requires `audit.view`.
    pub async fn audit_chain_head(&self, access: &BusinessAccess<AuditView>) -> Result<ChainHead> {
        self.store.get_audit_chain_head(access.business_id()).await
    }

    /// Publishes the current head: records it as the event `audit.head_published` (whose
    /// `after` is the head), so it leaves the database — to webhook subscribers of audit
    /// events and to whoever keeps exports. Requires `audit.view`.
    pub async fn publish_audit_chain_head(
        &self,
        access: &BusinessAccess<AuditView>,
        ctx: &RequestContext,
    ) -> Result<ChainHead> {
        let head = self.audit_chain_head(access).await?;
        let tx = self.store.begin().await?;
        let audit = Audit::new(self.now(), Some(access.business_id()), access.actor(), ctx);
        let target = (
            "business",
            access.business_id().to_string(),
            "audit chain".to_owned(),
        );
        let after = json!({ "seq": head.seq, "hash": head.hash, "head": head.to_string() });
        let event = audit.event("audit.head_published", target, None, Some(after));
        self.commit(tx, vec![event]).await?;
        Ok(head)
    }

    /// Walks the business's whole chain and reports the first broken link: an event changed,
    /// removed, reordered or inserted, the recorded head not at the chain's end, or
    /// `published` (a head published earlier) not on the chain. Requires `audit.view`.
    pub async fn verify_audit_chain(
        &self,
        access: &BusinessAccess<AuditView>,
        published: Option<ChainHead>,
    ) -> Result<ChainReport> {
        let business = access.business_id();
        let recorded = self.store.get_audit_chain_head(business).await?;
        let mut verifier = ChainVerifier::new(published);
        self.store.walk_audit_chain(business, &mut verifier).await?;
        if let Some(stray) = self.store.first_unchained_audit_event(business).await? {
            verifier.push(&stray);
        }
        Ok(verifier.finish(Some(&recorded)))
    }

    /// The business's linked events in chain order, a batch at a time after `after` — an
    /// export an auditor can verify offline. Requires `audit.view`.
    pub async fn list_audit_chain(
        &self,
        access: &BusinessAccess<AuditView>,
        after: Option<&AuditEvent>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        let after = after.and_then(|e| e.chain.as_ref().map(|l| (l.seq, e.id)));
        self.store
            .list_audit_chain(access.business_id(), after, limit)
            .await
    }
}
