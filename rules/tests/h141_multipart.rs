//! Probe 68's multipart defects: a full-width comma in a quoted-printable CSV part, and a
//! multipart body under a wrong structured Content-Type.

#[path = "common/chunked.rs"]
mod chunked;

use chunked::{assert_chunking_invariant, run};
use sluice_rules::Format;

fn count(body: &str, format: Format, rule: &str) -> usize {
    run(body.as_bytes(), format, &[])
        .1
        .iter()
        .filter(|f| f.rule_id.as_ref() == rule)
        .count()
}

fn part(cte_and_charset: (&str, &str), csv: &str) -> String {
    format!(
        "--XyZb0und\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
         Content-Type: text/csv; charset={}\r\nContent-Transfer-Encoding: {}\r\n\r\n{csv}\r\n\
         --XyZb0und--\r\n",
        cte_and_charset.1, cte_and_charset.0
    )
}

/// `序号,姓名,住址` and two rows, the first address holding `，`, quoted-printable in UTF-8.
const QP_UTF8: &str = "=E5=BA=8F=E5=8F=B7,=E5=A7=93=E5=90=8D,=E4=BD=8F=E5=9D=80\n\
1,=E6=9B=B9=E6=A1=82=E7=8F=8D,=E4=B8=8A=E6=B5=B7=E5=B8=82=E6=B5=8E=E5=8D=97=\n\
=E5=8E=BF=EF=BC=8C=E6=B2=88=E5=8C=97=E6=96=B0=E5=93=88=E5=B0=94=E6=BB=A8=E8=\n\
=B7=AFG=E5=BA=A7\n\
2,=E7=8E=8B=E5=85=B5,=E8=A5=BF=E8=97=8F=E8=87=AA=E6=B2=BB=E5=8C=BA=E5=B0=8F=\n\
=E7=BA=A2=E5=B8=82=E5=8D=97=E6=BA=AA=E9=BA=BB=E8=B7=AFa=E5=BA=A7\n";

/// The same table in GBK (`，` is `=A3=AC`).
const QP_GBK: &str = "=D0=F2=BA=C5,=D0=D5=C3=FB,=D7=A1=D6=B7\n\
1,=B2=DC=B9=F0=D5=E4,=C9=CF=BA=A3=CA=D0=BC=C3=C4=CF=CF=D8=A3=AC=C9=F2=B1=B1=\n\
=D0=C2=B9=FE=B6=FB=B1=F5=C2=B7G=D7=F9\n\
2,=CD=F5=B1=F8,=CE=F7=B2=D8=D7=D4=D6=CE=C7=F8=D0=A1=BA=EC=CA=D0=C4=CF=CF=AA=\n\
=C2=E9=C2=B7a=D7=F9\n";

/// A full-width comma in a cell of a quoted-printable CSV part is text in its cell, as it is
/// in a plain part: the table keeps its columns, so both rows' names and addresses are found.
#[test]
fn qp_csv_part_with_full_width_comma_keeps_its_columns() {
    let plain = part(
        ("8bit", "utf-8"),
        "序号,姓名,住址\n1,曹桂珍,上海市济南县，沈北新哈尔滨路G座\n2,王兵,西藏自治区小红市南溪麻路a座\n",
    );
    // The comma's escapes cut by a soft line break, too.
    let cut = QP_UTF8.replace("=EF=BC=8C", "=EF=BC=\n=8C");
    for body in [
        plain,
        part(("quoted-printable", "utf-8"), QP_UTF8),
        part(("quoted-printable", "utf-8"), &cut),
        part(("quoted-printable", "gbk"), QP_GBK),
    ] {
        assert_eq!(
            count(&body, Format::Multipart, "cn.person_name"),
            2,
            "{body}"
        );
        assert_eq!(count(&body, Format::Multipart, "cn.address"), 2, "{body}");
        assert_chunking_invariant(&body, Format::Multipart);
    }
}

