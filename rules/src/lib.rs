//! Sluice detection engine: rule packs, validators, evasion-proof normalization, a streaming
//! content-aware matcher and format-keeping redaction. No HTTP lives here: the proxy and the CLI
//! feed bodies in as byte chunks and get findings and (optionally) redacted bytes back.
//!
//! The data path, in one line: raw chunk → format lexer (JSON / XML / CSV / form / text) →
//! decoded, normalized *segments* with a map back to raw offsets → detectors (structured
//! identifier scanners, keyword automaton, anchored regexes, field-context rules) → findings →
//! transforms applied as edits on the raw bytes → output chunk. See `rules/DESIGN.md`.

pub mod archive;
pub mod check;
pub mod dict;
pub mod engine;
pub mod error;
pub mod grade;
pub mod rule;
pub mod transform;
pub mod validate;

pub mod charset;
mod detect;
mod format;
mod normalize;
mod stream;

pub use charset::Charset;
pub use engine::{Engine, EngineBuilder, RuleInfo};
pub use error::{Diagnostic, RuleError};
pub use format::Format;
pub use grade::{Grade, GradeScheme};
pub use smol_str::SmolStr;
pub use stream::{
    Applied, Confidence, Decide, Disposition, Finding, ScanOptions, ScanResult, StreamScanner,
};
pub use transform::{MaskSpec, Transform};

#[cfg(test)]
mod send_sync {
    //! The public engine types are shared across proxy worker threads.
    fn assert_send_sync<T: Send + Sync>() {}
    #[test]
    fn engine_types_are_send_sync() {
        assert_send_sync::<crate::Engine>();
        assert_send_sync::<crate::Finding>();
        assert_send_sync::<crate::RuleError>();
        assert_send_sync::<crate::GradeScheme>();
        fn assert_send<T: Send>() {}
        assert_send::<crate::StreamScanner>();
    }
}
