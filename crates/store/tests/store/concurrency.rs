//! Many writers at once: every write succeeds or fails cleanly, never "database is locked".

use std::collections::BTreeSet;

use gatehouse_domain::principal::{UsersManage, UsersView};
use gatehouse_domain::services::NewUser;
use gatehouse_domain::store::{Store, UserFilter};
use gatehouse_domain::types::{DisplayName, Email};

use crate::harness::Env;

crate::backend_tests!(thirty_two_concurrent_writers);

async fn thirty_two_concurrent_writers(env: Env) {
    let b = env.business("acme").await;
    let seq_before = env.db.store.get_change_seq(b.id).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..32 {
        let gh = env.gh.clone();
        let access = env.access::<UsersManage>(b.id);
        let ctx = env.ctx.clone();
        tasks.push(tokio::spawn(async move {
            let mut results = Vec::new();
            for i in 0..5 {
                // Every task also tries one email another task uses: exactly one of those wins.
                let email = if i == 0 {
                    "shared@example.com".to_owned()
                } else {
                    format!("t{task}-{i}@example.com")
                };
                let new = NewUser {
                    email: Email::parse(&email).unwrap(),
                    display_name: DisplayName::parse("x").unwrap(),
                    groups: vec![],
                };
                results.push(
                    gh.create_user(&access, &ctx, new)
                        .await
                        .map(|u| u.id)
                        .map_err(|e| e.code()),
                );
            }
            results
        }));
    }
    let mut ok = 0;
    let mut codes = BTreeSet::new();
    for t in tasks {
        for r in t.await.unwrap() {
            match r {
                Ok(_) => ok += 1,
                Err(code) => {
                    codes.insert(code);
                }
            }
        }
    }
    assert_eq!(
        codes,
        BTreeSet::from(["email_taken"]),
        "only clean conflicts"
    );
    assert_eq!(ok, 32 * 4 + 1);
    let page = env
        .gh
        .list_users(
            &env.access::<UsersView>(b.id),
            &UserFilter::default(),
            None,
            1,
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(ok));
    assert_eq!(
        env.db.store.get_change_seq(b.id).await.unwrap(),
        seq_before + ok
    );
}
