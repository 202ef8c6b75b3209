//! The mail outbox: mail exists only if its transaction commits; a failing mail server is
//! retried with back-off until the last attempt; several nodes on one database deliver each
//! mail once, even when their claims are simultaneous; a lease left by a dead node runs out
//! and its mail goes out after all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gatehouse_domain::auth::{AuthConfig, OsEntropy, SecretCipher};
use gatehouse_domain::catalog::Catalog;
use gatehouse_domain::ids::{BusinessId, MailId, UserId};
use gatehouse_domain::mail::outbox::{
    DeliveryPolicy, DeliveryStatus, MailOutbox, MailOutcome, QueuedMail,
};
use gatehouse_domain::mail::{Mail, MailMessage, Mailer};
use gatehouse_domain::model::User;
use gatehouse_domain::principal::{UsersManage, UsersView};
use gatehouse_domain::services::{AuthSetup, NewUser};
use gatehouse_domain::store::Store;
use gatehouse_domain::types::{DisplayName, Email};
use gatehouse_domain::{Clock, Error, Gatehouse};
use gatehouse_store::{ConnectOptions, SqlStore, connect};
use sqlx::{Connection, Row};
use time::Duration;
use tokio::sync::Barrier;

use crate::harness::Env;

crate::backend_tests!(
    a_mail_whose_transaction_rolls_back_is_never_sent,
    a_failing_mail_server_is_retried_with_back_off_then_given_up,
    a_retry_that_succeeds_erases_the_message,
    two_nodes_deliver_each_mail_exactly_once,
    simultaneous_claims_never_share_a_mail,
    an_expired_lease_is_taken_over,
    a_commit_with_mail_wakes_the_sender,
);

/// Records what it delivers; fails the first `failures` attempts like a server saying
/// "try again later".
#[derive(Debug, Default)]
struct Recorder {
    failures: AtomicUsize,
    calls: AtomicUsize,
    delivered: Mutex<Vec<Mail>>,
}

