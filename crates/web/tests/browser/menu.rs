//! The per-user Actions menu: on the last row of a full page, at desktop and phone size, it
//! opens whole (nothing clipped by the table's scroll box, nothing off screen), works from
//! the keyboard alone (Enter, arrows, Escape back to its button), closes on an outside
//! click, only one is open at a time, and choosing an entry does it.

use fantoccini::key::Key;
use serde_json::Value;

use crate::driver::{Browser, DESKTOP, Driver, PHONE};
use crate::flows::{invite_many, set_up};
use crate::server::Server;

const LAST: &str = "#users tbody tr:last-child details.menu";
const BEFORE_LAST: &str = "#users tbody tr:nth-last-child(2) details.menu";

/// Whether `menu` is open.
async fn is_open(b: &Browser, menu: &str) -> bool {
    b.run(&format!("return document.querySelector('{menu}').open"))
        .await
        .as_bool()
        .unwrap()
}

/// Asserts that every entry of the open `menu` is on screen and is what the browser finds
/// at its centre (so nothing clips or covers it).
async fn assert_whole(b: &Browser, menu: &str, label: &str) {
    let found = b
        .run(&format!(
            "const m = document.querySelector('{menu}');
             const vw = document.documentElement.clientWidth, vh = window.innerHeight;
             return [...m.querySelectorAll('.menu-list a')].map(a => {{
               const r = a.getBoundingClientRect();
               const x = r.left + r.width / 2, y = r.top + r.height / 2;
               const hit = document.elementFromPoint(x, y);
               const inside = r.top >= 0 && r.left >= 0 && r.bottom <= vh && r.right <= vw;
               return [a.textContent.trim(), inside && hit !== null && a.contains(hit)];
             }})"
        ))
        .await;
    let entries: Vec<(String, bool)> = serde_json::from_value(found).unwrap();
    assert!(entries.len() >= 3, "{label}: {entries:?}");
    let hidden: Vec<_> = entries.iter().filter(|(_, ok)| !ok).collect();
    assert!(hidden.is_empty(), "{label}: not fully visible: {hidden:?}");
}

async fn focus_button(b: &Browser, menu: &str) {
    b.run(&format!(
        "const s = document.querySelector('{menu} summary'); s.scrollIntoView({{block: 'end', inline: 'nearest'}}); s.focus(); return null"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_menu_opens_whole_and_works_by_keyboard() {
    let Some(mut driver) = Driver::start().await else {
        return;
    };
    let srv = Server::start().await;
    let admin = driver.browser(&srv.base).await;
    set_up(&srv, &admin).await;
    invite_many(&srv, "acme", 60).await;

    for ((w, h), size) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        admin.viewport(w, h).await;
        admin.goto("/b/acme/admin/users").await;
        admin.find(LAST).await;

        // The keyboard alone: Enter opens, arrows move, Escape closes onto the button.
        focus_button(&admin, LAST).await;
        admin.press(&Key::Enter.to_string()).await;
        assert!(is_open(&admin, LAST).await, "{size}: Enter opens the menu");
        assert_whole(&admin, LAST, size).await;
        admin
            .screenshot(&format!("users-menu-last-row.{size}"))
            .await;
        admin.press(&Key::Down.to_string()).await;
        assert_eq!(admin.focused().await, "A:Edit user", "{size}");
        admin.press(&Key::Down.to_string()).await;
        assert_eq!(admin.focused().await, "A:Resend invitation", "{size}");
        admin.press(&Key::Up.to_string()).await;
        admin.press(&Key::Up.to_string()).await;
        assert_eq!(
            admin.focused().await,
            "A:Deactivate",
            "{size}: wraps around"
        );
        admin.press(&Key::Escape.to_string()).await;
        assert!(!is_open(&admin, LAST).await, "{size}: Escape closes it");
        assert!(
            admin.focused().await.starts_with("SUMMARY:Actions"),
            "{size}: focus is back on the button: {}",
            admin.focused().await
        );

        // The mouse: one menu at a time, closed by a click elsewhere.
        admin.click(&format!("{BEFORE_LAST} summary")).await;
        assert!(is_open(&admin, BEFORE_LAST).await);
        assert_whole(&admin, BEFORE_LAST, size).await;
        admin.click(&format!("{LAST} summary")).await;
        assert!(is_open(&admin, LAST).await, "{size}");
        assert!(
            !is_open(&admin, BEFORE_LAST).await,
            "{size}: opening one closes the other"
        );
        assert_whole(&admin, LAST, size).await;
        admin.click("h1").await;
        assert!(
            !is_open(&admin, LAST).await,
            "{size}: an outside click closes it"
        );

        // Choosing an entry by keyboard does it.
        focus_button(&admin, LAST).await;
        admin.press(&Key::Down.to_string()).await;
        admin.press(&Key::End.to_string()).await;
        assert_eq!(admin.focused().await, "A:Deactivate", "{size}");
        admin.press(&Key::Up.to_string()).await;
        assert_eq!(admin.focused().await, "A:Revoke invitation", "{size}");
        let mark: Value = admin.run("window.__ghOld = true; return null").await;
        assert!(mark.is_null());
        admin.press(&Key::Enter.to_string()).await;
        admin.find("form button.danger").await;
        assert!(
            admin.path().await.ends_with("/do/revoke-invitation"),
            "{size}: {}",
            admin.path().await
        );
        assert!(
            admin
                .main_text()
                .await
                .contains("invitation link stops working")
        );
    }
    admin.goto("/b/acme/admin/users").await;
    admin.shots("users-page-of-50").await;
    admin.close().await;
}
