//! The decision table: business and tenant groups, environments, unions, later tenants,
//! inactive users, unknown anything.

use reqwest::StatusCode;
use serde_json::json;

use super::{Table, expect, granted_by};
use crate::helpers::{App, OPERATOR, assert_error};

crate::backend_tests!(decision_table);

async fn decision_table(app: App) {
    let t = Table::new(&app).await;
    let (eu, us) = (t.tenant(0).to_owned(), t.tenant(1).to_owned());
    let all = t.group(&app, json!({ "name": "Everyone", "type": "business", "permissions": { "live": ["analytics"], "sandbox": ["analytics", "flow_builder"] } })).await;
    let eu_g = t.group(&app, json!({ "name": "EU testers", "type": "tenants", "tenant_ids": [eu], "permissions": { "sandbox": ["verification.perform"] } })).await;
    let us_g = t.group(&app, json!({ "name": "US reviewers", "type": "tenants", "tenant_ids": [us], "permissions": { "live": ["verification.view"] } })).await;
    let audit = t.group(&app, json!({ "name": "Auditors", "type": "business", "permissions": { "business": ["audit.view"] } })).await;
    let ana = t.group(&app, json!({ "name": "EU analysts", "type": "tenants", "tenant_ids": [eu], "permissions": { "sandbox": ["analytics"] } })).await;
    let a = t
        .user(&app, "a@acme.com", &[&all, &eu_g, &audit, &ana], true)
        .await;
    let b = t.user(&app, "b@acme.com", &[&us_g], true).await;
    let pending = t.user(&app, "p@acme.com", &[&all], false).await;
    let gone = t.user(&app, "d@acme.com", &[&all], true).await;
    app.post(
        &format!("/api/v1/users/{}/deactivate", gone["id"].as_str().unwrap()),
        &t.f.admin_key,
        json!({}),
    )
    .await;

    // Business groups cover every tenant; grants are per environment.
    let d = t
        .check(&app, &a, "analytics", Some(&eu), Some("live"))
        .await;
    expect(&d, true, "granted");
    assert_eq!(granted_by(&d), ["Everyone"]);
    expect(
        &t.check(&app, &a, "flow_builder", Some(&eu), Some("live"))
            .await,
        false,
        "no_grant",
    );
    expect(
        &t.check(&app, &a, "flow_builder", Some(&us), Some("sandbox"))
            .await,
        true,
        "granted",
    );
    // Tenant groups cover only their tenants, and only in their environment.
    expect(
        &t.check(&app, &a, "verification.perform", Some(&eu), Some("sandbox"))
            .await,
        true,
        "granted",
    );
    expect(
        &t.check(&app, &a, "verification.perform", Some(&us), Some("sandbox"))
            .await,
        false,
        "no_grant",
    );
    expect(
        &t.check(&app, &a, "verification.perform", Some(&eu), Some("live"))
            .await,
        false,
        "no_grant",
    );
    expect(
        &t.check(&app, &b, "verification.view", Some(&us), Some("live"))
            .await,
        true,
        "granted",
    );
    expect(
        &t.check(&app, &b, "verification.view", Some(&us), Some("sandbox"))
            .await,
        false,
        "no_grant",
    );
    expect(
        &t.check(&app, &b, "verification.view", Some(&eu), Some("live"))
            .await,
        false,
        "no_grant",
    );
    // Several groups: the union, and every granting group named.
    let d = t
        .check(&app, &a, "analytics", Some(&eu), Some("sandbox"))
        .await;
    assert_eq!(granted_by(&d), ["EU analysts", "Everyone"]);
    assert_eq!(
        granted_by(
            &t.check(&app, &a, "analytics", Some(&us), Some("sandbox"))
                .await
        ),
        ["Everyone"]
    );
    // A tenant created later: business groups cover it, tenant groups do not.
    let bid = t.f.business["id"].as_str().unwrap();
    let (_, apac) = app
        .post(
            &format!("/api/v1/businesses/{bid}/tenants"),
            OPERATOR,
            json!({ "name": "APAC", "slug": "apac" }),
        )
        .await;
    let apac = apac["id"].as_str().unwrap();
    expect(
        &t.check(&app, &a, "analytics", Some(apac), Some("live"))
            .await,
        true,
        "granted",
    );
    expect(
        &t.check(
            &app,
            &a,
            "verification.perform",
            Some(apac),
            Some("sandbox"),
        )
        .await,
        false,
        "no_grant",
    );
    // Business permissions ignore tenant and environment.
    expect(
        &t.check(&app, &a, "audit.view", None, None).await,
        true,
        "granted",
    );
    expect(
        &t.check(&app, &a, "audit.view", Some(&eu), Some("live"))
            .await,
        true,
        "granted",
    );
    expect(
        &t.check(&app, &b, "audit.view", None, None).await,
        false,
        "no_grant",
    );
    // Pending and deactivated users are denied whatever their groups.
    expect(
        &t.check(&app, &pending, "analytics", Some(&eu), Some("live"))
            .await,
        false,
        "user_inactive",
    );
    expect(
        &t.check(&app, &gone, "analytics", Some(&eu), Some("live"))
            .await,
        false,
        "user_inactive",
    );
    // Unknown anything is denied.
    let nobody = json!({ "id": "00000000-0000-7000-8000-000000000000" });
    expect(
        &t.check(&app, &nobody, "analytics", Some(&eu), Some("live"))
            .await,
        false,
        "user_unknown",
    );
    expect(
        &t.check(
            &app,
            &a,
            "analytics",
            Some("00000000-0000-7000-8000-000000000000"),
            Some("live"),
        )
        .await,
        false,
        "tenant_unknown",
    );
    expect(
        &t.check(&app, &a, "delete.everything", Some(&eu), Some("live"))
            .await,
        false,
        "permission_unknown",
    );
    // A user of another business is unknown here.
    let other = app.fixture("globex").await;
    let (_, stranger) = app
        .post(
            "/api/v1/users",
            &other.admin_key,
            json!({ "email": "s@globex.com" }),
        )
        .await;
    expect(
        &t.check(&app, &stranger, "analytics", Some(&eu), Some("live"))
            .await,
        false,
        "user_unknown",
    );
    // Questions that cannot be answered are 4xx, never an allow.
    let missing = app
        .post(
            "/api/v1/authz/check",
            &t.checker,
            json!({ "user_id": a["id"], "permission": "analytics" }),
        )
        .await;
    assert_error(
        &missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tenant_required",
    );
    let bad_env = app.post("/api/v1/authz/check", &t.checker, json!({ "user_id": a["id"], "permission": "analytics", "tenant_id": eu, "environment": "production" })).await;
    assert_error(
        &bad_env,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    // Only keys holding authz.check may ask.
    let admin = app
        .post(
            "/api/v1/authz/check",
            &t.f.admin_key,
            json!({ "user_id": a["id"], "permission": "audit.view" }),
        )
        .await;
    assert_eq!(admin.0, StatusCode::OK, "the admin key holds authz.check");
    let viewer = app
        .key_for(bid, json!({ "business": ["users.view"] }))
        .await;
    assert_error(
        &app.post(
            "/api/v1/authz/check",
            &viewer,
            json!({ "user_id": a["id"], "permission": "audit.view" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    );
}
