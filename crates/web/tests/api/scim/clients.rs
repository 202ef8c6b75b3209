//! What real clients send, as they send it. Okta: a lookup by `userName eq` before creating,
//! PUT for every update, `active` toggled by PUT or PATCH, group pushes (create, add and
//! remove members by PATCH, rename by PUT). Microsoft Entra ID: lookups by `externalId eq`,
//! the enterprise extension, PATCH with capitalised `op`s, booleans as `"True"`/`"False"`,
//! `emails[type eq "work"].value` paths, attributes as dotted keys, members removed by value.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{ENTERPRISE, GROUP, USER, api_user, get, patch, post, put, setup};
use crate::helpers::App;

crate::backend_tests!(okta, entra);

async fn okta(app: App) {
    let (f, token) = setup(&app).await;
    let lookup =
        "/Users?filter=userName%20eq%20%22isabella%40example.com%22&startIndex=1&count=100";
    let a = get(&app, lookup, &token).await;
    assert_eq!(a.body["totalResults"], 0);
    assert_eq!(a.body["Resources"], json!([]));
    let user = |active: bool, title: &str| {
        json!({
            "schemas": [USER],
            "userName": "isabella@example.com",
            "name": { "givenName": "Isabella", "familyName": "Garcia" },
            "emails": [{ "primary": true, "value": "isabella@example.com", "type": "work" }],
            "displayName": "Isabella Garcia",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "title": title,
            "active": active,
        })
    };
    let a = post(&app, "/Users", &token, user(true, "Engineer")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(get(&app, lookup, &token).await.body["totalResults"], 1);
    // Profile push and deactivation: PUT with the whole user.
    let a = put(&app, &format!("/Users/{id}"), &token, user(true, "Lead")).await;
    assert_eq!(a.body["title"], "Lead", "{}", a.body);
    put(&app, &format!("/Users/{id}"), &token, user(false, "Lead")).await;
    assert_eq!(api_user(&app, &f, &id).await["status"], "deactivated");
    let a = patch(
        &app,
        &format!("/Users/{id}"),
        &token,
        json!([{ "op": "replace", "value": { "active": true } }]),
    )
    .await;
    assert_eq!(a.body["active"], true, "{}", a.body);

    // Group push.
    let a = post(
        &app,
        "/Groups",
        &token,
        json!({ "schemas": [GROUP], "displayName": "Okta Push", "members": [] }),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let g = a.body["id"].as_str().unwrap().to_owned();
    let r = patch(
        &app,
        &format!("/Groups/{g}"),
        &token,
        json!([{ "op": "add", "path": "members", "value": [{ "value": id, "display": "isabella@example.com" }] }]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let a = put(
        &app,
        &format!("/Groups/{g}"),
        &token,
        json!({ "schemas": [GROUP], "id": g, "displayName": "Okta Pushed",
                "members": [{ "value": id, "display": "isabella@example.com" }] }),
    )
    .await;
    assert_eq!(a.body["displayName"], "Okta Pushed", "{}", a.body);
    assert_eq!(a.body["members"].as_array().unwrap().len(), 1);
    let r = patch(
        &app,
        &format!("/Groups/{g}"),
        &token,
        json!([{ "op": "remove", "path": format!("members[value eq \"{id}\"]") }]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let (_, group) = app.get(&format!("/api/v1/groups/{g}"), &f.admin_key).await;
    assert_eq!(group["member_count"], 0);
}

async fn entra(app: App) {
    let (f, token) = setup(&app).await;
    let lookup = "/Users?filter=externalId+eq+%2255ba1c2f-7d0e-4b5e-9a84-d1fd5f5e1c2b%22";
    assert_eq!(get(&app, lookup, &token).await.body["totalResults"], 0);
    let a = post(
        &app,
        "/Users",
        &token,
        json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "55ba1c2f-7d0e-4b5e-9a84-d1fd5f5e1c2b",
            "userName": "Jane.Doe@contoso.example",
            "active": true,
            "displayName": "Jane Doe",
            "emails": [{ "primary": true, "type": "work", "value": "Jane.Doe@contoso.example" }],
            "meta": { "resourceType": "User" },
            "name": { "formatted": "Jane Doe", "familyName": "Doe", "givenName": "Jane" },
            ENTERPRISE: { "department": "Finance", "employeeNumber": "1234",
                          "manager": { "value": "boss-1" } },
        }),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(a.body[ENTERPRISE]["employeeNumber"], "1234");
    let found = get(&app, lookup, &token).await;
    assert_eq!(found.body["Resources"][0]["id"], id.as_str());
    let by_name = get(
        &app,
        "/Users?filter=userName+eq+%22jane.doe%40contoso.example%22",
        &token,
    )
    .await;
    assert_eq!(by_name.body["totalResults"], 1);

    let a = patch(
        &app,
        &format!("/Users/{id}"),
        &token,
        json!([
            { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "jane@contoso.example" },
            { "op": "Add", "path": "emails[type eq \"other\"].value", "value": "jd@home.example" },
            { "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Audit" },
            { "op": "Replace", "value": { "name.givenName": "Janet", "displayName": "Janet Doe" } },
            { "op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100" },
            { "op": "Replace", "path": "userName", "value": "janet.doe@contoso.example" },
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let emails: Vec<&Value> = a.body["emails"].as_array().unwrap().iter().collect();
    assert_eq!(emails[0]["value"], "jane@contoso.example");
    assert_eq!(
        emails[1],
        &json!({ "type": "other", "value": "jd@home.example" })
    );
    assert_eq!(a.body[ENTERPRISE]["department"], "Audit");
    assert_eq!(a.body["name"]["givenName"], "Janet");
    assert_eq!(a.body["userName"], "janet.doe@contoso.example");
    assert_eq!(
        api_user(&app, &f, &id).await["email"],
        "janet.doe@contoso.example"
    );

    // Disable and enable with string booleans.
    let toggle = |v: &str| json!([{ "op": "Replace", "path": "active", "value": v }]);
    patch(&app, &format!("/Users/{id}"), &token, toggle("False")).await;
    assert_eq!(api_user(&app, &f, &id).await["status"], "deactivated");
    let a = patch(&app, &format!("/Users/{id}"), &token, toggle("True")).await;
    assert_eq!(a.body["active"], true, "{}", a.body);

    // Groups: created, members added and removed by value.
    let a = post(
        &app,
        "/Groups",
        &token,
        json!({ "schemas": [GROUP], "externalId": "8aa1a0c0-c4c3-4bc0-a4a5-2ef676900159",
                "displayName": "Finance", "members": [] }),
    )
    .await;
    let g = a.body["id"].as_str().unwrap().to_owned();
    let ext = get(
        &app,
        "/Groups?filter=displayName+eq+%22finance%22&excludedAttributes=members",
        &token,
    )
    .await;
    assert_eq!(
        ext.body["Resources"][0]["externalId"],
        "8aa1a0c0-c4c3-4bc0-a4a5-2ef676900159"
    );
    for (op, count) in [("Add", 1), ("Remove", 0)] {
        let r = patch(
            &app,
            &format!("/Groups/{g}"),
            &token,
            json!([{ "op": op, "path": "members", "value": [{ "value": id }] }]),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let (_, group) = app.get(&format!("/api/v1/groups/{g}"), &f.admin_key).await;
        assert_eq!(group["member_count"], count, "{op}");
    }
}
