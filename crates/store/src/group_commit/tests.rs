//! The group commit on a real SQLite file: members share COMMITs, a member that fails or is
//! dropped loses only its own work, and nobody hears "committed" before the COMMIT did.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;

use super::{GroupCommit, GroupLimits, Member};

struct Db {
    dir: PathBuf,
    group: GroupCommit,
    reader: sqlx::AnyPool,
}

impl Drop for Db {
    fn drop(&mut self) {
        drop(std::fs::remove_dir_all(&self.dir));
    }
}

async fn db(limits: GroupLimits) -> Db {
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("gh-group-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
    let writer = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    for sql in [
        "PRAGMA journal_mode = WAL",
        "CREATE TABLE t (k TEXT PRIMARY KEY NOT NULL)",
    ] {
        sqlx::query(sql).execute(&writer).await.unwrap();
    }
    let reader = AnyPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .unwrap();
    Db {
        dir,
        group: GroupCommit::new(writer, limits),
        reader,
    }
}

/// Generous limits: a group closes only when nobody waits.
fn patient() -> GroupLimits {
    GroupLimits {
        max_members: 64,
        max_age: Duration::from_secs(30),
    }
}

async fn insert(m: &mut Member, k: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO t (k) VALUES ($1)")
        .bind(k.to_owned())
        .execute(m.conn_mut())
        .await
        .map(drop)
}

async fn keys(db: &Db) -> Vec<String> {
    sqlx::query_scalar("SELECT k FROM t ORDER BY k")
        .fetch_all(&db.reader)
        .await
        .unwrap()
}

/// Waits (without a clock bound on the outcome) until `n` transactions wait for the slot.
async fn until_waiting(db: &Db, n: usize) {
    for _ in 0..10_000 {
        if db.group.stats().waiting == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("never saw {n} waiting: {:?}", db.group.stats());
}

/// Queues a member that inserts `k` and commits (or, with `fail`, inserts a duplicate key
/// and gives up).
fn queue(db: &Db, k: &'static str, fail: bool) -> tokio::task::JoinHandle<Result<(), String>> {
    let group = db.group.clone();
    tokio::spawn(async move {
        let mut m = group.begin().await.map_err(|e| e.to_string())?;
        insert(&mut m, k).await.map_err(|e| e.to_string())?;
        if fail {
            // A constraint error: SQLite rolls back the statement; the member is dropped.
            insert(&mut m, k).await.map_err(|e| e.to_string())?;
        }
        m.commit().await.map_err(|e| e.to_string())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writers_share_one_commit_and_a_failed_one_loses_only_its_work() {
    let db = db(patient()).await;
    // One transaction holds the slot while the others queue behind it in a known order.
    let holder = db.group.begin().await.unwrap();
    let mut tasks = Vec::new();
    for (i, (k, fail)) in [("a", false), ("b", true), ("c", false), ("d", false)]
        .into_iter()
        .enumerate()
    {
        tasks.push(queue(&db, k, fail));
        until_waiting(&db, i + 1).await;
    }
    // Dropped: its (empty) savepoint is rolled back and the slot goes to the queue.
    drop(holder);
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    assert!(outcomes[0].is_ok() && outcomes[2].is_ok() && outcomes[3].is_ok());
    assert!(outcomes[1].as_ref().unwrap_err().contains("UNIQUE"));
    assert_eq!(keys(&db).await, ["a", "c", "d"]);
    let stats = db.group.stats();
    assert_eq!((stats.members, stats.commits), (3, 1), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_writer_commits_at_once() {
    let db = db(patient()).await;
    for k in ["x", "y"] {
        let mut m = db.group.begin().await.unwrap();
        insert(&mut m, k).await.unwrap();
        m.commit().await.unwrap();
        // Acknowledged means committed: another connection sees it.
        assert!(keys(&db).await.contains(&k.to_owned()));
    }
    let stats = db.group.stats();
    assert_eq!((stats.members, stats.commits), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_acknowledged_before_the_commit() {
    let db = db(patient()).await;
    let holder = db.group.begin().await.unwrap();
    let first = queue(&db, "first", false);
    until_waiting(&db, 1).await;
    let second = db.group.clone();
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let (began, began_rx) = tokio::sync::oneshot::channel::<()>();
    let second = tokio::spawn(async move {
        let mut m = second.begin().await.unwrap();
        began.send(()).unwrap();
        insert(&mut m, "second").await.unwrap();
        wait.await.unwrap();
        m.commit().await.unwrap();
    });
    until_waiting(&db, 2).await;
    drop(holder);
    // `first` committed its savepoint and handed the slot to `second`, which holds it.
    began_rx.await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!first.is_finished(), "acknowledged before the COMMIT");
    assert!(keys(&db).await.is_empty(), "visible before the COMMIT");
    go.send(()).unwrap();
    first.await.unwrap().unwrap();
    second.await.unwrap();
    assert_eq!(keys(&db).await, ["first", "second"]);
    assert_eq!(db.group.stats().commits, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_dropped_after_the_hand_on_still_lets_the_group_commit() {
    let db = db(patient()).await;
    let holder = db.group.begin().await.unwrap();
    let first = queue(&db, "kept", false);
    until_waiting(&db, 1).await;
    let group = db.group.clone();
    let (drop_it, wait) = tokio::sync::oneshot::channel::<()>();
    let quitter = tokio::spawn(async move {
        let mut m = group.begin().await.unwrap();
        insert(&mut m, "dropped").await.unwrap();
        wait.await.unwrap();
        drop(m);
    });
    until_waiting(&db, 2).await;
    drop(holder);
    drop_it.send(()).unwrap();
    quitter.await.unwrap();
    first.await.unwrap().unwrap();
    assert_eq!(keys(&db).await, ["kept"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_that_gave_up_does_not_strand_the_group() {
    let db = db(GroupLimits {
        max_members: 64,
        max_age: Duration::from_secs(30),
    })
    .await;
    // A waiter that is counted but never takes the slot (its request went away).
    db.group.shared.waiting.fetch_add(1, Ordering::SeqCst);
    let mut m = db.group.begin().await.unwrap();
    insert(&mut m, "alone").await.unwrap();
    let committed = tokio::spawn(m.commit());
    // The member handed on and waits; after its patience it commits the group itself.
    committed.await.unwrap().unwrap();
    assert_eq!(keys(&db).await, ["alone"]);
    db.group.shared.waiting.fetch_sub(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_group_commits_while_others_wait() {
    let db = db(GroupLimits {
        max_members: 2,
        max_age: Duration::from_secs(30),
    })
    .await;
    let holder = db.group.begin().await.unwrap();
    let mut tasks = Vec::new();
    for (i, k) in ["1", "2", "3", "4", "5"].into_iter().enumerate() {
        tasks.push(queue(&db, k, false));
        until_waiting(&db, i + 1).await;
    }
    drop(holder);
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let stats = db.group.stats();
    assert_eq!((stats.members, stats.commits), (5, 3), "{stats:?}");
}
