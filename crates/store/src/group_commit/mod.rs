//! Group commit for SQLite: write transactions that arrive together share one physical
//! transaction, so one COMMIT (one fsync of the WAL) acknowledges them all.
//!
//! SQLite has a single writer, and with `synchronous = FULL` every COMMIT waits for an fsync
//! (about a millisecond on the disks here): alone, that caps a node at about a thousand write
//! transactions a second, however many cores it has. PostgreSQL batches its WAL flushes
//! itself; SQLite does not, so the store does:
//!
//! - A write transaction ([`Member`]) takes the writer slot (a fair, first-come mutex), opens
//!   the physical transaction (`BEGIN IMMEDIATE`) if none is open, and runs inside a
//!   savepoint of it.
//! - At its commit it releases the savepoint. If other transactions wait for the slot (and the
//!   group is young and small enough), it hands the slot on and waits for the group;
//!   otherwise it COMMITs the physical transaction and tells every member how that went.
//! - A member dropped without committing rolls back to its savepoint: the work of the others
//!   stays.
//! - No member hears "committed" before the physical COMMIT returned, so what was
//!   acknowledged is on disk exactly as before. If that COMMIT fails, every member of the
//!   group gets the error and none of them is in the database. If SQLite rolled the physical
//!   transaction back by itself (an I/O error, a full disk), the next savepoint statement
//!   fails and the whole group fails the same way.
//! - Members run one at a time, in arrival order, as single-writer transactions always did;
//!   each sees what the members before it wrote.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gatehouse_domain::{Error, Result};
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::error::db;

const SAVEPOINT: &str = "SAVEPOINT gatehouse_member";
const RELEASE: &str = "RELEASE SAVEPOINT gatehouse_member";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT gatehouse_member";

/// How long a member that handed the slot on waits before it checks that the group is still
/// being looked after (the transaction it was handed to may have gone away before taking it).
const PATIENCE: Duration = Duration::from_millis(50);

/// How long a transaction waits for the writer before it fails.
const SLOT_TIMEOUT: Duration = Duration::from_secs(30);

/// When a group stops taking members: it commits once it has this many, or once it is this
/// old, even if more transactions wait (they start the next group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupLimits {
    pub max_members: usize,
    pub max_age: Duration,
}

impl Default for GroupLimits {
    fn default() -> Self {
        Self {
            max_members: 64,
            max_age: Duration::from_millis(5),
        }
    }
}

/// Counters of the group commit, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupCommitStats {
    /// Write transactions committed (acknowledged).
    pub members: u64,
    /// Physical COMMITs that acknowledged them.
    pub commits: u64,
    /// Transactions waiting for the writer slot now.
    pub waiting: usize,
}

type Outcome = std::result::Result<(), String>;

/// The SQLite writer, shared by the write transactions of one store.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    writer: AnyPool,
    slot: Arc<Mutex<Slot>>,
    shared: Arc<Shared>,
    limits: GroupLimits,
}

#[derive(Debug, Default)]
struct Shared {
    waiting: AtomicUsize,
    members: AtomicU64,
    commits: AtomicU64,
}

#[derive(Debug, Default)]
struct Slot {
    open: Option<OpenGroup>,
    next_id: u64,
    /// A member was dropped without committing and its savepoint is not rolled back yet
    /// (its clean-up task could not run): the next holder of the slot does it first.
    rollback_pending: bool,
}

struct OpenGroup {
    id: u64,
    tx: Transaction<'static, Any>,
    started: Instant,
    /// Members that released their savepoint and wait for the COMMIT.
    done: Vec<oneshot::Sender<Outcome>>,
}

impl std::fmt::Debug for OpenGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenGroup")
            .field("id", &self.id)
            .field("members", &self.done.len())
            .finish_non_exhaustive()
    }
}

