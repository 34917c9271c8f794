//! `sluice demo` (placeholder while the showcase is written).
use std::net::SocketAddr;

/// Options of `sluice demo`.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    pub listen: Option<SocketAddr>,
    pub once: bool,
}

/// Runs the demo.
///
/// # Errors
/// Always for now.
pub fn run(_opts: DemoOptions) -> anyhow::Result<()> {
    anyhow::bail!("demo not ready")
}
