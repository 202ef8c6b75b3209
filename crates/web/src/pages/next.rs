//! Where a person goes after signing in (or accepting an invitation, or setting up): back to
//! the page they asked for when it is a page of the same business — never another site, nor
//! another business, nor a sign-in step — else administrators to the dashboard and everyone
//! else to their account page.

use gatehouse_domain::auth::{Session, SessionStage};
use gatehouse_domain::principal::{
    ApiKeysManage, ApplicationsManage, AuditView, GroupsManage, Principal, SettingsManage,
    UsersManage, UsersView,
};

use super::dashboard::encode;
use crate::state::AppState;

/// The longest `next` kept; a longer one is dropped, not cut.
const MAX_NEXT: usize = 2048;

/// Pages a person is never sent back to after signing in.
const NOT_AFTER_SIGN_IN: [&str; 7] = [
    "sign-in",
    "sign-out",
    "mfa",
    "invitation",
    "forgot-password",
    "reset-password",
    "static",
];

/// `raw` when it is a path of business `slug` that signing in may return to. Strict by
/// design: plain characters only (no `\`, `:`, `@`, spaces or control characters), no
/// encoded or literal dot segments or empty segments in the path, so no browser can read it
/// as another host or climb out of `/b/<slug>/`.
pub(crate) fn safe_next(slug: &str, raw: &str) -> Option<String> {
    let prefix = format!("/b/{slug}/");
    if raw.len() > MAX_NEXT || !raw.starts_with(&prefix) {
        return None;
    }
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"/-_.~?=&%+*".contains(&b);
    if !raw.bytes().all(plain) {
        return None;
    }
    let path = raw.split('?').next().unwrap_or_default();
    let rest = &path[prefix.len()..];
    if path.contains('%')
        || rest
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return None;
    }
    let first = rest.split('/').next().unwrap_or_default();
    (!NOT_AFTER_SIGN_IN.contains(&first)).then(|| raw.to_owned())
}

/// `path` with `?next=…` when there is a safe `next` for `slug`.
pub(crate) fn with_next(path: &str, slug: &str, next: Option<&str>) -> String {
    match next.and_then(|n| safe_next(slug, n)) {
        Some(n) => format!("{path}?next={}", encode(&n)),
        None => path.to_owned(),
    }
}

/// Whether the principal may use any part of the dashboard beyond their own profile.
fn administers(p: &Principal) -> bool {
    p.authorize::<UsersView>().is_ok()
        || p.authorize::<UsersManage>().is_ok()
        || p.authorize::<GroupsManage>().is_ok()
        || p.authorize::<AuditView>().is_ok()
        || p.authorize::<SettingsManage>().is_ok()
        || p.authorize::<ApiKeysManage>().is_ok()
        || p.authorize::<ApplicationsManage>().is_ok()
}

/// Where a fully signed-in session starts when it asked for nothing.
pub(crate) async fn start_page(state: &AppState, slug: &str, session: &Session) -> String {
    match state.gatehouse.session_principal(session).await {
        Ok(p) if administers(&p) => format!("/b/{slug}/admin"),
        _ => format!("/b/{slug}/account"),
    }
}

/// Where a session at its stage goes next: the next step of signing in (carrying `next`),
/// or, once signed in, `next` or the start page.
pub(crate) async fn after(
    state: &AppState,
    slug: &str,
    session: &Session,
    next: Option<&str>,
) -> String {
    match session.stage {
        SessionStage::Full => match next.and_then(|n| safe_next(slug, n)) {
            Some(n) => n,
            None => start_page(state, slug, session).await,
        },
        SessionStage::Mfa => with_next(&format!("/b/{slug}/mfa"), slug, next),
        SessionStage::Enrol => with_next(&format!("/b/{slug}/mfa/enrol"), slug, next),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_pages_of_the_same_business_are_kept() {
        for ok in [
            "/b/acme/admin",
            "/b/acme/admin/users/0190f5a4-0000-7000-8000-000000000000",
            "/b/acme/admin/users?status=pending&q=dana%40acme",
            "/b/acme/account",
        ] {
            assert_eq!(safe_next("acme", ok).as_deref(), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "/",
            "//evil.example/b/acme/admin",
            "https://evil.example/b/acme/admin",
            "/\\evil.example",
            "/b/acme\\@evil.example/",
            "/b/acme@evil.example/admin",
            "/b/acme/../../evil",
            "/b/acme/admin/../../../x",
            "/b/acme/%2e%2e/%2e%2e/x",
            "/b/acme/%2F%2Fevil.example",
            "/b/acme//evil.example",
            "/b/acme/./admin",
            "/b/other/admin",
            "/b/acmex/admin",
            "/b/acme",
            "/b/acme/sign-in",
            "/b/acme/mfa?next=/b/acme/admin",
            "/b/acme/sign-out",
            "/b/acme/admin\r\nSet-Cookie: x=1",
            "/b/acme/admin#frag",
            "/b/acme/admin javascript:alert(1)",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next("acme", bad), None, "{bad:?}");
        }
        assert_eq!(
            safe_next("acme", &format!("/b/acme/{}", "a".repeat(3000))),
            None
        );
    }
}
