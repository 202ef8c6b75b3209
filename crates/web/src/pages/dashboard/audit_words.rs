//! The audit log in words: each event as a sentence ("Ada Lovelace removed carl@… from UK
//! Analysts"), and its before/after as a short list of what changed, with permission keys
//! shown by their labels.

use std::collections::HashMap;

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::principal::ActorKind;
use serde_json::Value;

/// People's names by user id, for sentences (email when a user has no name).
pub(crate) type Names = HashMap<String, String>;

/// Who did it, as a sentence names them.
fn actor(e: &AuditEvent, names: &Names) -> String {
    match e.actor.kind {
        ActorKind::Operator => "The operator".to_owned(),
        ActorKind::System => "Gatehouse".to_owned(),
        ActorKind::ApiKey => format!("API key “{}”", e.actor.label),
        ActorKind::User => e
            .actor
            .id
            .as_ref()
            .and_then(|id| names.get(id))
            .cloned()
            .unwrap_or_else(|| e.actor.label.clone()),
    }
}

/// What it was done to.
fn target(e: &AuditEvent, names: &Names) -> String {
    if e.target.kind == "user"
        && let Some(n) = names.get(&e.target.id)
    {
        return n.clone();
    }
    e.target.label.clone()
}

fn text_of(v: Option<&Value>, key: &str) -> Option<String> {
    match v?.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => Some(other.to_string()),
    }
}

/// The event as one sentence.
pub(crate) fn sentence(e: &AuditEvent, names: &Names) -> String {
    let (a, t) = (actor(e, names), target(e, names));
    let whose = |s: &str| format!("{t}’s {s}");
    match e.action.as_str() {
        "user.created" => format!("{a} invited {t}"),
        "user.invitation_sent" => format!("{a} sent {t} a new invitation"),
        "user.invitation_revoked" => format!("{a} revoked {}", whose("invitation")),
        "user.invitation_accepted" => format!("{t} accepted the invitation"),
        "user.activated" => format!("{t} became active"),
        "user.updated" => format!("{a} changed {t}"),
        "user.deactivated" => format!("{a} deactivated {t}"),
        "user.reactivated" => format!("{a} reactivated {t}"),
        "user.locked" => format!("{t} was locked after repeated failed sign-ins"),
        "user.unlocked" => format!("{a} unlocked {t}"),
        "user.mfa_enrolled" => format!("{t} set up two-step verification"),
        "user.mfa_reset" => format!("{a} reset {}", whose("two-step verification")),
        "user.password_reset_by_admin" => format!("{a} reset {}", whose("password")),
        "auth.signed_in" => format!("{t} signed in"),
        "auth.sign_in_failed" => format!("A sign-in as {t} failed"),
        "auth.signed_out" => format!("{t} signed out"),
        "auth.mfa_verified" => format!("{t} entered a valid two-step code"),
        "auth.recovery_code_used" => format!("{t} signed in with a recovery code"),
        "auth.recovery_codes_issued" => format!("{t} got new recovery codes"),
        "auth.password_changed" => format!("{t} changed their password"),
        "auth.password_reset" => format!("{t} chose a new password with a reset link"),
        "auth.password_reset_requested" => format!("A password reset link was asked for {t}"),
        "auth.sign_in_links_sent" => {
            format!("{t} was mailed where to sign in (asked on the start page)")
        }
        "auth.session_revoked" => format!("{a} signed out a session of {t}"),
        "group.created" => format!("{a} created the group {t}"),
        "group.updated" | "group.permissions_changed" => format!("{a} changed the group {t}"),
        "group.deleted" => format!("{a} deleted the group {t}"),
        "group.members_added" => match text_of(e.after.as_ref(), "users") {
            Some(who) if !who.is_empty() => format!("{a} added {who} to {t}"),
            _ => format!("{a} added members to {t}"),
        },
        "group.member_removed" => match text_of(e.before.as_ref(), "user") {
            Some(who) => format!("{a} removed {who} from {t}"),
            None => format!("{a} removed a member from {t}"),
        },
        "group.sensitive_permission_granted" | "group.sensitive_granted" => {
            format!("{a} granted sensitive rights to the group {t}")
        }
        "api_key.created" => format!("{a} created the API key {t}"),
        "api_key.revoked" => format!("{a} revoked the API key {t}"),
        "api_key.sensitive_permission_granted" => {
            format!("{a} gave the API key {t} sensitive rights")
        }
        "application.created" => format!("{a} registered the application {t}"),
        "application.updated" => format!("{a} changed the application {t}"),
        "application.deleted" => format!("{a} deleted the application {t}"),
        "application.secret_rotated" => format!("{a} gave the application {t} a new secret"),
        "tenant.created" => format!("{a} added the tenant {t}"),
        "tenant.renamed" => format!("{a} renamed the tenant {t}"),
        "tenant.deleted" => format!("{a} deleted the tenant {t}"),
        "business.created" => format!("{a} created the business {t}"),
        "business.renamed" => format!("{a} renamed the business {t}"),
        "settings.security_changed" => format!("{a} changed the security settings"),
        "setup.completed" => format!("{a} set up Gatehouse"),
        "setup.link_issued" => "A first-start setup link was issued".to_owned(),
        "signing_key.created" => format!("{a} created OpenID Connect signing keys"),
        "signing_key.rotated" => format!("{a} rotated the OpenID Connect signing keys"),
        "oauth.code_issued" => format!("{t} signed in to an application"),
        "oauth.tokens_issued" => format!("{t} received tokens for an application"),
        "oauth.tokens_refreshed" => format!("An application refreshed {}", whose("tokens")),
        "oauth.consent_granted" => format!("{t} allowed an application access"),
        "oauth.consent_denied" => format!("{t} declined an application access"),
        "oauth.mfa_required" => format!("An application asked {t} for a second factor"),
        "oauth.code_replayed" => {
            format!("A used code of the application {t} came again; what it issued was revoked")
        }
        "oauth.refresh_token_reused" => format!(
            "A used refresh token of the application {t} came again; the whole sign-in was revoked"
        ),
        "oauth.token_refused" => format!("{a} refused a token request of the application {t}"),
        "oauth.client_auth_failed" => format!("The application {t} failed to authenticate"),
        "oauth.client_token_issued" => format!("The application {t} received a service token"),
        "oauth.token_revoked" => format!("The application {t} revoked a sign-in’s tokens"),
        "oauth.backchannel_logout_delivered" => "An application was told of a sign-out".to_owned(),
        "oauth.backchannel_logout_failed" => {
            "Telling an application of a sign-out failed after every retry".to_owned()
        }
        "oauth.grants_pruned" => format!("{a} removed ended application sign-ins"),
        "auth.session_expired" => whose("session expired"),
        "advisor.finding_opened" => format!("Access health found: {t}"),
        "advisor.finding_resolved" => format!("Access health no longer finds: {t}"),
        "audit.head_published" => format!("{a} published the audit chain's head"),
        "webhook.created" => format!("{a} subscribed the webhook endpoint {t}"),
        "webhook.updated" => format!("{a} changed the webhook endpoint {t}"),
        "webhook.deleted" => format!("{a} removed the webhook endpoint {t}"),
        "webhook.secret_rotated" => format!("{a} gave the webhook endpoint {t} a new secret"),
        "webhook.delivery_replayed" => format!("{a} sent a delivery to {t} again"),
        "webhook.disabled" => format!("The webhook endpoint {t} kept failing and was disabled"),
        other => format!("{a}: {other} ({t})"),
    }
}