impl Recorder {
    fn failing(failures: usize) -> Arc<Self> {
        Arc::new(Self {
            failures: AtomicUsize::new(failures),
            ..Self::default()
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn delivered(&self) -> Vec<Mail> {
        self.delivered.lock().unwrap().clone()
    }
}

#[async_trait]
impl Mailer for Recorder {
    async fn send(&self, mail: &Mail) -> gatehouse_domain::Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        // Let other senders run in between, as a network round trip would.
        tokio::task::yield_now().await;
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(Error::Storage("mail: 451 4.3.0 try again later".into()));
        }
        self.delivered.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

fn policy() -> DeliveryPolicy {
    DeliveryPolicy {
        max_attempts: 3,
        retry_initial: Duration::seconds(30),
        retry_max: Duration::seconds(60),
        lease: Duration::minutes(5),
        ..DeliveryPolicy::default()
    }
}

/// A node on `store` sharing the test's clock, delivering to `mailer`.
fn node(
    env: &Env,
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    policy: DeliveryPolicy,
) -> Gatehouse {
    let config = AuthConfig {
        mail_delivery: policy,
        ..AuthConfig::default()
    };
    Gatehouse::new(store, env.clock.clone(), Arc::new(Catalog::default()))
        .with_auth(AuthSetup {
            config,
            cipher: SecretCipher::new((1, [4; 32]), &[]),
            entropy: Arc::new(OsEntropy),
            mailer,
        })
        .unwrap()
}

/// Invites `email` (which queues the invitation mail).
async fn invite(env: &Env, gh: &Gatehouse, business: BusinessId, email: &str) -> User {
    gh.create_user(
        &env.access::<UsersManage>(business),
        &env.ctx,
        NewUser {
            email: Email::parse(email).unwrap(),
            display_name: DisplayName::parse("").unwrap(),
            groups: vec![],
        },
    )
    .await
    .unwrap()
}

/// The stored message of each of the user's mails (`None`: erased).
async fn bodies(env: &Env, user: UserId) -> Vec<Option<String>> {
    let mut c = sqlx::AnyConnection::connect(&env.db.url).await.unwrap();
    let rows = sqlx::query("SELECT body FROM mail_outbox WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_all(&mut c)
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<Option<String>, _>("body"))
        .collect()
}

async fn status(env: &Env, gh: &Gatehouse, user: &User) -> (DeliveryStatus, i64) {
    let access = env.access::<UsersView>(user.business_id);
    let d = gh
        .invitation_delivery(&access, user.id)
        .await
        .unwrap()
        .unwrap();
    (d.status, d.attempts)
}

async fn a_mail_whose_transaction_rolls_back_is_never_sent(env: Env) {
    let acme = env.business("acme").await.id;
    let recorder = Recorder::failing(0);
    let gh = node(&env, env.db.store.clone(), recorder.clone(), policy());
    let dana = invite(&env, &gh, acme, "dana@example.com").await;
    // A change that writes mail and then does not commit (an error, a dropped request).
    let mut tx = env.db.store.begin().await.unwrap();
    tx.enqueue_mail(&QueuedMail {
        id: MailId::new(env.clock.now()),
        business_id: dana.business_id,
        user_id: dana.id,
        mail: Mail {
            to: dana.email.clone(),
            business: "acme".into(),
            message: MailMessage::PasswordChanged,
        },
        created_at: env.clock.now(),
    })
    .await
    .unwrap();
    drop(tx);
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 1);
    let delivered = recorder.delivered();
    let kinds: Vec<&str> = delivered.iter().map(|m| m.message.kind()).collect();
    assert_eq!(kinds, ["invitation"], "only the committed mail goes out");
    env.clock.advance(Duration::days(1));
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 0);
    assert_eq!(bodies(&env, dana.id).await.len(), 1);
}

async fn a_failing_mail_server_is_retried_with_back_off_then_given_up(env: Env) {
    let acme = env.business("acme").await.id;
    let recorder = Recorder::failing(usize::MAX);
    let gh = node(&env, env.db.store.clone(), recorder.clone(), policy());
    let dana = invite(&env, &gh, acme, "dana@example.com").await;
    assert_eq!(status(&env, &gh, &dana).await, (DeliveryStatus::Queued, 0));

    let mut expected_calls = 0;
    // Waits after the 1st and 2nd failures: 30 s, then 60 s (doubled, at the maximum).
    for wait in [30, 60] {
        assert_eq!(gh.deliver_due_mail().await.unwrap(), 0);
        expected_calls += 1;
        assert_eq!(recorder.calls(), expected_calls);
        assert_eq!(
            status(&env, &gh, &dana).await,
            (DeliveryStatus::Retrying, expected_calls as i64)
        );
        let access = env.access::<UsersView>(dana.business_id);
        let d = gh.invitation_delivery(&access, dana.id).await.unwrap();
        let d = d.unwrap();
        assert!(d.last_error.as_deref().unwrap().contains("451"), "{d:?}");
        assert_eq!(
            d.next_attempt_at,
            Some(env.clock.now() + Duration::seconds(wait))
        );
        // Not before it is due.
        gh.deliver_due_mail().await.unwrap();
        env.clock.advance(Duration::seconds(wait - 1));
        gh.deliver_due_mail().await.unwrap();
        assert_eq!(recorder.calls(), expected_calls, "retried before its time");
        env.clock.advance(Duration::seconds(1));
    }
    // The third attempt is the last.
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 0);
    assert_eq!(recorder.calls(), 3);
    assert_eq!(status(&env, &gh, &dana).await, (DeliveryStatus::Failed, 3));
    env.clock.advance(Duration::days(1));
    gh.deliver_due_mail().await.unwrap();
    assert_eq!(recorder.calls(), 3, "a failed mail is not tried again");
    assert_eq!(bodies(&env, dana.id).await, [None], "its link is erased");
}

async fn a_retry_that_succeeds_erases_the_message(env: Env) {
    let acme = env.business("acme").await.id;
    let recorder = Recorder::failing(1);
    let gh = node(&env, env.db.store.clone(), recorder.clone(), policy());
    let dana = invite(&env, &gh, acme, "dana@example.com").await;
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 0);
    assert!(
        bodies(&env, dana.id).await[0].is_some(),
        "kept for the retry"
    );
    env.clock.advance(Duration::seconds(30));
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 1);
    assert_eq!(status(&env, &gh, &dana).await, (DeliveryStatus::Sent, 2));
    let mail = &recorder.delivered()[0];
    assert_eq!(mail.to.as_str(), "dana@example.com");
    assert!(mail.message.link().unwrap().contains("/b/acme/invitation/"));
    assert_eq!(bodies(&env, dana.id).await, [None]);
}

/// A second node: its own pools on the same database.
async fn second_store(env: &Env) -> Arc<SqlStore> {
    let mut options = ConnectOptions::new(env.db.url.clone());
    options.max_connections = 4;
    options.listen_for_changes = false;
    connect(&options).await.unwrap()
}

