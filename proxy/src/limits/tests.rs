//! Limiter tests on paused Tokio time: every limit kind and scope, actions, shadow mode,
//! Retry-After, the distinct-values guard (HLL accuracy too) and eviction under many consumers.

use super::*;
use sluice_rules::{Applied, Confidence, Grade};
use tokio::time::advance;

fn cfg(y: &str) -> LimitsConfig {
    serde_yaml_ng::from_str(y).unwrap()
}

fn finding(fp: u64) -> Finding {
    Finding {
        rule_id: Arc::from("cn_resident_id"),
        rule_index: 0,
        class: Arc::from("id_number"),
        grade: Grade {
            rank: 1,
            name: Arc::from("important"),
        },
        start: 0,
        end: 18,
        confidence: Confidence::High,
        field: None,
        applied: Applied::Masked,
        masked: "110***********1234".into(),
        fingerprint: fp,
        value: None,
    }
}

fn findings(range: std::ops::Range<u64>) -> Vec<Finding> {
    range
        .map(|i| finding(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect()
}

fn a(s: &str) -> Arc<str> {
    Arc::from(s)
}

#[tokio::test(start_paused = true)]
async fn requests_gcra_burst_then_rate_with_retry_after() {
    let l = cfg(
        "interfaces:\n  persons:\n    per_consumer:\n      requests: { rate: 2/s, burst: 3 }\n",
    )
    .build(Instant::now());
    let (i, c) = (a("persons"), a("dept-a"));
    for _ in 0..3 {
        assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    }
    let d = l.check_request(&i, &c, Instant::now());
    let Verdict::Throttle { retry_after } = d.verdict else {
        panic!("{d:?}")
    };
    assert_eq!(retry_after, Duration::from_millis(500));
    assert_eq!(d.violations[0].kind, LimitKind::Requests);
    assert_eq!(d.violations[0].scope, Scope::Consumer);
    // A refused request is not charged: after 500 ms exactly one more passes.
    advance(Duration::from_millis(499)).await;
    assert!(!l.check_request(&i, &c, Instant::now()).is_allowed());
    advance(Duration::from_millis(1)).await;
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    assert!(!l.check_request(&i, &c, Instant::now()).is_allowed());
    // Sustained: 2/s over 10 s.
    let mut ok = 0;
    for _ in 0..100 {
        advance(Duration::from_millis(100)).await;
        ok += usize::from(l.check_request(&i, &c, Instant::now()).is_allowed());
    }
    assert_eq!(ok, 20);
    // Another consumer has its own budget.
    assert!(l
        .check_request(&i, &a("dept-b"), Instant::now())
        .is_allowed());
    // 429 response with Retry-After and a problem body.
    let d = l.check_request(&i, &c, Instant::now());
    let r = d.to_response("req-9", "persons").unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["type"], "urn:sluice:problem:rate-limited");
    assert_eq!(body["limits"][0][0], "requests");
    assert_eq!(body["request_id"], "req-9");
}

#[tokio::test(start_paused = true)]
async fn interface_total_rate_is_shared_and_refusals_are_not_charged() {
    let l = cfg(r#"
interfaces:
  persons:
    per_consumer:
      requests: { rate: 1/s, burst: 1 }
    total:
      requests: { rate: 3/s, burst: 3 }
"#)
    .build(Instant::now());
    let i = a("persons");
    let now = Instant::now();
    let got: Vec<bool> = ["a", "b", "c", "d"]
        .iter()
        .map(|c| l.check_request(&i, &a(c), now).is_allowed())
        .collect();
    assert_eq!(got, [true, true, true, false]);
    let d = l.check_request(&i, &a("d"), now);
    assert_eq!(d.violations[0].scope, Scope::Interface);
    // Consumer `a` over its own rate: refused without using the interface's budget.
    advance(Duration::from_millis(400)).await;
    assert!(!l.check_request(&i, &a("a"), Instant::now()).is_allowed());
    assert!(l.check_request(&i, &a("e"), Instant::now()).is_allowed());
}

#[tokio::test(start_paused = true)]
async fn bytes_window_throttles_and_slides() {
    let l = cfg("default:\n  per_consumer:\n    bytes: { max: 1KiB, window: 60s }\n")
        .build(Instant::now());
    let (i, c) = (a("any-interface"), a("dept-a"));
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    assert!(l
        .record_response(&i, &c, 600, &[], Instant::now())
        .is_allowed());
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    // This response would cross 1024: it is refused (the proxy holds it), and as it never
    // reaches the consumer it is not charged; the next request goes on.
    let d = l.record_response(&i, &c, 600, &[], Instant::now());
    assert!(matches!(d.verdict, Verdict::Throttle { .. }), "{d:?}");
    assert_eq!(d.violations[0].kind, LimitKind::Bytes);
    assert_eq!(d.violations[0].observed, 1200);
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    // 424 more fill the window to 1024: the budget is spent, and requests wait.
    assert!(l
        .record_response(&i, &c, 424, &[], Instant::now())
        .is_allowed());
    advance(Duration::from_secs(30)).await;
    let d = l.check_request(&i, &c, Instant::now());
    let Verdict::Throttle { retry_after } = d.verdict else {
        panic!("{d:?}")
    };
    // 1024 in the current window: after the roll at 60 s it must decay below 1024:
    // 60 + 60 × (1 − 1023/1024) ≈ 60.06 s from the start, 30.06 s from now.
    assert_eq!(retry_after.as_secs(), 30);
    advance(retry_after).await;
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    // Two windows later everything is forgotten.
    advance(Duration::from_secs(120)).await;
    assert!(l
        .record_response(&i, &c, 1000, &[], Instant::now())
        .is_allowed());
}

#[tokio::test(start_paused = true)]
async fn findings_window_block_action_gives_403() {
    let l = cfg(
        "interfaces:\n  persons:\n    per_consumer:\n      findings: { max: 10, window: 1m, action: block }\n",
    )
    .build(Instant::now());
    let (i, c) = (a("persons"), a("dept-a"));
    assert!(l
        .record_response(&i, &c, 0, &findings(0..10), Instant::now())
        .is_allowed());
    let d = l.record_response(&i, &c, 0, &findings(10..11), Instant::now());
    assert_eq!(d.verdict, Verdict::Block);
    let r = d.to_response("r", "persons").unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("retry-after").is_none());
    assert_eq!(
        l.check_request(&i, &c, Instant::now()).verdict,
        Verdict::Block
    );
    // Responses without findings do not fire the findings limit.
    let other = a("dept-b");
    assert!(l
        .record_response(&i, &other, 0, &[], Instant::now())
        .is_allowed());
}

#[tokio::test(start_paused = true)]
async fn distinct_values_guard_counts_values_not_findings() {
    let l = cfg(r#"
interfaces:
  persons:
    per_consumer:
      distinct_values: { max: 1000, window: 1h, action: throttle }
"#)
    .build(Instant::now());
    let (i, c) = (a("persons"), a("dept-a"));
    // The same 50 people asked about 100 times: 5 000 findings, 50 distinct values.
    for _ in 0..100 {
        assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
        assert!(l
            .record_response(&i, &c, 0, &findings(0..50), Instant::now())
            .is_allowed());
        advance(Duration::from_secs(1)).await;
    }
    // A scraper walking through new people: refused once past ~1 000 distinct.
    let mut first_refusal = None;
    for page in 0..40u64 {
        let d = l.record_response(
            &i,
            &a("scraper"),
            0,
            &findings(page * 50..page * 50 + 50),
            Instant::now(),
        );
        if !d.is_allowed() {
            first_refusal = Some((page + 1) * 50);
            assert_eq!(d.violations[0].kind, LimitKind::DistinctValues);
            break;
        }
    }
    let n = first_refusal.expect("the guard fired");
    // HLL error at p=10 is ≈3 %: refusal between 950 and 1 100 distinct values.
    assert!((950..=1100).contains(&n), "refused at {n}");
    // The refused page was never delivered: values already sent may be read again, new
    // ones are refused again.
    assert!(l
        .record_response(&i, &a("scraper"), 0, &findings(0..50), Instant::now())
        .is_allowed());
    let fresh = n + 1000..n + 1050;
    assert!(!l
        .record_response(
            &i,
            &a("scraper"),
            0,
            &findings(fresh.clone()),
            Instant::now()
        )
        .is_allowed());
    // The sliding window: the scraper may come back once the estimate decays.
    advance(Duration::from_secs(2 * 3600)).await;
    assert!(l
        .check_request(&i, &a("scraper"), Instant::now())
        .is_allowed());
    assert!(l
        .record_response(&i, &a("scraper"), 0, &findings(fresh), Instant::now())
        .is_allowed());
}

#[test]
fn hll_estimates_within_error_and_memory_is_bounded() {
    for n in [10u64, 100, 1_000, 10_000, 100_000, 1_000_000] {
        let mut s = Sketch::Empty;
        for x in 0..n {
            s.insert(x.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef, 10);
            // Inserting again changes nothing.
            if x % 7 == 0 {
                s.insert(x.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef, 10);
            }
        }
        let est = s.count() as f64;
        let err = (est - n as f64).abs() / n as f64;
        assert!(err < 0.08, "n={n} est={est} err={err}");
        if n <= 128 {
            assert_eq!(est as u64, n, "exact while sparse");
        }
        assert!(
            s.heap_bytes() <= 1024 + 64,
            "n={n}: {} bytes",
            s.heap_bytes()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn alert_and_shadow_report_without_enforcing() {
    let l = cfg(r#"
interfaces:
  persons:
    per_consumer:
      requests: { rate: 1/s, burst: 1, shadow: true }
      findings: { max: 2, window: 1m, action: alert }
"#)
    .build(Instant::now());
    let (i, c) = (a("persons"), a("dept-a"));
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    let d = l.check_request(&i, &c, Instant::now());
    assert!(d.is_allowed() && d.fired());
    assert!(d.violations[0].shadow);
    assert!(d.to_response("r", "persons").is_none());
    let d = l.record_response(&i, &c, 0, &findings(0..3), Instant::now());
    assert!(d.is_allowed() && d.fired());
    assert_eq!(d.violations[0].action, LimitAction::Alert);

    // Global shadow mode: a block limit fires but nothing is enforced.
    let l = cfg(
        "shadow: true\ndefault:\n  total:\n    findings: { max: 1, window: 1m, action: block }\n",
    )
    .build(Instant::now());
    let d = l.record_response(&i, &c, 0, &findings(0..5), Instant::now());
    assert!(d.is_allowed());
    assert!(d.violations[0].shadow);
    assert_eq!(d.violations[0].scope, Scope::Interface);
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
}

#[tokio::test(start_paused = true)]
async fn strongest_verdict_wins_and_unlisted_interfaces_are_free() {
    let l = cfg(r#"
interfaces:
  persons:
    per_consumer:
      bytes: { max: 10, window: 1m, action: throttle }
      findings: { max: 1, window: 1m, action: block }
"#)
    .build(Instant::now());
    let (i, c) = (a("persons"), a("dept-a"));
    let d = l.record_response(&i, &c, 100, &findings(0..2), Instant::now());
    assert_eq!(d.verdict, Verdict::Block);
    assert_eq!(d.violations.len(), 2);
    for _ in 0..100 {
        assert!(l
            .check_request(&a("other"), &c, Instant::now())
            .is_allowed());
    }
    assert_eq!(l.tracked(), 1);
    assert!(l.has_response_limits("persons"));
    assert!(!l.has_response_limits("other"));
}

#[tokio::test(start_paused = true)]
async fn eviction_keeps_memory_bounded_under_200k_consumers() {
    let l = cfg(r#"
max_keys: 50000
idle_timeout: 10m
default:
  per_consumer:
    requests: { rate: 10/s, burst: 10 }
    distinct_values: { max: 1000, window: 1m }
"#)
    .build(Instant::now());
    let i = a("persons");
    let fs = findings(0..3);
    for n in 0..200_000u32 {
        let c: Arc<str> = Arc::from(format!("consumer-{n}"));
        assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
        l.record_response(&i, &c, 100, &fs, Instant::now());
        if n % 10_000 == 0 {
            advance(Duration::from_millis(10)).await;
        }
        assert!(l.tracked() <= 50_000, "cap held at {n}");
    }
    assert!(l.stats().evicted_pressure.load(Ordering::Relaxed) >= 150_000);
    let per_key = l.approx_bytes() / l.tracked();
    assert!(per_key < 400, "{per_key} bytes per tracked consumer");
    // The most recent consumers survived pressure eviction, so their limits still hold.
    let recent: Arc<str> = Arc::from("consumer-199999");
    for _ in 0..9 {
        l.check_request(&i, &recent, Instant::now());
    }
    assert!(!l.check_request(&i, &recent, Instant::now()).is_allowed());

    // Idle sweep: after both windows have decayed everything goes, losslessly.
    advance(Duration::from_secs(121)).await;
    let dropped = l.sweep(Instant::now());
    assert!(dropped > 0);
    assert_eq!(l.tracked(), 0);
}

#[tokio::test(start_paused = true)]
async fn sweeper_task_runs_on_paused_time() {
    let l = Arc::new(
        cfg("default:\n  per_consumer:\n    requests: { rate: 1/s }\n").build(Instant::now()),
    );
    let h = l.spawn_sweeper(Duration::from_secs(30));
    for n in 0..100 {
        l.check_request(&a("i"), &Arc::from(format!("c{n}")), Instant::now());
    }
    assert_eq!(l.tracked(), 100);
    advance(Duration::from_secs(31)).await;
    tokio::task::yield_now().await;
    assert_eq!(l.tracked(), 0, "GCRA state decayed within a second: swept");
    assert!(l.stats().evicted_idle.load(Ordering::Relaxed) >= 100);
    drop(l);
    advance(Duration::from_secs(31)).await;
    h.await.unwrap();
}

#[test]
fn config_parsing_and_validation() {
    assert_eq!(parse_rate("10/s").unwrap(), 10.0);
    assert_eq!(parse_rate("600/m").unwrap(), 10.0);
    assert_eq!(parse_rate("5").unwrap(), 5.0);
    assert!(parse_rate("0/s").is_err());
    assert!(parse_rate("10/d").is_err());
    let c = cfg(r#"
hll_precision: 3
interfaces:
  nosuch:
    per_consumer:
      bytes: { max: 8MiB, window: 0s }
      requests: { rate: 10, burst: 0 }
"#);
    assert_eq!(
        c.interfaces["nosuch"]
            .per_consumer
            .bytes
            .as_ref()
            .unwrap()
            .max,
        8 << 20
    );
    let errs = c.validate(&["persons"]);
    let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "hll_precision",
            "interfaces.nosuch",
            "interfaces.nosuch.per_consumer.bytes.window",
            "interfaces.nosuch.per_consumer.requests.burst"
        ]
    );
    assert!(serde_yaml_ng::from_str::<LimitsConfig>(
        "default:\n  per_consumer:\n    requets: {rate: 1}\n"
    )
    .is_err());
    assert!(serde_yaml_ng::from_str::<LimitsConfig>(
        "default:\n  per_consumer:\n    bytes: {max: 1, window: 1s, acton: block}\n"
    )
    .is_err());
}

#[test]
fn limiter_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Limiter>();
    assert_send_sync::<Decision>();
}

/// The dense sketch keeps its harmonic sum and empty-register count as it grows: they equal a
/// pass over its registers at every point, and so does the estimate.
#[test]
fn dense_sketch_estimate_matches_a_pass_over_its_registers() {
    for p in [4u8, 12, 16] {
        let mut h = Hll::new(p);
        for i in 0..60_000u64 {
            h.add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), p);
            if i % 1_999 == 0 || i < 64 {
                let zeros = h.regs.iter().filter(|&&r| r == 0).count();
                let sum: f64 = h.regs.iter().map(|&r| 1.0 / (1u64 << r) as f64).sum();
                assert_eq!(h.zeros, zeros);
                let kept = h.sum as f64 / 2f64.powi(64);
                assert!(
                    (kept - sum).abs() <= sum * 1e-12,
                    "p={p} i={i}: {kept} vs {sum}"
                );
                let want = hll_estimate(h.regs.len(), sum, zeros);
                assert!(h.estimate().abs_diff(want) <= 1, "p={p} i={i}");
            }
        }
    }
}

/// A changed `rate_limits` section keeps the budgets of limits it did not change: editing one
/// interface's rate must not hand every consumer a fresh bulk-exfiltration budget.
#[tokio::test(start_paused = true)]
async fn a_changed_section_keeps_the_budgets_of_unchanged_limits() {
    let before = r#"
interfaces:
  persons:
    per_consumer:
      distinct_values: { max: 20, window: 24h, action: block }
      requests: { rate: 10/s, burst: 2 }
  other:
    per_consumer:
      requests: { rate: 1/m }
"#;
    let l = cfg(before).build(Instant::now());
    let (i, c) = (a("persons"), a("dept-a"));
    assert!(l
        .record_response(&i, &c, 0, &findings(0..19), Instant::now())
        .is_allowed());
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    assert!(l.check_request(&i, &c, Instant::now()).is_allowed());
    advance(Duration::from_secs(60)).await;
    // Only `other`'s rate changes: 19 values are still counted against the quota of 20.
    let edited = before.replace("rate: 1/m", "rate: 5/m");
    let l2 = cfg(&edited).build_after(Instant::now(), &l);
    let d = l2.record_response(&i, &c, 0, &findings(100..102), Instant::now());
    assert!(!d.is_allowed(), "{d:?}");
    assert_eq!(d.violations[0].kind, LimitKind::DistinctValues);
    // A lower `max` applies to what was counted at once.
    let lowered = before.replace("max: 20", "max: 10");
    let l3 = cfg(&lowered).build_after(Instant::now(), &l);
    assert!(!l3
        .record_response(&i, &c, 0, &findings(200..201), Instant::now())
        .is_allowed());
    // A new window length counts afresh, as does a new request rate.
    let rewindowed = before.replace("window: 24h", "window: 12h");
    let l4 = cfg(&rewindowed).build_after(Instant::now(), &l);
    assert!(l4
        .record_response(&i, &c, 0, &findings(300..310), Instant::now())
        .is_allowed());
    // The request burst was spent a minute ago and has refilled either way; the GCRA state
    // carried over lets exactly the burst through again.
    let l5 = cfg(&edited).build_after(Instant::now(), &l);
    assert!(l5.check_request(&i, &c, Instant::now()).is_allowed());
    assert!(l5.check_request(&i, &c, Instant::now()).is_allowed());
    assert!(!l5.check_request(&i, &c, Instant::now()).is_allowed());
}
