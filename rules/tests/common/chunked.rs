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

/// Findings as the tests compare them: rule, span and mask.
#[allow(dead_code)]
pub fn key(f: &[Finding]) -> Vec<(String, u64, u64, String)> {
    f.iter()
        .map(|f| (f.rule_id.to_string(), f.start, f.end, f.masked.to_string()))
        .collect()
}

/// The rule ids `body` gives in one push, in order.
#[allow(dead_code)]
pub fn rule_ids(body: &str, format: Format) -> Vec<String> {
    run(body.as_bytes(), format, &[])
        .1
        .iter()
        .map(|f| f.rule_id.to_string())
        .collect()
}

/// Asserts that `body` gives the same findings (rule, span, mask) and output cut at every
/// single offset and cut byte by byte as in one push: the check every test of a new
/// detection path runs on its inputs.
#[allow(dead_code)]
pub fn assert_chunking_invariant(body: &str, format: Format) {
    let b = body.as_bytes();
    let (out0, f0) = run(b, format, &[]);
    for c in 1..b.len() {
        let (out, f) = run(b, format, &[c]);
        assert_eq!(key(&f), key(&f0), "cut at {c} of {body}");
        assert_eq!(out, out0, "cut at {c} of {body}");
    }
    let all: Vec<usize> = (1..b.len()).collect();
    let (out, f) = run(b, format, &all);
    assert_eq!(key(&f), key(&f0), "byte by byte: {body}");
    assert_eq!(out, out0, "byte by byte: {body}");
}
