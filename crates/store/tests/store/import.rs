//! Bulk import: a dry run reports exactly what the real run does; a second run of the same
//! file changes nothing; refused rows (with their lines) change nothing; the group rule
//! holds for the importer; a job whose node stopped is reported failed.

use std::collections::BTreeSet;
use std::sync::Arc;

use gatehouse_domain::audit::AuditFilter;
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::Grants;
use gatehouse_domain::ids::{ApiKeyId, ImportJobId};
use gatehouse_domain::model::{GroupKind, User, UserStatus};
use gatehouse_domain::principal::{AuditView, GroupsManage, Principal, UsersManage, UsersView};
use gatehouse_domain::services::{
    IMPORT_BATCH_ROWS, IMPORT_JOB_STALE_AFTER, ImportCounts, ImportFormat, ImportJob,
    ImportJobState, ImportJobs, ImportReport, NewGroup, RowAction,
};
use gatehouse_domain::store::UserFilter;
use gatehouse_domain::types::{ApiKeyName, Description, GroupName};

use crate::harness::Env;

crate::backend_tests!(
    dry_run_equals_real_run_and_second_run_is_a_no_op,
    json_lines_and_bad_lines,
    importer_cannot_grant_groups_beyond_its_rights,
    batches_keep_rows_apart_and_find_duplicates_across_them,
    stale_job_is_reported_failed,
);

fn keys(k: &[&str]) -> BTreeSet<PermissionKey> {
    k.iter().map(|s| PermissionKey::parse(s).unwrap()).collect()
}

async fn group(env: &Env, b: gatehouse_domain::ids::BusinessId, name: &str, grants: Grants) {
    env.gh
        .create_group(
            &env.access::<GroupsManage>(b),
            &env.ctx,
            NewGroup {
                name: GroupName::parse(name).unwrap(),
                description: Description::parse("").unwrap(),
                kind: GroupKind::Business,
                tenants: vec![],
                grants,
                acknowledge_sensitive: true,
            },
        )
        .await
        .unwrap();
}

/// Two groups: `Support` (view verifications in Live) and `Admins` (manage users).
async fn setup(env: &Env) -> gatehouse_domain::ids::BusinessId {
    let b = env.business("acme").await.id;
    let support = Grants {
        live: keys(&["verification.view"]),
        ..Grants::default()
    };
    group(env, b, "Support", support).await;
    let admins = Grants {
        business: keys(&["users.manage"]),
        ..Grants::default()
    };
    group(env, b, "Admins", admins).await;
    b
}

async fn import(
    env: &Env,
    access: &gatehouse_domain::principal::BusinessAccess<UsersManage>,
    format: ImportFormat,
    file: &str,
    dry_run: bool,
) -> ImportReport {
    env.gh
        .import_users(access, &env.ctx, format, file.as_bytes(), dry_run, &|_| {})
        .await
        .unwrap()
}

async fn users(env: &Env, b: gatehouse_domain::ids::BusinessId) -> Vec<User> {
    env.gh
        .list_users(
            &env.access::<UsersView>(b),
            &UserFilter::default(),
            None,
            500,
        )
        .await
        .unwrap()
        .items
}

const FILE: &str = "email,name,groups\n\
ann@acme.test,Ann,Support\n\
bob@acme.test,Robert,Support; admins\n\
carol@acme.test,,\n\
BOB@acme.test,Dup,\n\
not-an-email,X,\n\
dave@acme.test,Dave,Nope\n\
\"erin@acme.test\",\"Erin, E.\",\"Support;Support\"\n";

