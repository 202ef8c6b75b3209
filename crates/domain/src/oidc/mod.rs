//! Gatehouse as an OpenID Provider: each business is an issuer (`{public_url}/b/{slug}`).
//! `protocol` holds the vocabulary (scopes, PKCE, the specifications' errors), `grants` what
//! the flows keep, `authorize` the authorization endpoint, `tokens` the token endpoint,
//! `claims` what the tokens say and the resource side (userinfo, introspection,
//! revocation), `logout` the end-session endpoint, `backchannel` the logouts owed to
//! applications, `applications` the OAuth clients.

pub mod applications;
pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod grants;
pub mod logout;
pub mod protocol;
pub mod tokens;

pub use authorize::{AuthorizeParams, AuthorizeRequest, AuthorizeStep, ClientProblem};
pub use grants::{OAuthReads, OAuthWrites};
pub use logout::{LogoutParams, LogoutRequest};
pub use protocol::{OAuthError, OAuthErrorCode, Scopes};
pub use tokens::{ClientCredentials, TokenParams, TokenResponse};
