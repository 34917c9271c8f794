//! Sluice proxy library: the streaming DLP reverse proxy behind `sluice run`, its
//! configuration, the `sluice demo` showcase, and the content codecs that `sluice scan` shares.
//!
//! The binary (`main.rs`) only parses arguments and calls [`run`], [`config::check`] or
//! [`demo::run`]; everything else lives here so integration tests drive the same code.

pub mod cli;
pub mod codec;
