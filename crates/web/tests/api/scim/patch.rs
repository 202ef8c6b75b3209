//! PATCH: add, remove and replace, with and without a path, value filters in paths; all
//! operations of a request apply or none; empty Operations and read-only targets refused.

use reqwest::StatusCode;
use serde_json::json;

use super::{ENTERPRISE, create_user, get, patch, setup};
use crate::helpers::App;

crate::backend_tests!(operations_apply_all_or_none);

async fn operations_apply_all_or_none(app: App) {
    let (_, token) = setup(&app).await;
    let id = create_user(&app, &token, "reyes@example.com", "r1").await;
    let path = format!("/Users/{id}");
    let a = patch(
        &app,
        &path,
        &token,
        json!([
            { "op": "add", "path": "title", "value": "Agent" },
            { "op": "add", "path": "emails", "value": [{ "value": "m@home.example", "type": "home" }] },
            { "op": "replace", "path": "emails[type eq \"home\"].value", "value": "monica@home.example" },
            { "op": "replace", "path": "name.givenName", "value": "Monica" },
            { "op": "add", "value": { "nickName": "ignored", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "X-Files" } },
            { "op": "replace", "value": { "displayName": "Monica Reyes" } },
            { "op": "remove", "path": "name.familyName" },
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let b = &a.body;
    assert_eq!(b["title"], "Agent");
    assert_eq!(b["displayName"], "Monica Reyes");
    assert_eq!(b["name"], json!({ "givenName": "Monica" }));
    assert_eq!(b[ENTERPRISE]["department"], "X-Files");
    assert!(
        b["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == ENTERPRISE)
    );
    let emails = b["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2, "{b}");
    assert_eq!(emails[1]["value"], "monica@home.example");
    assert!(b.get("nickName").is_none(), "not kept");
    let version = a.header("etag").to_owned();

    let a = patch(
        &app,
        &path,
        &token,
        json!([{ "op": "remove", "path": "emails[type eq \"home\"]" }]),
    )
    .await;
    assert_eq!(a.body["emails"].as_array().unwrap().len(), 1, "{}", a.body);
    let version_after_remove = a.header("etag").to_owned();
    assert_ne!(version, version_after_remove);

    // One bad operation: nothing of the request is applied.
    for (ops, kind) in [
        (
            json!([{ "op": "replace", "path": "title", "value": "Director" },
                { "op": "remove", "path": "emails[type eq \"fax\"]" }]),
            "noTarget",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Director" },
                { "op": "replace", "path": "shoeSize", "value": 9 }]),
            "invalidPath",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Director" },
                { "op": "replace", "path": "emails[type eq", "value": "x" }]),
            "invalidPath",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Director" },
                { "op": "replace", "path": "active", "value": "perhaps" }]),
            "invalidValue",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Director" },
                { "op": "replace", "path": "id", "value": "mine" }]),
            "mutability",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Director" },
                { "op": "move", "path": "title" }]),
            "invalidSyntax",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Director" },
                { "op": "remove" }]),
            "noTarget",
        ),
        (json!([]), "invalidValue"),
    ] {
        patch(&app, &path, &token, ops)
            .await
            .refused(StatusCode::BAD_REQUEST, Some(kind));
    }
    let now = get(&app, &path, &token).await;
    assert_eq!(now.body["title"], "Agent", "nothing applied");
    assert_eq!(now.header("etag"), version_after_remove);
    // userName through PATCH is checked like any other: a taken one is a conflict.
    create_user(&app, &token, "taken@example.com", "t1").await;
    patch(
        &app,
        &path,
        &token,
        json!([{ "op": "replace", "path": "userName", "value": "Taken@example.com" }]),
    )
    .await
    .refused(StatusCode::CONFLICT, Some("uniqueness"));
}
