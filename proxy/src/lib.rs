//! Sluice proxy library: the streaming DLP reverse proxy behind `sluice run`, its
//! configuration, the `sluice demo` showcase, and the content codecs that `sluice scan` shares.
//!
//! The binary (`main.rs`) only parses arguments and calls [`run`], [`config::check`] or
//! [`demo::run`]; everything else lives here so integration tests drive the same code.
//!
//! Request flow, by module: `server` accepts (TCP/TLS, HTTP/1.1 + HTTP/2) → `phases` runs the
//! named phases (request filter → request body filter → upstream → response filter → response
//! body filter → logging) → `filter` does decode/scan/redact/encode → `body` streams the result.

pub mod cli;
pub mod codec;
pub mod config;
pub mod error;
pub mod filter;
pub mod interface;
pub mod policy;
