//! Memory per tracked consumer of the rate limiter, measured with a counting allocator.
//!
//! `cargo run --release -p sluice-proxy --example limiter_memory`
//!
//! Tracks 100 000 consumers on one interface with every limit configured and prints the heap
//! bytes held, for three cases: requests only (no findings), a few distinct values each
//! (exact sparse set), and more than 128 distinct values each (dense 1 KiB HyperLogLog).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

use sluice_proxy::limits::LimitsConfig;
use sluice_rules::{Applied, Confidence, Finding, Grade};
use tokio::time::Instant;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static A: Counting = Counting;

const N: usize = 100_000;

fn finding(fp: u64) -> Finding {
    Finding {
        rule_id: Arc::from("r"),
        rule_index: 0,
        class: Arc::from("resident_id"),
        grade: Grade {
            rank: 1,
            name: Arc::from("important"),
        },
        start: 0,
        end: 0,
        confidence: Confidence::High,
        field: None,
        applied: Applied::Masked,
        masked: "".into(),
        fingerprint: fp,
        value: None,
    }
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    rt.block_on(async {
        let cfg: LimitsConfig = serde_yaml_ng::from_str(
            r#"
max_keys: 1000000
default:
  per_consumer:
    requests: { rate: 10/s, burst: 20 }
    bytes: { max: 50MiB, window: 1m }
    findings: { max: 10000, window: 1h }
    distinct_values: { max: 5000, window: 1h }
"#,
        )?;
        let iface: Arc<str> = Arc::from("persons");
        let ids: Vec<Arc<str>> = (0..N)
            .map(|i| Arc::from(format!("consumer-{i:06}")))
            .collect();
        for (label, per) in [
            ("no findings", 0u64),
            ("8 distinct values", 8),
            ("200 distinct values", 200),
        ] {
            let findings: Vec<Vec<Finding>> = (0..N as u64)
                .map(|c| (0..per).map(|k| finding(c * 1_000_003 + k)).collect())
                .collect();
            let before = LIVE.load(Ordering::Relaxed);
            let l = cfg.build(Instant::now());
            let now = Instant::now();
            for (c, fs) in ids.iter().zip(&findings) {
                l.check_request(&iface, c, now);
                l.record_response(&iface, c, 4096, fs, now);
            }
            let used = LIVE.load(Ordering::Relaxed) - before;
            println!(
                "{label:>20}: {} consumers tracked, {:.1} MiB heap, {} bytes per consumer \
                 (approx_bytes says {} per consumer; consumer ids are shared with the caller)",
                l.tracked(),
                used as f64 / (1 << 20) as f64,
                used / N as isize,
                l.approx_bytes() / N,
            );
            drop(l);
        }
        Ok(())
    })
}
