//! End-to-end test support (shared helpers for the tests in this crate).
