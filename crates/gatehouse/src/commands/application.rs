//! `gatehouse application`: register, list, rotate the secret of and delete a business's
//! OpenID Connect applications (clients). The operator may give a client-credentials
//! application any permission of the catalog.

use std::collections::BTreeSet;

use anyhow::anyhow;
use clap::Subcommand;
use gatehouse_domain::application::{
    ACCESS_TOKEN_TTL, ApplicationView, ClientType, GrantType, ID_TOKEN_TTL, REFRESH_TOKEN_TTL,
    RedirectUri, Scope, SigningAlg,
};
use gatehouse_domain::ids::ApplicationId;
use gatehouse_domain::oidc::applications::NewApplication;
use gatehouse_domain::principal::{ApiKeysManage, ApplicationsManage};
use gatehouse_domain::types::ApplicationName;
use serde::Serialize;

use super::{grants_summary, parse_grants};
use crate::console::Console;
use crate::output::{maybe_when, table};

#[derive(Debug, Subcommand)]
pub enum ApplicationCommand {
    /// Register an application. A confidential client's secret is printed once and never
    /// again.
    Create(Box<CreateArgs>),
    /// List the applications of a business.
    List {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
    },
    /// Give a confidential client a new secret (printed once); the old one stops at once.
    RotateSecret {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// The application's id (its client_id).
        id: ApplicationId,
    },
    /// Delete an application; its sign-ins and service rights end at once.
    Delete {
        /// The business, by slug or id.
        #[arg(long, value_name = "SLUG_OR_ID")]
        business: String,
        /// The application's id (its client_id).
        id: ApplicationId,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The business, by slug or id.
    #[arg(long, value_name = "SLUG_OR_ID")]
    business: String,
    /// The application's name (shown on consent screens).
    #[arg(long)]
    name: String,
    /// `confidential` (a server that keeps a secret) or `public` (browser or native app).
    #[arg(long, value_name = "TYPE", value_parser = ["confidential", "public"])]
    client_type: String,
    /// A first-party application: no consent screen.
    #[arg(long)]
    first_party: bool,
    /// Where a sign-in may return (exact match); repeat for several.
    #[arg(long = "redirect-uri", value_name = "URL")]
    redirect_uris: Vec<String>,
    /// Where a sign-out may return (exact match); repeat for several.
    #[arg(long = "post-logout-redirect-uri", value_name = "URL")]
    post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (OIDC Back-Channel Logout).
    #[arg(long, value_name = "URL")]
    backchannel_logout_uri: Option<String>,
    /// A scope it may ask for; repeat for several [default: openid, profile, email].
    #[arg(long = "scope", value_name = "SCOPE",
          value_parser = ["openid", "profile", "email", "offline_access", "gatehouse:access"])]
    scopes: Vec<String>,
    /// A grant type; repeat for several [default: authorization_code, refresh_token].
    #[arg(long = "grant-type", value_name = "GRANT",
          value_parser = ["authorization_code", "refresh_token", "client_credentials"])]
    grant_types: Vec<String>,
    /// Its sign-ins need the second factor, whatever the business's policy.
    #[arg(long)]
    require_mfa: bool,
    /// Access token lifetime in seconds (60–3600) [default: 600].
    #[arg(long, value_name = "SECS")]
    access_token_ttl_secs: Option<i64>,
    /// Refresh token lifetime in seconds (3600–7776000) [default: 2592000].
    #[arg(long, value_name = "SECS")]
    refresh_token_ttl_secs: Option<i64>,
    /// ID token lifetime in seconds (60–3600) [default: 600].
    #[arg(long, value_name = "SECS")]
    id_token_ttl_secs: Option<i64>,
    /// How ID tokens are signed.
    #[arg(long, value_name = "ALG", value_parser = ["ES256", "RS256"], default_value = "ES256")]
    id_token_alg: String,
    /// With the client_credentials grant: the service's rights as JSON,
    /// {"business":[…],"live":[…],"sandbox":[…]}.
    #[arg(long, value_name = "JSON")]
    service_permissions: Option<String>,
    /// Confirm granting sensitive permissions to the service.
    #[arg(long)]
    acknowledge_sensitive: bool,
}

/// A new application with its secret, as printed by `--json` (the shape the HTTP API answers).
#[derive(Debug, Serialize)]
struct WithSecret<'a> {
    #[serde(flatten)]
    application: &'a ApplicationView,
    /// Shown once; only its hash is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
}

/// One of a closed set, by its text form (clap has checked it already).
fn pick<T>(raw: &str, parse: impl Fn(&str) -> Option<T>) -> anyhow::Result<T> {
    parse(raw).ok_or_else(|| anyhow!("`{raw}` is not one of the accepted values"))
}

fn uris(raw: &[String], field: &'static str) -> anyhow::Result<Vec<RedirectUri>> {
    Ok(raw
        .iter()
        .map(|u| RedirectUri::parse_for(u, field))
        .collect::<Result<_, _>>()?)
}

