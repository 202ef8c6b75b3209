//! The group editor's shortcuts — whole columns (all, none, Sandbox same as Live) and whole
//! areas — and its review's warnings: a name that says nothing ("Group 1"), and sensitive
//! rights granted by a Business group in every tenant.

use crate::driver::{Browser, Driver};
use crate::flows::set_up;
use crate::server::Server;

/// The ticked permission keys of one environment's column.
async fn ticked(b: &Browser, env: &str) -> Vec<String> {
    let v = b
        .run(&format!(
            "return [...document.querySelectorAll('#permission-matrix input[name={env}]:checked')].map(i => i.value)"
        ))
        .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_editor_shortcuts_and_warnings() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;
    admin.goto("/b/acme/admin/groups/new").await;
    let all = admin
        .run("return document.querySelectorAll('#permission-matrix input[name=live]').length")
        .await
        .as_u64()
        .unwrap() as usize;

    admin.click("button[data-matrix=all][data-env=live]").await;
    assert_eq!(ticked(&admin, "live").await.len(), all);
    admin.click("button[data-matrix=none][data-env=live]").await;
    assert!(ticked(&admin, "live").await.is_empty());
    admin.click("#live-analytics").await;
    admin
        .click("button[data-matrix=all][data-env=sandbox]")
        .await;
    admin
        .click("button[data-matrix=same][data-env=sandbox]")
        .await;
    assert_eq!(
        ticked(&admin, "sandbox").await,
        ["analytics"],
        "Sandbox same as Live"
    );
    admin
        .click("tr.area[data-area=Verification] button[data-env=live]")
        .await;
    let live = ticked(&admin, "live").await;
    assert!(
        live.iter()
            .filter(|k| k.starts_with("verification."))
            .count()
            == 6
            && live.contains(&"analytics".to_owned()),
        "{live:?}"
    );
    admin
        .click("tr.area[data-area=Verification] button[data-env=live]")
        .await;
    assert_eq!(
        ticked(&admin, "live").await,
        ["analytics"],
        "the area toggles back off"
    );
    admin
        .click("tr.area[data-area=Verification] button[data-env=live]")
        .await;
    admin.fill("#name", "Group 1").await;
    admin.shots("group-editor-shortcuts").await;
    admin.go("Create group").await;

    assert!(
        admin
            .text("#name-warning")
            .await
            .contains("“Group 1” does not say")
    );
    assert!(
        admin
            .text("#business-wide-warning")
            .await
            .contains("every tenant")
    );
    admin.shots("group-review-warnings").await;
    admin.go("Back to editing").await;
    admin.fill("#name", "Verification leads").await;
    admin.go("Create group").await;
    assert!(
        !admin.exists("#name-warning").await,
        "a good name is not questioned"
    );
    admin.click("#acknowledge").await;
    admin.go("Create group").await;
    assert!(admin.main_text().await.contains("Group created."));
    admin.close().await;
}
