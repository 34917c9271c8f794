//! The decompressors see bytes straight from the network (request bodies) or from an upstream
//! that may be hostile. For any input, coding and framing: no panic, and success never returns
//! more than the output cap. Half the inputs are first encoded with the same coding, so the
//! fuzzer also reaches valid streams: those must decode back to the original bytes whatever
//! the framing.
//!
//! Input layout: byte 0 picks the coding, byte 1 bit 0 the mode (raw or round trip) and bits
//! 1-7 the frame size, byte 2 the output cap in KiB, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_proxy::codec::{encode_all, DecodeLimits, Decoder, Encoding};

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
