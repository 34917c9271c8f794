//! An operator's config file (and a hot-reloaded one) must give a config or errors naming
//! file, line and key, never a panic, whatever its text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sluice_proxy::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errs) = Config::from_yaml(text, Path::new("fuzz.yaml")) {
        assert!(!errs.0.is_empty(), "an error list without errors");
    }
});
