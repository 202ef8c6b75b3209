//! The address the server prints: on a fresh install it says how to finish setup (without
//! showing the secret link); afterwards it leads from a business's short name (typed or
//! pasted as an address) to that business's sign-in page, and an email to a mail with its
//! sign-in links, and tells nothing about which businesses exist.

use crate::driver::Driver;
use crate::flows::set_up;
use crate::server::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_page_leads_to_setup_then_to_sign_in() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let b = driver.browser(&srv.base).await;

    b.goto("/").await;
    let text = b.main_text().await;
    assert!(text.contains("one-time setup link"), "{text}");
    assert!(
        !b.exists("a[href*='/setup/']").await,
        "the secret link is never shown"
    );
    b.shots("landing-fresh").await;

    set_up(&srv, &b).await;
    let visitor = driver.browser(&srv.base).await;
    visitor.goto("/").await;
    assert_eq!(visitor.text("h1").await, "Sign in to your business");
    assert!(
        !visitor.main_text().await.contains("Acme"),
        "no business is named"
    );
    visitor.shots("landing").await;

    visitor.fill("#business", "Acme").await;
    visitor.go("Continue").await;
    assert_eq!(visitor.path().await, "/b/acme/sign-in");

    visitor.goto("/").await;
    visitor
        .fill("#business", &format!("{}/b/acme/invitation/xyz", srv.base))
        .await;
    visitor.go("Continue").await;
    assert_eq!(visitor.path().await, "/b/acme/sign-in", "a pasted address");

    // An unknown short name leads to its sign-in page just the same.
    visitor.goto("/").await;
    visitor.fill("#business", "no-such-business").await;
    visitor.go("Continue").await;
    assert_eq!(visitor.path().await, "/b/no-such-business/sign-in");

    // Neither a short name nor an email: said beside the field.
    visitor.goto("/").await;
    visitor.fill("#business", "?!").await;
    visitor.go("Continue").await;
    let problem = visitor.text("#business-error").await;
    assert!(problem.contains("not a short name"), "{problem}");
    assert_eq!(
        visitor
            .find("#business")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    visitor.shots("landing-problem").await;

    // An email is answered the same whoever it belongs to; the address with an account is
    // mailed its business's sign-in page.
    let mut answers = Vec::new();
    for email in ["nobody@nowhere.example", "ada@acme.example"] {
        visitor.goto("/").await;
        visitor.fill("#business", email).await;
        visitor.go("Continue").await;
        assert_eq!(visitor.path().await, "/sign-in");
        let text = visitor.main_text().await;
        assert!(
            text.contains("If that address has an account, we've sent it a link to sign in"),
            "{text}"
        );
        assert!(!text.contains("Acme") && !text.contains(email), "{text}");
        answers.push(text);
    }
    assert_eq!(answers[0], answers[1]);
    visitor.shots("landing-email").await;
    let link = srv
        .mailed_link("ada@acme.example", "Where you can sign in", 1)
        .await;
    assert_eq!(link, "/b/acme/sign-in");
    visitor.goto(&link).await;
    assert_eq!(visitor.text("h1").await, "Sign in");
    visitor.close().await;
    b.close().await;
}
