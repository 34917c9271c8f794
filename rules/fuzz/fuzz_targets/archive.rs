//! A ZIP body is untrusted input: whatever follows the magic, reading it gives a result or an
//! error, never a panic or more memory than the caps allow; an archive written again after
//! redaction is a ZIP whose members all unpack; and a workbook's parts, a Word document, a
//! slide, an OpenDocument's content or an OFD page, however mangled, are read as tables,
//! paragraphs and lines or left to the plain member scan.
#![no_main]

use std::io::{Cursor, Read, Write};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use sluice_rules::archive::{self, ArchiveLimits};
use sluice_rules::{Engine, ScanOptions};

fn engine() -> &'static Arc<Engine> {
    static E: OnceLock<Arc<Engine>> = OnceLock::new();
    E.get_or_init(|| Arc::new(Engine::builder().builtin().build().expect("built-in rules")))
}

fuzz_target!(|data: &[u8]| {
    let opts = ScanOptions {
        redact: true,
        ..ScanOptions::default()
    };
    let limits = ArchiveLimits {
        max_unpacked: 8 << 20,
        ..ArchiveLimits::default()
    };
    // The first byte chooses: raw bytes after the magic, or a well-formed package whose
    // parts are the rest of the input: a workbook's shared strings and first sheet (split at
    // the first NUL), a Word document's body part, a slide, an OpenDocument's content, or an
    // OFD page.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let package = |parts: &[(&str, &[u8])]| {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        for (name, part) in parts {
            w.start_file(*name, o).expect("start");
            w.write_all(part).expect("write");
        }
        w.finish().expect("finish").into_inner()
    };
    let types = &b"<Types/>"[..];
    let body = match mode % 6 {
        0 => {
            let mut b = archive::ZIP_MAGIC.to_vec();
            b.extend_from_slice(rest);
            b
        }
        1 => {
            let (sst, sheet) = match rest.iter().position(|&b| b == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &b""[..]),
            };
            package(&[
                ("xl/workbook.xml", &b"<workbook/>"[..]),
                ("xl/sharedStrings.xml", sst),
                ("xl/worksheets/sheet1.xml", sheet),
            ])
        }
        2 => package(&[("[Content_Types].xml", types), ("word/document.xml", rest)]),
        3 => package(&[("[Content_Types].xml", types), ("ppt/slides/slide1.xml", rest)]),
        4 => package(&[
            ("mimetype", &b"application/vnd.oasis.opendocument.text"[..]),
            ("META-INF/manifest.xml", &b"<manifest/>"[..]),
            ("content.xml", rest),
        ]),
        _ => package(&[
            ("OFD.xml", &b"<ofd:OFD/>"[..]),
            ("Doc_0/Pages/Page_0/Content.xml", rest),
        ]),
    };
    let Ok(r) = archive::scan(engine(), &body, &opts, &limits) else {
        return;
    };
    if let Some(out) = r.output {
        let mut z = zip::ZipArchive::new(Cursor::new(&out[..])).expect("a rewritten archive reads");
        for i in 0..z.len() {
            let mut f = z.by_index(i).expect("member");
            let mut v = Vec::new();
            f.read_to_end(&mut v).expect("member unpacks");
        }
    }
});
