//! Manage users → Users: the table of a business's users with status, search, group and
//! tenant filters and keyset paging (fast at 100k users), and inviting a new user.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::ids::{GroupId, TenantId, UserId};
use gatehouse_domain::model::{Tenant, User, UserStatus};
use gatehouse_domain::principal::{AnyMember, UsersManage, UsersView};
use gatehouse_domain::services::{InvitationState, NewUser};
use gatehouse_domain::store::{UserFilter, UserSort};
use gatehouse_domain::types::{DisplayName, Email};

use super::super::problems::{FieldMap, Problems};
use super::context::{Answer, Chrome, Dash, describe, notice_text, page, page_with};
use super::delivery::{DeliveryView, delivery_view};
use super::fields::{Fields, Params, query_string};
use super::group_choice::{AccessChange, GroupChoice, change, choices, fingerprint, reviewed};
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
}

/// A pending user's invitation as pages show it.
#[derive(Debug, Clone)]
pub(crate) struct Invitation {
    pub(crate) text: String,
    /// "Expired" or "Revoked" when the link no longer works.
    pub(crate) dead: Option<&'static str>,
}

/// The invitation of each pending user of `users`, by user id.
pub(crate) async fn invitations(
    d: &Dash,
    access: &gatehouse_domain::principal::BusinessAccess<UsersView>,
    users: &[&User],
) -> std::collections::HashMap<String, Invitation> {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    let show = |t: time::OffsetDateTime| t.format(&day).unwrap_or_default();
    let now = d.state.gatehouse.now();
    let states = d
        .state
        .gatehouse
        .invitation_states(access, users)
        .await
        .unwrap_or_default();
    states
        .into_iter()
        .map(|(id, st)| {
            let inv = match st {
                InvitationState::Revoked(at) => Invitation {
                    text: format!("Invitation revoked {}", show(at)),
                    dead: Some("Revoked"),
                },
                InvitationState::Sent(at, Some(exp)) if exp <= now => Invitation {
                    text: format!("Invited {}; the link expired {}", show(at), show(exp)),
                    dead: Some("Expired"),
                },
                InvitationState::Sent(at, Some(exp)) => Invitation {
                    text: format!("Invited {}; the link works until {}", show(at), show(exp)),
                    dead: None,
                },
                InvitationState::Sent(at, None) => Invitation {
                    text: format!("Invited {}", show(at)),
                    dead: None,
                },
            };
            (id.to_string(), inv)
        })
        .collect()
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
    }
}

#[derive(Template)]
#[template(path = "dashboard/users.html")]
struct UsersPage {
    c: Chrome,
    rows: Vec<UserRow>,
    total: i64,
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
        ..UserFilter::default()
    }
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
        total: users.total.unwrap_or_default(),
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

#[derive(Template)]
#[template(path = "dashboard/invite.html")]
struct InvitePage {
    c: Chrome,
    email: String,
    name: String,
    groups: Vec<GroupChoice>,
    who: String,
    review: Option<AccessChange>,
    reviewed: String,
}

async fn render_invite(
    d: &Dash,
    form: &Fields,
    problems: Problems,
    error: Failure,
    review: Option<AccessChange>,
) -> Answer {
    let gh = &d.state.gatehouse;
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "users"))?;
    let groups = gh
        .list_groups(&view)
        .await
        .map_err(|e| d.fail(e, "users"))?;
    let chosen = form.all("group");
    let tenants = tenants_of(d).await?;
    let mut c = d.chrome("Add a new user", "users");
    let status = error.as_ref().map_or(
        if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        |(s, _)| *s,
    );
    c.error = error.map(|(_, t)| t);
    c.problems = problems;
    Ok(page_with(
        status,
        &InvitePage {
            c,
            email: form.get("email").to_owned(),
            name: form.get("name").to_owned(),
            groups: choices(d.catalog(), &tenants, &groups, &chosen),
            who: Some(form.get("name"))
                .filter(|n| !n.is_empty())
                .unwrap_or(form.get("email"))
                .to_owned(),
            review,
            reviewed: fingerprint(form),
        },
    ))
}

type Failure = Option<(StatusCode, String)>;

/// The invitation form's fields, by the domain's names.
const INVITE_FIELDS: FieldMap<'static> = &[("email", "email", "Email"), ("name", "name", "Name")];

/// The invitation form. Requires `users.manage`.
pub(crate) async fn invite_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Answer {
    let (d, _access) = Dash::with::<UsersManage>(&s, browser, &slug).await?;
    render_invite(&d, &Fields::default(), Problems::default(), None, None).await
}

/// Creates a pending user in the chosen groups and mails the invitation. Requires
/// `users.manage` (and, for each group, its rights: no escalation).
pub(crate) async fn invite_user(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
    form: Fields,
) -> Answer {
    let (d, access) = Dash::post::<UsersManage>(&s, browser, &slug, form.csrf()).await?;
    let mut problems = Problems::default();
    let email = problems.check("email", "Email", Email::parse(form.get("email")));
    let name = problems.check("name", "Name", DisplayName::parse(form.get("name")));
    let (Some(email), Some(display_name)) = (email, name) else {
        return render_invite(&d, &form, problems, None, None).await;
    };
    let chosen = form.all("group");
    if !chosen.is_empty() && !reviewed(&form) {
        let view = d
            .principal
            .authorize::<UsersView>()
            .map_err(|e| d.fail(e, "users"))?;
        let groups = s
            .gatehouse
            .list_groups(&view)
            .await
            .map_err(|e| d.fail(e, "users"))?;
        let tenants = tenants_of(&d).await?;
        let joining: Vec<_> = groups
            .iter()
            .filter(|g| chosen.contains(&g.id.to_string().as_str()))
            .collect();
        let review = change(d.catalog(), &tenants, &[], &joining);
        return render_invite(&d, &form, problems, None, Some(review)).await;
    }
    let new = NewUser {
        email,
        display_name,
        groups: form
            .all("group")
            .into_iter()
            .filter_map(|g| g.parse().ok())
            .collect(),
    };
    match s.gatehouse.create_user(&access, &d.browser.ctx, new).await {
        Ok(_) => Ok(d.done(&d.admin("/users"), "invited")),
        Err(e) => {
            let error = problems
                .take(e, INVITE_FIELDS)
                .map(|e| describe(d.catalog(), e));
            render_invite(&d, &form, problems, error, None).await
        }
    }
}
