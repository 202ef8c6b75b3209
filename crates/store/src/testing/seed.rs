//! Bulk data for benchmarks and load tests: a business with many users, groups of mixed
//! types and many tenants, written with plain multi-row SQL (the point is reading it, not
//! the write path). Deterministic: the same spec gives the same data.

use sqlx::{AnyPool, Executor};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedSpec {
    /// Which business of a deployment this is (0 for the first): its ids are distinct from
    /// every other number's, and its slug gets the number appended after the first.
    pub number: u32,
    pub slug: String,
    pub users: usize,
    pub tenants: usize,
    pub groups: usize,
    /// Percent of users pending and deactivated; the rest are active.
    pub pending_pct: u64,
    pub deactivated_pct: u64,
    /// Refresh statistics (and on PostgreSQL the visibility map) after loading, as a
    /// database in service has them. Off: a freshly bulk-loaded database, never analysed.
    pub maintenance: bool,
}

impl SeedSpec {
    /// 100k users, 500 groups, 200 tenants, 5% deactivated: the engine benchmarks' shape.
    pub fn engine(users: usize) -> Self {
        Self {
            number: 0,
            slug: "bench".to_owned(),
            users,
            tenants: 200,
            groups: 500,
            pending_pct: 0,
            deactivated_pct: 5,
            maintenance: true,
        }
    }

    /// Business `number` of a deployment of many small ones: `users` users, 5 tenants, 10
    /// groups, statistics left to [`seed_many`].
    pub fn small(number: u32, users: usize) -> Self {
        Self {
            number,
            slug: "small".to_owned(),
            users,
            tenants: 5,
            groups: 10,
            pending_pct: 0,
            deactivated_pct: 5,
            maintenance: false,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub business: String,
    pub tenants: Vec<String>,
    pub groups: Vec<String>,
    /// The first group: a tenants group covering the first tenant.
    pub first_group: String,
}

/// Deterministic ids: `kind` in the high bits, `n` in the low ones, UUIDv7-shaped.
pub fn seed_id(kind: u128, n: u128) -> String {
    uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | (kind << 40) | n).to_string()
}

/// splitmix64
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

const ENV_PERMISSIONS: [&str; 10] = [
    "verification.perform",
    "verification.view",
    "verification.view_original_selfie",
    "verification.delete",
    "verification.export",
    "verification.manual_decision",
    "flow_builder",
    "theme_designer",
    "developer_area",
    "analytics",
];

/// Writes the data into the (migrated) database at `url`, in one transaction.
pub async fn seed(url: &str, spec: &SeedSpec) -> Result<Seeded, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await?;
    let seeded = seed_into(&pool, spec).await?;
    if spec.maintenance {
        maintain(&pool, url).await?;
    }
    pool.close().await;
    Ok(seeded)
}

/// Businesses `0..count` of `users` users each ([`SeedSpec::small`]), then statistics.
pub async fn seed_many(url: &str, count: u32, users: usize) -> Result<Vec<Seeded>, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await?;
    let mut seeded = Vec::with_capacity(count as usize);
    for number in 0..count {
        seeded.push(seed_into(&pool, &SeedSpec::small(number, users)).await?);
        // Statistics as the tables grow: PostgreSQL's cached plans (its foreign-key checks')
        // were made on empty tables, and would scan every row of them for each insert.
        if [1, 10, 100, 1_000].contains(&number) {
            maintain(&pool, url).await?;
        }
    }
    maintain(&pool, url).await?;
    pool.close().await;
    Ok(seeded)
}

