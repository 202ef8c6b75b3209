//! The application form: what it says as typed (to show it again with its problems), reading
//! every field at once into the domain's types, and the service rights a holder of
//! `api_keys.manage` may give a client-credentials application.

use gatehouse_domain::application::{
    ACCESS_TOKEN_TTL, ApplicationView, ClientType, GrantType, ID_TOKEN_TTL, LifetimeBounds,
    REFRESH_TOKEN_TTL, RedirectUri, Scope, SigningAlg,
};
use gatehouse_domain::catalog::PermissionKey;
use gatehouse_domain::grants::{GrantScope, Grants};
use gatehouse_domain::model::GroupScope;
use gatehouse_domain::principal::{ApiKeysManage, BusinessAccess};
use gatehouse_domain::types::{ApplicationName, Environment};
use time::Duration;

use super::super::problems::{FieldMap, Problems};
use super::context::Dash;
use super::fields::Fields;
use super::matrix::{Area, BizRow, PermRow, business_rows, env_areas, grants_from};

/// The domain's fields and the form's: (domain field, form field id, label).
pub(crate) const FIELDS: FieldMap<'static> = &[
    ("name", "name", "Name"),
    ("redirect_uris", "redirect_uris", "Redirect URIs"),
    (
        "post_logout_redirect_uris",
        "post_logout_redirect_uris",
        "Post-logout redirect URIs",
    ),
    (
        "backchannel_logout_uri",
        "backchannel_logout_uri",
        "Back-channel logout URI",
    ),
    ("grant_types", "grant_types", "Grant types"),
    ("service_permissions", "service", "Service rights"),
];

/// A form's lifetime field: its id, label, unit and bounds.
struct Lifetime {
    id: &'static str,
    label: &'static str,
    unit: &'static str,
    secs_per_unit: i64,
    bounds: LifetimeBounds,
}

const LIFETIMES: [Lifetime; 3] = [
    Lifetime {
        id: "access_ttl",
        label: "Access token lifetime",
        unit: "minutes",
        secs_per_unit: 60,
        bounds: ACCESS_TOKEN_TTL,
    },
    Lifetime {
        id: "refresh_ttl",
        label: "Refresh token lifetime",
        unit: "hours",
        secs_per_unit: 3600,
        bounds: REFRESH_TOKEN_TTL,
    },
    Lifetime {
        id: "id_ttl",
        label: "ID token lifetime",
        unit: "minutes",
        secs_per_unit: 60,
        bounds: ID_TOKEN_TTL,
    },
];

impl Lifetime {
    /// The typed value in this field's unit, as a lifetime within the bounds.
    fn read(&self, raw: &str, problems: &mut Problems) -> Option<Duration> {
        let (min, max) = (
            self.bounds.min / self.secs_per_unit,
            self.bounds.max / self.secs_per_unit,
        );
        let secs = raw
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(self.secs_per_unit));
        match secs.map(|s| self.bounds.check(s)) {
            Some(Ok(d)) => Some(d),
            _ => {
                problems.add(
                    self.id,
                    format!(
                        "{} must be a whole number of {}, {min} to {max}.",
                        self.label, self.unit
                    ),
                );
                None
            }
        }
    }

    fn shown(&self, d: Duration) -> String {
        (d.whole_seconds() / self.secs_per_unit).to_string()
    }
}

/// What the form says, as typed.
#[derive(Debug, Clone)]
pub(crate) struct AppForm {
    pub(crate) name: String,
    pub(crate) confidential: bool,
    pub(crate) first_party: bool,
    pub(crate) redirect_uris: String,
    pub(crate) post_logout_redirect_uris: String,
    pub(crate) backchannel_logout_uri: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) grant_types: Vec<String>,
    pub(crate) require_mfa: bool,
    /// Access, refresh and ID token lifetimes, in the fields' units.
    pub(crate) lifetimes: [String; 3],
    pub(crate) rs256: bool,
    /// The service rights ticked (client credentials).
    pub(crate) grants: Grants,
}

/// The typed values of a form whose every field reads.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) name: ApplicationName,
    pub(crate) redirect_uris: Vec<RedirectUri>,
    pub(crate) post_logout_redirect_uris: Vec<RedirectUri>,
    pub(crate) backchannel_logout_uri: Option<RedirectUri>,
    pub(crate) scopes: std::collections::BTreeSet<Scope>,
    pub(crate) grant_types: std::collections::BTreeSet<GrantType>,
    pub(crate) lifetimes: [Duration; 3],
    pub(crate) alg: SigningAlg,
    pub(crate) grants: Grants,
}

