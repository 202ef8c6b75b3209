//! Deep links survive signing in: a signed-out administrator who opens a dashboard page
//! signs in (password, then the code) and lands on that very page; without one, they land
//! on the dashboard, not the account page; and a `next` that points anywhere but a page of
//! the same business is ignored.

use crate::driver::{Browser, Driver};
use crate::flows::{set_up, sign_in};
use crate::server::Server;

async fn where_now(b: &Browser) -> String {
    let url = b.client.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_returns_to_the_page_asked_for() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    let app = set_up(&srv, &admin).await;
    assert_eq!(
        admin.path().await,
        "/b/acme/admin/users",
        "after setup, the administrator lands on the dashboard"
    );

    admin.go("Sign out").await;
    admin
        .goto("/b/acme/admin/audit?action=user&target=ada%40acme.example")
        .await;
    sign_in(&srv, &admin, &app).await;
    assert_eq!(
        where_now(&admin).await,
        "/b/acme/admin/audit?action=user&target=ada%40acme.example"
    );

    admin.go("Sign out").await;
    admin.goto("/b/acme/sign-in").await;
    sign_in(&srv, &admin, &app).await;
    assert_eq!(
        admin.path().await,
        "/b/acme/admin/users",
        "administrators start on the dashboard"
    );

    for evil in [
        "//evil.example/b/acme/admin",
        "https://evil.example/",
        "/b/acme/../../evil",
        "/b/other/admin",
    ] {
        admin.go("Sign out").await;
        admin
            .goto(&format!(
                "/b/acme/sign-in?next={}",
                evil.replace('/', "%2F").replace(':', "%3A")
            ))
            .await;
        sign_in(&srv, &admin, &app).await;
        assert!(
            admin
                .client
                .current_url()
                .await
                .unwrap()
                .as_str()
                .starts_with(&srv.base)
        );
        assert_eq!(
            admin.path().await,
            "/b/acme/admin/users",
            "{evil} is ignored"
        );
    }
    admin.close().await;
}