/// Statistics (and on PostgreSQL the visibility map), as a database in service has them.
async fn maintain(pool: &AnyPool, url: &str) -> Result<(), sqlx::Error> {
    let maintenance = if url.starts_with("postgres") {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    pool.execute(maintenance).await.map(drop)
}

async fn seed_into(pool: &AnyPool, spec: &SeedSpec) -> Result<Seeded, sqlx::Error> {
    let mut rng = Rng(42 + u64::from(spec.number));
    // Business 0 keeps the ids benchmarks have always used.
    let number = u128::from(spec.number);
    let id = |kind, i: u128| seed_id(kind, (number << 24) | i);
    let business = seed_id(9, 1 + number);
    let slug = match spec.number {
        0 => spec.slug.clone(),
        k => format!("{}-{k}", spec.slug),
    };
    let tenants: Vec<String> = (0..spec.tenants as u128).map(|i| id(1, i)).collect();
    let groups: Vec<String> = (0..spec.groups as u128).map(|i| id(2, i)).collect();
    let mut tx = pool.begin().await?;
    tx.execute(
        format!(
            "INSERT INTO businesses (id, slug, name, change_seq, created_at, updated_at, mfa_policy, mfa_grace_days, mfa_policy_changed_at) \
             VALUES ('{business}', '{slug}', 'Bench', 1, 0, 0, 'live_access', 0, 0)"
        )
        .as_str(),
    )
    .await?;
    // Multi-row INSERTs: one statement per table and business.
    let tenant_rows: Vec<String> = tenants
        .iter()
        .enumerate()
        .map(|(i, t)| format!("('{t}', '{business}', 't{i}', 'Tenant {i}', 0, 0)"))
        .collect();
    let (mut group_rows, mut covered_rows, mut grant_rows) = (Vec::new(), Vec::new(), Vec::new());
    for (i, g) in groups.iter().enumerate() {
        // One group in five is business-wide; the first is a tenants group of the first tenant.
        let business_wide = i % 5 == 4;
        let kind = if business_wide { "business" } else { "tenants" };
        group_rows.push(format!(
            "('{g}', '{business}', 'Group {i}', 'group {i}', '', '{kind}', 1, 0, 0)"
        ));
        if !business_wide {
            let mut covered: Vec<usize> = if i == 0 {
                vec![0]
            } else {
                (0..1 + rng.below(20))
                    .map(|_| rng.below(spec.tenants))
                    .collect()
            };
            covered.sort_unstable();
            covered.dedup();
            covered_rows.extend(
                covered
                    .into_iter()
                    .map(|t| format!("('{g}', '{}')", tenants[t])),
            );
        }
        let mut grants: Vec<(&str, &str)> = Vec::new();
        for _ in 0..rng.below(4) {
            grants.push(("live", ENV_PERMISSIONS[rng.below(ENV_PERMISSIONS.len())]));
        }
        for _ in 0..1 + rng.below(5) {
            grants.push(("sandbox", ENV_PERMISSIONS[rng.below(ENV_PERMISSIONS.len())]));
        }
        grants.sort_unstable();
        grants.dedup();
        grant_rows.extend(
            grants
                .into_iter()
                .map(|(scope, permission)| format!("('{g}', '{scope}', '{permission}')")),
        );
    }
    for (table, rows) in [
        (
            "tenants (id, business_id, slug, name, created_at, updated_at)",
            &tenant_rows,
        ),
        (
            "access_groups (id, business_id, name, name_key, description, kind, version, created_at, updated_at)",
            &group_rows,
        ),
        ("group_tenants (group_id, tenant_id)", &covered_rows),
        (
            "group_permissions (group_id, scope, permission)",
            &grant_rows,
        ),
    ] {
        for chunk in rows.chunks(500) {
            tx.execute(format!("INSERT INTO {table} VALUES {}", chunk.join(",")).as_str())
                .await?;
        }
    }
    let users: Vec<usize> = (0..spec.users).collect();
    for chunk in users.chunks(500) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut members = Vec::new();
        for n in chunk {
            let uid = id(3, *n as u128);
            let roll = rng.below(100) as u64;
            let status = if roll < spec.pending_pct {
                "pending"
            } else if roll < spec.pending_pct + spec.deactivated_pct {
                "deactivated"
            } else {
                "active"
            };
            let mfa = i32::from(rng.below(10) != 0);
            rows.push(format!("('{uid}', '{business}', 'user{n:07}@example.com', 'Person {n}', 'person {n}', '{status}', {mfa}, 0, 1, 0, 0)"));
            let mut mine: Vec<usize> = (0..1 + rng.below(3))
                .map(|_| rng.below(spec.groups))
                .collect();
            if n % 10 == 0 {
                mine.push(0);
            }
            mine.sort_unstable();
            mine.dedup();
            members.extend(
                mine.into_iter()
                    .map(|g| format!("('{}', '{uid}', '{business}', 0)", groups[g])),
            );
        }
        tx.execute(format!("INSERT INTO users (id, business_id, email, display_name, name_key, status, mfa_enrolled, activated_at, version, created_at, updated_at) VALUES {}", rows.join(",")).as_str()).await?;
        tx.execute(
            format!(
                "INSERT INTO group_members (group_id, user_id, business_id, created_at) VALUES {}",
                members.join(",")
            )
            .as_str(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Seeded {
        first_group: groups.first().cloned().unwrap_or_default(),
        business,
        tenants,
        groups,
    })
}
