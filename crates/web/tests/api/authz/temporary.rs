//! Temporary access: a membership with an end is denied from that instant on every node, by
//! the check itself (the clock against the end in the snapshot), before any sweeper runs;
//! the sweeper then removes it and audits the instant it ended.

use gatehouse_domain::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;
use time::format_description::well_known::Rfc3339;

use super::{Table, expect};
use crate::helpers::{App, assert_error};
use crate::invitations::PW;

crate::backend_tests!(
    temporary_access_ends_at_its_instant_on_two_nodes_before_the_sweeper,
    temporary_access_refuses_an_end_in_the_past_or_given_twice,
    a_request_for_access_is_approved_into_temporary_access,
    a_provider_or_an_import_asserting_membership_keeps_its_end,
);

async fn temporary_access_ends_at_its_instant_on_two_nodes_before_the_sweeper(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let g = live_operations(&app, &t).await;
    let u = t.user(&app, "oncall@acme.com", &[], true).await;
    expect(&live(&app, &t, &u, &eu).await, false, "no_grant");

    // "Live access for 4 hours".
    let end = for_four_hours(&app, &t, &g, &u).await;
    let (status, list) = app
        .get("/api/v1/memberships/temporary", &t.f.admin_key)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["email"], "oncall@acme.com");
    assert_eq!(list[0]["expires_at"], end.format(&Rfc3339).unwrap());

    // A second node on the same database and clock, started after the grant; it runs no
    // change feed and no sweeper: only its clock moves it.
    let b = app.through(app.node()).await;
    expect(&live(&app, &t, &u, &eu).await, true, "granted");
    expect(&live(&b, &t, &u, &eu).await, true, "granted");

    app.clock
        .advance(Duration::hours(4) - Duration::microseconds(1));
    expect(&live(&app, &t, &u, &eu).await, true, "granted");
    expect(&live(&b, &t, &u, &eu).await, true, "granted");

    // The end instant: denied on both nodes, though the membership is still stored.
    app.clock.advance(Duration::microseconds(1));
    expect(&live(&app, &t, &u, &eu).await, false, "no_grant");
    expect(&live(&b, &t, &u, &eu).await, false, "no_grant");
    assert_eq!(members(&app, &t, &g).await, ["oncall@acme.com"]);
    let (_, list) = app
        .get("/api/v1/memberships/temporary", &t.f.admin_key)
        .await;
    assert_eq!(
        list,
        json!([]),
        "an ended membership is not listed as running"
    );
    assert!(expired_events(&app, &t).await.is_empty());

    // The sweeper removes it and audits it, with the instant it ended.
    assert_eq!(app.gh.sweep_expired_memberships().await.unwrap(), 1);
    assert_eq!(app.gh.sweep_expired_memberships().await.unwrap(), 0);
    assert!(members(&app, &t, &g).await.is_empty());
    let events = expired_events(&app, &t).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "system", "{}", events[0]);
    assert_eq!(events[0]["target"]["id"], g.as_str());
    assert_eq!(events[0]["before"]["user"], "oncall@acme.com");
    assert_eq!(
        events[0]["before"]["expires_at"],
        end.format(&Rfc3339).unwrap()
    );
    expect(&live(&app, &t, &u, &eu).await, false, "no_grant");
    expect(&live(&b, &t, &u, &eu).await, false, "no_grant");
}

async fn temporary_access_refuses_an_end_in_the_past_or_given_twice(app: App) {
    let t = Table::new(&app).await;
    let g = t
        .group(&app, json!({ "name": "Analysts", "type": "business", "permissions": { "live": ["analytics"] } }))
        .await;
    let u = t.user(&app, "a@acme.com", &[], true).await;
    let path = format!("/api/v1/groups/{g}/members");
    let at = |d: Duration| (app.clock.now() + d).format(&Rfc3339).unwrap();
    let refused = [
        json!({ "user_ids": [u["id"]], "expires_at": at(-Duration::minutes(1)) }),
        json!({ "user_ids": [u["id"]], "expires_at": at(Duration::days(1)), "expires_in_seconds": 60 }),
        json!({ "user_ids": [u["id"]], "expires_at": at(Duration::days(400)) }),
        json!({ "user_ids": [u["id"]], "expires_in_seconds": 0 }),
    ];
    for body in refused {
        let got = app.post(&path, &t.f.admin_key, body.clone()).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "invalid_expiry");
    }
    assert!(members(&app, &t, &g).await.is_empty(), "no partial write");
}

