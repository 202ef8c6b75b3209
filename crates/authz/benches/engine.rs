//! The authorization engine on a generated business: 100k users (and 1M), 500 groups of
//! mixed types with random tenant sets, 200 tenants, both environments, the default catalog.
//!
//! `cargo bench -p gatehouse-domain --bench engine`
//!
//! Besides criterion's timings it prints the snapshot's resident memory per user and the
//! check latency percentiles (p50/p99 over 1M single checks).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_authz::{
    AccessModelData, CheckQuery, GroupData, PermissionIndex, Snapshot, UserData,
};
use gatehouse_core::catalog::{Catalog, PermissionKey, PermissionScope};
use gatehouse_core::grants::Grants;
use gatehouse_core::ids::{BusinessId, GroupId, Id, TenantId, UserId};
use gatehouse_core::model::{GroupScope, MfaPolicy, SecuritySettings, UserStatus};
use gatehouse_core::types::{Environment, GroupName};
use time::OffsetDateTime;

/// A small deterministic PRNG (splitmix64), so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn id<K>(kind: u128, n: u128) -> Id<K> {
    Id::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | (kind << 40) | n,
    ))
}

const TENANTS: usize = 200;
const GROUPS: usize = 500;

fn dataset(users: usize) -> AccessModelData {
    let mut rng = Rng(42);
    let catalog = Catalog::default();
    let env: Vec<PermissionKey> = catalog
        .keys_of(PermissionScope::Environment)
        .into_iter()
        .collect();
    let admin: Vec<PermissionKey> = catalog
        .keys_of(PermissionScope::Business)
        .into_iter()
        .collect();
    let tenants: Vec<TenantId> = (0..TENANTS as u128).map(|i| id(1, i)).collect();
    let some = |rng: &mut Rng, keys: &[PermissionKey], n: usize| -> BTreeSet<PermissionKey> {
        (0..n)
            .map(|_| keys[rng.below(keys.len())].clone())
            .collect()
    };
    let groups: Vec<GroupData> = (0..GROUPS)
        .map(|i| {
            let business_wide = i % 5 == 0;
            let scope = if business_wide {
                GroupScope::Business
            } else {
                let n = 1 + rng.below(20);
                GroupScope::Tenants((0..n).map(|_| tenants[rng.below(TENANTS)]).collect())
            };
            let (n_live, n_sandbox) = (rng.below(4), 1 + rng.below(5));
            let grants = Grants {
                business: if business_wide && i % 25 == 0 {
                    some(&mut rng, &admin, 3)
                } else {
                    BTreeSet::new()
                },
                live: some(&mut rng, &env, n_live),
                sandbox: some(&mut rng, &env, n_sandbox),
            };
            GroupData {
                id: id(2, i as u128),
                name: GroupName::parse(&format!("Group {i}")).unwrap(),
                scope,
                grants,
            }
        })
        .collect();
    let group_ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
    let users = (0..users as u128)
        .map(|i| {
            let n = 1 + rng.below(3);
            UserData {
                id: id(3, i),
                status: if rng.below(20) == 0 {
                    UserStatus::Deactivated
                } else {
                    UserStatus::Active
                },
                mfa_enrolled: rng.below(10) != 0,
                passkey: false,
                active_since: OffsetDateTime::UNIX_EPOCH,
                groups: (0..n).map(|_| group_ids[rng.below(GROUPS)]).collect(),
                expiring: Vec::new(),
            }
        })
        .collect();
    AccessModelData {
        seq: 1,
        settings: SecuritySettings {
            mfa_policy: MfaPolicy::LiveAccess,
            passkey_policy: gatehouse_core::model::PasskeyPolicy::Off,
            mfa_grace_days: 0,
            mfa_policy_changed_at: OffsetDateTime::UNIX_EPOCH,
        },
        tenants,
        groups,
        users,
        api_keys: vec![],
    }
}

/// Random questions: random users (so caches see realistic misses), permissions, tenants and
/// environments; a few unknown users.
fn questions(
    users: usize,
    n: usize,
    catalog: &Catalog,
) -> Vec<(UserId, &'static str, TenantId, Environment)> {
    let mut rng = Rng(7);
    let env_keys: Vec<&'static str> = catalog
        .keys_of(PermissionScope::Environment)
        .into_iter()
        .map(|k| &*Box::leak(k.to_string().into_boxed_str()))
        .collect();
    (0..n)
        .map(|_| {
            let user = if rng.below(50) == 0 {
                id(4, rng.below(1000) as u128)
            } else {
                id(3, rng.below(users) as u128)
            };
            let env = if rng.below(2) == 0 {
                Environment::Live
            } else {
                Environment::Sandbox
            };
            (
                user,
                env_keys[rng.below(env_keys.len())],
                id(1, rng.below(TENANTS) as u128),
                env,
            )
        })
        .collect()
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        * 4096
}

