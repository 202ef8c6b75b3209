//! OpenID Connect: each business is an issuer, and its applications (OAuth clients) sign
//! users in through it.

pub mod applications;
