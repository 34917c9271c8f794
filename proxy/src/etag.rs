//! The entity tag this proxy sends in place of the origin's on an inspected interface, and
//! the way back to the origin's for a conditional write.
//!
//! An origin's `ETag` is often a digest of the unredacted body (an MD5), a test for guesses
//! of the masked digits, so it never reaches the client. A keyed hash in its place served
//! reads (`If-None-Match` is answered here), but a write conditional on it (`If-Match` with
//! the tag a read gave, optimistic concurrency) reached the origin with a tag it had never
//! issued and always failed with 412. So the client's tag is the origin's sealed with
//! AES-SIV (RFC 5297, the RustCrypto `aes-siv` crate), under a key derived from the rules'
//! token key and bound, as associated data, to what decides the body sent: the rules' hash,
//! the config's text digest, the interface and the consumer. SIV is deterministic: the same
//! origin tag under the same rules, policy, interface and consumer gives the same client
//! tag (on every replica sharing `rules.token_key_file`), so caches revalidate and a tag is
//! compared as text ([`crate::headers::not_modified`]). It is authenticated: a tag issued
//! under other rules, to another consumer, or made up (a guessed MD5 included) does not
//! open, and only this proxy can open one.
//!
//! The tag is `W/"<base64url of SIV tag ‖ ciphertext>"`, weak because the body may be
//! redacted. Its length follows the origin tag's (16 bytes more, in base64): the length of
//! an origin tag is no secret of the body.

use aes_siv::siv::Aes128Siv;
use aes_siv::KeyInit;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// The purpose the sealing key is derived for ([`sluice_rules::Engine::subkey`]). A new
/// format of the sealed tag takes a new purpose, so old tags fail to open rather than open
/// as something else.
pub const KEY_PURPOSE: &str = "etag-siv-v1";

/// Seals origin tags into the proxy's and opens them again, for one exchange.
pub struct TagSeal<'a> {
    /// Two AES-128 keys (S2V's CMAC key and CTR's), as AES-SIV-256 takes them.
    key: [u8; 32],
    /// What the tag is bound to: rules hash, config digest, interface, consumer.
    context: [&'a str; 4],
}

