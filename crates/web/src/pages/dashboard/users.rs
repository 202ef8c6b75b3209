//! Manage users → Users: the table of a business's users with status, search, group and
//! tenant filters and keyset paging (fast at 100k users), and inviting a new user.

use askama::Template;
use axum::extract::{Path, State};
use gatehouse_domain::ids::{GroupId, TenantId, UserId};
use gatehouse_domain::model::{Tenant, User, UserStatus};
use gatehouse_domain::principal::{AnyMember, UsersView};
use gatehouse_domain::store::{UserFilter, UserSort};

use super::context::{Answer, Chrome, Dash, notice_text, page};
use super::delivery::{DeliveryView, delivery_view};
use super::fields::{Fields, Params, query_string};
use super::invitations::{Invitation, invitations};
use super::user_actions::{Action, actions_for};
use crate::browser::Browser;
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

/// A user as a table row.
#[derive(Debug)]
pub(crate) struct UserRow {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) groups: Vec<String>,
    pub(crate) status: &'static str,
    pub(crate) status_label: &'static str,
    pub(crate) mfa: bool,
    pub(crate) actions: Vec<Action>,
    /// A pending user's invitation mail, where the page looked it up.
    pub(crate) delivery: Option<DeliveryView>,
    /// A pending user's invitation: how it stands, in words, and a badge when it is dead.
    pub(crate) invitation: Option<Invitation>,
    /// On a group's members tab: a temporary membership's time left, and its end.
    pub(crate) access_ends: Option<(String, String)>,
}

pub(crate) fn status_label(s: UserStatus) -> &'static str {
    match s {
        UserStatus::Active => "Active",
        UserStatus::Pending => "Pending",
        UserStatus::Locked => "Locked",
        UserStatus::Deactivated => "Deactivated",
    }
}

pub(crate) fn row(d: &Dash, u: &User) -> UserRow {
    UserRow {
        id: u.id.to_string(),
        email: u.email.to_string(),
        name: u.display_name.to_string(),
        groups: u.groups.iter().map(|g| g.name.to_string()).collect(),
        status: u.status.as_str(),
        status_label: status_label(u.status),
        mfa: u.mfa_enrolled,
        actions: actions_for(d, u),
        delivery: None,
        invitation: None,
        access_ends: None,
    }
}

