//! Audit trail tests: no raw value of the test corpus reaches the file; verify detects an
//! edited, a deleted and a reordered line and accepts a rotated set; deletions at either end
//! (the first records, an emptied file, the last records, the last records and a restart on
//! the cut file) fail verify, the last two against a head seen earlier (`--head`); every file
//! begins with the trail's own `trail_opened` / `trail_rotated` record; SHA-256 and SM3;
//! resume after restart; the chain head is exported; sink failure and a full queue are
//! counted and stated in the trail, and feed `sluice_audit_records_dropped_total` (a proxy
//! whose trail writes to /dev/full keeps serving with `on_failure: drop` and refuses
//! unrecordable decisions with `block`); a reload whose `audit` section cannot be set up is
//! refused and leaves the trail in force writing.

use super::*;
use sluice_rules::{Engine, Format, ScanOptions};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sluice-audit-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn file_cfg(dir: &Path, alg: HashAlg, max_bytes: u64, keep: usize) -> AuditConfig {
    AuditConfig {
        hash: alg,
        sink: SinkConfig {
            kind: SinkKind::File,
            path: Some(dir.join("audit.jsonl")),
            max_bytes,
            keep,
        },
        ..AuditConfig::default()
    }
}

fn event(i: usize) -> AuditEvent {
    AuditEvent::new(
        EventKind::Redacted,
        format!("req-{i}"),
        "persons",
        "GET",
        200,
        "redact",
    )
    .with_client("10.1.2.3".parse().unwrap())
    .with_bytes(1234, Some(Duration::from_micros(2500)))
}

/// The set in chain order: rotated files, then the active one.
fn set(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap() != "audit.jsonl")
        .collect();
    v.sort();
    v.push(dir.join("audit.jsonl"));
    v
}

fn write_n(cfg: &AuditConfig, n: usize) -> Audit {
    let a = cfg.build().unwrap();
    for i in 0..n {
        a.record(event(i)).unwrap();
    }
    a.flush();
    a
}

#[test]
fn records_are_chained_sha256_and_sm3_and_verify() {
    for alg in [HashAlg::Sha256, HashAlg::Sm3] {
        let dir = tmp(alg.as_str());
        let a = write_n(&file_cfg(&dir, alg, 1 << 20, 0), 20);
        a.close();
        let files = set(&dir);
        let r = verify(&files).unwrap();
        // The trail's opening record, then the 20 decisions.
        assert_eq!(
            (r.records, r.first_seq, r.last_seq),
            (21, Some(0), Some(20))
        );
        assert_eq!(r.anchor.as_deref(), Some(GENESIS));
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let opened: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(opened["event"], "trail_opened");
        assert_eq!(
            opened["trail"],
            serde_json::json!({"cause": "start", "begins_file": true})
        );
        assert_eq!(
            (opened["seq"].as_u64(), opened["prev"].as_str()),
            (Some(0), Some(GENESIS))
        );
        let first: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        assert_eq!(first["alg"], alg.as_str());
        assert_eq!(first["event"], "redacted");
        assert_eq!(first["client_ip"], "10.1.2.3");
        assert_eq!(first["upstream_latency_ms"], 2.5);
        assert!(first["time"].as_str().unwrap().ends_with('Z'));
        let summary = verify_files(&files, None, None).unwrap();
        assert!(summary.starts_with("OK: 21 record(s)"), "{summary}");
    }
    // Known-answer: SM3("abc") from GM/T 0004-2012.
    assert_eq!(
        HashAlg::Sm3.hex(b"abc"),
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    );
}

