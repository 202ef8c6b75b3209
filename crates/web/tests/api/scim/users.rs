//! Users: create (201, Location, ETag, invitation), read, replace, deactivate and reactivate
//! (sessions end at once), deprovision (404 after, never back, the audit keeps who it was),
//! uniqueness, passwords never accepted, and the invite-or-wait setting.

use gatehouse_domain::scim::ScimSettings;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{USER, api_user, create_user, delete, get, post, put, scim, setup};
use crate::helpers::App;
use crate::invitations::PW;

crate::backend_tests!(
    life_cycle_of_a_provisioned_user,
    deactivation_ends_sessions_at_once,
    deprovisioned_users_are_gone_for_good,
    creation_can_wait_without_an_invitation,
    etags_guard_writes_and_spare_reads,
);

async fn life_cycle_of_a_provisioned_user(app: App) {
    let (f, token) = setup(&app).await;
    let a = post(
        &app,
        "/Users",
        &token,
        json!({ "schemas": [USER], "userName": "Dana.Scully@Example.com", "externalId": "00u1",
                "name": { "givenName": "Dana", "familyName": "Scully" }, "title": "Agent" }),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert!(
        a.header("location")
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );
    assert_eq!(a.body["meta"]["location"], a.header("location"));
    assert_eq!(a.header("etag"), "W/\"1\"");
    assert_eq!(a.body["meta"]["version"], "W/\"1\"");
    assert_eq!(a.body["userName"], "dana.scully@example.com");
    assert_eq!(a.body["displayName"], "Dana Scully", "from the name parts");
    assert_eq!(a.body["externalId"], "00u1");
    assert_eq!(a.body["active"], true);
    assert!(a.body.get("password").is_none());
    // A pending Gatehouse user, invited by mail.
    assert_eq!(api_user(&app, &f, &id).await["status"], "pending");
    app.mail
        .wait_for("dana.scully@example.com", "invited", 1)
        .await
        .expect("an invitation");
    let (_, events) = app
        .get("/api/v1/audit-events?action=user.created", &f.admin_key)
        .await;
    assert!(
        events["items"][0]["after"]["invitation"].is_object(),
        "{events}"
    );

    // userName is unique case-insensitively.
    post(
        &app,
        "/Users",
        &token,
        json!({ "schemas": [USER], "userName": "DANA.SCULLY@example.com" }),
    )
    .await
    .refused(StatusCode::CONFLICT, Some("uniqueness"));
    // Passwords are never accepted; nothing is created.
    post(
        &app,
        "/Users",
        &token,
        json!({ "schemas": [USER], "userName": "fox@example.com", "password": "trustno1" }),
    )
    .await
    .refused(StatusCode::BAD_REQUEST, Some("mutability"));
    post(
        &app,
        "/Users",
        &token,
        json!({ "schemas": [USER], "displayName": "No name" }),
    )
    .await
    .refused(StatusCode::BAD_REQUEST, Some("invalidValue"));
    assert_eq!(get(&app, "/Users", &token).await.body["totalResults"], 1);

    // GET, and 404 for ids that are not users of the business.
    let got = get(&app, &format!("/Users/{id}"), &token).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["name"]["familyName"], "Scully");
    get(&app, "/Users/0193a0b4-0000-7000-8000-000000000001", &token)
        .await
        .refused(StatusCode::NOT_FOUND, None);
    get(&app, "/Users/not-an-id", &token)
        .await
        .refused(StatusCode::NOT_FOUND, None);

    // PUT replaces; active false deactivates, true reactivates (pending: never accepted).
    let body = |active: bool| {
        json!({ "schemas": [USER], "userName": "dana@example.com", "displayName": "Dana K. Scully",
                "active": active, "externalId": "00u1" })
    };
    let a = put(&app, &format!("/Users/{id}"), &token, body(true)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["userName"], "dana@example.com");
    assert_eq!(a.body["displayName"], "Dana K. Scully");
    assert!(a.body.get("title").is_none(), "PUT replaces: title went");
    assert_eq!(a.header("etag"), "W/\"2\"");
    let a = put(&app, &format!("/Users/{id}"), &token, body(false)).await;
    assert_eq!(a.body["active"], false);
    assert_eq!(api_user(&app, &f, &id).await["status"], "deactivated");
    let a = put(&app, &format!("/Users/{id}"), &token, body(true)).await;
    assert_eq!(a.body["active"], true);
    assert_eq!(api_user(&app, &f, &id).await["status"], "pending");

    let actions = app.audit_actions(&f.admin_key).await;
    for action in [
        "user.created",
        "user.updated",
        "user.deactivated",
        "user.reactivated",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

async fn deactivation_ends_sessions_at_once(app: App) {
    let (_, token) = setup(&app).await;
    let id = create_user(&app, &token, "eve@example.com", "e1").await;
    let (mut b, res) = app.accept("eve@example.com", PW, 1).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(b.get("/b/acme/account").await.status, StatusCode::OK);

    // Okta's toggle: PATCH replace active.
    let a = super::patch(
        &app,
        &format!("/Users/{id}"),
        &token,
        json!([{ "op": "replace", "value": { "active": false } }]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_ne!(
        b.get("/b/acme/account").await.status,
        StatusCode::OK,
        "the session ended"
    );
    let res = crate::browser::Browser::new(&app)
        .sign_in("acme", "eve@example.com", PW)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // Reactivated: an accepted account is active again and may sign in.
    let a = super::patch(
        &app,
        &format!("/Users/{id}"),
        &token,
        json!([{ "op": "replace", "path": "active", "value": true }]),
    )
    .await;
    assert_eq!(a.body["active"], true, "{}", a.body);
    let mut again = crate::browser::Browser::new(&app);
    assert_eq!(
        again.sign_in("acme", "eve@example.com", PW).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn deprovisioned_users_are_gone_for_good(app: App) {
    let (f, token) = setup(&app).await;
    let id = create_user(&app, &token, "mulder@example.com", "m1").await;
    let (_, res) = app.accept("mulder@example.com", PW, 1).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let a = delete(&app, &format!("/Users/{id}"), &token).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    get(&app, &format!("/Users/{id}"), &token)
        .await
        .refused(StatusCode::NOT_FOUND, None);
    delete(&app, &format!("/Users/{id}"), &token)
        .await
        .refused(StatusCode::NOT_FOUND, None);
    assert_eq!(get(&app, "/Users", &token).await.body["totalResults"], 0);
    // Never signs in again, and no administrator can bring the account back.
    let res = crate::browser::Browser::new(&app)
        .sign_in("acme", "mulder@example.com", PW)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .post(
            &format!("/api/v1/users/{id}/reactivate"),
            &f.admin_key,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "user_deprovisioned");
    // The audit keeps who it was; the address is free for a new account.
    let (_, events) = app
        .get(
            "/api/v1/audit-events?action=user.deprovisioned",
            &f.admin_key,
        )
        .await;
    let event = &events["items"][0];
    assert_eq!(event["target"]["label"], "mulder@example.com", "{events}");
    assert_eq!(event["before"]["external_id"], "m1");
    create_user(&app, &token, "mulder@example.com", "m2").await;
}

async fn creation_can_wait_without_an_invitation(app: App) {
    let (f, token) = setup(&app).await;
    let business = f.business["id"].as_str().unwrap();
    let manager = app
        .key_for(business, json!({ "business": ["settings.manage"] }))
        .await;
    let gh = &app.gh;
    let principal = gh.authenticate_api_key(&manager).await.unwrap();
    let access = principal.authorize().unwrap();
    gh.set_scim_settings(&access, &Default::default(), ScimSettings { invite: false })
        .await
        .unwrap();
    let id = create_user(&app, &token, "skinner@example.com", "s1").await;
    assert_eq!(api_user(&app, &f, &id).await["status"], "pending");
    let (_, events) = app
        .get("/api/v1/audit-events?action=user.created", &f.admin_key)
        .await;
    let after = &events["items"][0]["after"];
    assert_eq!(after["provisioned"], true, "{events}");
    assert!(after.get("invitation").is_none(), "nobody invited: {after}");
    // Created inactive: deactivated at once, nobody invited either.
    let a = post(
        &app,
        "/Users",
        &token,
        json!({ "schemas": [USER], "userName": "krycek@example.com", "active": "False" }),
    )
    .await;
    assert_eq!(a.body["active"], false, "{}", a.body);
}

async fn etags_guard_writes_and_spare_reads(app: App) {
    let (_, token) = setup(&app).await;
    let id = create_user(&app, &token, "doggett@example.com", "d1").await;
    let path = format!("/Users/{id}");
    let stale = [("if-match", "W/\"7\"")];
    let ops = json!({ "schemas": [super::PATCH],
                      "Operations": [{ "op": "replace", "path": "displayName", "value": "John" }] });
    scim(
        &app,
        Method::PATCH,
        &path,
        &token,
        Some(ops.clone()),
        &stale,
    )
    .await
    .refused(StatusCode::PRECONDITION_FAILED, None);
    scim(&app, Method::DELETE, &path, &token, None, &stale)
        .await
        .refused(StatusCode::PRECONDITION_FAILED, None);
    let now = get(&app, &path, &token).await;
    assert_eq!(now.header("etag"), "W/\"1\"", "nothing changed");
    assert_eq!(now.body["displayName"], "Given d1");
    let not_modified = scim(
        &app,
        Method::GET,
        &path,
        &token,
        None,
        &[("if-none-match", "W/\"1\"")],
    )
    .await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    let current = [("if-match", "W/\"1\"")];
    let a = scim(&app, Method::PATCH, &path, &token, Some(ops), &current).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.header("etag"), "W/\"2\"");
    let fresh = scim(
        &app,
        Method::GET,
        &path,
        &token,
        None,
        &[("if-none-match", "W/\"1\"")],
    )
    .await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.body["displayName"], "John");
}
