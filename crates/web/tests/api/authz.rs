//! The decision API on both backends: the decision table, explanations, immediate effect,
//! the MFA rule, batches, the effective matrix, who-can, sensitive grants, and two nodes.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{App, Fixture, OPERATOR, assert_error};

crate::backend_tests!(
    decision_table,
    removing_access_takes_effect_on_the_next_check,
    mfa_rule_follows_policy_and_grace,
    batch_limits_and_errors,
    effective_permissions_and_who_can,
    sensitive_grants_need_acknowledgement,
    two_nodes_converge,
);

struct Table {
    f: Fixture,
    checker: String,
}

impl Table {
    async fn new(app: &App) -> Self {
        let f = app.fixture("acme").await;
        let checker = app
            .key_for(
                f.business["id"].as_str().unwrap(),
                json!({ "business": ["authz.check"] }),
            )
            .await;
        // The table is about grants; MFA has its own test.
        let (status, _) = app
            .patch(
                "/api/v1/settings/security",
                &f.admin_key,
                json!({ "mfa_policy": "off" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        Self { f, checker }
    }

    fn tenant(&self, i: usize) -> &str {
        self.f.tenants[i]["id"].as_str().unwrap()
    }

    async fn group(&self, app: &App, body: Value) -> String {
        let (status, g) = app.post("/api/v1/groups", &self.f.admin_key, body).await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
        g["id"].as_str().unwrap().to_owned()
    }

    async fn user(&self, app: &App, email: &str, groups: &[&str], active: bool) -> Value {
        let (status, u) = app
            .post(
                "/api/v1/users",
                &self.f.admin_key,
                json!({ "email": email, "group_ids": groups }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{u}");
        if active {
            app.activate(&self.f.business, &u).await;
        }
        u
    }

    async fn check(
        &self,
        app: &App,
        user: &Value,
        permission: &str,
        tenant: Option<&str>,
        env: Option<&str>,
    ) -> Value {
        let mut body = json!({ "user_id": user["id"], "permission": permission });
        if let Some(t) = tenant {
            body["tenant_id"] = json!(t);
        }
        if let Some(e) = env {
            body["environment"] = json!(e);
        }
        let (status, d) = app.post("/api/v1/authz/check", &self.checker, body).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        d
    }
}

#[track_caller]
fn expect(d: &Value, allowed: bool, reason: &str) {
    assert_eq!(d["allowed"], allowed, "{d}");
    assert_eq!(d["reason"], reason, "{d}");
}

fn granted_by(d: &Value) -> Vec<String> {
    let mut names: Vec<String> = d["granted_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

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

async fn effective_permissions_and_who_can(app: App) {
    let t = Table::new(&app).await;
    let (eu, us) = (t.tenant(0).to_owned(), t.tenant(1).to_owned());
    let all = t.group(&app, json!({ "name": "Everyone", "type": "business", "permissions": { "live": ["analytics"], "business": ["users.view"] } })).await;
    let eu_g = t.group(&app, json!({ "name": "EU", "type": "tenants", "tenant_ids": [eu], "permissions": { "sandbox": ["flow_builder"], "live": ["analytics"] } })).await;
    let a = t.user(&app, "a@acme.com", &[&all, &eu_g], true).await;
    let b = t.user(&app, "b@acme.com", &[&all], true).await;
    t.user(&app, "c@acme.com", &[&eu_g], false).await;
    let k = &t.f.admin_key;
    let (status, m) = app
        .get(
            &format!(
                "/api/v1/users/{}/effective-permissions",
                a["id"].as_str().unwrap()
            ),
            k,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["active"], true);
    assert_eq!(
        m["business"],
        json!([{ "permission": "users.view", "groups": [{ "id": all, "name": "Everyone" }] }])
    );
    let tenant = |id: &str| {
        m["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tenant_id"] == id)
            .unwrap()
            .clone()
    };
    let eu_row = tenant(&eu);
    assert_eq!(eu_row["live"][0]["permission"], "analytics");
    assert_eq!(eu_row["live"][0]["groups"].as_array().unwrap().len(), 2);
    assert_eq!(
        eu_row["sandbox"],
        json!([{ "permission": "flow_builder", "groups": [{ "id": eu_g, "name": "EU" }] }])
    );
    assert_eq!(tenant(&us)["sandbox"], json!([]));
    assert_error(
        &app.get(
            "/api/v1/users/00000000-0000-7000-8000-000000000000/effective-permissions",
            k,
        )
        .await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );

    let (status, page) = app
        .get(
            &format!(
                "/api/v1/authz/who-can?permission=analytics&tenant={eu}&environment=live&limit=1"
            ),
            k,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app.get(&format!("/api/v1/authz/who-can?permission=analytics&tenant={eu}&environment=live&limit=1&cursor={cursor}"), k).await;
    let mut emails = vec![
        page["items"][0]["email"].as_str().unwrap().to_owned(),
        rest["items"][0]["email"].as_str().unwrap().to_owned(),
    ];
    emails.sort();
    assert_eq!(emails, ["a@acme.com", "b@acme.com"]);
    assert!(rest["next_cursor"].is_null());
    let (_, sandbox) = app
        .get(
            &format!(
                "/api/v1/authz/who-can?permission=flow_builder&tenant={eu}&environment=sandbox"
            ),
            k,
        )
        .await;
    assert_eq!(
        sandbox["items"].as_array().unwrap().len(),
        1,
        "the pending user does not count"
    );
    let _ = b;
    assert_error(
        &app.get("/api/v1/authz/who-can?permission=nope", k).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_permission",
    );
    assert_error(
        &app.get("/api/v1/authz/who-can?permission=analytics", k)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tenant_required",
    );
}

async fn sensitive_grants_need_acknowledgement(app: App) {
    let t = Table::new(&app).await;
    let k = &t.f.admin_key;
    let body = json!({ "name": "Deleters", "type": "business", "permissions": { "live": ["verification.delete", "analytics"] } });
    let refused = app.post("/api/v1/groups", k, body.clone()).await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sensitive_grant_unacknowledged",
    );
    assert_eq!(
        refused.1["error"]["details"]["permissions"],
        json!(["live:verification.delete"])
    );
    let mut acked = body.clone();
    acked["acknowledge_sensitive"] = json!(true);
    let (status, g) = app.post("/api/v1/groups", k, acked).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap();
    let (_, events) = app
        .get(&format!("/api/v1/audit-events?target={gid}"), k)
        .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"group.sensitive_permission_granted")
            && actions.contains(&"group.created"),
        "{actions:?}"
    );
    // Adding another sensitive permission later needs it again; non-sensitive changes do not.
    assert_error(
        &app.patch(
            &format!("/api/v1/groups/{gid}"),
            k,
            json!({ "permissions": { "live": ["verification.delete", "verification.export"] } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sensitive_grant_unacknowledged",
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/groups/{gid}"),
            k,
            json!({ "permissions": { "live": ["verification.delete"] } })
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_error(
        &app.post(
            "/api/v1/api-keys",
            k,
            json!({ "name": "dev", "permissions": { "sandbox": ["developer_area"] } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sensitive_grant_unacknowledged",
    );
    let (status, _) = app.post("/api/v1/api-keys", k, json!({ "name": "dev", "permissions": { "sandbox": ["developer_area"] }, "acknowledge_sensitive": true })).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// Two nodes on one database: a change through node A is seen by node B through the feed.
async fn two_nodes_converge(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = t.group(&app, json!({ "name": "Ops", "type": "business", "permissions": { "live": ["analytics"], "sandbox": ["analytics"] } })).await;
    let u = t.user(&app, "u@acme.com", &[&g], true).await;
    let (b_base, b) = crate::helpers::spawn_node(app.db.store.clone(), app.clock.clone()).await;
    b.engine().load_all(b.store()).await.unwrap();
    let feed = b.clone();
    tokio::spawn(async move {
        feed.run_change_feed(Duration::from_millis(20), std::future::pending())
            .await
    });
    let check_on_b = |env: &'static str| {
        let request = app
            .client
            .post(format!("{b_base}/api/v1/authz/check"))
            .bearer_auth(&t.checker)
            .json(&json!({ "user_id": u["id"], "permission": "analytics", "tenant_id": eu, "environment": env }));
        async move { crate::helpers::read(request.send().await.unwrap()).await.1 }
    };
    expect(&check_on_b("live").await, true, "granted");
    // Permission removal through A.
    app.patch(
        &format!("/api/v1/groups/{g}"),
        &t.f.admin_key,
        json!({ "permissions": { "sandbox": ["analytics"] } }),
    )
    .await;
    let waited = wait_until(|| async { check_on_b("live").await["allowed"] == false }).await;
    assert!(waited.is_some(), "node B never saw the permission removal");
    // Deactivation through A.
    app.post(
        &format!("/api/v1/users/{}/deactivate", u["id"].as_str().unwrap()),
        &t.f.admin_key,
        json!({}),
    )
    .await;
    let waited =
        wait_until(|| async { check_on_b("sandbox").await["reason"] == "user_inactive" }).await;
    assert!(waited.is_some(), "node B never saw the deactivation");
    eprintln!(
        "node B followed within {:?} (poll interval 20 ms)",
        waited.unwrap()
    );
}

/// Polls `cond` for up to 10 s; returns how long it took. (A bound on waiting, not a timing
/// assertion: the feed's latency is measured in BENCHMARKS.md.)
async fn wait_until<F, Fut>(cond: F) -> Option<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if cond().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

/// On PostgreSQL, commits NOTIFY the other nodes: node B, polling only every 30 s, still sees
/// a deactivation through node A long before its next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notifications_wake_other_nodes() {
    let Some(app) = crate::helpers::postgres().await else {
        return;
    };
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = t.group(&app, json!({ "name": "Ops", "type": "business", "permissions": { "sandbox": ["analytics"] } })).await;
    let u = t.user(&app, "u@acme.com", &[&g], true).await;
    let (b_base, b) = crate::helpers::spawn_node(app.db.store.clone(), app.clock.clone()).await;
    b.engine().load_all(b.store()).await.unwrap();
    let feed = b.clone();
    // The first tick fires at once; after it, only notifications can wake the feed in time.
    tokio::spawn(async move {
        feed.run_change_feed(Duration::from_secs(30), std::future::pending())
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let check_on_b = || {
        let request = app
            .client
            .post(format!("{b_base}/api/v1/authz/check"))
            .bearer_auth(&t.checker)
            .json(&json!({ "user_id": u["id"], "permission": "analytics", "tenant_id": eu, "environment": "sandbox" }));
        async move { crate::helpers::read(request.send().await.unwrap()).await.1 }
    };
    expect(&check_on_b().await, true, "granted");
    app.post(
        &format!("/api/v1/users/{}/deactivate", u["id"].as_str().unwrap()),
        &t.f.admin_key,
        json!({}),
    )
    .await;
    let waited = wait_until(|| async { check_on_b().await["reason"] == "user_inactive" }).await;
    let waited = waited.expect("node B never saw the deactivation");
    assert!(
        waited < Duration::from_secs(10),
        "woken by the notification, not by its 30 s poll: {waited:?}"
    );
}