/// A keyed trail: records are HMACs under the key and verify only with it; a forger who
/// edits a record and recomputes the whole chain with the plain hash (what verification
/// without a key accepts) is caught, and so is one who recomputes HMACs under another key.
#[test]
fn a_keyed_chain_verifies_only_with_its_key() {
    for alg in [HashAlg::Sha256, HashAlg::Sm3] {
        let dir = tmp(&format!("keyed-{}", alg.as_str()));
        let key_file = dir.join("key");
        std::fs::write(&key_file, "0123456789abcdef-secret\n").unwrap();
        let mut cfg = file_cfg(&dir, alg, 1 << 20, 0);
        cfg.key_file = Some(key_file.clone());
        write_n(&cfg, 5).close();
        let files = vec![dir.join("audit.jsonl")];
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["alg"], format!("hmac-{}", alg.as_str()));
        let key = read_key(&key_file).unwrap();
        assert_eq!(&key[..], b"0123456789abcdef-secret");
        assert_eq!(verify_keyed(&files, Some(&key)).unwrap().records, 6);
        let summary = verify_files(&files, Some(&key_file), None).unwrap();
        assert!(summary.starts_with("OK: 6 keyed record(s)"), "{summary}");
        // No key: the records cannot be checked.
        assert_eq!(
            verify(&files).unwrap_err().kind,
            VerifyErrorKind::KeyRequired
        );
        // Another key: every HMAC is wrong.
        assert_eq!(
            verify_keyed(&files, Some(b"another-key-of-16+"))
                .unwrap_err()
                .kind,
            VerifyErrorKind::HashMismatch
        );
        // A forgery: record 2 edited and the chain recomputed with the plain hash (or with a
        // key the forger made up, written as `hmac-…`).
        for forged_key in [None, Some(&b"forger-key-0123456789"[..])] {
            let mut prev = GENESIS.to_string();
            let mut out = String::new();
            for line in text.lines() {
                let (canon, _) = unseal(line.as_bytes()).unwrap();
                let mut v: serde_json::Value = serde_json::from_slice(&canon).unwrap();
                if v["seq"] == 2 {
                    v["consumer"] = "someone-else".into();
                }
                v["prev"] = prev.clone().into();
                v["alg"] = alg.record_name(forged_key.is_some()).into();
                let mut body = serde_json::to_vec(&v).unwrap();
                let h = alg.seal_hex(forged_key, &body);
                body.pop();
                body.extend_from_slice(HASH_KEY);
                body.extend_from_slice(h.as_bytes());
                body.extend_from_slice(b"\"}");
                out.push_str(std::str::from_utf8(&body).unwrap());
                out.push('\n');
                prev = h;
            }
            let forged = dir.join("forged.jsonl");
            std::fs::write(&forged, &out).unwrap();
            let e = verify_keyed(&[forged], Some(&key)).unwrap_err();
            assert!(
                matches!(
                    e.kind,
                    VerifyErrorKind::Unkeyed | VerifyErrorKind::HashMismatch
                ),
                "{e}"
            );
        }
        // Known answer: HMAC-SHA256, RFC 4231 test case 2.
        assert_eq!(
            HashAlg::Sha256.seal_hex(Some(b"Jefe"), b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key shorter than 16 bytes is refused.
        std::fs::write(&key_file, "short\n").unwrap();
        assert!(read_key(&key_file).is_err());
    }
}

fn rewrite(path: &Path, f: impl FnOnce(&mut Vec<String>)) {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    f(&mut lines);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn verify_detects_edit_delete_reorder_and_names_file_and_line() {
    let dir = tmp("tamper");
    write_n(&file_cfg(&dir, HashAlg::Sha256, 1 << 20, 0), 10).close();
    let path = dir.join("audit.jsonl");
    let pristine = std::fs::read_to_string(&path).unwrap();
    let files = vec![path.clone()];

    // Edited: a status changed on line 4.
    rewrite(&path, |l| {
        l[3] = l[3].replace("\"status\":200", "\"status\":403")
    });
    let e = verify(&files).unwrap_err();
    assert_eq!((e.line, &e.kind), (4, &VerifyErrorKind::HashMismatch));
    let msg = verify_files(&files, None, None).unwrap_err().to_string();
    assert!(
        msg.contains("audit.jsonl:4") && msg.contains("edited"),
        "{msg}"
    );

    // Edited with the hash recomputed for that line alone: the next line's prev gives it away.
    // (Line 1 is the trail's opening record; line 4 is the record of req-2.)
    std::fs::write(&path, &pristine).unwrap();
    rewrite(&path, |l| {
        let (canon, _) = unseal(l[3].as_bytes()).unwrap();
        let text = String::from_utf8(canon).unwrap().replace("req-2", "req-X");
        let ev: serde_json::Value = serde_json::from_str(&text).unwrap();
        let h = HashAlg::Sha256.hex(text.as_bytes());
        assert!(ev.is_object());
        l[3] = format!("{},\"hash\":\"{h}\"}}", &text[..text.len() - 1]);
    });
    let e = verify(&files).unwrap_err();
    assert_eq!((e.line, &e.kind), (5, &VerifyErrorKind::ChainBroken));

    // Deleted: line 6 removed.
    std::fs::write(&path, &pristine).unwrap();
    rewrite(&path, |l| {
        l.remove(5);
    });
    let e = verify(&files).unwrap_err();
    assert_eq!((e.line, &e.kind), (6, &VerifyErrorKind::ChainBroken));

    // Reordered: lines 7 and 8 swapped.
    std::fs::write(&path, &pristine).unwrap();
    rewrite(&path, |l| l.swap(6, 7));
    let e = verify(&files).unwrap_err();
    assert_eq!((e.line, &e.kind), (7, &VerifyErrorKind::ChainBroken));

    // Garbage.
    std::fs::write(&path, &pristine).unwrap();
    rewrite(&path, |l| l[0] = "{\"not\":\"sealed\"}".into());
    assert!(matches!(
        verify(&files).unwrap_err().kind,
        VerifyErrorKind::Malformed(_)
    ));

    std::fs::write(&path, &pristine).unwrap();
    assert_eq!(verify(&files).unwrap().records, 11);
}

#[test]
fn rotation_continues_the_chain_and_retention_keeps_an_anchor() {
    let dir = tmp("rotate");
    // ~330-byte records, 2 KiB files: several rotations.
    let cfg = file_cfg(&dir, HashAlg::Sm3, 2048, 0);
    let a = write_n(&cfg, 40);
    let rotations = a.stats().rotations.load(Ordering::Relaxed);
    assert!(rotations >= 5);
    a.close();
    let files = set(&dir);
    assert!(files.len() >= 6, "{files:?}");
    assert!(files[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("audit.000001"));
    for f in &files {
        assert!(std::fs::metadata(f).unwrap().len() <= 2048);
    }
    let r = verify(&files).unwrap();
    // The opening record, 40 decisions, one rotation record per rotation.
    let total = 40 + 1 + rotations;
    assert_eq!((r.records, r.last_seq), (total, Some(total - 1)));

    // Every file after the first begins with the trail's rotation record, which names the
    // previous file and its last record, and references that record's hash.
    let last_of = |p: &Path| {
        let t = std::fs::read_to_string(p).unwrap();
        let v: serde_json::Value = serde_json::from_str(t.lines().last().unwrap()).unwrap();
        v["hash"].as_str().unwrap().to_string()
    };
    let seq_of_last = |p: &Path| {
        let t = std::fs::read_to_string(p).unwrap();
        let v: serde_json::Value = serde_json::from_str(t.lines().last().unwrap()).unwrap();
        v["seq"].as_u64().unwrap()
    };
    for w in files.windows(2) {
        let t = std::fs::read_to_string(&w[1]).unwrap();
        let first: serde_json::Value = serde_json::from_str(t.lines().next().unwrap()).unwrap();
        assert_eq!(first["event"], "trail_rotated", "{}", w[1].display());
        assert_eq!(first["prev"].as_str().unwrap(), last_of(&w[0]));
        assert_eq!(first["trail"]["cause"], "rotation");
        assert_eq!(first["trail"]["previous_seq"], seq_of_last(&w[0]));
        assert_eq!(
            first["trail"]["previous_file"].as_str().unwrap(),
            w[0].file_name().unwrap().to_str().unwrap()
        );
        // Each file holds its first record and at least one decision.
        assert!(t.lines().count() >= 2);
    }

    // Files out of order, or one missing from the middle, do not verify.
    let mut swapped = files.clone();
    swapped.swap(1, 2);
    assert_eq!(
        verify(&swapped).unwrap_err().kind,
        VerifyErrorKind::ChainBroken
    );
    let mut gap = files.clone();
    gap.remove(2);
    let e = verify(&gap).unwrap_err();
    assert_eq!((e.line, e.kind), (1, VerifyErrorKind::ChainBroken));

    // Without the oldest file (retention) the rest verifies from its anchor.
    let r = verify(&files[1..]).unwrap();
    assert_eq!(r.anchor.as_deref(), Some(last_of(&files[0]).as_str()));
    assert_eq!(r.first_event.as_deref(), Some("trail_rotated"));
    let summary = verify_files(&files[1..], None, None).unwrap();
    assert!(
        summary.contains("older files not given") && summary.contains("trail_rotated"),
        "{summary}"
    );

    // A head seen earlier is reached by the whole set…
    let early = head_of(&files[..2], None);
    assert!(verify_to_head(&files, None, Some(&early)).is_ok());
    // …but not by files that begin after it: give the older ones.
    let e = verify_to_head(&files[2..], None, Some(&early)).unwrap_err();
    assert!(matches!(e.kind, VerifyErrorKind::HeadBefore { .. }), "{e}");
    assert!(e.to_string().contains("give the older files"), "{e}");

    // A restart continues the chain in the same files, after its opening record (which says
    // where it resumed).
    let before = head_of(&set(&dir), None);
    let a = write_n(&cfg, 5);
    a.close();
    let r = verify_to_head(&set(&dir), None, Some(&before)).unwrap();
    let all: Vec<serde_json::Value> = set(&dir)
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let reopened = all
        .iter()
        .find(|v| v["event"] == "trail_opened" && v["seq"] != 0)
        .unwrap();
    assert_eq!(reopened["seq"], total);
    assert_eq!(reopened["trail"]["cause"], "start");
    assert_eq!(reopened["trail"]["previous_seq"], total - 1);
    let decisions = all.iter().filter(|v| v["event"] == "redacted").count();
    assert_eq!(decisions, 45);
    assert_eq!(
        (r.records, r.last_seq),
        (all.len() as u64, Some(all.len() as u64 - 1))
    );

    // Retention: keep 2 rotated files.
    let dir = tmp("keep");
    let cfg = file_cfg(&dir, HashAlg::Sha256, 2048, 2);
    let a = write_n(&cfg, 40);
    a.close();
    let files = set(&dir);
    assert_eq!(files.len(), 3);
    let r = verify(&files).unwrap();
    assert_ne!(r.anchor.as_deref(), Some(GENESIS));
    assert_eq!(r.first_event.as_deref(), Some("trail_rotated"));
    let rotations = a.stats().rotations.load(Ordering::Relaxed);
    assert_eq!(r.last_seq, Some(40 + rotations));
    // A restart, more rotations, retention removing files: the head seen before still
    // verifies while its file is kept.
    let h = head_of(&files, None);
    write_n(&cfg, 3).close();
    let files = set(&dir);
    assert_eq!(files.len(), 3);
    let r = verify_to_head(&files, None, Some(&h)).unwrap();
    assert_eq!(r.head, Some(h));
}

/// The head (seq and hash of the last record) of a set, as `--head` takes it.
fn head_of(files: &[PathBuf], key: Option<&[u8]>) -> ChainHead {
    let r = verify_keyed(files, key).unwrap();
    ChainHead {
        seq: r.last_seq.unwrap(),
        hash: r.last_hash.unwrap(),
    }
}

/// Deletions at either end of a trail, which a chain alone does not show (every remaining
/// record still follows the one before it): the first records cut (the file no longer begins
/// with the trail's own record), an emptied file, the last records cut (caught against a head
/// seen earlier), and the last records cut and the proxy restarted on the cut file (a clean
/// chain again, caught against that head). Keyed or not: a key proves who wrote records, not
/// that none were removed.
#[test]
fn deletions_at_either_end_of_a_trail_fail_verify() {
    for keyed in [false, true] {
        let dir = tmp(&format!("ends-{keyed}"));
        let key_file = dir.join("key");
        std::fs::write(&key_file, "0123456789abcdef-secret\n").unwrap();
        let mut cfg = file_cfg(&dir, HashAlg::Sha256, 1 << 20, 0);
        if keyed {
            cfg.key_file = Some(key_file.clone());
        }
        let key = keyed.then(|| read_key(&key_file).unwrap());
        let key = key.as_deref();
        write_n(&cfg, 10).close();
        let path = dir.join("audit.jsonl");
        let files = vec![path.clone()];
        let pristine = std::fs::read_to_string(&path).unwrap();
        // The untouched trail verifies, from the chain's start, and reaches its own head.
        let head = head_of(&files, key);
        assert_eq!(head.seq, 10);
        let r = verify_to_head(&files, key, Some(&head)).unwrap();
        assert_eq!(r.head.as_ref(), Some(&head));
        let key_path = keyed.then_some(key_file.as_path());
        let ok = verify_files(&files, key_path, Some(&head)).unwrap();
        assert!(ok.contains("reaches the head given"), "{ok}");

        // The last 3 records deleted: still a whole chain, seq 0..=7; only the head seen
        // earlier shows what is missing.
        rewrite(&path, |l| l.truncate(l.len() - 3));
        assert_eq!(verify_keyed(&files, key).unwrap().last_seq, Some(7));
        let e = verify_to_head(&files, key, Some(&head)).unwrap_err();
        assert_eq!(
            e.kind,
            VerifyErrorKind::HeadMissing {
                head: head.clone(),
                last: Some(7)
            }
        );
        let msg = verify_files(&files, key_path, Some(&head))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("audit.jsonl") && msg.contains("removed from its end"),
            "{msg}"
        );

        // The first 3 records deleted from a file that was never rotated: it now begins with
        // an ordinary record at seq 3, not at the chain's start or with a trail record.
        std::fs::write(&path, &pristine).unwrap();
        rewrite(&path, |l| {
            l.drain(..3);
        });
        let e = verify_keyed(&files, key).unwrap_err();
        assert_eq!(
            (e.line, &e.kind),
            (
                1,
                &VerifyErrorKind::HeadCut {
                    seq: 3,
                    event: "redacted".into()
                }
            )
        );
        let msg = verify_files(&files, key_path, None)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("audit.jsonl:1") && msg.contains("records before it were removed"),
            "{msg}"
        );

        // An empty file: every trail file begins with its opening or rotation record.
        std::fs::write(&path, "").unwrap();
        let e = verify_keyed(&files, key).unwrap_err();
        assert_eq!((e.line, &e.kind), (0, &VerifyErrorKind::Empty));
        let msg = verify_files(&files, key_path, None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no record"), "{msg}");
        // So is an empty file among others (a rotated file emptied).
        std::fs::write(&path, &pristine).unwrap();
        let emptied = dir.join("audit.000001.jsonl");
        std::fs::write(&emptied, "").unwrap();
        let e = verify_keyed(&[emptied.clone(), path.clone()], key).unwrap_err();
        assert_eq!((e.file, e.kind), (emptied, VerifyErrorKind::Empty));

        // Truncated to 7 records, then the proxy restarted on the file: it resumes from the
        // cut, and the chain is whole again (seq 0..=10, as before)…
        rewrite(&path, |l| l.truncate(7));
        write_n(&cfg, 3).close();
        let r = verify_keyed(&files, key).unwrap();
        assert_eq!((r.first_seq, r.last_seq), (Some(0), Some(10)));
        // …but the restart is in the file: an opening record resuming from seq 6…
        let text = std::fs::read_to_string(&path).unwrap();
        let reopened: serde_json::Value =
            serde_json::from_str(text.lines().nth(7).unwrap()).unwrap();
        assert_eq!(reopened["event"], "trail_opened");
        assert_eq!(reopened["trail"]["previous_seq"], 6);
        // …and the head seen before the cut is not there any more.
        let e = verify_to_head(&files, key, Some(&head)).unwrap_err();
        assert_eq!(e.line, 11);
        assert!(
            matches!(&e.kind, VerifyErrorKind::HeadRewritten { head: h, found } if *h == head && *found != head.hash),
            "{e}"
        );
        let msg = verify_files(&files, key_path, Some(&head))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("seq 10 has hash"), "{msg}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn chain_heads_parse_as_seq_colon_hash() {
    let h: ChainHead = format!("42:{}", "AB".repeat(32)).parse().unwrap();
    assert_eq!(h.seq, 42);
    assert_eq!(h.hash, "ab".repeat(32));
    assert_eq!(h.to_string(), format!("42:{}", "ab".repeat(32)));
    for bad in [
        "42".to_string(),
        format!("x:{}", "ab".repeat(32)),
        "42:abc".to_string(),
        format!("42:{}", "zz".repeat(32)),
    ] {
        assert!(bad.parse::<ChainHead>().is_err(), "{bad}");
    }
}

/// The value of an unlabelled series in a scrape, if it is there.
fn sample(m: &crate::metrics::Metrics, name: &str) -> Option<u64> {
    m.render(false).lines().find_map(|l| {
        let v = l.strip_prefix(name)?.strip_prefix(' ')?;
        v.trim().parse().ok()
    })
}

/// The chain head is exported for safekeeping off the host: the last record's seq (resumed
/// from the file after a restart, so it only goes back when records were removed) and the
/// records written; a trail that starts a new chain at every start (stdout) has no head
/// worth watching, so no series.
#[test]
fn the_chain_head_is_exported_and_resumes_after_a_restart() {
    let dir = tmp("head-metric");
    let cfg = file_cfg(&dir, HashAlg::Sha256, 1 << 20, 0);
    let m = crate::metrics::Metrics::default();
    assert_eq!(sample(&m, "sluice_audit_chain_seq"), None);
    let a = write_n(&cfg, 4);
    m.audit_trail(a.stats());
    // The opening record and 4 decisions: seq 0..=4.
    assert_eq!(sample(&m, "sluice_audit_chain_seq"), Some(4));
    assert_eq!(sample(&m, "sluice_audit_records_written_total"), Some(5));
    a.close();
    // A new process on the same file.
    let m = crate::metrics::Metrics::default();
    let a = cfg.build().unwrap();
    m.audit_trail(a.stats());
    assert_eq!(sample(&m, "sluice_audit_chain_seq"), Some(5));
    assert_eq!(sample(&m, "sluice_audit_records_written_total"), Some(1));
    a.close();
    // Restarted on a file cut to 3 records: the head goes back.
    rewrite(&dir.join("audit.jsonl"), |l| l.truncate(3));
    let m = crate::metrics::Metrics::default();
    let a = cfg.build().unwrap();
    m.audit_trail(a.stats());
    assert_eq!(sample(&m, "sluice_audit_chain_seq"), Some(3));
    a.close();
    // A sink that does not resume its chain: no head series, records still counted.
    let m = crate::metrics::Metrics::default();
    let a = Audit::start(
        Box::new(Failing {
            fail: Arc::default(),
            lines: Arc::default(),
        }),
        HashAlg::Sha256,
        10,
        OnFailure::Drop,
        3,
        Arc::default(),
    )
    .unwrap();
    m.audit_trail(a.stats());
    assert_eq!(sample(&m, "sluice_audit_chain_seq"), None);
    assert_eq!(sample(&m, "sluice_audit_records_written_total"), Some(1));
    a.close();
}

/// A process killed while writing a record leaves the file ending in part of a line. The
/// next one cuts that part off, says so in its opening record, and goes on with the chain
/// from the last whole record: the file verifies, with no record glued onto the fragment.
#[test]
fn a_record_torn_by_a_crash_is_cut_off_and_the_chain_goes_on() {
    let dir = tmp("torn-tail");
    let cfg = file_cfg(&dir, HashAlg::Sha256, 1 << 20, 0);
    write_n(&cfg, 3).close();
    let path = dir.join("audit.jsonl");
    let whole = std::fs::read(&path).unwrap();
    let torn = br#"{"v":1,"seq":4,"alg":"sha256","prev":"4f2a"#;
    std::fs::write(&path, [&whole[..], &torn[..]].concat()).unwrap();
    let a = write_n(&cfg, 1);
    a.close();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(std::str::from_utf8(&whole).unwrap()));
    assert!(!text.contains("4f2a{"), "{text}");
    let r = verify(std::slice::from_ref(&path)).unwrap();
    // Opening record and 3 events, then the new opening record and 1 event: seq 0..=5.
    assert_eq!((r.records, r.first_seq, r.last_seq), (6, Some(0), Some(5)));
    let opened: serde_json::Value = text
        .lines()
        .rfind(|l| l.contains("trail_opened"))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap();
    assert_eq!(opened["trail"]["torn_tail_bytes"], torn.len());
    assert_eq!(opened["trail"]["previous_seq"], 3);
    // A file that ends whole says nothing of a torn tail.
    write_n(&cfg, 1).close();
    let text = std::fs::read_to_string(&path).unwrap();
    let last_open = text.lines().rfind(|l| l.contains("trail_opened")).unwrap();
    assert!(!last_open.contains("torn_tail_bytes"), "{last_open}");
    assert!(verify(&[path]).is_ok());
}

struct Failing {
    fail: Arc<AtomicBool>,
    lines: Lines,
}

/// The lines a [`Failing`] sink took.
type Lines = Arc<Mutex<Vec<Vec<u8>>>>;

impl Sink for Failing {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.fail.load(Ordering::Relaxed) {
            return Err(io::Error::other("disk full"));
        }
        self.lines.lock().unwrap().push(line.to_vec());
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A trail on a [`Failing`] sink that fails from the start when `failing`: the trail, the
/// switch and the lines written.
fn failing_trail(failing: bool, on_failure: OnFailure) -> (Audit, Arc<AtomicBool>, Lines) {
    let fail = Arc::new(AtomicBool::new(failing));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Failing {
        fail: fail.clone(),
        lines: lines.clone(),
    };
    let a = Audit::start(
        Box::new(sink),
        HashAlg::Sha256,
        100,
        on_failure,
        3,
        Arc::default(),
    )
    .unwrap();
    (a, fail, lines)
}

#[test]
fn sink_failure_is_counted_and_stated_in_the_trail() {
    let (a, fail, lines) = failing_trail(false, OnFailure::Drop);
    a.record(event(0)).unwrap();
    a.flush();
    fail.store(true, Ordering::Relaxed);
    for i in 1..4 {
        // drop mode: the proxy keeps serving.
        assert!(a.record(event(i)).is_ok());
    }
    a.flush();
    assert_eq!(a.stats().dropped_sink_error.load(Ordering::Relaxed), 3);
    assert!(a.stats().sink_errors.load(Ordering::Relaxed) >= 3);
    assert!(!a.stats().healthy());
    fail.store(false, Ordering::Relaxed);
    a.record(event(4)).unwrap();
    a.close();
    assert!(a.stats().healthy());
    let lines = lines.lock().unwrap();
    // The opening record, event 0, the gap record, event 4 — still one unbroken chain.
    assert_eq!(lines.len(), 4);
    let gap: serde_json::Value = serde_json::from_slice(&lines[2]).unwrap();
    assert_eq!(gap["event"], "audit_gap");
    assert_eq!(gap["dropped"], 3);
    let dir = tmp("failing");
    let p = dir.join("a.jsonl");
    std::fs::write(&p, lines.concat()).unwrap();
    let r = verify(&[p]).unwrap();
    assert_eq!((r.records, r.stated_gaps), (4, 3));
}

#[test]
fn block_mode_refuses_when_the_sink_fails_and_an_unwritable_path_is_an_error() {
    let (a, fail, _) = failing_trail(false, OnFailure::Block);
    assert!(!a.refusing());
    fail.store(true, Ordering::Relaxed);
    assert!(a.record(event(0)).is_ok()); // accepted; its write fails
    a.flush();
    // Readiness reports it from now on.
    assert!(a.refusing());
    assert_eq!(a.record(event(1)), Err(AuditUnavailable));
    assert_eq!(a.stats().dropped(), 2);
    a.close();
    // After close, records count as dropped too.
    assert_eq!(a.record(event(2)), Err(AuditUnavailable));

    // A path whose parent is a regular file cannot be opened: build fails, loudly, naming
    // the key; so does one in a directory that does not exist.
    let dir = tmp("notdir");
    std::fs::write(dir.join("file"), "x").unwrap();
    let cfg = file_cfg(&dir.join("file"), HashAlg::Sha256, 1024, 0);
    let e = cfg.build().unwrap_err();
    assert_eq!(e.key, "audit.sink.path", "{e}");
    let cfg = file_cfg(&dir.join("absent"), HashAlg::Sha256, 1024, 0);
    let e = cfg.build().unwrap_err().to_string();
    assert!(
        e.contains("audit.sink.path") && e.contains("absent") && e.contains("does not exist"),
        "{e}"
    );
    assert!(sink_dir_problem(&cfg.sink).is_some());
    assert!(sink_dir_problem(&file_cfg(&dir, HashAlg::Sha256, 1024, 0).sink).is_none());
}

/// A sink that fails from the start cannot take the opening record: the trail is known to
/// be failing at once (block mode refuses, readiness says so), and the record is written,
/// first, as soon as the sink takes writes again, without waiting for a decision.
#[test]
fn a_sink_failing_from_the_start_is_known_at_once_and_opens_when_it_recovers() {
    let (a, fail, lines) = failing_trail(true, OnFailure::Block);
    assert!(a.refusing());
    assert_eq!(a.record(event(0)), Err(AuditUnavailable));
    fail.store(false, Ordering::Relaxed);
    // The idle writer probes the sink every second.
    for _ in 0..60 {
        if !a.refusing() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!a.refusing());
    a.record(event(1)).unwrap();
    a.close();
    let lines = lines.lock().unwrap();
    let events: Vec<String> = lines
        .iter()
        .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap()["event"].to_string())
        .collect();
    assert_eq!(
        events,
        ["\"trail_opened\"", "\"audit_gap\"", "\"redacted\""],
        "{events:?}"
    );
}

#[test]
fn full_queue_drops_are_counted_never_silent() {
    // A sink that blocks until released: the queue of 4 fills up. It says when a write
    // starts, so the overflow begins only once the writer holds the first record: otherwise
    // the writer could state a gap before that record and another after it, depending on
    // how the threads interleave.
    struct Gate(Arc<Mutex<()>>, std::sync::mpsc::Sender<()>);
    impl Sink for Gate {
        fn write_line(&mut self, _: &[u8]) -> io::Result<()> {
            let _ = self.1.send(());
            drop(self.0.lock().unwrap());
            Ok(())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let gate = Arc::new(Mutex::new(()));
    let (started, writing) = std::sync::mpsc::channel();
    let a = Audit::start(
        Box::new(Gate(gate.clone(), started)),
        HashAlg::Sha256,
        4,
        OnFailure::Drop,
        3,
        Arc::default(),
    )
    .unwrap();
    // The opening record is written before `start` returns.
    writing.recv().unwrap();
    let held = gate.lock().unwrap();
    a.record(event(0)).unwrap();
    writing.recv().unwrap();
    for i in 1..20 {
        a.record(event(i)).unwrap();
    }
    let dropped = a.stats().dropped_queue_full.load(Ordering::Relaxed);
    assert!(dropped >= 15, "{dropped}");
    drop(held);
    a.close();
    let s = a.stats();
    assert_eq!(s.enqueued.load(Ordering::Relaxed) + dropped, 20);
    // Everything enqueued was written, plus the opening record and one gap record.
    assert_eq!(
        s.written.load(Ordering::Relaxed),
        s.enqueued.load(Ordering::Relaxed) + 2
    );
}

#[test]
fn no_raw_value_of_the_corpus_reaches_the_audit_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("manifest.json")).unwrap())
            .unwrap();
    let engine = Arc::new(Engine::builtin().unwrap());
    let dir = tmp("corpus");
    let a = file_cfg(&dir, HashAlg::Sha256, 64 << 10, 0)
        .build()
        .unwrap();
    let mut raws: Vec<String> = Vec::new();
    let mut total_findings = 0;
    for case in manifest.as_array().unwrap() {
        for s in case["sensitive"].as_array().into_iter().flatten() {
            for k in ["value", "raw"] {
                if let Some(v) = s[k].as_str() {
                    raws.push(v.to_string());
                }
            }
        }
        let body = std::fs::read(root.join(case["file"].as_str().unwrap())).unwrap();
        let body = match case["content_encoding"].as_str() {
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::MultiGzDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            Some("identity") | None => body,
            Some(_) => continue,
        };
        let format = Format::resolve(case["content_type"].as_str(), &body);
        let res = engine.scan_bytes(
            &body,
            ScanOptions {
                format,
                redact: true,
                capture_values: false,
                decide: None,
                ..ScanOptions::default()
            },
        );
        total_findings += res.findings.len();
        let ev = AuditEvent::new(EventKind::Redacted, "req", "persons", "GET", 200, "redact")
            .with_findings(Direction::Response, &res.findings, 50);
        a.record(ev).unwrap();
    }
    a.close();
    assert!(total_findings > 100, "{total_findings}");
    let mut text = String::new();
    for f in set(&dir) {
        text.push_str(&std::fs::read_to_string(f).unwrap());
    }
    assert!(text.contains("\"classes\""));
    // Values shorter than 6 characters (two-character names) collide with ordinary JSON
    // text; every identifier-like value must be absent.
    let mut checked = 0;
    for raw in raws.iter().filter(|r| r.chars().count() >= 6) {
        checked += 1;
        assert!(
            !text.contains(raw.as_str()),
            "raw value {raw:?} in the audit file"
        );
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 11 {
            assert!(
                !text.contains(&digits),
                "digits of {raw:?} in the audit file"
            );
        }
    }
    assert!(checked > 100, "{checked}");
    // Short names: never as a JSON string value of their own.
    for raw in raws.iter().filter(|r| r.chars().count() < 6) {
        assert!(!text.contains(&format!("\"{raw}\"")), "{raw:?}");
    }
}

#[test]
fn event_builders_summarize_findings_and_limits() {
    use sluice_rules::{Applied, Confidence, Grade};
    let f = |class: &str, rank: u8, grade: &str, fp: u64| Finding {
        rule_id: Arc::from(class),
        rule_index: 0,
        class: Arc::from(class),
        grade: Grade {
            rank,
            name: Arc::from(grade),
        },
        start: 0,
        end: 1,
        confidence: Confidence::High,
        field: None,
        applied: Applied::Masked,
        masked: "138****5678".into(),
        fingerprint: fp,
        value: Some("13812345678".into()),
    };
    let fs = vec![
        f("mobile", 2, "general", 1),
        f("mobile", 2, "general", 2),
        f("resident_id", 1, "important", 3),
    ];
    let ev = event(0).with_findings(Direction::Response, &fs, 3);
    assert_eq!(ev.classes.get("mobile"), Some(&2));
    assert_eq!(ev.grade.as_deref(), Some("important"));
    assert_eq!(ev.samples.len(), 2, "one sample per class");
    assert_eq!(ev.samples[0].fp, "0000000000000001");
    // Even a finding that captured its value never carries it into the record.
    let json = serde_json::to_string(&ev).unwrap();
    assert!(!json.contains("13812345678"));
    let ev = event(0).with_findings(Direction::Request, &fs, 0);
    assert!(ev.samples.is_empty());
}

#[test]
fn rfc3339_formatting() {
    assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    let t = UNIX_EPOCH + Duration::from_millis(951_782_400_123); // 2000-02-29
    assert_eq!(rfc3339(t), "2000-02-29T00:00:00.123Z");
    let t = UNIX_EPOCH + Duration::from_secs(4_102_444_799); // 2099-12-31T23:59:59
    assert_eq!(rfc3339(t), "2099-12-31T23:59:59.000Z");
}

#[test]
fn config_parses_and_rejects_unknown_keys() {
    let c: AuditConfig = serde_yaml_ng::from_str(
        "hash: sm3\non_failure: block\nsink: { kind: file, path: /var/log/sluice/audit.jsonl, max_bytes: 64MiB, keep: 5 }\n",
    )
    .unwrap();
    assert_eq!(c.hash, HashAlg::Sm3);
    assert_eq!(
        (c.sink.kind, c.sink.max_bytes, c.sink.keep),
        (SinkKind::File, 64 << 20, 5)
    );
    let c: AuditConfig = serde_yaml_ng::from_str("sink: { kind: stdout }\n").unwrap();
    assert_eq!(c.sink.kind, SinkKind::Stdout);
    let c: AuditConfig = serde_yaml_ng::from_str("sink: { kind: file }\n").unwrap();
    assert!(c.build().is_err(), "file without path");
    assert!(serde_yaml_ng::from_str::<AuditConfig>("hash: md5\n").is_err());
    assert!(
        serde_yaml_ng::from_str::<AuditConfig>("sink: { kind: file, path: a, max_byte: 1 }\n")
            .is_err()
    );
    assert!(serde_yaml_ng::from_str::<AuditConfig>("on_falure: drop\n").is_err());
}

#[test]
fn audit_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Audit>();
    assert_send_sync::<AuditEvent>();
}

