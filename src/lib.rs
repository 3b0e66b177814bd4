//! tokex: keeps long-lived cloud secrets in the OS secret store, exchanges them for short-lived
//! bearer tokens, caches those, and prints them in the format each calling tool expects.
//!
//! Data flows one way: caller request → profile ([`config`]) → cached token ([`cache`]) or
//! secret ([`secrets`]) → exchange ([`providers`] over [`http`]) → cache → caller response
//! ([`callers`]). [`broker`] is that path; [`app`] maps commands onto it.

pub mod app;
pub mod broker;
pub mod cache;
pub mod callers;
pub mod cli;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod exec;
pub mod failpoint;
pub mod fsutil;
pub mod http;
pub mod install;
pub mod log;
pub mod loopback;
pub mod matching;
pub mod providers;
pub mod secrets;
pub mod sensitive;
pub mod token;
