//! The local half of an interactive sign-in: PKCE and `state` values ([`pkce`]), the loopback
//! listener the browser is redirected to ([`redirect`]), and opening the browser ([`browser`]).
//! What is said to the IdP and what is kept is the broker's.

pub mod browser;
pub mod pkce;
pub mod redirect;
