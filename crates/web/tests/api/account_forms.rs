//! One account page in two frames (plain at `/b/<slug>/account`, in the dashboard at
//! `…/admin/profile`), its password form answering every problem at once beside its field,
//! the group members' email field and the operator console's forms doing the same, and every
//! one of these forms refused without its CSRF token or from another origin.

use reqwest::StatusCode;

use crate::browser::{Browser, Resp};
use crate::helpers::{App, OPERATOR};
use crate::invitations::PW;
use crate::sessions::admin_group;
use crate::sign_in::member;

crate::backend_tests!(
    one_account_page_in_two_frames,
    password_problems_show_beside_their_fields,
    member_email_problems_show_beside_the_field,
    operator_console_problems_show_beside_their_fields,
);

/// The text of the problem shown under field `id`, asserting the field points at it.
fn problem(page: &Resp, id: &str) -> String {
    let marked = format!("id=\"{id}\"");
    let at = page
        .body
        .find(&marked)
        .unwrap_or_else(|| panic!("no #{id}: {}", page.body));
    let tag = &page.body[at..at + page.body[at..].find('>').unwrap()];
    assert!(
        tag.contains("aria-invalid=\"true\""),
        "#{id} not invalid: {tag}"
    );
    assert!(
        tag.contains(&format!("aria-describedby=\"{id}-error")),
        "#{id} not described by its problem: {tag}"
    );
    let start = page
        .body
        .find(&format!("<p class=\"field-error\" id=\"{id}-error\">"))
        .unwrap_or_else(|| panic!("no problem beside #{id}: {}", page.body));
    let rest = &page.body[start..];
    let text = &rest[rest.find('>').unwrap() + 1..rest.find("</p>").unwrap()];
    text.replace("&#39;", "'").replace("&#x27;", "'")
}

async fn one_account_page_in_two_frames(app: App) {
    let f = app.fixture("acme").await;
    let (mut b, _) = member(&app, &f, "dana@example.com", &[]).await;
    let plain = b.get("/b/acme/account").await;
    let framed = b.get("/b/acme/admin/profile").await;
    for (page, home, dashboard) in [
        (&plain, "/b/acme/account", false),
        (&framed, "/b/acme/admin/profile", true),
    ] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for part in [
            "Change password",
            "Two-step verification",
            "Where you are signed in",
            "This session",
            "dana@example.com",
        ] {
            assert!(page.body.contains(part), "{home}: {part}");
        }
        assert!(
            page.body
                .contains(&format!("action=\"{home}/password\" novalidate")),
            "{home}: the form posts to its own page"
        );
        assert_eq!(
            page.body.contains("nav class=\"side\""),
            dashboard,
            "{home}: the dashboard's frame only in the dashboard"
        );
    }

    // A change in either frame is answered in that frame.
    let other = &mut Browser::new(&app);
    other.sign_in("acme", "dana@example.com", PW).await;
    let page = b.get("/b/acme/admin/profile").await;
    let at = page.body.find("/admin/profile/sessions/").unwrap();
    let action = &page.body[at - 7..];
    let action = &action[..action.find('"').unwrap()];
    let out = b.submit("/b/acme/admin/profile", action, &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert_eq!(
        out.location(),
        "/b/acme/admin/profile?notice=session_revoked"
    );
    let new_pw = "a brand new passphrase here";
    let done = b
        .submit(
            "/b/acme/account",
            "/b/acme/account/password",
            &[("current", PW), ("new", new_pw)],
        )
        .await;
    assert_eq!(done.location(), "/b/acme/account?notice=password_changed");
    let page = b.get(done.location()).await;
    assert!(page.body.contains("Password changed"), "{}", page.body);
    assert!(!page.body.contains("nav class=\"side\""));
    let mut again = Browser::new(&app);
    let res = again.sign_in("acme", "dana@example.com", new_pw).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    // Both frames' forms go through the one check: no token, a wrong one or another
    // origin is refused, and nothing changes.
    let csrf = b.csrf("acme").await;
    for action in ["/b/acme/account/password", "/b/acme/admin/profile/password"] {
        let fields = [("current", new_pw), ("new", "yet another fine passphrase")];
        assert_eq!(b.post(action, &fields).await.status, StatusCode::FORBIDDEN);
        let mut wrong = vec![("csrf", "not-the-token")];
        wrong.extend_from_slice(&fields);
        assert_eq!(b.post(action, &wrong).await.status, StatusCode::FORBIDDEN);
        b.origin = Some("https://evil.example".to_owned());
        let mut right = vec![("csrf", csrf.as_str())];
        right.extend_from_slice(&fields);
        assert_eq!(b.post(action, &right).await.status, StatusCode::FORBIDDEN);
        b.origin = None;
    }
    let res = again.sign_in("acme", "dana@example.com", new_pw).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "still the same password");
}

