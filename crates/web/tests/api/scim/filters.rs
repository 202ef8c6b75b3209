//! Listing: the filter grammar over HTTP (URL-encoded), sorting, paging and projections.

use reqwest::StatusCode;
use serde_json::Value;

use super::{create_user, get, setup};
use crate::helpers::App;

crate::backend_tests!(filters_sorting_paging_and_projections);

fn q(filter: &str) -> String {
    format!("/Users?filter={}", crate::helpers::urlencode(filter))
}

fn names(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or("-").to_owned())
        .collect()
}

async fn filters_sorting_paging_and_projections(app: App) {
    let (_, token) = setup(&app).await;
    for (email, ext) in [
        ("amy@example.com", "A1"),
        ("bob@example.com", "B2"),
        ("cy@other.example", "C3"),
        ("dee@example.com", "D4"),
    ] {
        create_user(&app, &token, email, ext).await;
    }
    let list = |filter: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let a = get(app, &q(filter), &token).await;
            assert_eq!(a.status, StatusCode::OK, "{filter}: {}", a.body);
            names(&a.body)
        }
    };
    assert_eq!(
        list(r#"userName eq "BOB@example.com""#).await,
        ["bob@example.com"]
    );
    assert_eq!(list(r#"externalId eq "C3""#).await, ["cy@other.example"]);
    assert!(
        list(r#"externalId eq "c3""#).await.is_empty(),
        "externalId is case-exact"
    );
    assert_eq!(
        list(r#"userName ew "other.example""#).await,
        ["cy@other.example"]
    );
    assert_eq!(
        list(r#"userName sw "a" or userName co "dee""#).await,
        ["amy@example.com", "dee@example.com"]
    );
    assert_eq!(
        list(r#"not (userName co "example.com") or (externalId eq "A1" and active eq true)"#).await,
        ["amy@example.com", "cy@other.example"]
    );
    assert_eq!(
        list(r#"emails[type eq "work" and value sw "b"]"#).await,
        ["bob@example.com"]
    );
    assert_eq!(
        list(r#"name.familyName gt "C3""#).await,
        ["dee@example.com"]
    );
    assert_eq!(list("title pr").await.len(), 0);
    assert_eq!(
        list(r#"meta.created pr and userName ne "amy@example.com""#)
            .await
            .len(),
        3
    );

    // Sorting and paging: startIndex below 1 is 1; count 0 gives only the total.
    let a = get(
        &app,
        "/Users?sortBy=userName&sortOrder=descending&startIndex=0&count=2",
        &token,
    )
    .await;
    assert_eq!(names(&a.body), ["dee@example.com", "cy@other.example"]);
    assert_eq!(a.body["totalResults"], 4);
    assert_eq!(a.body["startIndex"], 1);
    assert_eq!(a.body["itemsPerPage"], 2);
    let a = get(&app, "/Users?sortBy=externalId&startIndex=3", &token).await;
    assert_eq!(names(&a.body), ["cy@other.example", "dee@example.com"]);
    let a = get(&app, "/Users?count=0", &token).await;
    assert_eq!(a.body["totalResults"], 4);
    assert_eq!(a.body["Resources"], serde_json::json!([]));

    // attributes / excludedAttributes.
    let a = get(
        &app,
        "/Users?attributes=userName,name.givenName&count=1",
        &token,
    )
    .await;
    let r = &a.body["Resources"][0];
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "name", "schemas", "userName"], "{r}");
    assert_eq!(r["name"], serde_json::json!({ "givenName": "Given" }));
    let a = get(
        &app,
        "/Users?excludedAttributes=emails,meta&count=1",
        &token,
    )
    .await;
    let r = &a.body["Resources"][0];
    assert!(
        r.get("emails").is_none() && r.get("meta").is_none() && r.get("userName").is_some(),
        "{r}"
    );

    // Every refusal is a 400 invalidFilter.
    for bad in [
        r#"userName eq"#,
        r#"userName xx "a""#,
        r#"(userName eq "a""#,
        r#"shoeSize eq 9"#,
        r#"active gt true"#,
        r#"emails[type eq "work""#,
        "userName eq \"a\" and ; DROP TABLE users; --",
    ] {
        get(&app, &q(bad), &token)
            .await
            .refused(StatusCode::BAD_REQUEST, Some("invalidFilter"));
    }
    get(&app, "/Users?count=many", &token)
        .await
        .refused(StatusCode::BAD_REQUEST, Some("invalidValue"));
    assert_eq!(
        get(&app, "/Users", &token).await.body["totalResults"],
        4,
        "nothing was dropped"
    );
}
