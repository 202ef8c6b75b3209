//! Groups: SCIM groups are Gatehouse groups' membership. Created with no permissions;
//! members added, removed and replaced by PATCH (one member at a time or a whole set), the
//! group renamed and deleted; members read only when asked for.

use reqwest::StatusCode;
use serde_json::json;

use super::{GROUP, create_group, create_user, delete, get, patch, put, setup};
use crate::helpers::App;

crate::backend_tests!(groups_and_their_members);

async fn groups_and_their_members(app: App) {
    let (f, token) = setup(&app).await;
    let a = create_user(&app, &token, "a@example.com", "a").await;
    let b = create_user(&app, &token, "b@example.com", "b").await;
    let c = create_user(&app, &token, "c@example.com", "c").await;
    let g = create_group(&app, &token, "Engineering", &[&a]).await;
    let path = format!("/Groups/{g}");

    // A Gatehouse business group that grants nothing.
    let (status, group) = app.get(&format!("/api/v1/groups/{g}"), &f.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{group}");
    assert_eq!(group["name"], "Engineering");
    assert_eq!(
        group["permissions"],
        json!({ "business": [], "live": [], "sandbox": [] }),
        "{group}"
    );
    assert_eq!(group["member_count"], 1);

    let got = get(&app, &path, &token).await;
    assert_eq!(got.body["members"][0]["value"], a.as_str(), "{}", got.body);
    assert_eq!(got.body["meta"]["resourceType"], "Group");
    let without = get(&app, &format!("{path}?excludedAttributes=members"), &token).await;
    assert!(without.body.get("members").is_none(), "{}", without.body);
    // The user shows the group (read-only).
    let user = get(&app, &format!("/Users/{a}"), &token).await;
    assert_eq!(user.body["groups"][0]["display"], "Engineering");

    // Add, remove one by filter, in one request; answered 204 with the new ETag.
    let r = patch(
        &app,
        &path,
        &token,
        json!([
            { "op": "add", "path": "members", "value": [{ "value": b }, { "value": c }] },
            { "op": "remove", "path": format!("members[value eq \"{a}\"]") },
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(r.header("etag"), "W/\"2\"");
    let members = |body: &serde_json::Value| {
        let mut m: Vec<String> = body["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| m["value"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        m.sort();
        m
    };
    let mut want = vec![b.clone(), c.clone()];
    want.sort();
    assert_eq!(members(&get(&app, &path, &token).await.body), want);

    // Replace the whole set, and rename.
    let r = patch(
        &app,
        &path,
        &token,
        json!([
            { "op": "replace", "path": "members", "value": [{ "value": a }] },
            { "op": "replace", "path": "displayName", "value": "Platform" },
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let now = get(&app, &path, &token).await;
    assert_eq!(members(&now.body), vec![a.clone()]);
    assert_eq!(now.body["displayName"], "Platform");

    // An unknown member is refused, and nothing of the request applies.
    patch(
        &app,
        &path,
        &token,
        json!([
            { "op": "replace", "path": "displayName", "value": "Renamed" },
            { "op": "add", "path": "members", "value": [{ "value": "0193a0b4-0000-7000-8000-000000000009" }] },
        ]),
    )
    .await
    .refused(StatusCode::BAD_REQUEST, Some("invalidValue"));
    assert_eq!(
        get(&app, &path, &token).await.body["displayName"],
        "Platform"
    );
    // Names are unique.
    create_group(&app, &token, "Sales", &[]).await;
    patch(
        &app,
        &path,
        &token,
        json!([{ "op": "replace", "path": "displayName", "value": "sales" }]),
    )
    .await
    .refused(StatusCode::CONFLICT, Some("uniqueness"));

    // PUT replaces name, external id and members.
    let r = put(
        &app,
        &path,
        &token,
        json!({ "schemas": [GROUP], "displayName": "Platform", "externalId": "okta-7",
                "members": [{ "value": b }] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["externalId"], "okta-7");
    assert_eq!(members(&r.body), vec![b.clone()]);
    let listed = get(
        &app,
        "/Groups?filter=externalId%20eq%20%22okta-7%22&excludedAttributes=members",
        &token,
    )
    .await;
    assert_eq!(listed.body["totalResults"], 1, "{}", listed.body);
    assert!(listed.body["Resources"][0].get("members").is_none());

    let r = delete(&app, &path, &token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    get(&app, &path, &token)
        .await
        .refused(StatusCode::NOT_FOUND, None);
    let actions = app.audit_actions(&f.admin_key).await;
    for action in [
        "group.created",
        "group.members_added",
        "group.member_removed",
        "group.updated",
        "group.deleted",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}
