//! A PDF body is untrusted input: whatever follows the header, reading it gives a result, an
//! unread report or a bomb refusal, never a panic, a hang or more memory than the caps allow;
//! a document written again after redaction still loads. The first byte chooses raw bytes
//! after `%PDF-`, or a well-formed one-page document whose content stream, or whose font's
//! `ToUnicode` map (before the first NUL) and content (after it), are the rest of the input.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use sluice_rules::archive::{self, ArchiveLimits};
use sluice_rules::{Engine, ScanOptions};

fn engine() -> &'static Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| Arc::new(Engine::builder().builtin().build().expect("built-in rules")))
}

/// A one-page document: Helvetica as `F1`, an Identity-H font with `cmap` as its ToUnicode map
/// as `F2`, `content` as the page's content stream, an annotation and document information.
fn document(content: &[u8], cmap: &[u8]) -> Vec<u8> {
    let stream = |body: &[u8]| {
        let mut s = format!("<< /Length {} >>\nstream\n", body.len()).into_bytes();
        s.extend_from_slice(body);
        s.extend_from_slice(b"\nendstream");
        s
    };
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
          /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> \
          /Annots [<< /Type /Annot /Subtype /Text /Rect [0 0 10 10] /Contents (13800138000) >>] >>"
            .to_vec(),
        stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H \
          /DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /DW 1000 >>] \
          /ToUnicode 7 0 R >>"
            .to_vec(),
        stream(cmap),
        b"<< /Author (\\376\\377\\137\\040\\117\\037) /Title (ID 110101199003074514) >>".to_vec(),
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 8 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

const CMAP: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap \
    1 begincodespacerange <0000> <FFFF> endcodespacerange \
    2 beginbfrange <0010> <0019> <0030> <0020> <0021> [<59D3> <540D>] endbfrange \
    endcmap CMapName currentdict /CMap defineresource pop end end";

fuzz_target!(|data: &[u8]| {
    let opts = ScanOptions {
        redact: true,
        ..ScanOptions::default()
    };
    let limits = ArchiveLimits {
        max_unpacked: 8 << 20,
        ..ArchiveLimits::default()
    };
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = match mode % 3 {
        0 => {
            let mut b = b"%PDF-".to_vec();
            b.extend_from_slice(rest);
            b
        }
        1 => document(rest, CMAP),
        _ => {
            let (cmap, content) = match rest.iter().position(|&b| b == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &b"BT /F2 12 Tf 72 700 Td <0020002100110012> Tj ET"[..]),
            };
            document(content, cmap)
        }
    };
    if let Ok(r) = archive::scan(engine(), &body, &opts, &limits) {
        if let Some(out) = r.output {
            assert!(
                lopdf::Document::load_mem(&out).is_ok(),
                "a rewritten document that does not load"
            );
        }
    }
});
