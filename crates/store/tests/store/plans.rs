//! Plans that do not depend on luck (issue 14): ids have one type and collation wherever they
//! join; the users list's total is exact when cheap, an estimate said to be one when large,
//! exact on request, and its counters follow every write; and on a freshly bulk-loaded
//! database, queried at once, no listing plan compares ids through a cast or reads the
//! whole users table.

use gatehouse_domain::ids::{BusinessId, GroupId, TenantId};
use gatehouse_domain::model::UserStatus;
use gatehouse_domain::principal::{UsersManage, UsersView};
use gatehouse_domain::services::Precondition;
use gatehouse_domain::store::UserFilter;
use gatehouse_store::Backend;
use gatehouse_store::testing::{SeedSpec, Seeded, explain_groups_list, explain_users_list, seed};
use sqlx::AnyPool;

use crate::harness::Env;
use crate::users::new_user;

crate::backend_tests!(
    id_columns_share_one_type,
    totals_exact_when_cheap_estimated_when_large_exact_on_request,
    user_counters_follow_every_write,
    fresh_database_plans_use_the_indexes,
);

/// Every foreign key's column has its target's type and collation, and every id column
/// (`id`, `…_id`) the collation of the ids: a join of two ids never needs a cast.
async fn id_columns_share_one_type(env: Env) {
    let pool = AnyPool::connect(&env.db.url).await.unwrap();
    let (pairs, mismatched): (i64, Vec<String>) = match env.db.backend {
        Backend::Postgres => {
            let fk = "FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid \
                 CROSS JOIN LATERAL unnest(k.conkey, k.confkey) AS u(ck, fk) \
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.ck \
                 JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = u.fk \
                 WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace";
            let pairs = sqlx::query_scalar(&format!("SELECT COUNT(*) {fk}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            let mut bad: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT c.relname || '.' || a.attname || ' -> ' || k.confrelid::regclass::text || '.' || fa.attname \
                 {fk} AND (a.atttypid <> fa.atttypid OR a.attcollation <> fa.attcollation)"
            ))
            .fetch_all(&pool)
            .await
            .unwrap();
            bad.extend(
                sqlx::query_scalar::<_, String>(
                    "SELECT c.relname || '.' || a.attname FROM pg_attribute a \
                     JOIN pg_class c ON c.oid = a.attrelid \
                     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
                     AND a.attnum > 0 AND NOT a.attisdropped \
                     AND (a.attname = 'id' OR a.attname LIKE '%\\_id') \
                     AND (a.atttypid <> 'text'::regtype OR a.attcollation <> \
                          (SELECT attcollation FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'id'))",
                )
                .fetch_all(&pool)
                .await
                .unwrap(),
            );
            (pairs, bad)
        }
        Backend::Sqlite => {
            let fk = "FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p \
                 JOIN pragma_table_info(m.name) a ON a.name = p.\"from\" \
                 JOIN pragma_table_info(p.\"table\") b ON b.name = p.\"to\" \
                 WHERE m.type = 'table'";
            let pairs = sqlx::query_scalar(&format!("SELECT COUNT(*) {fk}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            let mut bad: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT m.name || '.' || p.\"from\" {fk} AND upper(a.type) <> upper(b.type)"
            ))
            .fetch_all(&pool)
            .await
            .unwrap();
            // SQLite's ids compare with the default BINARY collation, unless a column says
            // otherwise.
            bad.extend(
                sqlx::query_scalar::<_, String>(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND upper(sql) LIKE '%COLLATE%'",
                )
                .fetch_all(&pool)
                .await
                .unwrap(),
            );
            (pairs, bad)
        }
    };
    assert!(pairs > 40, "only {pairs} foreign-key columns found");
    assert!(mismatched.is_empty(), "ids of another type: {mismatched:?}");
}

/// A seeded business of `users` (20% pending, 20% deactivated), 500 groups, 200 tenants;
/// analysed after loading or not.
async fn seeded(env: &Env, users: usize, maintenance: bool) -> (BusinessId, Seeded) {
    let spec = SeedSpec {
        number: 0,
        pending_pct: 20,
        deactivated_pct: 20,
        maintenance,
        ..SeedSpec::engine(users)
    };
    let seeded = seed(&env.db.url, &spec).await.unwrap();
    (seeded.business.parse().unwrap(), seeded)
}

