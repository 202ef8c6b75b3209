//! Creating and editing a group: name, description, type (Business, or Tenants with a tenant
//! picker), the permission matrix. A change that adds or removes anyone's access, or grants
//! a sensitive permission, goes through a review step that shows its effect ("3 users gain
//! Delete Verification in Sandbox") and asks for the acknowledgement; escalation is refused
//! with the missing rights named.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_domain::Error;
use gatehouse_domain::ids::GroupId;
use gatehouse_domain::model::{Group, GroupScope};
use gatehouse_domain::principal::{BusinessAccess, GroupsManage, UsersView};
use gatehouse_domain::services::{GroupPatch, GroupProposal, NewGroup, Precondition};

use super::super::problems::{FieldMap, Problems};
use super::context::{Answer, Chrome, Dash, DashForm, describe, notice_text, page_with};
use super::fields::{Fields, Params};
use super::group_form::{EditorView, GroupForm, editor_view};
use super::group_review::{Findings, review, vague};
use super::self_loss::{self, After};
use super::users::tenants_of;
use crate::browser::Browser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/group_editor.html")]
struct EditorPage {
    c: Chrome,
    /// `None` for a new group.
    id: Option<String>,
    members: i64,
    editable: bool,
    action: String,
    v: EditorView,
}

type Failure = Option<(StatusCode, String)>;

async fn editor(d: &Dash, before: Option<&Group>, form: &GroupForm, error: Failure) -> Answer {
    editor_with(d, before, form, error, None, Problems::default()).await
}

async fn editor_with(
    d: &Dash,
    before: Option<&Group>,
    form: &GroupForm,
    error: Failure,
    notice: Option<&str>,
    problems: Problems,
) -> Answer {
    let tenants = tenants_of(d).await?;
    let title = before.map_or_else(|| "New group".to_owned(), |g| g.name.to_string());
    let mut c = d.chrome(&title, "groups");
    c.notice = notice.map(str::to_owned);
    let status = c.outcome(error, problems);
    let action = before.map_or_else(
        || d.admin("/groups/new"),
        |g| d.admin(&format!("/groups/{}", g.id)),
    );
    Ok(page_with(
        status,
        &EditorPage {
            id: before.map(|g| g.id.to_string()),
            members: before.map_or(0, |g| g.member_count),
            editable: d.can.groups_manage,
            action,
            v: editor_view(d, form, &tenants).await,
            c,
        },
    ))
}

/// Validates, previews or saves a submitted editor form.
async fn submit(
    d: &Dash,
    access: &BusinessAccess<GroupsManage>,
    before: Option<&Group>,
    fields: &Fields,
) -> Answer {
    let fallback = || before.map_or_else(GroupForm::new_group, GroupForm::of);
    let form = match GroupForm::read(fields) {
        Ok(f) => f,
        Err(e) => return editor(d, before, &fallback(), Some(describe(d.catalog(), e))).await,
    };
    let step = fields.get("step");
    if step == "edit" {
        return editor(d, before, &form, None).await;
    }
    let mut problems = Problems::default();
    problems.check("name", "Name", form.name());
    problems.check("description", "Description", form.description());
    let tenants = form.tenant_ids().unwrap_or_default();
    let proposal = GroupProposal {
        before,
        kind: form.kind,
        tenants: &tenants,
        grants: &form.grants,
        add: &[],
        remove: &[],
    };
    // The domain plans the change once: its shape, what it grants where, what is sensitive,
    // what the admin lacks, what it does to the members.
    let plan = d.state.gatehouse.plan_group_change(access, proposal).await;
    let plan = match plan.map_err(|e| problems.take(e, GROUP_FIELDS)) {
        Ok(plan) if problems.is_empty() => plan,
        Ok(_) | Err(None) => return editor_with(d, before, &form, None, None, problems).await,
        Err(Some(e)) => return editor(d, before, &form, Some(describe(d.catalog(), e))).await,
    };
    if !plan.missing.is_empty() {
        let e = Error::WouldEscalate {
            missing: plan.missing,
        };
        return editor(d, before, &form, Some(describe(d.catalog(), e))).await;
    }
    let (scope, sensitive, effect) = (plan.scope, plan.sensitive, plan.effect);
    let warn_self = match before {
        Some(b) if d.me.groups.iter().any(|m| m.id == b.id) => {
            self_loss::warning(d, |g| {
                if g.id == b.id {
                    After::Becomes(&scope, &form.grants)
                } else {
                    After::Same
                }
            })
            .await
        }
        _ => None,
    };
    let found = Findings {
        effect: &effect,
        sensitive: &sensitive,
        warn_self,
        vague_name: vague(&form.name) && !fields.has("name_ok"),
        business_wide: matches!(scope, GroupScope::Business) && !sensitive.is_empty(),
    };
    if step != "save" && found.any() {
        return Ok(review(d, before, &form, &found, None));
    }
    if found.warn_self.is_some() && !self_loss::confirmed(fields) {
        let err = (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing was saved: tick “I understand” to go ahead.".to_owned(),
        );
        return Ok(review(d, before, &form, &found, Some(err)));
    }
    match save(d, access, before, &form, fields.has("acknowledge")).await {
        Ok(g) => Ok(d.done(
            &d.admin(&format!("/groups/{}", g.id)),
            if before.is_some() {
                "group_saved"
            } else {
                "group_created"
            },
        )),
        Err(e @ Error::SensitiveGrantUnacknowledged { .. }) => {
            let err = describe(d.catalog(), e);
            Ok(review(d, before, &form, &found, Some(err)))
        }
        Err(e) => {
            let mut problems = Problems::default();
            match problems.take(e, GROUP_FIELDS) {
                None => editor_with(d, before, &form, None, None, problems).await,
                Some(e) => editor(d, before, &form, Some(describe(d.catalog(), e))).await,
            }
        }
    }
}

