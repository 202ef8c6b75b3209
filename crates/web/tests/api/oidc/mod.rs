//! The OpenID Provider's HTTP surface.

mod documents;