/// An identity provider (SCIM) or an import asserts that someone is a member, not for how
/// long: re-asserting a temporary membership (a provider writing back the member list it
/// read) keeps its end. Only an administrator adding without an end makes it permanent.
async fn a_provider_or_an_import_asserting_membership_keeps_its_end(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let bid = t.f.business["id"].as_str().unwrap().to_owned();
    let g = live_operations(&app, &t).await;
    let u = t.user(&app, "oncall@acme.com", &[], true).await;
    let end = for_four_hours(&app, &t, &g, &u).await;
    let still_temporary = |list: &Value| {
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["email"], "oncall@acme.com", "{list}");
        assert_eq!(
            list[0]["expires_at"],
            end.format(&Rfc3339).unwrap(),
            "{list}"
        );
    };

    // The provider adds the member it already sees, then writes back the group as it read it.
    let token = app
        .key_for(
            &bid,
            json!({ "business": ["scim.provision"], "live": ["analytics"] }),
        )
        .await;
    let path = format!("/Groups/{g}");
    let read = crate::scim::get(&app, &path, &token).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["members"][0]["value"], u["id"], "{}", read.body);
    let added = crate::scim::patch(
        &app,
        &path,
        &token,
        json!([{ "op": "add", "path": "members", "value": [{ "value": u["id"] }] }]),
    )
    .await;
    assert!(added.status.is_success(), "{}", added.body);
    let mut back = read.body.clone();
    back.as_object_mut().unwrap().remove("meta");
    let put = crate::scim::put(&app, &path, &token, back).await;
    assert!(put.status.is_success(), "{}", put.body);
    let (_, list) = app
        .get("/api/v1/memberships/temporary", &t.f.admin_key)
        .await;
    still_temporary(&list);

    // An import naming the group for them.
    let file = "email,name,groups\noncall@acme.com,On call,Live operations\n";
    let (status, job) =
        crate::user_imports::start(&app, &t.f.admin_key, "", "text/csv", file).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let done = crate::user_imports::finished(&app, &t.f.admin_key, &job).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let (_, list) = app
        .get("/api/v1/memberships/temporary", &t.f.admin_key)
        .await;
    still_temporary(&list);

    // So it still ends at its instant.
    expect(&live(&app, &t, &u, &eu).await, true, "granted");
    app.clock.advance(Duration::hours(4));
    expect(&live(&app, &t, &u, &eu).await, false, "no_grant");
}

/// A business group granting Live analytics: the access a break-glass membership gives.
async fn live_operations(app: &App, t: &Table) -> String {
    t.group(
        app,
        json!({ "name": "Live operations", "type": "business", "permissions": { "live": ["analytics"] } }),
    )
    .await
}

/// Makes `u` a member of `g` for four hours from now; the end.
async fn for_four_hours(app: &App, t: &Table, g: &str, u: &Value) -> time::OffsetDateTime {
    let end = app.clock.now() + Duration::hours(4);
    let (status, body) = app
        .post(
            &format!("/api/v1/groups/{g}/members"),
            &t.f.admin_key,
            json!({ "user_ids": [u["id"]], "expires_in_seconds": 4 * 3600 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    end
}

async fn live(app: &App, t: &Table, u: &Value, eu: &str) -> Value {
    t.check(app, u, "analytics", Some(eu), Some("live")).await
}

async fn members(app: &App, t: &Table, g: &str) -> Vec<String> {
    let (status, page) = app
        .get(&format!("/api/v1/groups/{g}/members"), &t.f.admin_key)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

async fn expired_events(app: &App, t: &Table) -> Vec<Value> {
    let (status, page) = app
        .get(
            "/api/v1/audit-events?action=group.membership_expired",
            &t.f.admin_key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Break-glass: a user asks from their account page; an administrator approves; the access
/// ends by itself.
async fn a_request_for_access_is_approved_into_temporary_access(app: App) {
    let t = Table::new(&app).await;
    let eu = t.tenant(0).to_owned();
    let bid = t.f.business["id"].as_str().unwrap().to_owned();
    let g = live_operations(&app, &t).await;
    let user = app.invite(&t.f.admin_key, "oncall@acme.com", &[]).await;
    let (mut b, _) = app.accept("oncall@acme.com", PW, 1).await;
    let page = b.get("/b/acme/account").await;
    assert!(page.body.contains("Live operations"), "{}", page.body);
    let asked = b
        .submit(
            "/b/acme/account",
            "/b/acme/account/access-requests",
            &[
                ("group", &g),
                ("duration", "14400"),
                ("reason", "INC-42: payouts stuck"),
            ],
        )
        .await;
    assert!(asked.status.is_redirection(), "{}", asked.body);
    expect(&live(&app, &t, &user, &eu).await, false, "no_grant");
    // A key asks for nothing: only people do.
    let got = app
        .post(
            "/api/v1/access-requests",
            &t.f.admin_key,
            json!({ "group_id": g, "duration_seconds": 3600, "reason": "x" }),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "user_only");

    let (status, inbox) = app.get("/api/v1/access-requests", &t.f.admin_key).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    assert_eq!(inbox[0]["status"], "pending", "{inbox}");
    assert_eq!(inbox[0]["reason"], "INC-42: payouts stuck");
    let approve = format!(
        "/api/v1/access-requests/{}/approve",
        inbox[0]["id"].as_str().unwrap()
    );
    // Approving is granting: an approver without the group's rights cannot.
    let weak = app
        .key_for(&bid, json!({ "business": ["groups.manage"] }))
        .await;
    let got = app.post(&approve, &weak, json!({})).await;
    assert_error(&got, StatusCode::FORBIDDEN, "would_escalate");
    expect(&live(&app, &t, &user, &eu).await, false, "no_grant");

    let approved_at = app.clock.now();
    let (status, r) = app.post(&approve, &t.f.admin_key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "approved");
    let end = approved_at + Duration::hours(4);
    assert_eq!(r["expires_at"], end.format(&Rfc3339).unwrap());
    expect(&live(&app, &t, &user, &eu).await, true, "granted");
    let again = app.post(&approve, &t.f.admin_key, json!({})).await;
    assert_error(&again, StatusCode::CONFLICT, "access_request_decided");
    let mine = b
        .api(
            reqwest::Method::GET,
            "/api/v1/access-requests/mine",
            None,
            None,
        )
        .await;
    assert!(mine.body.contains("\"approved\""), "{}", mine.body);

    app.clock.advance(Duration::hours(4));
    expect(&live(&app, &t, &user, &eu).await, false, "no_grant");
    let actions: Vec<String> = app
        .audit_actions(&t.f.admin_key)
        .await
        .into_iter()
        .filter(|a| a.starts_with("access_request."))
        .collect();
    assert_eq!(
        actions,
        ["access_request.created", "access_request.approved"]
    );
}
