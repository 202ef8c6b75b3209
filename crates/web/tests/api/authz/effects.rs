//! Removals take effect on the next check; the MFA rule; batches.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Table, expect};
use crate::helpers::{App, assert_error};

crate::backend_tests!(
    removing_access_takes_effect_on_the_next_check,
    mfa_rule_follows_policy_and_grace,
    batch_limits_and_errors,
);

async fn removing_access_takes_effect_on_the_next_check(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = t.group(&app, json!({ "name": "Ops", "type": "business", "permissions": { "live": ["analytics", "verification.view"] } })).await;
    let u = t.user(&app, "u@acme.com", &[&g], true).await;
    let uid = u["id"].as_str().unwrap();
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("live"))
            .await,
        true,
        "granted",
    );
    // Revoking a permission from the group.
    app.patch(
        &format!("/api/v1/groups/{g}"),
        &t.f.admin_key,
        json!({ "permissions": { "live": ["verification.view"] } }),
    )
    .await;
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("live"))
            .await,
        false,
        "no_grant",
    );
    expect(
        &t.check(&app, &u, "verification.view", Some(&eu), Some("live"))
            .await,
        true,
        "granted",
    );
    // Removing the member.
    assert_eq!(
        app.delete(&format!("/api/v1/groups/{g}/members/{uid}"), &t.f.admin_key)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    expect(
        &t.check(&app, &u, "verification.view", Some(&eu), Some("live"))
            .await,
        false,
        "no_grant",
    );
    // Adding back, then deactivating.
    app.post(
        &format!("/api/v1/groups/{g}/members"),
        &t.f.admin_key,
        json!({ "user_ids": [uid] }),
    )
    .await;
    expect(
        &t.check(&app, &u, "verification.view", Some(&eu), Some("live"))
            .await,
        true,
        "granted",
    );
    app.post(
        &format!("/api/v1/users/{uid}/deactivate"),
        &t.f.admin_key,
        json!({}),
    )
    .await;
    expect(
        &t.check(&app, &u, "verification.view", Some(&eu), Some("live"))
            .await,
        false,
        "user_inactive",
    );
    // Deleting the group (forced) ends its grants.
    let v = t.user(&app, "v@acme.com", &[&g], true).await;
    expect(
        &t.check(&app, &v, "verification.view", Some(&eu), Some("live"))
            .await,
        true,
        "granted",
    );
    app.delete(&format!("/api/v1/groups/{g}?force=true"), &t.f.admin_key)
        .await;
    expect(
        &t.check(&app, &v, "verification.view", Some(&eu), Some("live"))
            .await,
        false,
        "no_grant",
    );
    // A revoked key stops at once.
    let (_, keys) = app.get("/api/v1/api-keys", &t.f.admin_key).await;
    let checker_id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["permissions"]["business"] == json!(["authz.check"]))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(&format!("/api/v1/api-keys/{checker_id}"), &t.f.admin_key)
        .await;
    assert_error(
        &app.post(
            "/api/v1/authz/check",
            &t.checker,
            json!({ "user_id": uid, "permission": "audit.view" }),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

async fn mfa_rule_follows_policy_and_grace(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = t.group(&app, json!({ "name": "Ops", "type": "business", "permissions": { "live": ["analytics"], "sandbox": ["analytics"], "business": ["audit.view"] } })).await;
    let u = t.user(&app, "u@acme.com", &[&g], true).await;
    let k = &t.f.admin_key;
    let (_, s) = app
        .patch(
            "/api/v1/settings/security",
            k,
            json!({ "mfa_policy": "live_access" }),
        )
        .await;
    assert_eq!(s["mfa_policy"], "live_access");
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("live"))
            .await,
        false,
        "mfa_required",
    );
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("sandbox"))
            .await,
        true,
        "granted",
    );
    expect(
        &t.check(&app, &u, "audit.view", None, None).await,
        true,
        "granted",
    );
    // A grace period lets the user in until it runs out.
    app.patch(
        "/api/v1/settings/security",
        k,
        json!({ "mfa_grace_days": 7 }),
    )
    .await;
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("live"))
            .await,
        true,
        "granted",
    );
    app.clock.advance(time::Duration::days(8));
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("live"))
            .await,
        false,
        "mfa_required",
    );
    // Policy `all` covers every check.
    app.patch(
        "/api/v1/settings/security",
        k,
        json!({ "mfa_policy": "all", "mfa_grace_days": 0 }),
    )
    .await;
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("sandbox"))
            .await,
        false,
        "mfa_required",
    );
    expect(
        &t.check(&app, &u, "audit.view", None, None).await,
        false,
        "mfa_required",
    );
    // Enrolling lifts it.
    app.enrol_mfa(&t.f.business, &u).await;
    expect(
        &t.check(&app, &u, "analytics", Some(&eu), Some("live"))
            .await,
        true,
        "granted",
    );
    let (_, m) = app
        .get(
            &format!(
                "/api/v1/users/{}/effective-permissions",
                u["id"].as_str().unwrap()
            ),
            k,
        )
        .await;
    assert_eq!(m["mfa_required_for_live"], false);
    assert_error(
        &app.patch(
            "/api/v1/settings/security",
            k,
            json!({ "mfa_grace_days": 91 }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_grace_days",
    );
    assert_error(
        &app.patch(
            "/api/v1/settings/security",
            k,
            json!({ "mfa_policy": "sometimes" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    let (_, events) = app.get("/api/v1/audit-events?action=settings", k).await;
    assert!(events["items"].as_array().unwrap().len() >= 3);
}

async fn batch_limits_and_errors(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = t.group(&app, json!({ "name": "Ops", "type": "business", "permissions": { "sandbox": ["analytics"] } })).await;
    let u = t.user(&app, "u@acme.com", &[&g], true).await;
    let q = |perm: &str, env: &str| json!({ "user_id": u["id"], "permission": perm, "tenant_id": eu, "environment": env });
    let (status, r) = app.post("/api/v1/authz/check-batch", &t.checker, json!({ "checks": [q("analytics", "sandbox"), q("analytics", "live"), q("nope", "live")] })).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    expect(&results[0], true, "granted");
    expect(&results[1], false, "no_grant");
    expect(&results[2], false, "permission_unknown");
    assert_eq!(results[0]["snapshot_seq"], results[2]["snapshot_seq"]);
    let (_, empty) = app
        .post(
            "/api/v1/authz/check-batch",
            &t.checker,
            json!({ "checks": [] }),
        )
        .await;
    assert_eq!(empty["results"], json!([]));
    let full: Vec<Value> = (0..1000).map(|_| q("analytics", "sandbox")).collect();
    let (status, r) = app
        .post(
            "/api/v1/authz/check-batch",
            &t.checker,
            json!({ "checks": full }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["results"].as_array().unwrap().len(), 1000);
    let too_many: Vec<Value> = (0..1001).map(|_| q("analytics", "sandbox")).collect();
    assert_error(
        &app.post(
            "/api/v1/authz/check-batch",
            &t.checker,
            json!({ "checks": too_many }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "batch_too_large",
    );
    let bad = app.post("/api/v1/authz/check-batch", &t.checker, json!({ "checks": [q("analytics", "sandbox"), { "user_id": u["id"], "permission": "analytics" }] })).await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "tenant_required");
    assert_eq!(bad.1["error"]["details"]["index"], 1);
    assert_error(
        &app.post(
            "/api/v1/authz/check-batch",
            &t.checker,
            json!({ "checks": [{ "user_id": "x" }] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    assert_error(
        &app.post("/api/v1/authz/check-batch", &t.checker, json!([]))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
}
