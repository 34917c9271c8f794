//! The decompressors see bytes straight from the network (request bodies) or from an upstream
//! that may be hostile. For any input, coding and framing: no panic, and success never returns
//! more than the output cap. Half the inputs are first encoded with the same coding, so the
//! fuzzer also reaches valid streams: those must decode back to the original bytes whatever
//! the framing.
//!
//! The sniffing that decides which coding a body really carries (`Encoding::sniff`,
//! `maybe_hidden`, `label_holds`, `hidden_coding`) reads the same untrusted first bytes: it
//! must not panic on any of them, and a text body deflated or brotli-compressed and sent
//! with no label must be found as such.
//!
//! Input layout: byte 0 picks the coding, byte 1 bit 0 the mode (raw or round trip) and bits
//! 1-7 the frame size, byte 2 the output cap in KiB, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_proxy::codec::{encode_all, hidden_coding, DecodeLimits, Decoder, Encoding};

const CODINGS: [Encoding; 5] = [
    Encoding::Identity,
    Encoding::Gzip,
    Encoding::Deflate,
    Encoding::Br,
    Encoding::Zstd,
];

fuzz_target!(|data: &[u8]| {
    let [c, m, cap, body @ ..] = data else { return };
    let enc = CODINGS[*c as usize % CODINGS.len()];
    let round_trip = m & 1 == 1;
    let frame = usize::from(m >> 1).max(1);
    let limits = DecodeLimits {
        max_output: (u64::from(*cap) + 1) * 1024,
        max_ratio: 100,
    };
    let input = if round_trip {
        match encode_all(enc, body) {
            Ok(v) => v,
            Err(e) => panic!("encoding {} bytes failed: {e}", body.len()),
        }
    } else {
        body.to_vec()
    };
    sniffing(enc, &input, round_trip.then_some(body), &limits);
    let Ok(mut d) = Decoder::new(enc, limits) else {
        return;
    };
    let mut out = Vec::new();
    let mut result = Ok(());
    for frame in input.chunks(frame) {
        result = d.push(frame, &mut out);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = d.finish(&mut out);
    }
    match result {
        Ok(()) => {
            assert!(out.len() as u64 <= limits.max_output, "output past the cap");
            if round_trip {
                assert!(out == body, "round trip changed the body");
            }
        }
        // A valid stream may only fail by passing a cap.
        Err(e) => assert!(!round_trip || e.is_bomb(), "valid stream rejected: {e}"),
    }
});

/// Runs every sniffing step over `input` declared as `enc` and as identity, on its first bytes
/// and whole. When `input` is text deflated or brotli-compressed (`plain`), the body sent with
/// no label is found to carry that coding (a cap passed while trying counts as found).
fn sniffing(enc: Encoding, input: &[u8], plain: Option<&[u8]>, limits: &DecodeLimits) {
    let head = &input[..input.len().min(Encoding::HIDDEN_SNIFF_BYTES)];
    for declared in [enc, Encoding::Identity] {
        let actual = Encoding::sniff(declared, head);
        let _ = Encoding::sniff_settled(declared, head);
        let _ = Encoding::maybe_hidden(declared, head);
        if let Some(a) = actual {
            let _ = Encoding::sniff_needs_trial(declared, a);
            let _ = a.label_holds(head, head.len() == input.len(), limits);
        }
        let _ = declared.label_holds(input, true, limits);
    }
    let _ = hidden_coding(head, head.len() == input.len(), limits);
    let Some(text) = plain else { return };
    let is_text = std::str::from_utf8(text).is_ok_and(|s| {
        !s.is_empty()
            && s.chars()
                .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
    });
    if is_text && matches!(enc, Encoding::Deflate | Encoding::Br) {
        let found = hidden_coding(input, true, limits);
        assert!(
            found == Some(enc),
            "{enc} of {} bytes of text sent as identity read as {found:?}",
            text.len()
        );
    }
}