/// The value of `sluice_audit_records_dropped_total{reason=…}` in a scrape.
fn dropped_metric(m: &crate::metrics::Metrics, reason: &str) -> u64 {
    let line = format!("sluice_audit_records_dropped_total{{reason=\"{reason}\"}} ");
    m.render(false)
        .lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn losses_feed_the_dropped_metric_once_each() {
    let m = crate::metrics::Metrics::default();
    let stats = Arc::new(AuditStats::default());
    stats.dropped_queue_full.fetch_add(2, Ordering::Relaxed);
    // The end of an exchange counts what was lost so far…
    m.audit_losses(&stats);
    assert_eq!(dropped_metric(&m, "queue_full"), 2);
    // …and registers the trail: a loss after the last exchange (the writer thread's failed
    // write) is counted by the next scrape, without another exchange.
    stats.dropped_sink_error.fetch_add(1, Ordering::Relaxed);
    assert_eq!(dropped_metric(&m, "sink_error"), 1);
    // Asking again counts nothing twice.
    m.audit_losses(&stats);
    m.audit_losses(&stats);
    assert_eq!(dropped_metric(&m, "queue_full"), 2);
    assert_eq!(dropped_metric(&m, "sink_error"), 1);
    // Racing callers: every loss exactly once.
    let s2 = stats.clone();
    let adder = std::thread::spawn(move || {
        for _ in 0..10_000 {
            s2.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
        }
    });
    let taken: u64 = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|_| sc.spawn(|| (0..5_000).map(|_| stats.take_unmetered()[0].1).sum::<u64>()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    adder.join().unwrap();
    let rest = stats.take_unmetered()[0].1;
    assert_eq!(taken + rest, 10_000);
}

/// A minimal HTTP/1.1 upstream: every request (GET, no body) gets `BODY` as JSON.
async fn json_upstream() -> std::net::SocketAddr {
    upstream_with_encoding(None).await
}

/// The JSON upstream, optionally declaring a `Content-Encoding` (an unknown one makes the
/// proxy apply `decode.unknown_encoding`).
async fn upstream_with_encoding(coding: Option<&'static str>) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    buf.drain(..end);
                    let ce = coding.map_or(String::new(), |c| format!("content-encoding: {c}\r\n"));
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{ce}content-length: {}\r\n\r\n",
                        BODY.len()
                    );
                    if s.write_all(head.as_bytes()).await.is_err()
                        || s.write_all(BODY.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

const RAW_ID: &str = "11010519491231002X";
const BODY: &str = r#"{"xm":"张三","sfzh":"11010519491231002X","sjhm":"13800138000"}"#;

/// A proxy whose audit trail writes to /dev/full: every write fails (ENOSPC), as on a full
/// disk. `None` where the device does not exist.
async fn proxy_on_full_disk(on_failure: &str) -> Option<crate::Running> {
    if !Path::new("/dev/full").exists() {
        return None;
    }
    let up = json_upstream().await;
    // The second request of a consumer fires an alert-only limit: the one decision that lets
    // a message through and is audited before it does (see the block-mode test).
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  shutdown_grace: 5s\nupstream:\n  url: http://{up}\n\
         interfaces:\n  - name: persons\n    path: /persons/{{id}}\n\
         rate_limits:\n  interfaces:\n    persons:\n      per_consumer:\n        \
         requests: {{rate: 1/h, burst: 1, action: alert}}\n\
         audit:\n  sink:\n    kind: file\n    path: /dev/full\n  on_failure: {on_failure}\n"
    );
    let cfg = crate::config::Config::from_yaml(&yaml, Path::new("<test>"))
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    Some(crate::start(cfg).await.unwrap())
}

/// What `count` says once it reaches `want`, flushing the trail before each look (or what
/// it says after 5 s). The record of a delivery is queued when the server drops the body,
/// which may be just after the client has read it; the writer takes it a moment later.
async fn flushed_until(r: &crate::Running, want: u64, count: impl Fn() -> u64) -> u64 {
    let mut n = 0;
    for _ in 0..100 {
        let p = r.proxy.clone();
        tokio::task::spawn_blocking(move || p.flush_audit())
            .await
            .unwrap();
        n = count();
        if n >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    n
}

/// `sluice_audit_records_dropped_total{reason="sink_error"}` once it reaches `want`: the
/// writer fails a delivery's record a moment after it is queued.
async fn sink_losses(r: &crate::Running, want: u64) -> u64 {
    flushed_until(r, want, || dropped_metric(r.proxy.metrics(), "sink_error")).await
}

#[tokio::test]
async fn a_failing_sink_feeds_the_dropped_metric_and_drop_mode_keeps_serving() {
    let Some(r) = proxy_on_full_disk("drop").await else {
        return;
    };
    let client = reqwest::Client::new();
    let m = r.proxy.metrics();
    // Request 1 is redacted (one record); 2 and 3 are redacted and fire the alert (two each).
    for (i, lost) in [(1, 1), (2, 3), (3, 5)] {
        let resp = client
            .get(format!("http://{}/persons/{i}", r.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.text().await.unwrap();
        assert!(body.contains("sfzh") && !body.contains(RAW_ID), "{body}");
        assert_eq!(sink_losses(&r, lost).await, lost, "after request {i}");
    }
    assert_eq!(dropped_metric(m, "queue_full"), 0);
    let live = r.proxy.live.load_full();
    let stats = live.audit.as_ref().unwrap().stats();
    assert_eq!(stats.dropped(), 5);
    assert!(!stats.healthy());
    r.shutdown().await;
}

#[tokio::test]
async fn a_failing_sink_in_block_mode_refuses_what_it_cannot_record_and_counts_it() {
    let Some(r) = proxy_on_full_disk("block").await else {
        return;
    };
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("http://{}{path}", r.addr)).send();
    // The trail is known to be failing from the start (its opening record could not be
    // written): the delivery, whose record would only be written after its body went out,
    // is refused before any byte leaves.
    assert!(r.proxy.live.load().audit.as_ref().unwrap().refusing());
    let resp = get("/persons/1").await.unwrap();
    assert_eq!(resp.status(), 503);
    drop(resp.bytes().await);
    assert_eq!(sink_losses(&r, 1).await, 1);
    // The alert the next request fires cannot be recorded either, so the request is refused
    // instead of let through unaudited.
    let resp = get("/persons/2").await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("urn:sluice:problem:audit-unavailable"));
    assert_eq!(sink_losses(&r, 2).await, 2);
    // A path no limit watches: nothing fires at request time, but its response would be
    // redacted and audited after the body went out. With the trail known to be failing it is
    // refused before any byte leaves, and that loss is counted too.
    let resp = get("/other/3").await.unwrap();
    assert_eq!(resp.status(), 503);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("urn:sluice:problem:audit-unavailable") && !body.contains(RAW_ID),
        "{body}"
    );
    assert_eq!(sink_losses(&r, 3).await, 3);
    r.shutdown().await;
}

/// `decode.unknown_encoding: open` lets a body through uninspected, an audited decision: with
/// `audit.on_failure: block` and the trail known to be failing, it is refused instead.
#[tokio::test]
async fn a_failing_sink_in_block_mode_refuses_to_fail_open() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let up = upstream_with_encoding(Some("x-unknown")).await;
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  shutdown_grace: 5s\nupstream:\n  url: http://{up}\n\
         decode:\n  unknown_encoding: open\n\
         audit:\n  sink:\n    kind: file\n    path: /dev/full\n  on_failure: block\n"
    );
    let cfg = crate::config::Config::from_yaml(&yaml, Path::new("<test>"))
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let r = crate::start(cfg).await.unwrap();
    let client = reqwest::Client::new();
    let get = || client.get(format!("http://{}/x", r.addr)).send();
    // Known to be failing from the start (the opening record could not be written): no
    // uninspected body without its record.
    let resp = get().await.unwrap();
    assert_eq!(resp.status(), 503);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("urn:sluice:problem:audit-unavailable") && !body.contains(RAW_ID),
        "{body}"
    );
    r.shutdown().await;
}

