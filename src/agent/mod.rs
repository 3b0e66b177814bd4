//! `tokex agent` and its clients: one machine holds the secrets; shells, SSH hosts and
//! containers that reach its socket get tokens, never a secret. `wire` is the protocol,
//! `serve` the agent, `client` the [`Tokens`](crate::broker::Tokens) every entry point uses
//! when `TOKEX_AGENT` is set.

mod client;
mod endpoint;
mod serve;
pub mod wire;

pub use client::Remote;
pub use endpoint::{ENV, configured};
pub use serve::{Options, run};
