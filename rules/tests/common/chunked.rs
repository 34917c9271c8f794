//! Shared by the stream property tests and the `chunking` fuzz target
//! (`rules/fuzz/fuzz_targets/chunking.rs` includes this file): one engine with the smallest
//! window, and a run of one body cut at given offsets.

use std::sync::{Arc, OnceLock};

use sluice_rules::{Charset, Engine, Finding, Format, ScanOptions};

/// The built-in rules with the smallest window (4 KiB), so values cross window edges in small
/// bodies; built once.
pub fn engine() -> Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| {
        Arc::new(
            Engine::builder()
                .builtin()
                .window(4096)
                .token_key(b"k".to_vec())
                .build()
                .expect("built-in packs compile"),
        )
    })
    .clone()
}

/// Redacts `body` pushed in chunks that end at `cuts` (ascending; offsets past the end are
/// clamped): the output and the findings.
pub fn run(body: &[u8], format: Format, cuts: &[usize]) -> (Vec<u8>, Vec<Finding>) {
    run_in(body, format, Charset::Auto, cuts)
}

/// [`run`] with the body's charset given.
pub fn run_in(
    body: &[u8],
    format: Format,
    charset: Charset,
    cuts: &[usize],
) -> (Vec<u8>, Vec<Finding>) {
    let opts = ScanOptions {
        format,
        redact: true,
        charset,
        ..ScanOptions::default()
    };
    scan_with(&engine(), body, opts, cuts)
}

/// A scan of `body` by `engine` with `opts`, pushed in chunks that end at `cuts` (ascending;
/// offsets past the end are clamped): the output and the findings.
pub fn scan_with(
    engine: &Arc<Engine>,
    body: &[u8],
    opts: ScanOptions,
    cuts: &[usize],
) -> (Vec<u8>, Vec<Finding>) {
    let mut s = engine.stream(opts);
    let (mut out, mut findings) = (Vec::new(), Vec::new());
    let mut at = 0;
    for &c in cuts {
        let c = c.min(body.len());
        if c > at {
            s.push(&body[at..c], &mut out, &mut findings);
            at = c;
        }
    }
    s.push(&body[at..], &mut out, &mut findings);
    s.finish(&mut out, &mut findings);
    (out, findings)
}

/// Cases per property: the given default in CI; `PROPTEST_CASES=N` runs a deeper search.
#[allow(dead_code)]
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