/// The editor's fields, by the domain's names.
const GROUP_FIELDS: FieldMap<'static> = &[
    ("name", "name", "Name"),
    ("description", "description", "Description"),
    ("tenants", "tenants", "Tenants"),
];

async fn save(
    d: &Dash,
    access: &BusinessAccess<GroupsManage>,
    before: Option<&Group>,
    form: &GroupForm,
    acknowledge: bool,
) -> Result<Group, Error> {
    let (gh, ctx) = (&d.state.gatehouse, &d.browser.ctx);
    let tenants = form.tenant_ids()?;
    match before {
        None => {
            let new = NewGroup {
                name: form.name()?,
                description: form.description()?,
                kind: form.kind,
                tenants,
                grants: form.grants.clone(),
                acknowledge_sensitive: acknowledge,
            };
            gh.create_group(access, ctx, new).await
        }
        Some(b) => {
            let patch = GroupPatch {
                name: Some(form.name()?),
                description: Some(form.description()?),
                kind: Some(form.kind),
                tenants: Some(tenants),
                grants: Some(form.grants.clone()),
                acknowledge_sensitive: acknowledge,
            };
            let pre = Precondition {
                if_match: None,
                version: form.version,
            };
            gh.update_group(access, ctx, b.id, patch, pre).await
        }
    }
}

/// The editor for a new group. Requires `groups.manage`.
pub(crate) async fn new_group_page(
    State(s): State<AppState>,
    browser: Browser,
    Path(slug): Path<String>,
) -> Answer {
    let (d, _access) = Dash::with::<GroupsManage>(&s, browser, &slug).await?;
    editor(&d, None, &GroupForm::new_group(), None).await
}

/// Creates a group (after the review step when it grants sensitive rights). Requires
/// `groups.manage` and every right it grants.
pub(crate) async fn save_new_group(DashForm(d, access, form): DashForm<GroupsManage>) -> Answer {
    submit(&d, &access, None, &form).await
}

pub(crate) async fn group_of(d: &Dash, id: &str) -> Answer<Group> {
    let view = d
        .principal
        .authorize::<UsersView>()
        .map_err(|e| d.fail(e, "groups"))?;
    let id: GroupId = id
        .parse()
        .map_err(|_| d.fail(Error::GroupNotFound, "groups"))?;
    d.state
        .gatehouse
        .get_group(&view, id)
        .await
        .map_err(|e| d.fail(e, "groups"))
}

/// A group's settings and permission matrix; read-only without `groups.manage`. Requires
/// `users.view`.
pub(crate) async fn edit_group_page(
    State(s): State<AppState>,
    browser: Browser,
    Path((slug, id)): Path<(String, String)>,
    q: Params,
) -> Answer {
    let (d, _access) = Dash::with::<UsersView>(&s, browser, &slug).await?;
    let g = group_of(&d, &id).await?;
    let notice = notice_text(q.get("notice"));
    editor_with(
        &d,
        Some(&g),
        &GroupForm::of(&g),
        None,
        notice,
        Problems::default(),
    )
    .await
}

/// Saves a group (after the review step when access changes). Requires `groups.manage`
/// and every right the change adds.
pub(crate) async fn save_group(
    Path((_, id)): Path<(String, String)>,
    DashForm(d, access, form): DashForm<GroupsManage>,
) -> Answer {
    let g = group_of(&d, &id).await?;
    submit(&d, &access, Some(&g), &form).await
}
