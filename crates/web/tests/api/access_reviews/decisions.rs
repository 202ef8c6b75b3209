//! Deciding: a reviewer sees and decides only their own items, never their own membership;
//! a removal is denied by the very next check; a decision is final.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Setup, days_ahead, decide, id, worklist};
use crate::authz::expect;
use crate::helpers::{App, assert_error};

crate::backend_tests!(
    a_reviewer_decides_only_their_items_and_a_removal_is_denied_at_once,
    the_last_administrator_is_not_reviewed_away,
);

async fn live(app: &App, s: &Setup, user: &Value) -> Value {
    let eu = s.t.tenant(0).to_owned();
    s.t.check(app, user, "analytics", Some(&eu), Some("live"))
        .await
}

async fn a_reviewer_decides_only_their_items_and_a_removal_is_denied_at_once(app: App) {
    let s = Setup::new(&app).await;
    let ops = s
        .group(&app, "Live ops", json!({ "live": ["analytics"] }))
        .await;
    let support = s
        .group(&app, "Support", json!({ "live": ["analytics"] }))
        .await;
    let (olga, mut o) = s.person(&app, "olga@acme.com", &[&support]).await;
    let (pia, mut p) = s.person(&app, "pia@acme.com", &[]).await;
    let mo = s.member(&app, "mo@acme.com", &[&ops]).await;
    let nia = s.member(&app, "nia@acme.com", &[&support]).await;
    s.own(&app, &ops, &olga).await;
    s.own(&app, &support, &pia).await;
    let review = s
        .started(&app, json!({ "name": "Q4", "scope": { "kind": "all" },
                               "reviewers": { "group_owners": true }, "due_at": days_ahead(&app, 7) }))
        .await;
    // Each owner was told at the start.
    for to in ["olga@acme.com", "pia@acme.com"] {
        let mail = app.mail.wait_for(to, "Access review \"Q4\"", 1).await;
        let mail = mail.unwrap_or_else(|| panic!("no start mail to {to}"));
        assert!(
            mail.data
                .contains(&format!("/b/acme/admin/access-reviews/{}", id(&review)))
        );
    }

    // Olga sees Mo in Live ops, with what it grants; not Support (Pia's), and not herself.
    let mine = worklist(&mut o).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["email"], "mo@acme.com");
    assert_eq!(mine[0]["group_name"], "Live ops");
    assert_eq!(mine[0]["permissions"]["live"], json!(["analytics"]));
    let theirs = worklist(&mut p).await;
    let emails: Vec<&str> = theirs
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["nia@acme.com", "olga@acme.com"]);
    let olgas_own = theirs
        .iter()
        .find(|i| i["email"] == "olga@acme.com")
        .unwrap();
    let nias = theirs
        .iter()
        .find(|i| i["email"] == "nia@acme.com")
        .unwrap();

    // Outside her assignment — someone else's item, her own membership — nothing is found.
    for item in [nias, olgas_own] {
        let got = decide(&mut o, item, "remove", "no").await;
        assert_eq!(got.0, StatusCode::NOT_FOUND, "{}", got.1);
        assert_eq!(got.1["error"]["code"], "review_item_not_found");
    }
    // An API key decides nothing, even an all-powerful one: reviewers are people.
    let path = format!(
        "/api/v1/access-reviews/{}/items/{}/decision",
        id(&review),
        id(&mine[0])
    );
    let got = app
        .post(&path, &s.t.f.admin_key, json!({ "decision": "keep" }))
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "user_only");
    // A removal says why; the decision is one of two.
    let got = decide(&mut o, &mine[0], "remove", "  ").await;
    assert_eq!(got.1["error"]["code"], "invalid_comment", "{}", got.1);
    let got = decide(&mut o, &mine[0], "maybe", "").await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.1);
    assert_eq!(got.1["error"]["code"], "invalid_request");

    expect(&live(&app, &s, &mo).await, true, "granted");
    let (status, decided) = decide(&mut o, &mine[0], "remove", "left the team").await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["decision"], "remove");
    assert_eq!(decided["decided_by"], "olga@acme.com");
    // The very next check is denied.
    expect(&live(&app, &s, &mo).await, false, "no_grant");
    let (_, members) = app
        .get(&format!("/api/v1/groups/{ops}/members"), &s.key)
        .await;
    assert_eq!(members["items"], json!([]), "{members}");
    let again = decide(&mut o, &mine[0], "keep", "").await;
    assert_eq!(again.0, StatusCode::CONFLICT, "{}", again.1);
    assert_eq!(again.1["error"]["code"], "review_item_decided");
    assert!(worklist(&mut o).await.is_empty());

    // Pia keeps Nia: nothing changes.
    let (status, _) = decide(&mut p, nias, "keep", "").await;
    assert_eq!(status, StatusCode::OK);
    expect(&live(&app, &s, &nia).await, true, "granted");

    let events = app.get("/api/v1/audit-events?limit=50", &s.key).await.1;
    let events = events["items"].as_array().unwrap();
    let decided: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "review.decided")
        .collect();
    assert_eq!(decided.len(), 2);
    let removal = decided
        .iter()
        .find(|e| e["after"]["decision"] == "remove")
        .unwrap();
    assert_eq!(removal["actor"]["label"], "olga@acme.com");
    assert_eq!(removal["after"]["user"], "mo@acme.com");
    assert_eq!(removal["after"]["comment"], "left the team");
    assert_eq!(removal["after"]["membership_removed"], true);
    let removed = events
        .iter()
        .find(|e| e["action"] == "group.member_removed")
        .expect("the removal is audited as any removal");
    assert_eq!(removed["after"]["access_review"], review["id"]);
    let (_, d) = app
        .get(&format!("/api/v1/access-reviews/{}", id(&review)), &s.key)
        .await;
    assert_eq!(d["review"]["items_decided"], 2, "{d}");
}

async fn the_last_administrator_is_not_reviewed_away(app: App) {
    let s = Setup::new(&app).await;
    let admins = s
        .group(
            &app,
            "Admins",
            json!({ "business": ["users.manage", "groups.manage"] }),
        )
        .await;
    let solo = s.member(&app, "solo@acme.com", &[&admins]).await;
    let (rev, mut r) = s.person(&app, "rev@acme.com", &[]).await;
    s.started(&app, json!({ "name": "Admins", "scope": { "kind": "groups", "group_ids": [admins] },
                            "reviewers": { "user_ids": [rev["id"]] }, "due_at": days_ahead(&app, 7) }))
        .await;
    let mine = worklist(&mut r).await;
    let got = decide(&mut r, &mine[0], "remove", "audit").await;
    assert_eq!(got.0, StatusCode::CONFLICT, "{}", got.1);
    assert_eq!(got.1["error"]["code"], "last_administrator");
    // Nothing was recorded: the item still waits, the membership stays.
    assert_eq!(worklist(&mut r).await.len(), 1);
    let (_, members) = app
        .get(&format!("/api/v1/groups/{admins}/members"), &s.key)
        .await;
    assert_eq!(members["items"][0]["id"], solo["id"]);
}
