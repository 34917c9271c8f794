//! ZIP bodies (an "导出 Excel" download, a docx, a zip export): held whole, members scanned,
//! rewritten when redacted, refused when they must be blocked or cannot be read.

use std::io::{Cursor, Read, Write};

use crate::support::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An xlsx-shaped archive: the row values in the shared strings, deflated as Excel writes them.
fn workbook(strings: &[&str]) -> Vec<u8> {
    let mut sst = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst>");
    for s in strings {
        sst.push_str(&format!("<si><t>{s}</t></si>"));
    }
    sst.push_str("</sst>");
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in [
        ("[Content_Types].xml", "<Types/>".to_string()),
        (
            "xl/workbook.xml",
            "<workbook><sheets/></workbook>".to_string(),
        ),
        ("xl/sharedStrings.xml", sst),
    ] {
        w.start_file(name, deflated).unwrap();
        w.write_all(data.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn member(zip_bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(zip_bytes)).expect("a valid ZIP");
    let mut f = z.by_name(name).unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

/// Sets the "encrypted" flag of every member, in the local and the central headers, the way
/// a password-protected export carries it.
fn flag_encrypted(mut b: Vec<u8>) -> Vec<u8> {
    let mut i = 0;
    while i + 10 < b.len() {
        match &b[i..i + 4] {
            b"PK\x03\x04" => b[i + 6] |= 1,
            b"PK\x01\x02" => b[i + 8] |= 1,
            _ => {}
        }
        i += 1;
    }
    b
}

/// What a client gets for `body` served as an xlsx behind a proxy configured with `extra`:
/// status, `Content-Length` and bytes.
async fn fetch(body: Vec<u8>, extra: &str) -> (u16, Option<u64>, bytes::Bytes) {
    fetch_as(XLSX, body, extra).await
}

#[tokio::test]
async fn a_spreadsheet_is_redacted_inside_and_still_opens() {
    let book = workbook(&["姓名", "身份证号", ID, "联系电话", MOBILE]);
    assert!(
        !contains(&book, ID),
        "deflated: the ID is not in the body's bytes"
    );
    let (status, len, got) = fetch(book.clone(), "").await;
    assert_eq!(status, 200);
    assert_eq!(len, Some(got.len() as u64));
    let sst = member(&got, "xl/sharedStrings.xml");
    assert!(!sst.contains(ID) && !sst.contains(MOBILE), "{sst}");
    assert!(sst.contains("<si><t>身份证号</t></si>"), "{sst}");
    assert_eq!(
        member(&got, "xl/workbook.xml"),
        member(&book, "xl/workbook.xml")
    );
}

#[tokio::test]
async fn a_clean_archive_passes_byte_identical() {
    let book = workbook(&["区划代码", "110000", "备注", "正常"]);
    let (status, _, got) = fetch(book.clone(), "").await;
    assert_eq!(status, 200);
    assert_eq!(&got[..], &book[..]);
}

#[tokio::test]
async fn an_archive_holding_a_blocked_class_is_refused_without_a_byte_of_it() {
    let block = "actions:\n  classes:\n    resident_id: block\n";
    let (status, _, got) = fetch(workbook(&["身份证号", ID]), block).await;
    assert_eq!(status, 403);
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("\"classes\":[\"resident_id\"]"), "{text}");
    assert!(!text.contains("PK"), "{text}");
}

#[tokio::test]
async fn an_unreadable_archive_fails_closed_unless_configured_open() {
    let locked = flag_encrypted(workbook(&["身份证号", ID]));
    let (status, _, got) = fetch(locked.clone(), "").await;
    assert_eq!(status, 502);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains("urn:sluice:problem:unreadable-archive"),
        "{text}"
    );
    assert!(text.contains("encrypted"), "{text}");
    let open = "decode:\n  unreadable_archive: open\n";
    let (status, _, got) = fetch(locked.clone(), open).await;
    assert_eq!(status, 200);
    assert_eq!(&got[..], &locked[..]);
}

#[tokio::test]
async fn an_archive_over_the_archive_hold_is_refused() {
    let small = "decode:\n  max_archive: 100B\n";
    let (status, _, got) = fetch(workbook(&["身份证号", ID]), small).await;
    assert_eq!(status, 502);
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("decode.max_archive"), "{text}");
}

