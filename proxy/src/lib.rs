//! Sluice proxy library: the streaming DLP reverse proxy behind `sluice run`, its
//! configuration, the `sluice demo` showcase, and the content codecs that `sluice scan` shares.
//!
//! The binary (`main.rs`) only parses arguments and calls [`run`], [`config::check`] or
//! [`demo::run`]; everything else lives here so integration tests drive the same code.
//!
//! Request flow, by module: [`server`] accepts (TCP/TLS, HTTP/1.1 + HTTP/2) → [`phases`] runs
//! the named phases (request filter → request body filter → upstream → response filter →
//! response body filter → logging) → [`filter`] decodes, scans, redacts and re-encodes →
//! [`body`] streams the result with timeouts and honest aborts.

pub mod admin;
pub mod audit;
pub mod body;
pub mod cli;
pub mod codec;
pub mod config;
pub mod demo;
pub mod error;
pub mod etag;
pub mod filter;
pub mod headers;
pub mod identity;
pub mod interface;
pub mod inventory;
pub mod limits;
pub mod memory;
pub mod metrics;
pub mod phases;
pub mod policy;
pub mod reload;
pub mod server;
pub mod tls;

use std::path::Path;

pub use demo::DemoOptions;
pub use server::{start, Running};

/// Installs the log subscriber described by the config (no-op if one is already installed,
/// e.g. by a test harness). `RUST_LOG` overrides the configured level.
pub fn init_logging(cfg: &config::LoggingConfig) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.level));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cfg.format {
        config::LogFormat::Json => b.json().try_init(),
        config::LogFormat::Text => b.try_init(),
    };
}

/// `sluice run --config FILE`: loads the config, serves until SIGTERM or Ctrl-C, then drains
/// in-flight requests within `listen.shutdown_grace`.
///
/// # Errors
/// Invalid config (with file, line and key), rule packs that do not load, a listen address
/// that cannot be bound.
pub fn run(config_path: &Path) -> anyhow::Result<()> {
    let cfg = config::Config::load(config_path)?;
    init_logging(&cfg.logging);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let running = start(cfg).await?;
        tracing::info!(addr = %running.addr, "sluice proxy listening");
        shutdown_signal().await;
        running.shutdown().await;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