async fn two_nodes_deliver_each_mail_exactly_once(env: Env) {
    let acme = env.business("acme").await.id;
    let other = second_store(&env).await;
    let recorder = Recorder::failing(0);
    let one_at_a_time = DeliveryPolicy {
        batch: 1,
        ..policy()
    };
    let a = node(&env, env.db.store.clone(), recorder.clone(), one_at_a_time);
    let b = node(&env, other.clone(), recorder.clone(), one_at_a_time);
    const ROUNDS: usize = 20;
    const MAILS: usize = 6;
    for round in 0..ROUNDS {
        for i in 0..MAILS {
            invite(&env, &a, acme, &format!("u{round}-{i}@example.com")).await;
        }
        let barrier = Arc::new(Barrier::new(2));
        let senders = [a.clone(), b.clone()].map(|gh| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                gh.deliver_due_mail().await.unwrap()
            })
        });
        let mut sent = 0;
        for s in senders {
            sent += s.await.unwrap();
        }
        assert_eq!(sent, MAILS, "round {round}");
    }
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for mail in recorder.delivered() {
        *per_recipient.entry(mail.to.to_string()).or_default() += 1;
    }
    assert_eq!(per_recipient.len(), ROUNDS * MAILS);
    assert!(per_recipient.values().all(|n| *n == 1), "{per_recipient:?}");
    other.close().await;
}

async fn simultaneous_claims_never_share_a_mail(env: Env) {
    let acme = env.business("acme").await.id;
    let other = second_store(&env).await;
    let gh = node(&env, env.db.store.clone(), Recorder::failing(0), policy());
    let stores: [Arc<SqlStore>; 2] = [env.db.store.clone(), other.clone()];
    const ROUNDS: usize = 20;
    const CLAIMERS: usize = 6;
    for round in 0..ROUNDS {
        for i in 0..CLAIMERS {
            invite(&env, &gh, acme, &format!("c{round}-{i}@example.com")).await;
        }
        let now = env.clock.now();
        let barrier = Arc::new(Barrier::new(CLAIMERS));
        let claims: Vec<_> = (0..CLAIMERS)
            .map(|i| {
                let store = stores[i % 2].clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.claim_mail(now, now + Duration::minutes(5), 2).await
                })
            })
            .collect();
        let mut ids = Vec::new();
        for c in claims {
            ids.extend(c.await.unwrap().unwrap().into_iter().map(|m| m.id));
        }
        let unique: std::collections::BTreeSet<MailId> = ids.iter().copied().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "round {round}: a mail claimed twice"
        );
        assert_eq!(ids.len(), CLAIMERS, "round {round}: every due mail claimed");
        // Release them for good, as senders would.
        for id in ids {
            let sent = MailOutcome::Sent { at: now };
            assert!(env.db.store.finish_mail(id, 1, sent).await.unwrap());
        }
    }
    other.close().await;
}

async fn an_expired_lease_is_taken_over(env: Env) {
    let acme = env.business("acme").await.id;
    let recorder = Recorder::failing(0);
    let gh = node(&env, env.db.store.clone(), recorder.clone(), policy());
    let dana = invite(&env, &gh, acme, "dana@example.com").await;
    // A node claims the mail and dies before finishing it.
    let now = env.clock.now();
    let lease = policy().lease;
    let dead = env.db.store.claim_mail(now, now + lease, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(status(&env, &gh, &dana).await, (DeliveryStatus::Sending, 1));
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 0, "the lease holds");
    env.clock.advance(lease - Duration::seconds(1));
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 0, "the lease holds");
    env.clock.advance(Duration::seconds(1));
    assert_eq!(gh.deliver_due_mail().await.unwrap(), 1, "taken over");
    assert_eq!(status(&env, &gh, &dana).await, (DeliveryStatus::Sent, 2));
    assert_eq!(recorder.delivered().len(), 1);
    // The dead node's late word changes nothing.
    let late = MailOutcome::Retry {
        at: env.clock.now(),
        error: "late".into(),
    };
    assert!(!env.db.store.finish_mail(dead[0].id, 1, late).await.unwrap());
    assert_eq!(status(&env, &gh, &dana).await, (DeliveryStatus::Sent, 2));
}

async fn a_commit_with_mail_wakes_the_sender(env: Env) {
    let acme = env.business("acme").await.id;
    let recorder = Recorder::failing(0);
    let never_polls = DeliveryPolicy {
        poll_interval: std::time::Duration::from_secs(3600),
        ..policy()
    };
    let gh = node(&env, env.db.store.clone(), recorder.clone(), never_polls);
    let sender = {
        let gh = gh.clone();
        tokio::spawn(async move { gh.run_mail_sender(std::future::pending()).await })
    };
    // The sender has made its first pass and waits (it would poll only in an hour).
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    invite(&env, &gh, acme, "dana@example.com").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while recorder.delivered().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the commit never woke the sender"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    sender.abort();
}
