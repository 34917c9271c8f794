//! Coverage-guided form of the stream property tests (`rules/tests/stream_props.rs`): for any
//! body, any format, any charset and any chunking, the streaming engine must not panic, must
//! give the same findings and output as the whole-body scan, must return a body without
//! findings byte for byte, and a scan that only reports must name the same offsets. The
//! proptests draw bodies from a list of fragments; this target lets libFuzzer grow its own,
//! guided by which lexer and detector branches they reach.
//!
//! Input layout: byte 0 picks the format and the charset (sniffed, UTF-8, GB18030, UTF-16LE,
//! UTF-16BE), byte 1 the number of cuts (0-15), then two bytes per cut (little-endian offsets
//! into the body, modulo its length), then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_rules::{Charset, Format, ScanOptions};

#[path = "../../tests/common/chunked.rs"]
mod chunked;

use chunked::{engine, run_in, scan_with};

fuzz_target!(|data: &[u8]| {
    let [f, n, rest @ ..] = data else { return };
    let format = [
        Format::Json,
        Format::Xml,
        Format::Csv,
        Format::Form,
        Format::Multipart,
        Format::Text,
    ][*f as usize % 6];
    let charset = [
        Charset::Auto,
        Charset::Utf8,
        Charset::Gb18030,
        Charset::Utf16Le,
        Charset::Utf16Be,
        Charset::Utf32Le,
        Charset::Utf32Be,
    ][*f as usize / 6 % 7];
    let n = (*n as usize % 16).min(rest.len() / 2);
    let (cut_bytes, body) = rest.split_at(n * 2);
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (body.len() + 1))
        .collect();
    cuts.sort_unstable();

    let whole = run_in(body, format, charset, &[]);
    let chunked = run_in(body, format, charset, &cuts);
    assert_eq!(whole.1, chunked.1, "findings depend on the chunking");
    assert!(whole.0 == chunked.0, "output depends on the chunking");
    if whole.1.is_empty() {
        assert!(whole.0 == body, "a body without findings changed");
    }
    // A scan that only reports, cut the same way, names the same values at the same offsets.
    let opts = ScanOptions {
        format,
        charset,
        ..ScanOptions::default()
    };
    let report = scan_with(&engine(), body, opts, &cuts).1;
    let spans = |f: &[sluice_rules::Finding]| {
        f.iter()
            .map(|f| (f.rule_id.clone(), f.start, f.end))
            .collect::<Vec<_>>()
    };
    assert_eq!(spans(&report), spans(&whole.1), "reporting names other offsets");
});
