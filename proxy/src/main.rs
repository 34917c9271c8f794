//! The `sluice` binary: argument parsing only. Every subcommand is a function of the
//! `sluice_proxy` library, so tests drive the same code the binary runs.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use sluice_proxy::cli::{Cli, Command, StdoutClosed};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Rules(cmd) => sluice_proxy::cli::rules(cmd),
        Command::Scan(args) => sluice_proxy::cli::scan(args),
        Command::Run(args) => sluice_proxy::cli::run(args),
        Command::Config(cmd) => sluice_proxy::cli::config(cmd),
        Command::Demo(args) => sluice_proxy::cli::demo(args),
        Command::Audit(cmd) => sluice_proxy::cli::audit(cmd),
    };
    match result {
        Ok(code) => code,
        // The reader of stdout went away: nothing to tell it, and stderr is often the same
        // closed pipe (`2>&1 | head`).
        Err(e) if e.chain().any(|c| c.is::<StdoutClosed>()) => ExitCode::from(2),
        Err(e) => {
            // Not `eprintln!`, which panics when stderr is closed.
            let _ = writeln!(std::io::stderr().lock(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}
