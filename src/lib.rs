//! tokex: keeps long-lived cloud secrets in the OS secret store, exchanges them for short-lived
//! bearer tokens, caches those, and prints them in the format each calling tool expects.
//!
//! Data flows one way: caller request ([`callers`]) → profile ([`config`], [`matching`]) →
//! [`broker`] → cached token ([`cache`]) or secret ([`stores`]) → exchange ([`providers`] over
//! [`http`]) → cache → caller response. `ARCHITECTURE.md` holds the layers and the imports
//! allowed between them; `tests/it/architecture.rs` enforces them.

pub mod agent;
pub mod app;
pub mod broker;
pub mod cache;
pub mod callers;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod duration;
pub mod error;
pub mod failpoint;
pub mod fast;
pub mod fsutil;
pub mod http;
pub mod keypair;
pub mod log;
pub mod loopback;
pub mod matching;
pub mod platform;
pub mod printable;
pub mod providers;
pub mod sensitive;
pub mod signin;
pub mod stores;
pub mod token;
pub mod urlpolicy;
