//! The dashboard's import: the review (a dry run) shows every row and changes nothing, the
//! confirmation imports exactly what was reviewed, a stale confirmation imports nothing, and
//! an administrator cannot add people to a group whose rights they lack.

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Browser, Resp};
use crate::helpers::App;
use crate::invitations::PW;

crate::backend_tests!(import_is_reviewed_then_confirmed);

async fn emails(app: &App, key: &str) -> Vec<String> {
    let (_, users) = app.get("/api/v1/users", key).await;
    users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

async fn confirm(b: &mut Browser<'_>, csrf: &str, file: &str, reviewed: &str) -> Resp {
    let fields = [
        ("csrf", csrf),
        ("file", file),
        ("format", "csv"),
        ("step", "confirm"),
        ("reviewed", reviewed),
    ];
    b.post("/b/acme/admin/users/import", &fields).await
}

async fn import_is_reviewed_then_confirmed(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (_, admins) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "Admins", "type": "business", "acknowledge_sensitive": true,
                    "permissions": { "business": ["users.view", "users.manage"], "sandbox": ["analytics"] } }),
        )
        .await;
    for (name, perms) in [
        ("Team", json!({ "sandbox": ["analytics"] })),
        ("Deleters", json!({ "sandbox": ["verification.delete"] })),
    ] {
        let (status, g) = app
            .post(
                "/api/v1/groups",
                k,
                json!({ "name": name, "type": "business", "acknowledge_sensitive": true, "permissions": perms }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
    }
    app.invite(k, "boss@acme.example", &[admins["id"].as_str().unwrap()])
        .await;
    let (mut b, _) = app.accept("boss@acme.example", PW, 1).await;

    let list = b.get("/b/acme/admin/users").await;
    assert!(
        list.body.contains("/admin/users/import"),
        "the Users page links the import"
    );
    let form = b.get("/b/acme/admin/users/import").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = form.input("csrf").unwrap();
    let file = "email,name,groups\nann@acme.example,Ann,Team\nbo@acme.example,Bo,Deleters\nnope\n";
    let review = b
        .post(
            "/b/acme/admin/users/import",
            &[
                ("csrf", &csrf),
                ("file", file),
                ("format", "csv"),
                ("step", "review"),
            ],
        )
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(review.body.contains("import-rows"), "{}", review.body);
    assert!(review.body.contains("ann@acme.example") && review.body.contains("joins Team"));
    assert!(
        review
            .body
            .contains("granting rights the caller does not hold"),
        "{}",
        review.body
    );
    assert!(review.body.contains("Import 1 user"), "{}", review.body);
    assert_eq!(
        emails(&app, k).await,
        ["boss@acme.example"],
        "a review changes nothing"
    );

    // Confirming a review that no longer holds imports nothing and reviews again.
    let stale = confirm(&mut b, &csrf, file, "0").await;
    assert!(
        stale.body.contains("nothing was imported"),
        "{}",
        stale.body
    );
    assert_eq!(emails(&app, k).await, ["boss@acme.example"]);

    let reviewed = review.input("reviewed").unwrap();
    let done = confirm(&mut b, &csrf, file, &reviewed).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Imported: 1 created"), "{}", done.body);
    assert_eq!(
        emails(&app, k).await,
        ["ann@acme.example", "boss@acme.example"],
        "the refused rows created nobody"
    );
    // Without the session's CSRF token nothing is read.
    let refused = b
        .post(
            "/b/acme/admin/users/import",
            &[("file", file), ("step", "review")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
