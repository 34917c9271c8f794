//! Command-line interface: the clap definitions and the rule author's commands
//! (`rules check`, `rules list`, `scan`). Proxy commands (`run`, `config check`, `demo`)
//! are thin calls into the proxy modules.

mod scan;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use sluice_rules::Engine;

pub use scan::ScanArgs;

/// Stdout was closed by its reader (`sluice rules list | head -1`): the reader wanted no
/// more, so `main` exits with status 2 and says nothing, as a Unix tool killed by SIGPIPE
/// would (Rust ignores SIGPIPE, and `println!` panics on the EPIPE that follows instead).
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// A failed write to stdout as the error a command returns: [`StdoutClosed`] for a closed
/// pipe, the I/O error otherwise (a full disk must still be reported).
pub(crate) fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(StdoutClosed)
    } else {
        anyhow::Error::new(e).context("writing to stdout")
    }
}

/// `println!` that returns a closed or failing stdout as an error instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::cli::stdout_error)
    }};
}
pub(crate) use outln;

/// `eprintln!` that does not panic on a closed stderr. Diagnostics are best effort: with
/// stderr gone there is nowhere left to report a failure to, and the exit status still
/// tells the outcome, so a failed write is dropped rather than ending the command.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
pub(crate) use errln;

/// Sluice: a data-loss-prevention sidecar for government data-exchange APIs.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, long_about = None, after_help = "\
Examples:
  sluice demo                                   start a sample exchange API behind the proxy
  sluice rules check rules/packs                run every rule's examples
  sluice scan --content-type application/json body.json
  sluice scan --redact --content-encoding gzip body.json.gz > redacted.json.gz
  sluice run --config proxy/examples/minimal.yaml")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check or list detection rules.
    #[command(subcommand)]
    Rules(RulesCmd),
    /// Scan a body: print findings as JSON lines, or the redacted body with --redact.
    Scan(ScanArgs),
    /// Run the proxy.
    Run(RunArgs),
    /// Check a proxy configuration file.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Start an embedded sample exchange API behind the proxy and show what Sluice does.
    Demo(DemoArgs),
    /// Work with the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Verify the hash chain of audit files (give a rotated set oldest first).
    #[command(after_help = "\
Examples:
  sluice audit verify /var/log/sluice/audit.jsonl
  sluice audit verify audit.jsonl.3 audit.jsonl.2 audit.jsonl.1 audit.jsonl
  sluice audit verify --key-file /etc/sluice/audit/key /var/log/sluice/audit.jsonl
  sluice audit verify --head 18234:9f86d081884c7d65... /var/log/sluice/audit*.jsonl

Exit status: 0 when every record chains to the one before it, 1 when a record was edited,
deleted, inserted or reordered (the file and line are named), 2 when a file or the key cannot
be read (nothing was verified: an I/O fault, not evidence of tampering). The first file must begin at the
chain's start or with the trail's own trail_opened / trail_rotated record (every file the proxy
writes does), so records cut from the beginning fail, and so does an empty file. Records cut
from the END leave a shorter chain that is still whole: give a head seen earlier with --head
(the `audit chain head` log line, or the last hash a previous verify printed) to require it.
Without a key (`audit.key_file`) a file rewritten whole with its chain recomputed still
verifies; with one, it cannot be.")]
    Verify {
        /// The chain's key (`audit.key_file`) for a keyed trail: every record must then be
        /// an HMAC under it.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// A chain head seen earlier (`SEQ:HASH`, from the `audit chain head` log line or an
        /// earlier verify): fail unless the files still hold that record.
        #[arg(long, value_name = "SEQ:HASH")]
        head: Option<crate::audit::ChainHead>,
        /// Audit files, oldest first.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// Compile all rules together and run every example and negative example.
    #[command(after_help = "\
Examples:
  sluice rules check                 the built-in packs
  sluice rules check ./my-rules      every *.yaml and *.yml pack in a directory (built-ins
                                     not included)
  sluice rules check --with-builtin ./my-rules

A rule with fewer than 3 examples or 3 negative examples is loaded and checked, with a warning
(every built-in rule has at least 3 of each, as rules/schema/rule-pack.schema.json asks).

Exit status: 0 when every rule compiles and every example passes, 1 otherwise.")]
    Check(RulesCheckArgs),
    /// List the rules of a set (id, class, grade, pack).
    List(RulesCheckArgs),
}