/// One changed field of an event.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) field: String,
    pub(crate) before: String,
    pub(crate) after: String,
}

/// A field's name in words.
fn field_name(key: &str) -> String {
    match key {
        "display_name" => "Name".to_owned(),
        "mfa_enrolled" => "Two-step verification".to_owned(),
        "mfa_policy" => "MFA policy".to_owned(),
        "mfa_grace_days" => "Grace period (days)".to_owned(),
        "member_count" => "Members".to_owned(),
        "permissions" | "grants" => "Rights".to_owned(),
        "live" => "Live".to_owned(),
        "sandbox" => "Sandbox".to_owned(),
        "business" => "Administration".to_owned(),
        "type" | "kind" => "Type".to_owned(),
        "users" | "added" => "Users".to_owned(),
        other => {
            let spaced = other.replace('_', " ");
            let mut c = spaced.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// A value in words: permission keys by their labels, lists joined, nothing as "—".
fn shown(catalog: &Catalog, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => catalog
            .get(s)
            .map_or_else(|| s.clone(), |d| d.label.clone()),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        Some(Value::Array(items)) if items.is_empty() => "none".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| shown(catalog, Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", field_name(k), shown(catalog, Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// What changed between the event's before and after, field by field (every field of a
/// creation or deletion; only the differing ones of a change). Nested objects (a group's
/// rights per environment) are compared one level down.
pub(crate) fn changes(catalog: &Catalog, e: &AuditEvent) -> Vec<Change> {
    let obj = |v: Option<&Value>| v.and_then(Value::as_object).cloned();
    let (b, a) = (obj(e.before.as_ref()), obj(e.after.as_ref()));
    if b.is_none() && a.is_none() {
        return Vec::new();
    }
    let (b, a) = (b.unwrap_or_default(), a.unwrap_or_default());
    let mut out = Vec::new();
    for key in in_order(&b, &a) {
        let (bv, av) = (b.get(key), a.get(key));
        if bv == av {
            continue;
        }
        match (bv.and_then(Value::as_object), av.and_then(Value::as_object)) {
            (Some(bo), Some(ao)) => {
                for k in in_order(bo, ao) {
                    if bo.get(k) != ao.get(k) {
                        out.push(Change {
                            field: format!("{} · {}", field_name(key), field_name(k)),
                            before: shown(catalog, bo.get(k)),
                            after: shown(catalog, ao.get(k)),
                        });
                    }
                }
            }
            _ => out.push(Change {
                field: field_name(key),
                before: shown(catalog, bv),
                after: shown(catalog, av),
            }),
        }
    }
    out
}

/// The keys of two objects, each once, in the order they first appear.
fn in_order<'a>(
    b: &'a serde_json::Map<String, Value>,
    a: &'a serde_json::Map<String, Value>,
) -> Vec<&'a String> {
    let mut keys: Vec<&String> = Vec::new();
    for k in b.keys().chain(a.keys()) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}
