//! A rule author's file is untrusted input to `sluice rules check` and to hot reload: any text
//! must give a pack or a diagnostic, never a panic, and a pack that compiles must scan.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sluice_rules::{Engine, Format, ScanOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let built = Engine::builder().source("fuzz.yaml", text).build();
    if let Ok(engine) = built {
        let engine = Arc::new(engine);
        for format in [Format::Json, Format::Text] {
            let body = br#"{"xm":"\u5f20\u4e09","sfzh":"11010519491231002X","note":"HT01-2024-1234567 secret"}"#;
            let _ = engine.scan_bytes(
                body,
                ScanOptions {
                    format,
                    redact: true,
                    ..ScanOptions::default()
                },
            );
            let _ = engine.scan_bytes(
                text.as_bytes(),
                ScanOptions {
                    format,
                    redact: true,
                    ..ScanOptions::default()
                },
            );
        }
    }
});