#[derive(Debug, Args)]
pub struct RulesCheckArgs {
    /// Directory of rule packs (every *.yaml and *.yml file in it, not recursive); the
    /// built-in packs when omitted.
    pub dir: Option<PathBuf>,
    /// Also load the built-in packs when DIR is given.
    #[arg(long)]
    pub with_builtin: bool,
    /// Grade scheme, highest first (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "core,important,general")]
    pub grades: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Proxy configuration file (YAML).
    #[arg(long, short)]
    pub config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate a configuration file (unknown keys, types, rule sets) and summarize it.
    Check {
        /// Configuration file.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run the showcase requests, print what happened and exit.
    #[arg(long)]
    pub once: bool,
    /// Proxy listen address.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
}

/// Builds the engine a rules or scan command works on.
pub(crate) fn load_engine(
    dir: Option<&PathBuf>,
    with_builtin: bool,
    grades: &[String],
    token_key: Option<&[u8]>,
) -> Result<Arc<Engine>> {
    let scheme = sluice_rules::GradeScheme::new(grades)
        .map_err(anyhow::Error::msg)
        .context("--grades")?;
    let mut b = Engine::builder().grades(scheme);
    if let Some(k) = token_key {
        b = b.token_key(k);
    }
    match dir {
        None => b = b.builtin(),
        Some(d) => {
            if with_builtin {
                b = b.builtin();
            }
            b = b.dir(d);
        }
    }
    let engine = b.build().map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in engine.warnings() {
        errln!("{w}");
    }
    Ok(Arc::new(engine))
}

pub fn rules(cmd: RulesCmd) -> Result<ExitCode> {
    match cmd {
        RulesCmd::Check(a) => {
            let engine = match load_engine(a.dir.as_ref(), a.with_builtin, &a.grades, None) {
                Ok(e) => e,
                Err(e) => {
                    errln!("{e:#}");
                    return Ok(ExitCode::from(1));
                }
            };
            let rep = sluice_rules::check::run(&engine);
            for f in &rep.failures {
                errln!("FAIL {f}");
            }
            let status = if rep.ok() { "ok" } else { "FAILED" };
            outln!(
                "{status}: {} rules, {} examples, {} negative examples, {} failures (rule set {})",
                rep.rules,
                rep.examples,
                rep.negative_examples,
                rep.failures.len(),
                engine.content_hash()
            )?;
            Ok(if rep.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        RulesCmd::List(a) => {
            let engine = load_engine(a.dir.as_ref(), a.with_builtin, &a.grades, None)?;
            // One lock for the whole list: a line per rule, and the first failed write ends it.
            let mut out = std::io::stdout().lock();
            for r in engine.rules() {
                writeln!(
                    out,
                    "{:<32} {:<20} {:<10} {} v{}",
                    r.id, r.class, r.grade.name, r.pack, r.pack_version
                )
                .map_err(stdout_error)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub use scan::scan;

pub fn run(args: RunArgs) -> Result<ExitCode> {
    crate::run(&args.config)?;
    Ok(ExitCode::SUCCESS)
}

pub fn config(cmd: ConfigCmd) -> Result<ExitCode> {
    match cmd {
        ConfigCmd::Check { file } => match crate::config::check(&file) {
            Ok(summary) => {
                // The summary ends with its own newline.
                std::io::stdout()
                    .lock()
                    .write_all(summary.as_bytes())
                    .map_err(stdout_error)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                errln!("{e:#}");
                Ok(ExitCode::from(1))
            }
        },
    }
}

pub fn audit(cmd: AuditCmd) -> Result<ExitCode> {
    match cmd {
        AuditCmd::Verify {
            files,
            key_file,
            head,
        } => {
            // What cannot be read is told apart from what does not verify (exit 2, not 1):
            // a job watching the trail must not page tampering for a missing mount.
            for f in key_file.iter().chain(&files) {
                if let Err(e) = std::fs::File::open(f) {
                    errln!("cannot read {}: {e}", f.display());
                    return Ok(ExitCode::from(2));
                }
            }
            if let Some(Err(e)) = key_file.as_deref().map(crate::audit::read_key) {
                errln!("{e}");
                return Ok(ExitCode::from(2));
            }
            audit_verify(&files, key_file.as_deref(), head.as_ref())
        }
    }
}

fn audit_verify(
    files: &[PathBuf],
    key_file: Option<&std::path::Path>,
    head: Option<&crate::audit::ChainHead>,
) -> Result<ExitCode> {
    match crate::audit::verify_files(files, key_file, head) {
        Ok(summary) => {
            outln!("{summary}")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            errln!("{e:#}");
            Ok(ExitCode::from(1))
        }
    }
}

pub fn demo(args: DemoArgs) -> Result<ExitCode> {
    crate::demo::run(crate::demo::DemoOptions {
        listen: args.listen,
        once: args.once,
    })?;
    Ok(ExitCode::SUCCESS)
}
