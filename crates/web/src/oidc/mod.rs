//! Each business as an OpenID Provider: the flows' pages and endpoints.

mod authorize;
mod backchannel;
mod endpoints;
mod flows;
mod logout;

pub(crate) use flows::routes as flow_routes;
pub use backchannel::HttpLogoutTransport;
