//! The rules every provisioned change keeps: only `scim.provision` (an API key or an
//! application's client-credentials token), isolation between businesses, no escalation
//! through groups, the last administrator.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{USER, create_group, create_user, delete, get, patch, post, scim, scim_key, setup};
use crate::helpers::App;
use crate::invitations::PW;
use crate::sessions::admin_group;

crate::backend_tests!(
    only_scim_provision_opens_the_door,
    business_a_never_sees_or_changes_b,
    groups_never_escalate_and_the_last_administrator_stays,
);

async fn only_scim_provision_opens_the_door(app: App) {
    let (f, token) = setup(&app).await;
    get(&app, "/Users", "gth_nonsense")
        .await
        .refused(StatusCode::UNAUTHORIZED, None);
    let no_auth = app
        .client
        .get(format!("{}/scim/v2/Users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);
    // Even the all-powerful admin key needs the permission.
    get(&app, "/Users", &f.admin_key)
        .await
        .refused(StatusCode::FORBIDDEN, None);

    // An application's client-credentials token holding scim.provision.
    let maker = app
        .key_for(
            f.business["id"].as_str().unwrap(),
            json!({ "business": ["applications.manage", "api_keys.manage", "scim.provision"] }),
        )
        .await;
    let (status, created) = app
        .post(
            "/api/v1/applications",
            &maker,
            json!({ "name": "Okta", "client_type": "confidential", "grant_types": ["client_credentials"],
                    "service_permissions": { "business": ["scim.provision"] }, "acknowledge_sensitive": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let res = app
        .client
        .post(format!("{}/b/acme/oauth2/token", app.base))
        .basic_auth(
            created["client_id"].as_str().unwrap(),
            created["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: serde_json::Value = res.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let a = post(
        &app,
        "/Users",
        access,
        json!({ "schemas": [USER], "userName": "svc@example.com" }),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(get(&app, "/Users", &token).await.body["totalResults"], 1);

    // Discovery needs the credential too, and says what is supported.
    let config = get(&app, "/ServiceProviderConfig", &token).await;
    assert_eq!(config.body["patch"]["supported"], true);
    assert_eq!(config.body["bulk"]["supported"], false);
    assert_eq!(config.body["changePassword"]["supported"], false);
    assert_eq!(config.body["etag"]["supported"], true);
    let types = get(&app, "/ResourceTypes", &token).await;
    assert_eq!(types.body["totalResults"], 2);
    let schemas = get(&app, "/Schemas", &token).await;
    assert_eq!(schemas.body["totalResults"], 3);
    let user = get(&app, &format!("/Schemas/{USER}"), &token).await;
    let attrs: Vec<&str> = user.body["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        attrs.contains(&"userName") && !attrs.contains(&"password"),
        "{attrs:?}"
    );
    get(&app, "/Bulk", &token)
        .await
        .refused(StatusCode::NOT_FOUND, None);
}

async fn business_a_never_sees_or_changes_b(app: App) {
    let (_, a_token) = setup(&app).await;
    let b = app.fixture("globex").await;
    let b_token = scim_key(&app, &b).await;
    let a_user = create_user(&app, &a_token, "hank@example.com", "h1").await;
    let a_group = create_group(&app, &a_token, "Ops", &[&a_user]).await;
    let b_group = create_group(&app, &b_token, "Ops", &[]).await;

    assert_eq!(get(&app, "/Users", &b_token).await.body["totalResults"], 0);
    assert_eq!(get(&app, "/Groups", &b_token).await.body["totalResults"], 1);
    let filter = "/Users?filter=userName%20eq%20%22hank%40example.com%22";
    assert_eq!(get(&app, filter, &b_token).await.body["totalResults"], 0);
    for path in [format!("/Users/{a_user}"), format!("/Groups/{a_group}")] {
        get(&app, &path, &b_token)
            .await
            .refused(StatusCode::NOT_FOUND, None);
        patch(
            &app,
            &path,
            &b_token,
            json!([{ "op": "replace", "path": "displayName", "value": "x" }]),
        )
        .await
        .refused(StatusCode::NOT_FOUND, None);
        delete(&app, &path, &b_token)
            .await
            .refused(StatusCode::NOT_FOUND, None);
    }
    // A's user cannot be put in B's group: to B it does not exist.
    patch(
        &app,
        &format!("/Groups/{b_group}"),
        &b_token,
        json!([{ "op": "add", "path": "members", "value": [{ "value": a_user }] }]),
    )
    .await
    .refused(StatusCode::BAD_REQUEST, Some("invalidValue"));
    // The same email is a different person in B.
    create_user(&app, &b_token, "hank@example.com", "h1").await;
    let a = get(&app, &format!("/Users/{a_user}"), &a_token).await;
    assert_eq!(a.body["meta"]["version"], "W/\"1\"", "untouched");
}

async fn groups_never_escalate_and_the_last_administrator_stays(app: App) {
    let (f, token) = setup(&app).await;
    let admins = admin_group(&app, &f).await;
    let (_, root) = crate::sign_in::member(&app, &f, "root@example.com", &[&admins]).await;
    let user = create_user(&app, &token, "intern@example.com", "i1").await;

    // Adding a member to a group that grants rights grants them: the SCIM credential holds
    // none of them, so it may not.
    let r = patch(
        &app,
        &format!("/Groups/{admins}"),
        &token,
        json!([{ "op": "add", "path": "members", "value": [{ "value": user }] }]),
    )
    .await;
    r.refused(StatusCode::FORBIDDEN, None);
    let (_, group) = app
        .get(&format!("/api/v1/groups/{admins}"), &f.admin_key)
        .await;
    assert_eq!(group["member_count"], 1, "nothing changed");
    // Renaming a SCIM-made group or replacing its members never gives it rights.
    let g = create_group(&app, &token, "Interns", &[&user]).await;
    let (_, made) = app.get(&format!("/api/v1/groups/{g}"), &f.admin_key).await;
    assert_eq!(made["permissions"]["business"], json!([]));

    // The only administrator cannot be deactivated, deleted or removed from the group.
    let path = format!("/Users/{root}");
    patch(
        &app,
        &path,
        &token,
        json!([{ "op": "replace", "path": "active", "value": false }]),
    )
    .await
    .refused(StatusCode::CONFLICT, None);
    delete(&app, &path, &token)
        .await
        .refused(StatusCode::CONFLICT, None);
    patch(
        &app,
        &format!("/Groups/{admins}"),
        &token,
        json!([{ "op": "remove", "path": format!("members[value eq \"{root}\"]") }]),
    )
    .await
    .refused(StatusCode::CONFLICT, None);
    delete(&app, &format!("/Groups/{admins}"), &token)
        .await
        .refused(StatusCode::CONFLICT, None);
    let mut b = crate::browser::Browser::new(&app);
    assert_eq!(
        b.sign_in("acme", "root@example.com", PW).await.status,
        StatusCode::SEE_OTHER,
        "still an administrator"
    );
    let a = scim(&app, Method::GET, &path, &token, None, &[]).await;
    assert_eq!(a.body["active"], true);
}