/// Redacted records in the trail file once it holds at least `want` (or what it holds after
/// 5 s).
async fn redacted_in(r: &crate::Running, path: &Path, want: usize) -> usize {
    let count = || {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .matches("\"event\":\"redacted\"")
            .count() as u64
    };
    flushed_until(r, want as u64, count).await as usize
}

/// A reload whose `audit` section cannot be set up (a sink in a directory that does not
/// exist, a key file that cannot be read) is refused with the config file and line, and the
/// trail in force keeps writing to its file: no record dropped, the chain whole, and with
/// `on_failure: block` nothing refused. Going back to the file in force is `unchanged`; a
/// reload that does change the section continues the chain with a `trail_opened` record.
#[tokio::test]
async fn a_refused_audit_reload_leaves_the_trail_in_force_writing() {
    for on_failure in ["drop", "block"] {
        let up = json_upstream().await;
        let dir = tmp(&format!("reload-{on_failure}"));
        let file = dir.join("sluice.yaml");
        let trail = dir.join("audit.jsonl");
        let write = |path: &Path, extra: &str| {
            let yaml = format!(
                "listen:\n  addr: 127.0.0.1:0\n  shutdown_grace: 5s\nupstream:\n  url: http://{up}\n\
                 reload:\n  watch: false\n  sighup: false\n\
                 audit:\n  sink:\n    kind: file\n    path: {}\n  on_failure: {on_failure}\n{extra}",
                path.display()
            );
            std::fs::write(&file, yaml).unwrap();
        };
        write(&trail, "");
        let cfg = crate::config::Config::load(&file).unwrap();
        let r = crate::start(cfg).await.unwrap();
        let client = reqwest::Client::new();
        let mut sent = 0;
        let mut get = || {
            sent += 1;
            let url = format!("http://{}/persons/{sent}", r.addr);
            let c = client.clone();
            async move {
                let resp = c.get(url).send().await.unwrap();
                let status = resp.status().as_u16();
                let body = resp.text().await.unwrap();
                assert!(!body.contains(RAW_ID), "{body}");
                status
            }
        };
        assert_eq!(get().await, 200);

        // The sink in a directory that does not exist: refused, located.
        write(&dir.join("no-such-dir/audit.jsonl"), "");
        let last = crate::reload::reload(&r.proxy, "admin").await;
        assert_eq!(last.result, "failure", "{last:?}");
        let e = last.error.unwrap_or_default();
        assert!(
            e.contains(&format!("{}:12: key `audit.sink.path`", file.display()))
                && e.contains("no-such-dir")
                && e.contains("does not exist"),
            "{e}"
        );
        assert_eq!(get().await, 200, "on_failure {on_failure}");

        // A key file that cannot be read: refused too.
        write(
            &trail,
            &format!("  key_file: {}\n", dir.join("absent-key").display()),
        );
        let last = crate::reload::reload(&r.proxy, "admin").await;
        assert_eq!(last.result, "failure", "{last:?}");
        let e = last.error.unwrap_or_default();
        assert!(
            e.contains(&format!("{}:14: key `audit.key_file`", file.display())),
            "{e}"
        );
        assert_eq!(get().await, 200, "on_failure {on_failure}");

        // Back to the file in force: nothing to do, and the trail still writes.
        write(&trail, "");
        let last = crate::reload::reload(&r.proxy, "admin").await;
        assert_eq!(last.result, "unchanged", "{last:?}");
        assert_eq!(get().await, 200);
        assert_eq!(redacted_in(&r, &trail, 4).await, 4);
        let live = r.proxy.live.load_full();
        let a = live.audit.as_ref().unwrap();
        assert!(a.stats().healthy() && !a.refusing());
        assert_eq!(a.stats().dropped(), 0);
        let m = r.proxy.metrics();
        assert_eq!(dropped_metric(m, "queue_full"), 0);
        assert_eq!(dropped_metric(m, "sink_error"), 0);
        let report = verify(std::slice::from_ref(&trail)).unwrap();
        // The opening record and the 4 decisions, one chain from its start.
        assert_eq!(
            (report.records, report.anchor.as_deref()),
            (5, Some(GENESIS))
        );
        assert_eq!(sample(m, "sluice_audit_chain_seq"), Some(4));

        // A reload that changes the section: the new trail takes over the chain, and says so.
        write(&trail, "  max_samples: 1\n");
        let last = crate::reload::reload(&r.proxy, "admin").await;
        assert_eq!(last.result, "success", "{last:?}");
        assert_eq!(get().await, 200);
        assert_eq!(redacted_in(&r, &trail, 5).await, 5);
        let report = verify(std::slice::from_ref(&trail)).unwrap();
        assert_eq!(report.records, 7);
        let text = std::fs::read_to_string(&trail).unwrap();
        let reopened: serde_json::Value =
            serde_json::from_str(text.lines().nth(5).unwrap()).unwrap();
        assert_eq!(reopened["event"], "trail_opened");
        assert_eq!(reopened["trail"]["cause"], "reload");
        assert_eq!(reopened["trail"]["previous_seq"], 4);
        assert_eq!(sample(m, "sluice_audit_chain_seq"), Some(6));
        r.shutdown().await;
    }
}