async fn password_problems_show_beside_their_fields(app: App) {
    let f = app.fixture("acme").await;
    let (mut b, _) = member(&app, &f, "dana@example.com", &[]).await;
    for home in ["/b/acme/account", "/b/acme/admin/profile"] {
        let action = format!("{home}/password");
        let both = b
            .submit(
                home,
                &action,
                &[("current", "wrong password"), ("new", "short")],
            )
            .await;
        assert_eq!(
            both.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            both.body
        );
        assert_eq!(
            problem(&both, "current"),
            "Current password is not correct."
        );
        assert_eq!(
            problem(&both, "new"),
            "New password must be at least 12 characters."
        );
        assert!(both.body.contains("2 things to fix"), "{}", both.body);
        let listed = |id: &str| both.body.find(&format!("href=\"#{id}\"")).unwrap();
        assert!(
            listed("current") < listed("new"),
            "listed in the fields' order"
        );
        assert!(!both.body.contains("current:") && !both.body.contains("password:"));

        let empty = b.submit(home, &action, &[("new", "")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(&empty, "current"), "Enter your current password.");
        assert!(problem(&empty, "new").starts_with("New password must be"));

        let named = b
            .submit(
                home,
                &action,
                &[("current", PW), ("new", "dana dana dana dana")],
            )
            .await;
        assert_eq!(named.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            !named.body.contains("id=\"current-error\""),
            "{}",
            named.body
        );
        assert!(problem(&named, "new").starts_with("New password"));
    }
    let mut again = Browser::new(&app);
    let res = again.sign_in("acme", "dana@example.com", PW).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "nothing was changed");
}

async fn member_email_problems_show_beside_the_field(app: App) {
    let f = app.fixture("acme").await;
    let admins = admin_group(&app, &f).await;
    let (mut b, _) = member(&app, &f, "alice@example.com", &[&admins]).await;
    let page = format!("/b/acme/admin/groups/{admins}/members");
    for (typed, said) in [
        (
            "nobody@example.com",
            "No user of this business has this email.",
        ),
        ("", "Email must"),
        ("not-an-email", "Email"),
    ] {
        let res = b
            .submit(&page, &page, &[("email", typed), ("step", "review")])
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed}: {}",
            res.body
        );
        let text = problem(&res, "email");
        assert!(text.starts_with(said), "{typed}: {text}");
        assert!(
            !res.body.contains("id=\"form-error\""),
            "{typed}: not at the top"
        );
    }
    let res = b
        .post(&page, &[("email", "alice@example.com"), ("step", "review")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "no token");
}

async fn operator_console_problems_show_beside_their_fields(app: App) {
    let mut op = Browser::new(&app);
    let wrong = op
        .submit("/operator", "/operator/sign-in", &[("token", "gho_nope")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem(&wrong, "token"), "That is not the operator token.");
    let before = op.get("/operator").await.input("csrf").unwrap();
    let ok = op
        .submit("/operator", "/operator/sign-in", &[("token", OPERATOR)])
        .await;
    assert_eq!(ok.location(), "/operator");

    let res = op
        .submit(
            "/operator",
            "/operator/businesses",
            &[("name", ""), ("slug", "X")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(problem(&res, "name").starts_with("Name must"));
    assert!(problem(&res, "slug").starts_with("Short name must"));
    assert!(res.body.contains("2 things to fix"));
    let made = op
        .submit(
            "/operator",
            "/operator/businesses",
            &[("name", "Globex"), ("slug", "globex")],
        )
        .await;
    let page = made.location().to_owned();
    assert!(page.starts_with("/operator/businesses/"), "{}", made.body);
    let id = page.trim_start_matches("/operator/businesses/").to_owned();
    let taken = op
        .submit(
            "/operator",
            "/operator/businesses",
            &[("name", "Globex 2"), ("slug", "globex")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem(&taken, "slug"),
        "Another business already has this short name."
    );

    let res = op
        .submit(
            &page,
            &format!("{page}/tenants"),
            &[("name", "Paris"), ("slug", "1x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(&res, "tenant-slug").starts_with("Short name must"));
    let res = op
        .submit(
            &page,
            &format!("{page}/administrators"),
            &[("email", "hank@")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(&res, "email").starts_with("Email"));
    op.submit(
        &page,
        &format!("{page}/tenants"),
        &[("name", "Paris"), ("slug", "paris")],
    )
    .await;
    let (_, tenants) = app
        .get(&format!("/api/v1/businesses/{id}/tenants"), OPERATOR)
        .await;
    let tid = tenants[0]["id"].as_str().unwrap().to_owned();
    let res = op
        .submit(&page, &format!("{page}/tenants/{tid}"), &[("name", "")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(problem(&res, "rename").starts_with("New name must"));
    assert!(
        res.body.contains("href=\"#rename\""),
        "listed with a link to the field"
    );

    // The console's forms carry its own token: the browser's earlier one is refused.
    let res = op
        .post(
            "/operator/businesses",
            &[("csrf", &before), ("name", "Initech"), ("slug", "initech")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = op
        .post(
            "/operator/businesses",
            &[("name", "Initech"), ("slug", "initech")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let (_, listed) = app.get("/api/v1/businesses", OPERATOR).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}
