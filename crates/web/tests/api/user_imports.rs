//! Bulk import over the API: an asynchronous job with progress, its dry run equal to its real
//! run, a second run that changes nothing, refused rows with their lines, invitations mailed
//! over SMTP, and the job visible only to its own business.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, assert_error, read};

crate::backend_tests!(
    import_job_dry_run_then_real_run_then_no_op,
    import_job_refusals_and_isolation,
);

const FILE: &str = "email,name,groups\n\
ann@acme.test,Ann,Support\n\
bob@acme.test,Bob,Nope\n\
ann@acme.test,Again,\n\
carol@acme.test,Carol,\n";

pub(crate) async fn start(
    app: &App,
    key: &str,
    query: &str,
    content_type: &str,
    file: &str,
) -> (StatusCode, Value) {
    let req = app
        .request(Method::POST, &format!("/api/v1/user-imports{query}"), key)
        .header("content-type", content_type)
        .body(file.to_owned());
    read(req.send().await.unwrap()).await
}

/// Follows a job until it is no longer running; every answer on the way is a valid job.
pub(crate) async fn finished(app: &App, key: &str, job: &Value) -> Value {
    let path = format!("/api/v1/user-imports/{}", job["id"].as_str().unwrap());
    loop {
        let (status, got) = app.get(&path, key).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert!(got["counts"]["processed"].as_u64() <= got["counts"]["total"].as_u64());
        if got["state"] != "running" {
            return got;
        }
        // Waiting for the job, not timing it.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn import_job_dry_run_then_real_run_then_no_op(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    let (status, g) = app
        .post(
            "/api/v1/groups",
            k,
            json!({ "name": "Support", "type": "business" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");

    let (status, job) = start(&app, k, "?dry_run=true", "text/csv", FILE).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["state"], "running");
    assert_eq!(job["counts"]["total"], 4);
    let dry = finished(&app, k, &job).await;
    assert_eq!(dry["state"], "succeeded", "{dry}");
    assert_eq!(dry["dry_run"], true);
    let (_, users) = app.get("/api/v1/users", k).await;
    assert_eq!(users["total"], 0, "a dry run writes nothing");

    let (status, job) = start(&app, k, "", "text/csv; charset=utf-8", FILE).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let real = finished(&app, k, &job).await;
    assert_eq!(real["state"], "succeeded", "{real}");
    assert_eq!(
        real["rows"], dry["rows"],
        "the dry run reported what the real run did"
    );
    assert_eq!(real["counts"], dry["counts"]);
    assert_eq!(
        real["counts"],
        json!({ "total": 4, "processed": 4, "created": 2, "updated": 0, "skipped": 0, "errors": 2 })
    );
    let refused: Vec<(u64, &str)> = real["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "error")
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["error"]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(refused, [(3, "group_not_found"), (4, "duplicate_row")]);
    let (_, users) = app.get("/api/v1/users", k).await;
    let emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ann@acme.test", "carol@acme.test"]);
    assert_eq!(users["items"][0]["groups"][0]["name"], "Support");
    // Invitations go out through the mail outbox, over real SMTP.
    assert!(
        app.mail
            .wait_for("ann@acme.test", "invited", 1)
            .await
            .is_some()
    );

    // The same file as JSON Lines: every row already holds, nothing changes.
    let lines = "{\"email\":\"ann@acme.test\",\"name\":\"Ann\",\"groups\":[\"Support\"]}\n\
                 {\"email\":\"carol@acme.test\",\"name\":\"Carol\"}\n";
    let (status, job) = start(&app, k, "", "application/jsonl", lines).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let again = finished(&app, k, &job).await;
    assert_eq!(again["format"], "jsonl");
    assert_eq!(
        again["counts"],
        json!({ "total": 2, "processed": 2, "created": 0, "updated": 0, "skipped": 2, "errors": 0 })
    );
    let (_, after) = app.get("/api/v1/users", k).await;
    assert_eq!(after, users, "a second run changes nothing");
}

async fn import_job_refusals_and_isolation(app: App) {
    let f = app.fixture("acme").await;
    let k = &f.admin_key;
    assert_error(
        &start(&app, k, "", "text/csv", "name\nAnn\n").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import_file",
    );
    let viewer = app
        .key_for(
            f.business["id"].as_str().unwrap(),
            json!({ "business": ["users.view"] }),
        )
        .await;
    assert_error(
        &start(&app, &viewer, "", "text/csv", FILE).await,
        StatusCode::FORBIDDEN,
        "permission_denied",
    );
    let (status, job) = start(&app, k, "?dry_run=true", "text/csv", FILE).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let path = format!("/api/v1/user-imports/{}", job["id"].as_str().unwrap());
    let other = app.fixture("other").await;
    assert_error(
        &app.get(&path, &other.admin_key).await,
        StatusCode::NOT_FOUND,
        "import_job_not_found",
    );
    finished(&app, k, &job).await;
}
