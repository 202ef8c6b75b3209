//! The users list's total over HTTP and in the dashboard: exact without a filter; for a
//! filter matching many, an estimate flagged as one (`total_estimated`, "about …" with a
//! "count exactly" link); the exact count on request (`exact=true`, the link).

use gatehouse_store::testing::{SeedSpec, seed};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{App, everything};
use crate::invitations::PW;

crate::backend_tests!(large_totals_are_estimated_and_said_to_be);

async fn large_totals_are_estimated_and_said_to_be(app: App) {
    let spec = SeedSpec {
        number: 0,
        pending_pct: 20,
        deactivated_pct: 20,
        ..SeedSpec::engine(3_000)
    };
    let seeded = seed(&app.db.url, &spec).await.unwrap();
    let key = app.key_for(&seeded.business, everything()).await;
    let tenant = &seeded.tenants[0];

    let (status, all) = app.get("/api/v1/users?limit=5", &key).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["total"], 3_000);
    assert!(all.get("total_estimated").is_none(), "{all}");

    let (_, estimated) = app
        .get(&format!("/api/v1/users?tenant={tenant}&limit=5"), &key)
        .await;
    assert_eq!(estimated["total_estimated"], true, "{estimated}");
    let (_, exact) = app
        .get(
            &format!("/api/v1/users?tenant={tenant}&limit=5&exact=true"),
            &key,
        )
        .await;
    assert!(exact.get("total_estimated").is_none(), "{exact}");
    let truth = exact["total"].as_i64().unwrap();
    assert!(truth > 1_000);
    let guess = estimated["total"].as_i64().unwrap();
    assert!(
        (truth * 3 / 4..=truth * 5 / 4).contains(&guess),
        "{guess} for {truth}"
    );
    assert_eq!(estimated["items"], exact["items"]);
    let (status, bad) = app.get("/api/v1/users?exact=maybe", &key).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // The dashboard says "about" and offers the exact count, which then shows plainly.
    let (_, viewers) = app
        .post(
            "/api/v1/groups",
            &key,
            json!({ "name": "Viewers", "type": "business", "permissions": { "business": ["users.view"] } }),
        )
        .await;
    app.invite(
        &key,
        "viewer@bench.example",
        &[viewers["id"].as_str().unwrap()],
    )
    .await;
    let (mut b, _) = app.accept("viewer@bench.example", PW, 1).await;
    let page = b
        .get(&format!("/b/bench/admin/users?tenant={tenant}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("about "), "{}", page.body);
    assert!(page.body.contains(">count exactly</a>"));
    let exact_page = b
        .get(&format!("/b/bench/admin/users?tenant={tenant}&exact=1"))
        .await;
    assert!(!exact_page.body.contains(">count exactly</a>"));
    // The viewer's business-wide group reaches the tenant too: count again.
    let (_, now) = app
        .get(
            &format!("/api/v1/users?tenant={tenant}&limit=1&exact=true"),
            &key,
        )
        .await;
    let n = now["total"].as_i64().unwrap();
    assert!(
        exact_page.body.contains(&format!("{n} users match")),
        "{}",
        exact_page.body
    );
}