async fn count(pool: &AnyPool, sql: &str, business: BusinessId) -> i64 {
    sqlx::query_scalar(sql)
        .bind(business.to_string())
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn totals_exact_when_cheap_estimated_when_large_exact_on_request(env: Env) {
    let (b, seeded) = seeded(&env, 5_000, true).await;
    let pool = AnyPool::connect(&env.db.url).await.unwrap();
    let view = env.access::<UsersView>(b);
    let list = |filter: UserFilter| {
        let (gh, view) = (env.gh.clone(), view.clone());
        async move { gh.list_users(&view, &filter, None, 50).await.unwrap() }
    };

    // No filter, or the status alone: exact from the counters, however many.
    let all = list(UserFilter::default()).await;
    assert_eq!((all.total, all.total_estimated), (Some(5_000), false));
    let active = list(UserFilter {
        status: Some(UserStatus::Active),
        ..Default::default()
    })
    .await;
    let active_n = count(
        &pool,
        "SELECT COUNT(*) FROM users WHERE business_id = $1 AND status = 'active'",
        b,
    )
    .await;
    assert!(active_n > 1_000);
    assert_eq!(
        (active.total, active.total_estimated),
        (Some(active_n), false)
    );

    // A group of some 500: counted exactly.
    let group: GroupId = seeded.first_group.parse().unwrap();
    let members = count(
        &pool,
        &format!(
            "SELECT COUNT(*) FROM group_members WHERE group_id = '{group}' AND business_id = $1"
        ),
        b,
    )
    .await;
    assert!((1..=1_000).contains(&members));
    let page = list(UserFilter {
        group: Some(group),
        ..Default::default()
    })
    .await;
    assert_eq!((page.total, page.total_estimated), (Some(members), false));

    // A tenant most users reach: an estimate, said to be one, near the truth.
    let tenant: TenantId = seeded.tenants[0].parse().unwrap();
    let by_tenant = UserFilter {
        tenant: Some(tenant),
        ..Default::default()
    };
    let exact = list(UserFilter {
        exact_total: true,
        ..by_tenant.clone()
    })
    .await;
    assert!(!exact.total_estimated);
    let truth = exact.total.unwrap();
    assert!(truth > 1_000, "the tenant filter matched only {truth}");
    let estimated = list(by_tenant).await;
    assert!(estimated.total_estimated);
    let guess = estimated.total.unwrap();
    assert!(
        (truth * 3 / 4..=truth * 5 / 4).contains(&guess),
        "estimate {guess} for {truth}"
    );
    // The same people listed either way: only the total differs.
    assert_eq!(estimated.items, exact.items);
    assert_eq!(estimated.next_cursor, exact.next_cursor);

    // A search matching nearly everyone: estimated; matching few: exact.
    let broad = list(UserFilter {
        query: Some("user".into()),
        ..Default::default()
    })
    .await;
    assert!(broad.total_estimated && broad.total.unwrap() > 1_000);
    let narrow = list(UserFilter {
        query: Some("user000012".into()),
        ..Default::default()
    })
    .await;
    assert_eq!((narrow.total, narrow.total_estimated), (Some(10), false));
}

/// The per-status counters agree with the rows after creation, activation, deactivation
/// and reactivation, and after writes that bypass the services (the seed's plain SQL).
async fn user_counters_follow_every_write(env: Env) {
    let b = env.business("acme").await.id;
    let manage = env.access::<UsersManage>(b);
    let view = env.access::<UsersView>(b);
    let mut ids = Vec::new();
    for i in 0..6 {
        let u = env
            .gh
            .create_user(
                &manage,
                &env.ctx,
                new_user(&format!("u{i}@example.com"), ""),
            )
            .await
            .unwrap();
        ids.push(u.id);
    }
    for id in &ids[..4] {
        env.gh.activate_user(&env.ctx, b, *id).await.unwrap();
    }
    for id in &ids[..2] {
        env.gh
            .deactivate_user(&manage, &env.ctx, *id, Precondition::default())
            .await
            .unwrap();
    }
    env.gh
        .reactivate_user(&manage, &env.ctx, ids[0], Precondition::default())
        .await
        .unwrap();
    let pool = AnyPool::connect(&env.db.url).await.unwrap();
    // Another business's users count for that business only.
    let (other, _) = seeded(&env, 700, true).await;
    for (business, expect) in [(b, [2, 3, 0, 1]), (other, [0, 0, 0, 0])] {
        for (status, n) in [
            UserStatus::Pending,
            UserStatus::Active,
            UserStatus::Locked,
            UserStatus::Deactivated,
        ]
        .into_iter()
        .zip(expect)
        {
            let rows = count(
                &pool,
                &format!(
                    "SELECT COUNT(*) FROM users WHERE business_id = $1 AND status = '{}'",
                    status.as_str()
                ),
                business,
            )
            .await;
            if business == b {
                assert_eq!(rows, n, "{status:?}");
            }
            let listed = env
                .gh
                .list_users(
                    &env.access::<UsersView>(business),
                    &UserFilter {
                        status: Some(status),
                        ..Default::default()
                    },
                    None,
                    1,
                )
                .await
                .unwrap();
            assert_eq!(
                (listed.total, listed.total_estimated),
                (Some(rows), false),
                "{status:?}"
            );
        }
    }
    let all = env
        .gh
        .list_users(&view, &UserFilter::default(), None, 1)
        .await
        .unwrap();
    assert_eq!(all.total, Some(6));
}

/// A business loaded in bulk and queried at once, before any ANALYZE: every statement of
/// the listing (page, capped, exact and sampled counts) for each filter, and the groups
/// list, compares ids without a cast and reads no whole users table.
async fn fresh_database_plans_use_the_indexes(env: Env) {
    let (b, seeded) = seeded(&env, 50_000, false).await;
    let group: GroupId = seeded.first_group.parse().unwrap();
    let covering = crate::member_plans::covering_first_tenant(&seeded);
    let filters = [
        ("unfiltered", UserFilter::default(), None),
        (
            "status",
            UserFilter {
                status: Some(UserStatus::Active),
                ..Default::default()
            },
            Some("user0040000@example.com"),
        ),
        (
            "group",
            UserFilter {
                group: Some(group),
                ..Default::default()
            },
            None,
        ),
        (
            "tenant with a cursor",
            UserFilter {
                member_of_any: Some(covering),
                ..Default::default()
            },
            Some("user0040000@example.com"),
        ),
        (
            "search",
            UserFilter {
                query: Some("user001".into()),
                ..Default::default()
            },
            None,
        ),
    ];
    for (name, filter, after) in filters {
        let plan = explain_users_list(&env.db.store, b, &filter, after)
            .await
            .unwrap();
        assert_plan_uses_indexes(env.db.backend, name, &plan);
    }
    let plan = explain_groups_list(&env.db.store, b).await.unwrap();
    assert_plan_uses_indexes(env.db.backend, "groups", &plan);

    // The first listing finds the statistics behind the data and refreshes them.
    let view = env.access::<UsersView>(b);
    let page = env
        .gh
        .list_users(&view, &UserFilter::default(), None, 50)
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (50, Some(50_000)));
    if env.db.backend == Backend::Postgres {
        let pool = AnyPool::connect(&env.db.url).await.unwrap();
        let planned: i64 = sqlx::query_scalar(
            "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = to_regclass('users')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(planned > 25_000, "statistics still say {planned} users");
    }
}

fn assert_plan_uses_indexes(backend: Backend, name: &str, plan: &str) {
    // SQLite names a subquery's result like a table ("SCAN u" after "CO-ROUTINE u").
    let subqueries: Vec<&str> = plan
        .lines()
        .map(str::trim)
        .filter_map(|l| {
            l.strip_prefix("CO-ROUTINE ")
                .or_else(|| l.strip_prefix("MATERIALIZE "))
        })
        .collect();
    for line in plan.lines().map(str::trim) {
        let full_scan = match backend {
            // Counting a tenant's many members may read the memberships whole (a hash
            // semi-join); the users table, never.
            Backend::Postgres => line.contains("Seq Scan on users"),
            // "SCAN u" without "USING … INDEX": every row of the table.
            Backend::Sqlite => line.strip_prefix("SCAN ").is_some_and(|table| {
                ["u", "m", "gm"].contains(&table) && !subqueries.contains(&table)
            }),
        };
        assert!(!full_scan, "{name}: a whole table read:\n{plan}");
        // A cast on a join key (`u.id = (m.user_id)::text`) keeps the join off the index.
        let casts = (line.contains("Join Filter")
            || line.contains("Hash Cond")
            || line.contains("Merge Cond")
            || line.contains("Index Cond"))
            && line.contains(")::text");
        assert!(!casts, "{name}: a join through a cast:\n{plan}");
    }
}