async fn dry_run_equals_real_run_and_second_run_is_a_no_op(env: Env) {
    let b = setup(&env).await;
    let manage = env.access::<UsersManage>(b);
    // Bob exists, in Support, named Bob: the file renames him and adds Admins.
    import(
        &env,
        &manage,
        ImportFormat::Csv,
        "email,name,groups\nbob@acme.test,Bob,Support\n",
        false,
    )
    .await;
    let before = users(&env, b).await;

    let dry = import(&env, &manage, ImportFormat::Csv, FILE, true).await;
    assert_eq!(users(&env, b).await, before, "a dry run writes nothing");
    let real = import(&env, &manage, ImportFormat::Csv, FILE, false).await;
    assert!(dry.dry_run && !real.dry_run);
    assert_eq!(
        dry.rows, real.rows,
        "the dry run reports what the real run does"
    );
    assert_eq!(dry.counts, real.counts);

    let actions: Vec<(u64, RowAction, Option<&str>)> = real
        .rows
        .iter()
        .map(|r| (r.line, r.action, r.error.as_ref().map(|e| e.code.as_str())))
        .collect();
    assert_eq!(
        actions,
        vec![
            (2, RowAction::Create, None),
            (3, RowAction::Update, None),
            (4, RowAction::Create, None),
            (5, RowAction::Error, Some("duplicate_row")),
            (6, RowAction::Error, Some("invalid_email")),
            (7, RowAction::Error, Some("group_not_found")),
            (8, RowAction::Create, None),
        ]
    );
    assert_eq!(real.rows[1].groups_added, vec!["Admins"]);
    assert_eq!(real.rows[1].name.as_deref(), Some("Robert"));
    assert_eq!(
        real.counts,
        ImportCounts {
            total: 7,
            processed: 7,
            created: 3,
            updated: 1,
            skipped: 0,
            errors: 3,
        }
    );

    let after = users(&env, b).await;
    let emails: Vec<&str> = after.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "ann@acme.test",
            "bob@acme.test",
            "carol@acme.test",
            "erin@acme.test"
        ],
        "refused rows created nobody"
    );
    let bob = &after[1];
    assert_eq!(
        bob.display_name.as_str(),
        "Robert",
        "the duplicate row did not rename"
    );
    let groups: Vec<&str> = bob.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(groups, ["Admins", "Support"]);
    let ann = &after[0];
    assert_eq!(ann.status, UserStatus::Pending);
    assert_eq!(after[3].display_name.as_str(), "Erin, E.");
    // Invited through the mail outbox, audited in the same transaction.
    let mail = env
        .gh
        .invitation_delivery(&env.access::<UsersView>(b), ann.id)
        .await
        .unwrap();
    assert!(mail.is_some(), "an invitation mail is queued");
    let events = env
        .gh
        .list_audit_events(
            &env.access::<AuditView>(b),
            AuditFilter::default(),
            None,
            100,
        )
        .await
        .unwrap()
        .items;
    let created = events
        .iter()
        .filter(|e| e.action == "user.created" && e.target.label == "ann@acme.test")
        .count();
    assert_eq!(created, 1);

    // The same file again: nothing changes, every valid row is a skip.
    let again = import(&env, &manage, ImportFormat::Csv, FILE, false).await;
    assert_eq!(users(&env, b).await, after, "a second run changes nothing");
    assert_eq!(again.counts.created + again.counts.updated, 0);
    assert_eq!(again.counts.skipped, 4);
    assert_eq!(again.counts.errors, 3);
}

