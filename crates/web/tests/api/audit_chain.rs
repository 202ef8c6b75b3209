//! The audit chain over HTTP: its head, publishing it, verifying it (with a published head),
//! refusals of a malformed head and of a caller without `audit.view`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{App, assert_error};

crate::backend_tests!(the_chain_is_read_published_and_verified);

async fn the_chain_is_read_published_and_verified(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    app.post("/api/v1/users", k, json!({ "email": "dana@example.com" }))
        .await;
    let (status, head) = app.get("/api/v1/audit-chain/head", k).await;
    assert_eq!(status, StatusCode::OK, "{head}");
    let (_, events) = app.get("/api/v1/audit-events?limit=1", k).await;
    assert_eq!(events["items"][0]["chain"]["hash"], head["hash"]);
    assert_eq!(events["items"][0]["chain"]["seq"], head["seq"]);
    let (status, published) = app
        .post("/api/v1/audit-chain/head/publish", k, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(published, head);
    let anchor = format!("{}:{}", head["seq"], head["hash"].as_str().unwrap());
    let (status, report) = app
        .get(&format!("/api/v1/audit-chain/verify?head={anchor}"), k)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["head"]["seq"], head["seq"].as_i64().unwrap() + 1);
    assert_eq!(report["first_break"], json!(null));
    // A head that was never on the chain.
    let forged = format!("{}:{}", head["seq"], "0".repeat(64));
    let (_, report) = app
        .get(&format!("/api/v1/audit-chain/verify?head={forged}"), k)
        .await;
    assert_eq!(report["intact"], false);
    assert_eq!(report["first_break"]["problem"], "published_head_mismatch");
    assert_error(
        &app.get("/api/v1/audit-chain/verify?head=12", k).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_chain_head",
    );
    let b = f.business["id"].as_str().unwrap();
    let viewer = app.key_for(b, json!({ "business": ["users.view"] })).await;
    assert_error(
        &app.get("/api/v1/audit-chain/verify", &viewer).await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    );
}