/// Counts a transaction as waiting for the slot while it does (also when its future is
/// dropped while waiting).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        Self(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl GroupCommit {
    pub(crate) fn new(writer: AnyPool, limits: GroupLimits) -> Self {
        Self {
            writer,
            slot: Arc::new(Mutex::new(Slot::default())),
            shared: Arc::new(Shared::default()),
            limits,
        }
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            members: self.shared.members.load(Ordering::SeqCst),
            commits: self.shared.commits.load(Ordering::SeqCst),
            waiting: self.shared.waiting.load(Ordering::SeqCst),
        }
    }

    /// Starts a write transaction: waits for the slot, then opens a savepoint in the open
    /// group (opening one if needed).
    pub(crate) async fn begin(&self) -> Result<Member> {
        let mut slot = {
            let _waiting = Waiting::new(&self.shared.waiting);
            // As long as a connection from the pool would be waited for.
            tokio::time::timeout(SLOT_TIMEOUT, self.slot.clone().lock_owned())
                .await
                .map_err(|_| {
                    Error::Storage("timed out waiting for the database writer".to_owned())
                })?
        };
        self.finish_abandoned(&mut slot).await;
        if slot.open.is_none() {
            let tx = self
                .writer
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(db)?;
            slot.next_id += 1;
            slot.open = Some(OpenGroup {
                id: slot.next_id,
                tx,
                started: Instant::now(),
                done: Vec::new(),
            });
        }
        if let Err(e) = run(&mut slot, SAVEPOINT).await {
            fail_group(&mut slot, &e).await;
            return Err(e);
        }
        Ok(Member {
            owner: self.clone(),
            slot: Some(slot),
        })
    }

    /// Whether the member ending now should leave the group open for the next one.
    fn hand_on(&self, group: &OpenGroup) -> bool {
        self.shared.waiting.load(Ordering::SeqCst) > 0
            && group.done.len() < self.limits.max_members
            && group.started.elapsed() < self.limits.max_age
    }

    /// Rolls back the savepoint of a member dropped without committing, if one is pending.
    async fn finish_abandoned(&self, slot: &mut Slot) {
        if !std::mem::take(&mut slot.rollback_pending) {
            return;
        }
        if slot.open.is_none() {
            return;
        }
        if let Err(e) = rollback_member(slot).await {
            fail_group(slot, &e).await;
        }
    }

    /// A member went away without committing: roll its work back, then commit the group if
    /// nobody else will.
    async fn abandon(&self, mut slot: OwnedMutexGuard<Slot>) {
        self.finish_abandoned(&mut slot).await;
        let close = match &slot.open {
            Some(g) => !self.hand_on(g),
            None => false,
        };
        if close {
            self.commit_group(&mut slot).await;
        }
    }

    /// COMMITs the open group and tells its members; a group nobody committed into is
    /// rolled back instead (nothing to write, no fsync).
    async fn commit_group(&self, slot: &mut Slot) {
        let Some(group) = slot.open.take() else {
            return;
        };
        if group.done.is_empty() {
            drop(group.tx.rollback().await);
            return;
        }
        let outcome = group.tx.commit().await.map_err(|e| e.to_string());
        if outcome.is_ok() {
            self.shared.commits.fetch_add(1, Ordering::SeqCst);
            self.shared
                .members
                .fetch_add(group.done.len() as u64, Ordering::SeqCst);
        }
        for member in group.done {
            // A member that stopped waiting (its request went away) needs no answer.
            drop(member.send(outcome.clone()));
        }
    }

    /// Waits for the group `id` this member committed into. Should the member it was handed
    /// on to go away without ending it, closes the group itself.
    async fn wait_for(&self, id: u64, mut done: oneshot::Receiver<Outcome>) -> Result<()> {
        loop {
            match tokio::time::timeout(PATIENCE, &mut done).await {
                Ok(Ok(outcome)) => return outcome.map_err(Error::Storage),
                Ok(Err(_)) => {
                    return Err(Error::Storage(
                        "the group commit ended without an answer".to_owned(),
                    ));
                }
                Err(_) => {
                    let mut slot = self.slot.clone().lock_owned().await;
                    self.finish_abandoned(&mut slot).await;
                    if slot.open.as_ref().is_some_and(|g| g.id == id) {
                        self.commit_group(&mut slot).await;
                    }
                }
            }
        }
    }
}

/// One write transaction in a group: the connection to write on, until it commits or is
/// dropped.
#[derive(Debug)]
pub(crate) struct Member {
    owner: GroupCommit,
    /// The writer slot, held from `begin` until the member ends; its group is open all that
    /// time.
    slot: Option<OwnedMutexGuard<Slot>>,
}

impl Member {
    pub(crate) fn conn(&self) -> &AnyConnection {
        match self.slot.as_ref().and_then(|s| s.open.as_ref()) {
            Some(group) => &group.tx,
            None => unreachable!("a member holds the slot, and the group is open, until it ends"),
        }
    }

    pub(crate) fn conn_mut(&mut self) -> &mut AnyConnection {
        match self.slot.as_mut().and_then(|s| s.open.as_mut()) {
            Some(group) => &mut group.tx,
            None => unreachable!("a member holds the slot, and the group is open, until it ends"),
        }
    }

    /// Commits this member's work: returns once the physical COMMIT that includes it did.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let Some(mut slot) = self.slot.take() else {
            return Err(Error::Storage("the transaction already ended".to_owned()));
        };
        if let Err(e) = run(&mut slot, RELEASE).await {
            fail_group(&mut slot, &e).await;
            return Err(e);
        }
        let (tx, rx) = oneshot::channel();
        let Some(group) = slot.open.as_mut() else {
            return Err(Error::Storage("the group ended early".to_owned()));
        };
        group.done.push(tx);
        let id = group.id;
        if self.owner.hand_on(group) {
            drop(slot);
            return self.owner.wait_for(id, rx).await;
        }
        self.owner.commit_group(&mut slot).await;
        drop(slot);
        match rx.await {
            Ok(outcome) => outcome.map_err(Error::Storage),
            Err(_) => Err(Error::Storage(
                "the group commit ended without an answer".to_owned(),
            )),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let Some(mut slot) = self.slot.take() else {
            return;
        };
        slot.rollback_pending = true;
        // The roll-back needs the connection, which only async code can use: a task that
        // keeps the slot until it is done. Without a runtime (shutting down), the next
        // holder of the slot does it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let owner = self.owner.clone();
            runtime.spawn(async move { owner.abandon(slot).await });
        }
    }
}

async fn run(slot: &mut Slot, sql: &'static str) -> Result<()> {
    let Some(group) = slot.open.as_mut() else {
        return Err(Error::Storage("no write transaction is open".to_owned()));
    };
    sqlx::query(sql)
        .execute(&mut *group.tx)
        .await
        .map(drop)
        .map_err(db)
}

async fn rollback_member(slot: &mut Slot) -> Result<()> {
    run(slot, ROLLBACK_TO).await?;
    run(slot, RELEASE).await
}

/// The physical transaction cannot go on (SQLite rolled it back, or a savepoint statement
/// failed): roll it back and fail every member waiting for it.
async fn fail_group(slot: &mut Slot, error: &Error) {
    let Some(group) = slot.open.take() else {
        return;
    };
    drop(group.tx.rollback().await);
    let outcome = Err(format!("the group commit failed: {error}"));
    for member in group.done {
        drop(member.send(outcome.clone()));
    }
}

#[cfg(test)]
mod tests;