fn percentiles(
    snap: &Snapshot,
    perms: &PermissionIndex,
    qs: &[(UserId, &'static str, TenantId, Environment)],
    now: OffsetDateTime,
    label: &str,
) {
    let mut times = Vec::with_capacity(qs.len());
    let mut allowed = 0usize;
    for (user, permission, tenant, env) in qs {
        let q = CheckQuery {
            user: *user,
            permission,
            tenant: Some(*tenant),
            environment: Some(*env),
        };
        let start = Instant::now();
        let d = snap.check(perms, black_box(&q), now).unwrap();
        times.push(start.elapsed().as_nanos() as u64);
        allowed += usize::from(d.allowed);
    }
    times.sort_unstable();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "{label}: single check over {} random questions ({:.1}% allowed): p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns",
        qs.len(),
        allowed as f64 * 100.0 / qs.len() as f64,
        at(0.50),
        at(0.90),
        at(0.99),
        at(0.999)
    );
}

type Question = (UserId, &'static str, TenantId, Environment);

/// One question at a time, cycling through `qs`.
fn single_check(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    snap: &Snapshot,
    perms: &PermissionIndex,
    qs: &[Question],
    now: OffsetDateTime,
    name: &str,
) {
    let mut i = 0usize;
    group.bench_function(name, |b| {
        b.iter(|| {
            let (user, permission, tenant, env) = qs[i % qs.len()];
            i += 1;
            let q = CheckQuery {
                user,
                permission,
                tenant: Some(tenant),
                environment: Some(env),
            };
            black_box(snap.check(perms, &q, now).unwrap())
        })
    });
}

fn engine(c: &mut Criterion) {
    let catalog = Catalog::default();
    let perms = PermissionIndex::new(&catalog);
    let business: BusinessId = id(0, 1);
    let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);

    let data = dataset(100_000);
    let before = rss_bytes();
    let snap = Snapshot::build(business, &data, &perms);
    let after = rss_bytes();
    println!(
        "snapshot 100k users: ~{} bytes resident per user (RSS delta {} KiB)",
        (after - before) / 100_000,
        (after - before) / 1024
    );
    let qs = questions(100_000, 1_000_000, &catalog);
    percentiles(&snap, &perms, &qs, now, "100k users");

    let mut group = c.benchmark_group("engine_100k");
    single_check(&mut group, &snap, &perms, &qs, now, "single_check");
    let mut j = 0usize;
    group.bench_function("batch_of_100", |b| {
        b.iter(|| {
            let start = (j * 100) % (qs.len() - 100);
            j += 1;
            let mut allowed = 0;
            for (user, permission, tenant, env) in &qs[start..start + 100] {
                let q = CheckQuery {
                    user: *user,
                    permission,
                    tenant: Some(*tenant),
                    environment: Some(*env),
                };
                allowed += usize::from(snap.check(&perms, &q, now).unwrap().allowed);
            }
            black_box(allowed)
        })
    });
    group.sample_size(20);
    group.bench_function("snapshot_build", |b| {
        b.iter(|| black_box(Snapshot::build(business, &data, &perms)))
    });
    let changed = UserData {
        groups: vec![data.groups[3].id],
        ..data.users[500].clone()
    };
    group.bench_function("snapshot_update_one_user", |b| {
        b.iter(|| {
            black_box(snap.patched(
                2,
                &perms,
                (&[], &[]),
                std::slice::from_ref(&changed),
                (&[], &[]),
            ))
        })
    });
    let regroup = GroupData {
        grants: Grants::default(),
        ..data.groups[7].clone()
    };
    let regroup_ids = [regroup.id];
    group.bench_function("snapshot_update_one_group", |b| {
        b.iter(|| {
            black_box(snap.patched(
                2,
                &perms,
                (&regroup_ids, std::slice::from_ref(&regroup)),
                &[],
                (&[], &[]),
            ))
        })
    });
    // Temporary access: one user in ten has a membership with an end (still ahead), so
    // their checks also compare the end with the clock.
    let mut temporary = data.clone();
    for u in temporary.users.iter_mut().step_by(10) {
        u.expiring = vec![(u.groups[0], now + time::Duration::days(365))];
    }
    let tsnap = Snapshot::build(business, &temporary, &perms);
    percentiles(&tsnap, &perms, &qs, now, "100k users, 10% temporary");
    single_check(
        &mut group,
        &tsnap,
        &perms,
        &qs,
        now,
        "single_check_10pct_temporary",
    );
    group.finish();
    drop(snap);
    drop(tsnap);

    let big = dataset(1_000_000);
    let before = rss_bytes();
    let snap = Snapshot::build(business, &big, &perms);
    let after = rss_bytes();
    println!(
        "snapshot 1M users: ~{} bytes resident per user",
        (after.saturating_sub(before)) / 1_000_000
    );
    let qs = questions(1_000_000, 1_000_000, &catalog);
    percentiles(&snap, &perms, &qs, now, "1M users");
    let mut group = c.benchmark_group("engine_1m");
    single_check(&mut group, &snap, &perms, &qs, now, "single_check");
    group.sample_size(10);
    group.bench_function("snapshot_build", |b| {
        b.iter(|| black_box(Snapshot::build(business, &big, &perms)))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
