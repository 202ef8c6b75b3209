//! A business with 200 tenants: the user's effective matrix merges tenants with identical
//! rights into one column pair ("Region 001, Region 002 and 118 more") and filters tenants by
//! name; the group editor's tenant list can be searched, ticked by what is shown, and counts
//! what is ticked. Both pages fit desktop and phone screens.

use gatehouse_domain::audit::RequestContext;
use gatehouse_domain::principal::{GroupsManage, Principal, UsersView};
use gatehouse_domain::types::{Slug, TenantName};

use crate::driver::Driver;
use crate::flows::{business, group, invite, set_up};
use crate::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_tenants_stay_readable() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;
    let id = business(&srv, "acme").await;
    let op = Principal::Operator.operator().unwrap();
    let ctx = RequestContext::default();
    for i in 1..200 {
        let name = TenantName::parse(&format!("Region {i:03}")).unwrap();
        let slug = Slug::parse(&format!("r{i:03}")).unwrap();
        srv.gh
            .create_tenant(&op, &ctx, id, name, slug)
            .await
            .unwrap();
    }
    let eu: Vec<String> = (1..=120).map(|i| format!("r{i:03}")).collect();
    let eu: Vec<&str> = eu.iter().map(String::as_str).collect();
    group(&srv, "EU Analysts", &eu, &[], &["analytics"]).await;
    invite(&srv, "acme", "carl@acme.example", "Carl Sagan").await;
    let view = op.in_business::<UsersView>(id);
    let groups = srv.gh.list_groups(&view).await.unwrap();
    let eu_group = groups
        .iter()
        .find(|g| g.name.as_str() == "EU Analysts")
        .unwrap();
    let users = srv
        .gh
        .list_users(&view, &Default::default(), None, 10)
        .await
        .unwrap();
    let carl = users
        .items
        .iter()
        .find(|u| u.email.as_str() == "carl@acme.example")
        .unwrap();
    srv.gh
        .add_group_members(
            &op.in_business::<GroupsManage>(id),
            &ctx,
            eu_group.id,
            &[carl.id],
        )
        .await
        .unwrap();

    admin
        .goto(&format!("/b/acme/admin/users/{}", carl.id))
        .await;
    let heads = admin
        .run("return [...document.querySelectorAll('#effective-matrix th.tenant-col summary, #effective-matrix th.tenant-col')].map(t => t.textContent.trim())")
        .await;
    let heads: Vec<String> = serde_json::from_value(heads).unwrap();
    assert!(
        heads
            .iter()
            .any(|h| h.starts_with("Region 001, Region 002 and 118 more")),
        "{heads:?}"
    );
    assert_eq!(
        admin
            .run("return document.querySelectorAll('#effective-matrix th.tenant-col').length")
            .await,
        2,
        "200 tenants, two kinds of rights: two column pairs"
    );
    admin.shots("user-200-tenants").await;
    admin.fill("#tenant-filter", "Region 00").await;
    admin.go("Show").await;
    let hint = admin.main_text().await;
    assert!(hint.contains("9 of 200 tenants"), "{hint}");
    admin.shots("user-200-tenants-filtered").await;

    admin
        .goto(&format!("/b/acme/admin/groups/{}", eu_group.id))
        .await;
    assert!(
        admin
            .text("#tenant-count")
            .await
            .starts_with("120 of 200 tenants ticked")
    );
    admin.fill("#tenant-search", "Region 15").await;
    admin.click("button[data-tenants=shown]").await;
    let count = admin.text("#tenant-count").await;
    assert!(
        count.starts_with("130 of 200 tenants ticked; 10 shown"),
        "{count}"
    );
    admin.shots("group-editor-200-tenants").await;
    admin.goto("/b/acme/admin/groups").await;
    assert!(
        admin
            .text("#groups")
            .await
            .contains("Region 001, Region 002 and 118 more")
    );
    admin.close().await;
}