async fn json_lines_and_bad_lines(env: Env) {
    let b = setup(&env).await;
    let manage = env.access::<UsersManage>(b);
    let file = "{\"email\":\"ann@acme.test\",\"name\":\"Ann\",\"groups\":[\"Support\"]}\n\
                \n\
                {\"email\":\"bob@acme.test\",\"role\":\"admin\"}\n\
                not json\n\
                {\"email\":\"carol@acme.test\"}\n";
    let report = import(&env, &manage, ImportFormat::Jsonl, file, false).await;
    let lines: Vec<(u64, RowAction)> = report.rows.iter().map(|r| (r.line, r.action)).collect();
    assert_eq!(
        lines,
        vec![
            (1, RowAction::Create),
            (3, RowAction::Error),
            (4, RowAction::Error),
            (5, RowAction::Create),
        ]
    );
    let emails: Vec<String> = users(&env, b)
        .await
        .iter()
        .map(|u| u.email.to_string())
        .collect();
    assert_eq!(emails, ["ann@acme.test", "carol@acme.test"]);
    // A file that cannot be read at all is refused whole.
    let err = env
        .gh
        .import_users(
            &manage,
            &env.ctx,
            ImportFormat::Csv,
            b"name\nAnn\n",
            false,
            &|_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_import_file");
}

async fn importer_cannot_grant_groups_beyond_its_rights(env: Env) {
    let b = setup(&env).await;
    // A key that holds users.manage and Support's rights, not Auditors' audit.view.
    group(
        &env,
        b,
        "Auditors",
        Grants {
            business: keys(&["audit.view"]),
            ..Grants::default()
        },
    )
    .await;
    let principal = Principal::ApiKey {
        id: ApiKeyId::new(env.gh.now()),
        business_id: b,
        name: ApiKeyName::parse("importer").unwrap(),
        grants: Arc::new(Grants {
            business: keys(&["users.manage"]),
            live: keys(&["verification.view"]),
            ..Grants::default()
        }),
    };
    let access = principal.authorize::<UsersManage>().unwrap();
    let file = "email,groups\nann@acme.test,Support\nbob@acme.test,Auditors\n";
    let report = import(&env, &access, ImportFormat::Csv, file, false).await;
    assert_eq!(report.rows[0].action, RowAction::Create);
    assert_eq!(report.rows[1].action, RowAction::Error);
    assert_eq!(
        report.rows[1].error.as_ref().unwrap().code,
        "would_escalate"
    );
    let emails: Vec<String> = users(&env, b)
        .await
        .iter()
        .map(|u| u.email.to_string())
        .collect();
    assert_eq!(emails, ["ann@acme.test"], "the refused row created nobody");
}

async fn batches_keep_rows_apart_and_find_duplicates_across_them(env: Env) {
    let b = setup(&env).await;
    let manage = env.access::<UsersManage>(b);
    let n = IMPORT_BATCH_ROWS + 20;
    let mut file = String::from("email,groups\n");
    for i in 0..n {
        file.push_str(&format!("user{i:05}@acme.test,Support\n"));
    }
    // The first row again, in the second batch.
    file.push_str("USER00000@acme.test,\n");
    let mut seen = Vec::new();
    let progress = std::sync::Mutex::new(&mut seen);
    let report = env
        .gh
        .import_users(
            &manage,
            &env.ctx,
            ImportFormat::Csv,
            file.as_bytes(),
            false,
            &|c| {
                progress.lock().unwrap().push(c.processed);
            },
        )
        .await
        .unwrap();
    assert_eq!(seen, vec![IMPORT_BATCH_ROWS as u64, n as u64 + 1]);
    assert_eq!(report.counts.created, n as u64);
    let last = report.rows.last().unwrap();
    assert_eq!(last.line, n as u64 + 2);
    assert_eq!(last.error.as_ref().unwrap().code, "duplicate_row");
    let page = env
        .gh
        .list_users(&env.access::<UsersView>(b), &UserFilter::default(), None, 1)
        .await
        .unwrap();
    assert_eq!(page.total, Some(n as i64));
}

async fn stale_job_is_reported_failed(env: Env) {
    let b = setup(&env).await;
    let now = env.gh.now();
    let job = ImportJob {
        id: ImportJobId::new(now),
        business_id: b,
        state: ImportJobState::Running,
        dry_run: false,
        format: ImportFormat::Csv,
        counts: ImportCounts::default(),
        error: None,
        rows: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    env.db.store.insert_import_job(&job).await.unwrap();
    let manage = env.access::<UsersManage>(b);
    let got = env.gh.import_job(&manage, job.id).await.unwrap();
    assert_eq!(got.state, ImportJobState::Running);
    env.clock
        .advance(IMPORT_JOB_STALE_AFTER + time::Duration::seconds(1));
    let got = env.gh.import_job(&manage, job.id).await.unwrap();
    assert_eq!(got.state, ImportJobState::Failed);
    assert_eq!(got.error.unwrap().code, "import_interrupted");
    // Another business does not see it.
    let other = env.business("other").await.id;
    let err = env
        .gh
        .import_job(&env.access::<UsersManage>(other), job.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "import_job_not_found");
}