/// A restart appends a `trail_opened` in the middle of the file; cutting the file's first
/// records down to it must not pass for a set whose older files retention removed.
#[test]
fn a_file_cut_down_to_a_restart_does_not_verify() {
    let dir = tmp("cut-to-restart");
    let cfg = file_cfg(&dir, HashAlg::Sha256, 1 << 20, 0);
    write_n(&cfg, 5).close();
    write_n(&cfg, 5).close();
    let path = dir.join("audit.jsonl");
    let files = vec![path.clone()];
    assert!(verify_keyed(&files, None).is_ok());
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text
        .lines()
        .enumerate()
        .skip(1)
        .find(|(_, l)| l.contains("trail_opened"))
        .unwrap()
        .0;
    assert!(at > 0);
    assert!(!text.lines().nth(at).unwrap().contains("begins_file"));
    assert!(text
        .lines()
        .next()
        .unwrap()
        .contains("\"begins_file\":true"));
    rewrite(&path, |l| {
        l.drain(..at);
    });
    let r = verify_keyed(&files, None);
    assert!(
        r.is_err(),
        "records 0..{at} cut from the start, yet verify says {r:?}"
    );
}

/// A reload that replaces the trail closes the old one while exchanges that started under
/// it are in flight: their records, whether they come before the next trail has started or
/// after, are written in it, and the chain across both verifies.
#[test]
fn records_after_a_close_go_to_the_trail_handed_over_to() {
    let dir = tmp("handover");
    let mut cfg = file_cfg(&dir, HashAlg::Sha256, 1 << 20, 0);
    cfg.on_failure = OnFailure::Block;
    let old = cfg.build().unwrap();
    old.record(event(1)).unwrap();
    old.close_for_handover();
    // Between the close and the hand-over: held, not refused.
    old.record(event(2)).unwrap();
    assert!(!old.refusing());
    let next = Arc::new(cfg.prepare().unwrap().start(TrailCause::Reload));
    old.hand_over(next.clone());
    old.record(event(3)).unwrap();
    next.record(event(4)).unwrap();
    next.flush();
    next.close();
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter_map(|v| v["request_id"].as_str().map(str::to_string))
        .filter(|id| id.starts_with("req-"))
        .collect();
    assert_eq!(ids, ["req-1", "req-2", "req-3", "req-4"]);
    assert!(!text.contains("audit_gap"), "{text}");
    let r = verify(&set(&dir)).unwrap();
    assert_eq!(r.records, 6, "two trail_opened records and four decisions");
}