fn lines(raw: &str) -> String {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

impl AppForm {
    /// A new application's form: a confidential, first-party web application with the
    /// default scopes, grant types and lifetimes.
    pub(crate) fn blank() -> Self {
        Self {
            name: String::new(),
            confidential: true,
            first_party: true,
            redirect_uris: String::new(),
            post_logout_redirect_uris: String::new(),
            backchannel_logout_uri: String::new(),
            scopes: ["openid", "profile", "email"].map(str::to_owned).to_vec(),
            grant_types: ["authorization_code", "refresh_token"]
                .map(str::to_owned)
                .to_vec(),
            require_mfa: false,
            lifetimes: LIFETIMES
                .each_ref()
                .map(|l| l.shown(l.bounds.default_lifetime())),
            rs256: false,
            grants: Grants::default(),
        }
    }

    pub(crate) fn of(a: &ApplicationView) -> Self {
        let join = |uris: &[RedirectUri]| {
            uris.iter()
                .map(RedirectUri::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let ttls = [
            a.access_token_ttl_secs,
            a.refresh_token_ttl_secs,
            a.id_token_ttl_secs,
        ];
        Self {
            name: a.name.to_string(),
            confidential: a.client_type == ClientType::Confidential,
            first_party: a.first_party,
            redirect_uris: join(&a.redirect_uris),
            post_logout_redirect_uris: join(&a.post_logout_redirect_uris),
            backchannel_logout_uri: a
                .backchannel_logout_uri
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            scopes: a.allowed_scopes.iter().map(ToString::to_string).collect(),
            grant_types: a.grant_types.iter().map(ToString::to_string).collect(),
            require_mfa: a.require_mfa,
            lifetimes: std::array::from_fn(|i| LIFETIMES[i].shown(Duration::seconds(ttls[i]))),
            rs256: a.id_token_signed_response_alg == SigningAlg::Rs256,
            grants: a.service_permissions.clone().unwrap_or_default(),
        }
    }

    /// A submitted form (the client type only counts for a new application).
    pub(crate) fn read(f: &Fields) -> Self {
        Self {
            name: f.get("name").to_owned(),
            confidential: f.get("client_type") != "public",
            first_party: f.has("first_party"),
            redirect_uris: lines(f.get("redirect_uris")),
            post_logout_redirect_uris: lines(f.get("post_logout_redirect_uris")),
            backchannel_logout_uri: f.get("backchannel_logout_uri").to_owned(),
            scopes: f.all("scope").into_iter().map(str::to_owned).collect(),
            grant_types: f.all("grant_type").into_iter().map(str::to_owned).collect(),
            require_mfa: f.has("require_mfa"),
            lifetimes: [f.get("access_ttl"), f.get("refresh_ttl"), f.get("id_ttl")]
                .map(str::to_owned),
            rs256: f.get("alg") == "RS256",
            grants: grants_from(f).unwrap_or_default(),
        }
    }

    /// Every field in the domain's types, or `None` with each field's problem recorded.
    pub(crate) fn parse(&self, problems: &mut Problems) -> Option<Parsed> {
        let name = problems.check("name", "Name", ApplicationName::parse(&self.name));
        let uris = |raw: &str, field: &'static str, label: &str, problems: &mut Problems| {
            let parsed = raw
                .lines()
                .map(|l| RedirectUri::parse_for(l, field))
                .collect::<Result<Vec<_>, _>>();
            problems.check(field, label, parsed)
        };
        let redirect = uris(
            &self.redirect_uris,
            "redirect_uris",
            "Redirect URIs",
            problems,
        );
        let post_logout = uris(
            &self.post_logout_redirect_uris,
            "post_logout_redirect_uris",
            "Post-logout redirect URIs",
            problems,
        );
        let backchannel = match self.backchannel_logout_uri.as_str() {
            "" => Some(None),
            raw => problems
                .check(
                    "backchannel_logout_uri",
                    "Back-channel logout URI",
                    RedirectUri::parse_for(raw, "backchannel_logout_uri"),
                )
                .map(Some),
        };
        let ttls: Vec<Option<Duration>> = LIFETIMES
            .iter()
            .zip(&self.lifetimes)
            .map(|(l, raw)| l.read(raw, problems))
            .collect();
        let ttls: Option<Vec<Duration>> = ttls.into_iter().collect();
        Some(Parsed {
            name: name?,
            redirect_uris: redirect?,
            post_logout_redirect_uris: post_logout?,
            backchannel_logout_uri: backchannel?,
            scopes: self.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
            grant_types: self
                .grant_types
                .iter()
                .filter_map(|g| GrantType::parse(g))
                .collect(),
            lifetimes: ttls?.try_into().ok()?,
            alg: if self.rs256 {
                SigningAlg::Rs256
            } else {
                SigningAlg::Es256
            },
            grants: self.grants.clone(),
        })
    }

    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        scope == "openid" || self.scopes.iter().any(|s| s == scope)
    }

    pub(crate) fn has_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
}

/// The rows of the service-rights matrix: what `keys` may grant, with `grants` ticked.
pub(crate) fn service_rights(
    d: &Dash,
    keys: &BusinessAccess<ApiKeysManage>,
    grants: &Grants,
) -> (Vec<Area<PermRow>>, Vec<BizRow>) {
    let may = |scope: GrantScope, key: &str| {
        PermissionKey::parse(key).is_ok_and(|k| keys.may_grant(scope, &k, &GroupScope::Business))
    };
    let areas = env_areas(d.catalog(), grants, |k, env| match env {
        Environment::Live => may(GrantScope::Live, k),
        Environment::Sandbox => may(GrantScope::Sandbox, k),
    });
    (
        areas,
        business_rows(d.catalog(), grants, |k| may(GrantScope::Business, k)),
    )
}