/// An ASCII comma written as an escape (`=2C`) is still a delimiter.
#[test]
fn qp_escaped_ascii_comma_is_a_delimiter() {
    let csv = QP_UTF8.replace(
        "1,=E6=9B=B9=E6=A1=82=E7=8F=8D,",
        "1=2C=E6=9B=B9=E6=A1=82=E7=8F=8D=2C",
    );
    let body = part(("quoted-printable", "utf-8"), &csv);
    assert_eq!(count(&body, Format::Multipart, "cn.person_name"), 2);
    assert_chunking_invariant(&body, Format::Multipart);
}

const FIELDS: &str = "--XyZb0und\nContent-Disposition: form-data; name=\"personName\"\n\n李雪\n\
--XyZb0und\nContent-Disposition: form-data; name=\"dz\"\n\n海南省玉华市城北林路n座\n\
--XyZb0und\nContent-Disposition: form-data; name=\"sfzh\"\n\n530111195303010750\n--XyZb0und--\n";

const QP_NOTE: &str = "--XyZb0und\nContent-Disposition: form-data; name=\"remark\"\n\
Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\
=E7=94=B3=E8=AF=B7=E4=BA=BA=E7=8E=8B=E7=95=85=EF=BC=8C=E8=BA=AB=E4=BB=BD=E8=\n\
=AF=81=E5=8F=B7=EF=BC=9A520103199907110679=EF=BC=8C=E6=83=85=E5=86=B5=E5=B1=\n\
=9E=E5=AE=9E=E3=80=82\n--XyZb0und--\n";

const WRONG: &[&str] = &[
    "application/json",
    "application/problem+json",
    "text/xml",
    "application/xml",
    "application/x-www-form-urlencoded",
    "text/csv",
];

/// A multipart body under a wrong structured Content-Type is read as multipart, as it is
/// under `text/plain` or no type: its field names and quoted-printable parts count.
#[test]
fn multipart_under_a_structured_type_is_multipart() {
    for ct in WRONG {
        for body in [FIELDS, QP_NOTE] {
            assert_eq!(
                Format::resolve(Some(ct), body.as_bytes()),
                Format::Multipart,
                "{ct}: {body}"
            );
        }
        // A CRLF body with a preamble of blank lines and a byte-order mark, too.
        let crlf = format!("\u{FEFF}\r\n{}", FIELDS.replace('\n', "\r\n"));
        assert_eq!(
            Format::resolve(Some(ct), crlf.as_bytes()),
            Format::Multipart,
            "{ct}"
        );
    }
    assert_eq!(count(FIELDS, Format::Multipart, "cn.person_name"), 1);
    assert_eq!(count(FIELDS, Format::Multipart, "cn.address"), 1);
    assert_eq!(count(QP_NOTE, Format::Multipart, "cn.resident_id.18"), 1);
    assert_chunking_invariant(FIELDS, Format::Multipart);
    assert_chunking_invariant(QP_NOTE, Format::Multipart);
}

/// Bodies of those types that merely open with `--`, or with a boundary-like line and no
/// header block ended by a blank line, keep their declared (or sniffed) format.
#[test]
fn a_structured_body_opening_with_dashes_keeps_its_format() {
    let csv_like: &[&[u8]] = &[
        b"--id,xm\n1,\xE5\xBC\xA0\xE4\xB8\x89\n",
        b"--b\nContent-Type,xm\n1,a\n\n",
        b"--b\nContent-Disposition: form-data; name=\"a\"\nxm,sfzh\n1,2\n",
        b"--b\n Content-Disposition: form-data\n\nx\n",
        b"--b\nxm: a\nsfzh: b\n\n1,2\n",
    ];
    for body in csv_like {
        for ct in WRONG {
            assert_ne!(
                Format::resolve(Some(ct), body),
                Format::Multipart,
                "{ct}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
    assert_eq!(
        Format::resolve(Some("application/x-www-form-urlencoded"), b"--x=1&y=2"),
        Format::Form
    );
    // A header block that ends past the sniffing prefix (512 bytes) is not looked for: the
    // proxy decides from those bytes, whatever the chunking.
    let long = format!(
        "--b\nContent-Disposition: form-data; name=\"{}\"\n\nx\n--b--\n",
        "a".repeat(600)
    );
    assert_eq!(
        Format::resolve(Some("application/json"), long.as_bytes()),
        Format::Text
    );
}
