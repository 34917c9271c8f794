//! Gives freed heap back to the system once a burst of traffic is over.
//!
//! A sidecar is sized by its resident memory. Under load every stream holds its scan window,
//! decoder and body buffers; when the load stops they are freed, but glibc keeps freed
//! chunks in its per-thread arenas, so the process stayed at up to ten times its idle size
//! (11 MiB idle, 62-110 MiB long after a burst of up to 1 MiB bodies on 32 connections; see
//! BENCHMARKS.md, "Issue 3: memory after a burst"). `malloc_trim` releases the free pages of
//! every arena.
//! It walks the arenas under their locks, so it runs only when the proxy has been quiet for a
//! whole period (no new request) after having served some, never under steady load, and on a
//! blocking thread. Other allocators and C libraries manage this themselves: there it is a
//! no-op.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::phases::logging::Stats;

/// How long the proxy must see no new request before the heap is trimmed.
const QUIET: Duration = Duration::from_secs(5);

/// Starts the trimmer (a no-op task where there is nothing to trim).
pub fn spawn(stats: Arc<Stats>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if !SUPPORTED {
            return;
        }
        let mut tick = tokio::time::interval(QUIET);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut quiet = Quiet::new(stats.requests.load(Ordering::Relaxed));
        loop {
            tick.tick().await;
            if quiet.due(stats.requests.load(Ordering::Relaxed)) {
                let _ = tokio::task::spawn_blocking(trim).await;
            }
        }
    })
}

/// When to trim, from the request counter read once per period: after a period with no new
/// request, once per burst.
#[derive(Debug)]
struct Quiet {
    seen: u64,
    trimmed_at: u64,
}

impl Quiet {
    fn new(requests: u64) -> Self {
        Quiet {
            seen: requests,
            trimmed_at: requests,
        }
    }

    /// Whether to trim now, given the counter at this tick.
    fn due(&mut self, requests: u64) -> bool {
        let quiet = requests == self.seen;
        self.seen = requests;
        if quiet && requests != self.trimmed_at {
            self.trimmed_at = requests;
            return true;
        }
        false
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
const SUPPORTED: bool = true;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
const SUPPORTED: bool = false;

/// Releases the free memory of every malloc arena to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and madvises glibc's own free lists, under the
    // arenas' locks; it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_after_each_burst_and_never_under_load() {
        let mut q = Quiet::new(0);
        // Idle from the start: nothing was allocated for traffic, nothing to give back.
        assert!(!q.due(0));
        assert!(!q.due(0));
        // Steady load: the counter moves every period.
        assert!(!q.due(100));
        assert!(!q.due(250));
        assert!(!q.due(400));
        // The first quiet period after the burst trims, the following ones do not.
        assert!(q.due(400));
        assert!(!q.due(400));
        assert!(!q.due(400));
        // A single request later is a new burst.
        assert!(!q.due(401));
        assert!(q.due(401));
    }

    #[test]
    fn trimming_is_safe_with_live_allocations() {
        let kept: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 << 10]).collect();
        drop((0..64).map(|_| vec![0u8; 64 << 10]).collect::<Vec<_>>());
        trim();
        assert!(kept
            .iter()
            .enumerate()
            .all(|(i, v)| v.iter().all(|&b| b == i as u8)));
    }
}
