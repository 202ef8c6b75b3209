//! Each business as an OpenID Provider: the flows' pages and endpoints.

mod authorize;
mod backchannel;
mod endpoints;
mod flows;
mod logout;

pub use backchannel::HttpLogoutTransport;
pub(crate) use flows::routes as flow_routes;
