//! The hashing workers: a fixed set of OS threads, as many as the hash concurrency, each with
//! its own argon2 memory (see `memory`). They start on the first password and end when the
//! last handle on the pool is dropped, after finishing the work already queued.
//!
//! Work reaches them through a bounded queue. The caller holds one of `concurrency` permits
//! from before its work is queued until a worker has finished it, so at most `concurrency`
//! pieces of work are queued or running at once and the queue is never full; everyone else
//! waits for a permit, first come first served, as before the workers existed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use argon2::Params;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::memory::Memory;
use crate::error::{Error, Result};

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// The workers and the way to them.
pub(super) struct Pool {
    concurrency: usize,
    params: Params,
    permits: Arc<Semaphore>,
    queue: OnceLock<SyncSender<Job>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.concurrency)
            .field("started", &self.queue.get().is_some())
            .field("available", &self.permits.available_permits())
            .finish()
    }
}

fn failed(what: &str) -> Error {
    Error::PasswordHashing(what.to_owned())
}

impl Pool {
    pub(super) fn new(params: Params, concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            concurrency,
            params,
            permits: Arc::new(Semaphore::new(concurrency)),
            queue: OnceLock::new(),
        }
    }

    pub(super) fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// Runs `work` on a worker's memory and returns its answer. Waits for a permit first
    /// (that is the back-pressure). A panic in `work` is an error for this caller only: the
    /// worker catches it and goes on with the next piece of work.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| failed("the password hashing pool is closed"))?;
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |memory| run_job(memory, permit, answer, work));
        match self.queue().try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(failed("the password hashing queue is full")),
            Err(TrySendError::Disconnected(_)) => {
                return Err(failed("no password hashing worker is running"));
            }
        }
        match answered.await {
            Ok(Some(answer)) => Ok(answer),
            Ok(None) => Err(failed("password hashing panicked")),
            Err(_) => Err(failed("the password hashing worker stopped")),
        }
    }

    fn queue(&self) -> &SyncSender<Job> {
        self.queue.get_or_init(|| {
            let (queue, jobs) = sync_channel::<Job>(self.concurrency);
            let jobs = Arc::new(Mutex::new(jobs));
            for n in 0..self.concurrency {
                let jobs = jobs.clone();
                let params = self.params.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("gatehouse-argon2-{n}"))
                    .spawn(move || serve(&jobs, &params));
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "could not start a password hashing worker");
                }
            }
            queue
        })
    }
}

fn run_job<T>(
    memory: &mut Memory,
    permit: OwnedSemaphorePermit,
    answer: oneshot::Sender<Option<T>>,
    work: impl FnOnce(&mut Memory) -> T,
) {
    // A caller that stopped waiting (its request was dropped) needs no answer.
    if answer.is_closed() {
        return;
    }
    // The memory is sound after a panic: argon2 writes each block before reading it.
    let result = catch_unwind(AssertUnwindSafe(|| work(memory))).ok();
    if result.is_none() {
        tracing::error!("password hashing panicked; the worker goes on");
    }
    // The place is free before the answer is out: whoever hears it may queue again at once.
    drop(permit);
    // The caller may have gone meanwhile; then nobody needs the answer.
    let _unheard = answer.send(result);
}

/// One worker: takes the next job until the pool is dropped and the queue is empty.
fn serve(jobs: &Mutex<Receiver<Job>>, params: &Params) {
    let mut memory = Memory::for_params(params);
    loop {
        // Nothing panics while the lock is held, but a poisoned lock still holds the queue.
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}
