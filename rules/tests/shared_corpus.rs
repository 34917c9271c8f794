//! The shared benchmark generator's bodies (`/work/shared/bench/gen_payloads.py`, committed in
//! `benches/data/`) as a precision and recall check: its `masked_*` bodies hold no live value
//! (its docstring: "a detector must scan the whole body and find nothing"), and each record of
//! its `pii_*` bodies holds exactly one live name, resident ID, mobile, address and bank card,
//! with snowflake ids, millisecond timestamps and credit-code look-alikes beside them.

use std::collections::BTreeMap;
use std::sync::Arc;

use sluice_rules::{Engine, Format, ScanOptions};

fn counts(body: &[u8]) -> BTreeMap<String, usize> {
    let e = Arc::new(Engine::builtin().expect("built-in packs compile"));
    let r = e.scan_bytes(
        body,
        ScanOptions {
            format: Format::Json,
            ..ScanOptions::default()
        },
    );
    let mut c = BTreeMap::new();
    for f in r.findings {
        *c.entry(f.class.to_string()).or_insert(0) += 1;
    }
    c
}

fn records(body: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(body).expect("valid JSON");
    v["data"]["records"].as_array().expect("records").len()
}

#[test]
fn masked_bodies_give_no_finding() {
    for body in [
        &include_bytes!("../benches/data/masked_1k.json")[..],
        include_bytes!("../benches/data/masked_16k.json"),
        include_bytes!("../benches/data/masked_256k.json"),
    ] {
        assert_eq!(counts(body), BTreeMap::new(), "{} records", records(body));
    }
}

#[test]
fn pii_bodies_give_one_finding_per_live_value() {
    for body in [
        &include_bytes!("../benches/data/pii_1k.json")[..],
        include_bytes!("../benches/data/pii_16k.json"),
        include_bytes!("../benches/data/pii_256k.json"),
    ] {
        let n = records(body);
        let c = counts(body);
        for class in [
            "person_name",
            "resident_id",
            "mobile",
            "address",
            "bank_card",
        ] {
            let got = c.get(class).copied().unwrap_or(0);
            // Every live value is found; at most 1 % more from look-alikes no checksum can
            // tell apart (a Luhn-valid 62… trace number).
            assert!(
                got >= n && got <= n + n / 100 + 1,
                "{class}: {got} for {n} records: {c:?}"
            );
        }
        let others: usize = c
            .iter()
            .filter(|(k, _)| {
                ![
                    "person_name",
                    "resident_id",
                    "mobile",
                    "address",
                    "bank_card",
                ]
                .contains(&k.as_str())
            })
            .map(|(_, v)| v)
            .sum();
        assert!(others <= n / 100 + 1, "look-alikes flagged: {c:?}");
    }
}