impl<'a> TagSeal<'a> {
    /// A seal under `key` (from [`sluice_rules::Engine::subkey`] for [`KEY_PURPOSE`]),
    /// bound to `context`.
    pub fn new(key: [u8; 32], context: [&'a str; 4]) -> Self {
        TagSeal { key, context }
    }

    /// The opaque part (base64url, no padding) of the weak tag given for the origin's tag
    /// `origin` (as the origin wrote it: `"v1"` or `W/"v1"`); `None` only if the cipher
    /// refuses it, which it does not for any header value.
    pub fn seal(&self, origin: &str) -> Option<String> {
        let sealed = Aes128Siv::new(&self.key.into())
            .encrypt(self.context, origin.as_bytes())
            .ok()?;
        Some(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The origin's tag inside one of this proxy's tags (`W/"…"`, or `"…"` from a client
    /// that dropped the weak prefix), when it was sealed under this key and context;
    /// `None` for anything else.
    pub fn open(&self, entity_tag: &str) -> Option<String> {
        let t = entity_tag.trim();
        let opaque = t
            .strip_prefix("W/")
            .unwrap_or(t)
            .strip_prefix('"')?
            .strip_suffix('"')?;
        let sealed = URL_SAFE_NO_PAD.decode(opaque).ok()?;
        let plain = Aes128Siv::new(&self.key.into())
            .decrypt(self.context, &sealed)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// A write's condition (`If-Match`, `If-None-Match`) with the proxy's tags opened.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// The request has no such field.
    Absent,
    /// The list holds `*`: it names no tag, and goes as it is.
    Any,
    /// The origin's tags, for those of the list that opened, as one field value.
    Origin(HeaderValue),
    /// Not one tag of the list opened: none names the representation the origin has now
    /// (stale, from older rules or policy, or guessed).
    Nothing,
    /// `*` beside other members: no valid condition.
    Malformed,
}

/// Opens every tag of the `name` condition in `h` (all its field lines, RFC 9110 §5.3).
/// Tags that do not open are left out: forwarded, a guessed origin tag (a digest of the
/// unredacted body) would make the origin's 412 or 2xx answer whether the guess was right.
pub fn open_condition(h: &HeaderMap, name: &HeaderName, seal: &TagSeal<'_>) -> Opened {
    let mut lines = h.get_all(name).iter().peekable();
    if lines.peek().is_none() {
        return Opened::Absent;
    }
    let mut origin: Vec<String> = Vec::new();
    let (mut any, mut members) = (false, 0usize);
    for line in lines {
        // A value that is not text (obs-text) holds no tag of ours.
        let Ok(list) = line.to_str() else {
            members += 1;
            continue;
        };
        for item in entity_tags(list) {
            members += 1;
            match item {
                Item::Any => any = true,
                Item::Tag(t) => origin.extend(seal.open(t)),
                Item::Junk => {}
            }
        }
    }
    // `*` is the whole field or nothing (RFC 9110 §13.1.1): beside tags (`"<guess>", *`,
    // or on another field line) it is malformed, and forwarded as written it would carry
    // the guesses to an origin that reads past the `*`.
    if any {
        return if members == 1 {
            Opened::Any
        } else {
            Opened::Malformed
        };
    }
    if origin.is_empty() {
        return Opened::Nothing;
    }
    match HeaderValue::from_str(&origin.join(", ")) {
        Ok(v) => Opened::Origin(v),
        Err(_) => Opened::Nothing,
    }
}

/// One member of an entity-tag list.
#[derive(Debug, PartialEq, Eq)]
enum Item<'a> {
    Any,
    /// An entity tag, weak prefix and quotes included.
    Tag(&'a str),
    /// Something that is no entity tag.
    Junk,
}

/// The members of an entity-tag list (RFC 9110 §13.1.1: `*` or `#entity-tag`). A tag may
/// hold a comma (`etagc` allows it), so the list is read tag by tag, not split on commas.
fn entity_tags(list: &str) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return out;
        }
        let body = rest.strip_prefix("W/").unwrap_or(rest);
        let close = body
            .strip_prefix('"')
            .and_then(|b| b.find('"'))
            .map(|i| rest.len() - body.len() + i + 2);
        match close {
            Some(end) => {
                out.push(Item::Tag(&rest[..end]));
                rest = &rest[end..];
            }
            None => {
                let end = rest.find(',').unwrap_or(rest.len());
                out.push(if rest[..end].trim() == "*" {
                    Item::Any
                } else {
                    Item::Junk
                });
                rest = &rest[end..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{IF_MATCH, IF_NONE_MATCH};

    const KEY: [u8; 32] = [7; 32];
    const CONTEXT: [&str; 4] = ["rules-hash", "config-digest", "persons", "dept-a"];

    fn tag(seal: &TagSeal<'_>, origin: &str) -> String {
        format!("W/\"{}\"", seal.seal(origin).unwrap())
    }

    #[test]
    fn a_sealed_tag_opens_to_the_origin_tag_as_written() {
        let s = TagSeal::new(KEY, CONTEXT);
        for origin in [
            "\"v1\"",
            "W/\"v1\"",
            "\"5d41402abc4b2a76b9719d911017c592\"",
            "\"a,b\"",
            "\"\"",
        ] {
            let t = tag(&s, origin);
            assert!(
                t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"W/\"-_".contains(&b)),
                "{t}"
            );
            assert!(!t.contains("5d41402a"), "{t}");
            // Deterministic: caches revalidate, `If-None-Match` compares text.
            assert_eq!(t, tag(&TagSeal::new(KEY, CONTEXT), origin));
            assert_eq!(s.open(&t).as_deref(), Some(origin));
            // A client that dropped the weak prefix.
            assert_eq!(s.open(&t[2..]).as_deref(), Some(origin));
        }
        assert_ne!(tag(&s, "\"v1\""), tag(&s, "\"v2\""));
    }

    #[test]
    fn a_tag_opens_only_under_its_key_and_context() {
        let s = TagSeal::new(KEY, CONTEXT);
        let t = tag(&s, "\"v1\"");
        for i in 0..4 {
            let mut other = CONTEXT;
            other[i] = "else";
            let o = TagSeal::new(KEY, other);
            assert_eq!(o.open(&t), None, "{other:?}");
            assert_ne!(tag(&o, "\"v1\""), t);
        }
        assert_eq!(TagSeal::new([8; 32], CONTEXT).open(&t), None);
        // Every bit of the tag is authenticated.
        let opaque = t.trim_start_matches("W/\"").trim_end_matches('"');
        let mut raw = URL_SAFE_NO_PAD.decode(opaque).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 1;
            let forged = format!("W/\"{}\"", URL_SAFE_NO_PAD.encode(&raw));
            assert_eq!(s.open(&forged), None, "byte {i}");
            raw[i] ^= 1;
        }
        for junk in [
            "\"v1\"",
            "\"5d41402abc4b2a76b9719d911017c592\"",
            "W/\"\"",
            "*",
            "",
            "W/\"!!\"",
            &t[..t.len() - 1],
            &format!("W/\"{}\"", &opaque[..opaque.len() - 1]),
        ] {
            assert_eq!(s.open(junk), None, "{junk}");
        }
    }

    #[test]
    fn conditions_are_opened_tag_by_tag() {
        let s = TagSeal::new(KEY, CONTEXT);
        let (t1, t2) = (tag(&s, "\"v1\""), tag(&s, "W/\"a,b\""));
        let cond = |lines: &[&str]| {
            let mut h = HeaderMap::new();
            for l in lines {
                h.append(IF_MATCH, HeaderValue::from_str(l).unwrap());
            }
            open_condition(&h, &IF_MATCH, &s)
        };
        let origin = |v: &str| Opened::Origin(HeaderValue::from_str(v).unwrap());
        assert_eq!(cond(&[]), Opened::Absent);
        assert_eq!(cond(&[&t1]), origin("\"v1\""));
        assert_eq!(
            cond(&[&format!("\"guess\", {t1} ,{t2}")]),
            origin("\"v1\", W/\"a,b\"")
        );
        assert_eq!(cond(&[&t2, &t1]), origin("W/\"a,b\", \"v1\""));
        assert_eq!(cond(&["*"]), Opened::Any);
        assert_eq!(cond(&[" * "]), Opened::Any);
        // `*` beside anything else, in one field line or over two, guesses included.
        assert_eq!(cond(&[&t1, "*"]), Opened::Malformed);
        assert_eq!(
            cond(&["\"5d41402abc4b2a76b9719d911017c592\", *"]),
            Opened::Malformed
        );
        assert_eq!(cond(&["\"guess\"", "*"]), Opened::Malformed);
        for nothing in [
            "\"v1\"",
            "\"5d41402abc4b2a76b9719d911017c592\"",
            "garbage",
            "",
        ] {
            assert_eq!(cond(&[nothing]), Opened::Nothing, "{nothing}");
        }
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, HeaderValue::from_str(&t1).unwrap());
        assert_eq!(open_condition(&h, &IF_MATCH, &s), Opened::Absent);
        assert_eq!(open_condition(&h, &IF_NONE_MATCH, &s), origin("\"v1\""));
    }

    #[test]
    fn entity_tag_lists_are_read_tag_by_tag() {
        assert_eq!(
            entity_tags(" \"a,b\",W/\"c\" , x, *,\"d"),
            [
                Item::Tag("\"a,b\""),
                Item::Tag("W/\"c\""),
                Item::Junk,
                Item::Any,
                Item::Junk,
            ]
        );
        assert!(entity_tags(" , ").is_empty());
    }
}