#[tokio::test]
async fn an_uploaded_archive_is_redacted_before_the_upstream_sees_it() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = seen.clone();
    let up = Upstream::start(move |req| {
        let keep = keep.clone();
        async move {
            let (_, body) = read_body(req).await;
            keep.lock().unwrap().extend_from_slice(&body);
            resp(200, "application/json", full("{}"))
        }
    })
    .await;
    let p = proxy(&up.url(), "").await;
    let r = client()
        .post(format!("http://{}/upload", p.addr))
        .header("content-type", "application/zip")
        .body(workbook(&["手机号", MOBILE]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = seen.lock().unwrap().clone();
    let sst = member(&got, "xl/sharedStrings.xml");
    assert!(!sst.contains(MOBILE) && sst.contains("手机号"), "{sst}");
    p.shutdown().await;
}

/// A workbook streamed in small chunks without a length (the streamed path, not the hold):
/// nothing of it leaves before its end, and then the redacted archive does, whole.
#[tokio::test]
async fn a_streamed_archive_is_redacted_whole() {
    let book = workbook(&["联系电话", MOBILE, "身份证号", ID]);
    let chunks: Vec<_> = book
        .chunks(97)
        .map(|c| {
            (
                std::time::Duration::from_millis(5),
                bytes::Bytes::copy_from_slice(c),
            )
        })
        .collect();
    let up = Upstream::start(move |_req| {
        let chunks = chunks.clone();
        async move { resp(200, "application/octet-stream", streamed(chunks, false)) }
    })
    .await;
    let p = proxy(&up.url(), "").await;
    let r = client()
        .get(format!("http://{}/export", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = r.bytes().await.unwrap();
    let sst = member(&got, "xl/sharedStrings.xml");
    assert!(!sst.contains(MOBILE) && !sst.contains(ID), "{sst}");
    assert!(sst.contains("联系电话"), "{sst}");
    p.shutdown().await;
}

/// What the label says is a ZIP is held as one: a workbook behind a stray line break (a
/// template's whitespace before the download) is read; a JSON error page served under the
/// xlsx type is read as the JSON it is.
#[tokio::test]
async fn a_labelled_archive_is_read_whatever_its_first_bytes() {
    let mut book = b"\r\n".to_vec();
    book.extend(workbook(&["身份证号", ID]));
    let (status, _, got) = fetch(book, "").await;
    assert_eq!(status, 200);
    assert!(!contains(&got, ID));
    // Written again from its members (the stray bytes in front are no member).
    let sst = member(&got, "xl/sharedStrings.xml");
    assert!(!sst.contains(ID) && sst.contains("身份证号"), "{sst}");

    let page = format!(r#"{{"error":"导出失败","sfzh":"{ID}"}}"#);
    let (status, _, got) = fetch(page.into_bytes(), "").await;
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("导出失败") && !text.contains(ID), "{text}");
}

/// An interface that only reports is never refused for an archive it could not read.
#[tokio::test]
async fn report_only_passes_an_unreadable_archive() {
    let locked = flag_encrypted(workbook(&["身份证号", ID]));
    let report = "actions:\n  default: report\n";
    let (status, _, got) = fetch(locked.clone(), report).await;
    assert_eq!(status, 200);
    assert_eq!(&got[..], &locked[..]);
}

/// An archive a streamed response holds counts against `limits.max_held_total`, as held
/// bodies do: past it the response is refused (503), not held regardless.
#[tokio::test]
async fn a_streamed_archive_is_charged_to_the_held_budget() {
    let book = workbook(&["联系电话", MOBILE]);
    let chunks: Vec<_> = book
        .chunks(97)
        .map(|c| (std::time::Duration::ZERO, bytes::Bytes::copy_from_slice(c)))
        .collect();
    let up = Upstream::start(move |_req| {
        let chunks = chunks.clone();
        async move { resp(200, "application/octet-stream", streamed(chunks, false)) }
    })
    .await;
    let p = proxy(&up.url(), "limits:\n  max_held_total: 256B\n").await;
    let r = client()
        .get(format!("http://{}/export", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    p.shutdown().await;
}

/// A one-page PDF (an uncompressed content stream in Helvetica, cross-reference table and
/// all) showing `lines`, one below the other, each string drawn in two pieces (as generators
/// cut runs), so no piece holds a whole value.
fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 14 TL 72 760 Td\n");
    for l in lines {
        let (a, b) = l.split_at(l.len() / 2);
        content.push_str(&format!("({a}) Tj ({b}) Tj T*\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The text of a PDF's streams, inflated where they are deflated.
fn pdf_streams(b: &[u8]) -> String {
    let mut text = String::new();
    let mut at = 0;
    while let Some(p) = find(&b[at..], b"stream") {
        let mut s = at + p + b"stream".len();
        while matches!(b.get(s), Some(b'\r' | b'\n')) {
            s += 1;
        }
        let Some(e) = find(&b[s..], b"endstream") else {
            break;
        };
        let raw = &b[s..s + e];
        let mut inflated = String::new();
        if flate2::read::ZlibDecoder::new(raw)
            .read_to_string(&mut inflated)
            .is_ok()
        {
            text.push_str(&inflated);
        } else {
            text.push_str(&String::from_utf8_lossy(raw));
        }
        at = s + e + b"endstream".len();
    }
    text
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What a client gets for `body` served with Content-Type `ct`.
async fn fetch_as(
    ct: &'static str,
    body: Vec<u8>,
    extra: &str,
) -> (u16, Option<u64>, bytes::Bytes) {
    let up = Upstream::start(move |_req| {
        let body = body.clone();
        async move { resp(200, ct, full(body)) }
    })
    .await;
    let p = proxy(&up.url(), extra).await;
    let r = client()
        .get(format!("http://{}/export", p.addr))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let len = r.content_length();
    let got = r.bytes().await.unwrap();
    p.shutdown().await;
    (status, len, got)
}

#[tokio::test]
async fn a_pdf_is_read_as_its_pages_show_and_redacted_in_place() {
    let doc = pdf(&[
        &format!("ID: {ID}"),
        &format!("Mobile: {MOBILE}"),
        "Order 20240101123456789",
    ]);
    assert!(
        !contains(&doc, ID),
        "drawn in pieces: no piece holds the ID"
    );
    // Declared, or only by its first bytes.
    for ct in ["application/pdf", "application/octet-stream"] {
        let (status, len, got) = fetch_as(ct, doc.clone(), "").await;
        assert_eq!(status, 200);
        assert_eq!(len, Some(got.len() as u64));
        assert!(got.starts_with(b"%PDF-"));
        let text = pdf_streams(&got);
        assert!(
            text.contains("(Order 20240) Tj (101123456789) Tj"),
            "{text}"
        );
        assert!(!text.contains("1949") && !text.contains("00138"), "{text}");
        // Masked glyph by glyph, in the strings the values were drawn in (`*` is 2A).
        assert!(text.contains("2A2A2A2A38303030> Tj"), "{text}");
    }
    // A clean document passes as it came.
    let clean = pdf(&["Order 20240101123456789"]);
    let (status, _, got) = fetch_as("application/pdf", clean.clone(), "").await;
    assert_eq!(status, 200);
    assert_eq!(&got[..], &clean[..]);
    // One that must be blocked is refused whole; one that cannot be read fails closed.
    let block = "actions:\n  classes:\n    resident_id: block\n";
    let (status, _, got) = fetch_as("application/pdf", doc.clone(), block).await;
    assert_eq!(status, 403);
    assert!(!contains(&got, "%PDF"));
    let broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog".to_vec();
    let (status, _, got) = fetch_as("application/pdf", broken, "").await;
    assert_eq!(status, 502);
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("corrupt PDF"), "{text}");
}