fn new_application(a: &CreateArgs) -> anyhow::Result<NewApplication> {
    let scopes: BTreeSet<Scope> = if a.scopes.is_empty() {
        [Scope::OpenId, Scope::Profile, Scope::Email].into()
    } else {
        a.scopes
            .iter()
            .map(|s| pick(s, Scope::parse))
            .collect::<anyhow::Result<_>>()?
    };
    let grant_types: BTreeSet<GrantType> = if a.grant_types.is_empty() {
        [GrantType::AuthorizationCode, GrantType::RefreshToken].into()
    } else {
        a.grant_types
            .iter()
            .map(|g| pick(g, GrantType::parse))
            .collect::<anyhow::Result<_>>()?
    };
    Ok(NewApplication {
        name: ApplicationName::parse(&a.name)?,
        client_type: pick(&a.client_type, ClientType::parse)?,
        first_party: a.first_party,
        redirect_uris: uris(&a.redirect_uris, "redirect_uris")?,
        post_logout_redirect_uris: uris(&a.post_logout_redirect_uris, "post_logout_redirect_uris")?,
        backchannel_logout_uri: a
            .backchannel_logout_uri
            .as_deref()
            .map(|u| RedirectUri::parse_for(u, "backchannel_logout_uri"))
            .transpose()?,
        allowed_scopes: scopes,
        grant_types,
        require_mfa: a.require_mfa,
        access_token_ttl: a
            .access_token_ttl_secs
            .map(|s| ACCESS_TOKEN_TTL.check(s))
            .transpose()?,
        refresh_token_ttl: a
            .refresh_token_ttl_secs
            .map(|s| REFRESH_TOKEN_TTL.check(s))
            .transpose()?,
        id_token_ttl: a
            .id_token_ttl_secs
            .map(|s| ID_TOKEN_TTL.check(s))
            .transpose()?,
        id_token_signed_response_alg: pick(&a.id_token_alg, SigningAlg::parse)?,
        service_permissions: a
            .service_permissions
            .as_deref()
            .map(parse_grants)
            .transpose()?,
        acknowledge_sensitive: a.acknowledge_sensitive,
    })
}

pub async fn run(cmd: ApplicationCommand, c: &Console) -> anyhow::Result<()> {
    match cmd {
        ApplicationCommand::Create(args) => {
            let new = new_application(&args)?;
            let business = c.business(&args.business).await?;
            let access = c.op.in_business::<ApplicationsManage>(business.id);
            let keys = c.op.in_business::<ApiKeysManage>(business.id);
            let (app, secret) = c
                .gatehouse
                .create_application(&access, Some(&keys), &c.ctx, new)
                .await?;
            show_with_secret(c, &app, secret.as_deref())
        }
        ApplicationCommand::List { business } => {
            let business = c.business(&business).await?;
            let apps = c
                .gatehouse
                .list_applications(&c.op.in_business::<ApplicationsManage>(business.id))
                .await?;
            c.out.show(apps.as_slice(), applications_table)
        }
        ApplicationCommand::RotateSecret { business, id } => {
            let business = c.business(&business).await?;
            let access = c.op.in_business::<ApplicationsManage>(business.id);
            let (app, secret) = c
                .gatehouse
                .rotate_application_secret(&access, &c.ctx, id)
                .await?;
            show_with_secret(c, &app, Some(&secret))
        }
        ApplicationCommand::Delete { business, id } => {
            let business = c.business(&business).await?;
            let access = c.op.in_business::<ApplicationsManage>(business.id);
            c.gatehouse.delete_application(&access, &c.ctx, id).await?;
            c.out.show(&serde_json::json!({ "deleted": id }), |_| {
                let mut t = table(&["DELETED"]);
                t.add_row([id.to_string()]);
                t
            })
        }
    }
}

/// The application, then its secret (when it has a new one) on a line of its own.
fn show_with_secret(
    c: &Console,
    app: &ApplicationView,
    secret: Option<&str>,
) -> anyhow::Result<()> {
    let shown = WithSecret {
        application: app,
        client_secret: secret,
    };
    c.out.show(&shown, |s| {
        applications_table(std::slice::from_ref(s.application))
    })?;
    if let Some(secret) = secret.filter(|_| !c.out.is_json()) {
        c.out.line(&format!("\nclient_secret: {secret}"))?;
        eprintln!("The client secret is shown only now; store it safely.");
    }
    Ok(())
}

fn applications_table(items: &[ApplicationView]) -> comfy_table::Table {
    let mut t = table(&[
        "CLIENT ID",
        "NAME",
        "TYPE",
        "GRANT TYPES",
        "REDIRECT URIS",
        "SERVICE RIGHTS",
        "SECRET SET",
    ]);
    for a in items {
        t.add_row([
            a.client_id.clone(),
            a.name.to_string(),
            a.client_type.to_string(),
            a.grant_types
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            a.redirect_uris
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            a.service_permissions
                .as_ref()
                .map_or_else(|| "-".to_owned(), grants_summary),
            maybe_when(a.secret_rotated_at),
        ]);
    }
    t
}
