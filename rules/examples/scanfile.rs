//! Scans a file repeatedly with the built-in rules (plus the packs in `SLUICE_RULES_DIR`, if
//! set) and prints throughput: a quick profiling driver (`cargo run --release --example
//! scanfile -- FILE [ITERATIONS] [redact]`), also used under `perf record` and
//! `valgrind --tool=callgrind` to count instructions per byte. With `SCANFILE_CHUNK=N` the
//! body is fed as a stream in chunks of `N` bytes (the proxy's path), findings and output
//! taken after each chunk as the proxy takes them.

use std::sync::Arc;
use std::time::Instant;

use sluice_rules::{Engine, Format, ScanOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: scanfile FILE [ITERATIONS] [redact]");
        std::process::exit(2);
    };
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let redact = args.next().is_some_and(|s| s == "redact");
    let body = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    // SLUICE_RULES_DIR: packs loaded next to the built-in ones (the bench's 1,000-rule packs).
    let builder = Engine::builder().builtin();
    let builder = match std::env::var_os("SLUICE_RULES_DIR") {
        Some(d) => builder.dir(d),
        None => builder,
    };
    let engine = match builder.build() {
        Ok(e) => Arc::new(e),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    let format = Format::resolve(None, &body);
    let chunk: Option<usize> = std::env::var("SCANFILE_CHUNK")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0);
    let opts = ScanOptions {
        format,
        redact,
        ..ScanOptions::default()
    };
    let t = Instant::now();
    let mut findings = 0;
    if let Some(n) = chunk {
        let (mut out, mut found) = (Vec::new(), Vec::new());
        for _ in 0..iters {
            let mut s = engine.stream(opts.clone());
            for c in body.chunks(n) {
                s.push(c, &mut out, &mut found);
                findings += found.len();
                out.clear();
                found.clear();
            }
            s.finish(&mut out, &mut found);
            findings += found.len();
            out.clear();
            found.clear();
        }
    } else {
        for _ in 0..iters {
            findings += engine.scan_bytes(&body, opts.clone()).findings.len();
        }
    }
    let s = t.elapsed().as_secs_f64();
    let how = chunk.map_or(String::new(), |n| format!(" in chunks of {n}"));
    println!(
        "{} bytes x {iters}{how}: {:.1} MB/s, {} findings/iter",
        body.len(),
        body.len() as f64 * iters as f64 / s / 1e6,
        findings / iters.max(1)
    );
}