#[derive(Template)]
#[template(path = "dashboard/users.html")]
struct UsersPage {
    c: Chrome,
    rows: Vec<UserRow>,
    /// How many match: a number, or "about 470,000" when estimated.
    total: String,
    /// This page again with the exact count, when the total is an estimate.
    count_exactly: Option<String>,
    q: String,
    statuses: Vec<Opt>,
    groups: Vec<Opt>,
    tenants: Vec<Opt>,
    filtered: bool,
    sorts: Vec<Opt>,
    by_email: SortLink,
    by_name: SortLink,
    next: Option<String>,
    first: Option<String>,
    /// This page's query, for the bulk form to come back to.
    back: String,
    /// The filters' query, for the export link and the jump form.
    export: String,
    kept: Vec<(&'static str, String)>,
    /// Jumping by email works in the email order.
    jump: bool,
    from: String,
}

/// The users filter of a page's (or an export's) parameters.
pub(crate) fn filter_from(q: &Fields) -> UserFilter {
    UserFilter {
        status: UserStatus::parse(q.get("status")),
        group: q.get("group").parse::<GroupId>().ok(),
        tenant: q.get("tenant").parse::<TenantId>().ok(),
        query: Some(q.get("q").to_owned()).filter(|v| !v.is_empty()),
        sort: UserSort::parse(q.get("sort")).unwrap_or_default(),
        exact_total: q.get("exact") == "1",
        ..UserFilter::default()
    }
}

/// A total as the page shows it: "1234", or "about 470,000" when it is an estimate.
fn total_text(total: i64, estimated: bool) -> String {
    if !estimated {
        return total.to_string();
    }
    let digits = total.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("about {grouped}")
}

/// The users table. Requires `users.view`.
pub(crate) async fn list_users_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    q: Params,
) -> Answer {
    let (d, access) = Dash::with::<UsersView>(&s, browser, &slug).await?;
    let gh = &s.gatehouse;
    let (status, search) = (q.get("status"), q.get("q"));
    let (group, tenant) = (q.get("group"), q.get("tenant"));
    let filter = filter_from(&q);
    let sort = filter.sort;
    // Jumping to emails from a prefix: a position of the user's choosing, not a cursor.
    let from = q.get("from");
    let cursor = Some(q.get("cursor")).filter(|c| !c.is_empty());
    let listed = match cursor {
        None if sort == UserSort::Email && !from.is_empty() => {
            gh.list_users_from_email(&access, &filter, from, PAGE_SIZE)
                .await
        }
        _ => gh.list_users(&access, &filter, cursor, PAGE_SIZE).await,
    };
    let users = listed.map_err(|e| d.fail(e, "users"))?;
    // Whether each pending user's invitation reached them (or is stuck) shows in the table.
    let pending: Vec<UserId> = users
        .items
        .iter()
        .filter(|u| u.status == UserStatus::Pending)
        .map(|u| u.id)
        .collect();
    let mut deliveries = gh
        .invitation_deliveries(&access, &pending)
        .await
        .map_err(|e| d.fail(e, "users"))?;
    let groups = gh
        .list_groups(&access)
        .await
        .map_err(|e| d.fail(e, "users"))?;
    let tenants = tenants_of(&d).await?;
    let sort_param = if sort == UserSort::default() {
        ""
    } else {
        sort.as_str()
    };
    let keep = [
        ("status", status),
        ("q", search),
        ("group", group),
        ("tenant", tenant),
        ("sort", sort_param),
    ];
    let here = d.admin("/users");
    // A column header sorts by its column, and flips the order when it already does.
    let sorted_by = |asc: UserSort, desc: UserSort| {
        let next = if sort == asc { desc } else { asc };
        let mut pairs = keep[..4].to_vec();
        pairs.push(("sort", next.as_str()));
        let arrow = if sort == asc {
            "↑"
        } else if sort == desc {
            "↓"
        } else {
            ""
        };
        SortLink {
            href: format!("{here}?{}", query_string(&pairs)),
            arrow,
        }
    };
    let by_email = sorted_by(UserSort::Email, UserSort::EmailDesc);
    let by_name = sorted_by(UserSort::Name, UserSort::NameDesc);
    let next = users.next_cursor.as_deref().map(|c| {
        let mut pairs = keep.to_vec();
        pairs.push(("cursor", c));
        format!("{here}?{}", query_string(&pairs))
    });
    let first = cursor.map(|_| format!("{here}?{}", query_string(&keep)));
    let mut c = d.chrome("Users", "users");
    c.notice = notice_text(q.get("notice")).map(str::to_owned);
    c.error = notice_text(q.get("error")).map(str::to_owned);
    let mut here_pairs = keep.to_vec();
    here_pairs.extend([("cursor", q.get("cursor")), ("from", q.get("from"))]);
    let count_exactly = users.total_estimated.then(|| {
        let mut pairs = here_pairs.clone();
        pairs.push(("exact", "1"));
        format!("{here}?{}", query_string(&pairs))
    });
    let refs: Vec<&User> = users.items.iter().collect();
    let mut invited = invitations(&d, &access, &refs).await;
    let rows = users
        .items
        .iter()
        .map(|u| UserRow {
            invitation: invited.remove(&u.id.to_string()),
            delivery: deliveries.remove(&u.id).as_ref().map(delivery_view),
            ..row(&d, u)
        })
        .collect();
    Ok(page(&UsersPage {
        back: query_string(&here_pairs),
        export: query_string(&keep),
        kept: keep
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect(),
        jump: sort == UserSort::Email,
        from: q.get("from").to_owned(),
        rows,
        total: total_text(users.total.unwrap_or_default(), users.total_estimated),
        count_exactly,
        filtered: keep.iter().any(|(_, v)| !v.is_empty()),
        q: search.to_owned(),
        statuses: [
            UserStatus::Active,
            UserStatus::Pending,
            UserStatus::Locked,
            UserStatus::Deactivated,
        ]
        .into_iter()
        .map(|st| Opt::new(st.as_str(), status_label(st), status))
        .collect(),
        groups: groups
            .iter()
            .map(|g| Opt::new(&g.id.to_string(), g.name.as_str(), group))
            .collect(),
        tenants: tenants
            .iter()
            .map(|t| Opt::new(&t.id.to_string(), t.name.as_str(), tenant))
            .collect(),
        sorts: SORTS
            .iter()
            .map(|(value, label)| Opt::new(value, label, sort.as_str()))
            .collect(),
        by_email,
        by_name,
        next,
        first,
        c,
    }))
}

/// The orders the table offers.
const SORTS: [(&str, &str); 6] = [
    ("email", "Email A–Z"),
    ("email_desc", "Email Z–A"),
    ("name", "Name A–Z"),
    ("name_desc", "Name Z–A"),
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
];

/// A sortable column header: where it leads and the arrow it shows.
#[derive(Debug)]
struct SortLink {
    href: String,
    arrow: &'static str,
}

/// A choice of a select, or a checkbox.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

impl Opt {
    pub(crate) fn new(value: &str, label: &str, current: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        }
    }
}

/// The business's tenants (every member may read them).
pub(crate) async fn tenants_of(d: &Dash) -> Answer<Vec<Tenant>> {
    let access = d
        .principal
        .authorize::<AnyMember>()
        .map_err(|e| d.fail(e, "users"))?;
    d.state
        .gatehouse
        .list_tenants(&access)
        .await
        .map_err(|e| d.fail(e, "users"))
}
