//! Identity tests: each method valid / expired / wrong audience / unknown key / bad signature,
//! precedence, and the anonymous / unknown fallbacks.

use super::*;
use base64::Engine as _;
use jsonwebtoken::{encode, EncodingKey, Header};

const RSA_PRIV: &[u8] = include_bytes!("testdata/rsa_private.pem");
const RSA_PUB: &[u8] = include_bytes!("testdata/rsa_public.pem");
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-secret";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

struct Keys {
    dir: PathBuf,
    ec_priv: String,
    ec_pub_raw: Vec<u8>,
    other_ec_priv: String,
}

fn keys(tag: &str) -> Keys {
    let dir = std::env::temp_dir().join(format!("sluice-id-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hs.secret"), [SECRET, b"\n"].concat()).unwrap();
    std::fs::write(dir.join("rsa.pem"), RSA_PUB).unwrap();
    let ec = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    std::fs::write(dir.join("ec.pem"), ec.public_key_pem()).unwrap();
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    Keys {
        dir,
        ec_priv: ec.serialize_pem(),
        ec_pub_raw: ec.public_key_raw().to_vec(),
        other_ec_priv: other.serialize_pem(),
    }
}

fn yaml(s: &str) -> IdentityConfig {
    serde_yaml_ng::from_str(s).unwrap()
}

fn jwt_config() -> IdentityConfig {
    yaml(
        r#"
order: [mtls, jwt, api_key]
on_missing: reject
jwt:
  issuer: [https://idp.gov.example]
  audience: [sluice-persons]
  leeway: 5s
  keys:
    - { kid: hs1, alg: HS256, secret_file: hs.secret }
    - { kid: rs1, alg: RS256, pem_file: rsa.pem }
    - { kid: ec1, alg: ES256, pem_file: ec.pem }
api_key:
  keys:
    - { consumer: dept-tax, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }
"#,
    )
}

fn claims(sub: &str, aud: &str, exp_in: i64) -> serde_json::Value {
    serde_json::json!({
        "sub": sub, "aud": aud, "iss": "https://idp.gov.example",
        "exp": now() + exp_in, "nbf": now() - 10, "iat": now() - 10,
    })
}

fn token(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, c: &serde_json::Value) -> String {
    let mut h = Header::new(alg);
    h.kid = kid.map(str::to_string);
    encode(&h, c, key).unwrap()
}

fn bearer(t: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
    );
    h
}

fn reason(r: Result<Consumer, IdentityError>) -> &'static str {
    r.unwrap_err().reason_str()
}

/// (alg, kid, signing key, a wrong signing key of the same algorithm)
fn jwt_cases(k: &Keys) -> Vec<(Algorithm, &'static str, EncodingKey, EncodingKey)> {
    vec![
        (
            Algorithm::HS256,
            "hs1",
            EncodingKey::from_secret(SECRET),
            EncodingKey::from_secret(b"another-secret-another-secret-another"),
        ),
        (
            Algorithm::RS256,
            "rs1",
            EncodingKey::from_rsa_pem(RSA_PRIV).unwrap(),
            // No second RSA key in testdata: a truncated signature below covers RS256.
            EncodingKey::from_rsa_pem(RSA_PRIV).unwrap(),
        ),
        (
            Algorithm::ES256,
            "ec1",
            EncodingKey::from_ec_pem(k.ec_priv.as_bytes()).unwrap(),
            EncodingKey::from_ec_pem(k.other_ec_priv.as_bytes()).unwrap(),
        ),
    ]
}

#[test]
fn jwt_each_algorithm_valid_expired_audience_unknown_key_bad_signature() {
    let k = keys("jwt");
    let r = jwt_config().build(Some(&k.dir)).unwrap();
    for (alg, kid, key, wrong) in jwt_cases(&k) {
        let ok = token(
            alg,
            Some(kid),
            &key,
            &claims("dept-a", "sluice-persons", 300),
        );
        let c = r.resolve(&bearer(&ok), None).unwrap();
        assert_eq!(&*c.id, "dept-a", "{alg:?}");
        assert_eq!(c.method, IdentityMethod::Jwt);

        // Expired beyond the 5 s leeway; within the leeway still accepted.
        let old = token(
            alg,
            Some(kid),
            &key,
            &claims("dept-a", "sluice-persons", -60),
        );
        assert_eq!(reason(r.resolve(&bearer(&old), None)), "expired", "{alg:?}");
        let skew = token(
            alg,
            Some(kid),
            &key,
            &claims("dept-a", "sluice-persons", -2),
        );
        assert!(r.resolve(&bearer(&skew), None).is_ok(), "{alg:?} leeway");

        let aud = token(alg, Some(kid), &key, &claims("dept-a", "other-api", 300));
        assert_eq!(reason(r.resolve(&bearer(&aud), None)), "wrong_audience");

        let unk = token(
            alg,
            Some("nope"),
            &key,
            &claims("dept-a", "sluice-persons", 300),
        );
        assert_eq!(reason(r.resolve(&bearer(&unk), None)), "unknown_key");

        let bad = if alg == Algorithm::RS256 {
            // Flip the signature's first character.
            let (head, sig) = ok.rsplit_once('.').unwrap();
            let flipped = if sig.starts_with('A') { "B" } else { "A" };
            format!("{head}.{flipped}{}", &sig[1..])
        } else {
            token(
                alg,
                Some(kid),
                &wrong,
                &claims("dept-a", "sluice-persons", 300),
            )
        };
        assert_eq!(
            reason(r.resolve(&bearer(&bad), None)),
            "bad_signature",
            "{alg:?}"
        );
    }
}

#[test]
fn jwt_not_yet_valid_wrong_issuer_and_tampered_claims() {
    let k = keys("nbf");
    let r = jwt_config().build(Some(&k.dir)).unwrap();
    let key = EncodingKey::from_secret(SECRET);
    let mut c = claims("dept-a", "sluice-persons", 300);
    c["nbf"] = serde_json::json!(now() + 120);
    let t = token(Algorithm::HS256, Some("hs1"), &key, &c);
    assert_eq!(reason(r.resolve(&bearer(&t), None)), "not_yet_valid");

    let mut c = claims("dept-a", "sluice-persons", 300);
    c["iss"] = serde_json::json!("https://evil.example");
    let t = token(Algorithm::HS256, Some("hs1"), &key, &c);
    assert_eq!(reason(r.resolve(&bearer(&t), None)), "wrong_issuer");

    // Swap the payload for another consumer's, keep the signature.
    let good = token(
        Algorithm::HS256,
        Some("hs1"),
        &key,
        &claims("dept-a", "sluice-persons", 300),
    );
    let other = token(
        Algorithm::HS256,
        Some("hs1"),
        &key,
        &claims("dept-b", "sluice-persons", 300),
    );
    let g: Vec<&str> = good.split('.').collect();
    let o: Vec<&str> = other.split('.').collect();
    let forged = format!("{}.{}.{}", g[0], o[1], g[2]);
    assert_eq!(reason(r.resolve(&bearer(&forged), None)), "bad_signature");

    // No exp at all is refused (a token that never expires is not accepted); nor is a
    // token without the issuer or the audience the configuration names.
    for claim in ["exp", "iss", "aud"] {
        let mut c = claims("dept-a", "sluice-persons", 300);
        c.as_object_mut().unwrap().remove(claim);
        let t = token(Algorithm::HS256, Some("hs1"), &key, &c);
        assert_eq!(
            reason(r.resolve(&bearer(&t), None)),
            "missing_claim",
            "{claim}"
        );
    }

    // The scheme's name in any case: a forged token under `BEARER` is judged, not taken
    // for no credential.
    let mut h = HeaderMap::new();
    h.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("BEARER {forged}")).unwrap(),
    );
    assert_eq!(reason(r.resolve(&h, None)), "bad_signature");
    h.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("bearer  {good}")).unwrap(),
    );
    assert_eq!(&*r.resolve(&h, None).unwrap().id, "dept-a");

    assert_eq!(
        reason(r.resolve(&bearer("not.a.jwt"), None)),
        "malformed_token"
    );

    // A validly signed token whose header names a critical extension (here RFC 7797's
    // unencoded payload) is refused: no extension is understood here.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = b64.encode(r#"{"alg":"HS256","kid":"hs1","typ":"JWT","b64":false,"crit":["b64"]}"#);
    let body = b64.encode(claims("dept-a", "sluice-persons", 300).to_string());
    let input = format!("{head}.{body}");
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).unwrap();
    let crit = format!("{input}.{sig}");
    assert_eq!(
        reason(r.resolve(&bearer(&crit), None)),
        "unknown_critical_header"
    );
    // The same header without `crit` and `b64` verifies: only the extension is refused.
    let head = b64.encode(r#"{"alg":"HS256","kid":"hs1","typ":"JWT"}"#);
    let input = format!("{head}.{body}");
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).unwrap();
    assert_eq!(
        &*r.resolve(&bearer(&format!("{input}.{sig}")), None)
            .unwrap()
            .id,
        "dept-a"
    );
}

#[test]
fn jwt_algorithm_confusion_is_refused() {
    // An HS256 token "signed" with the RSA public key bytes as the secret, claiming the RSA
    // key's kid: the key only verifies RS256, so it is an unknown key, never a valid token.
    let k = keys("confusion");
    let r = jwt_config().build(Some(&k.dir)).unwrap();
    let t = token(
        Algorithm::HS256,
        Some("rs1"),
        &EncodingKey::from_secret(RSA_PUB),
        &claims("dept-a", "sluice-persons", 300),
    );
    assert_eq!(reason(r.resolve(&bearer(&t), None)), "unknown_key");
    // A disallowed algorithm.
    let t = token(
        Algorithm::HS384,
        Some("hs1"),
        &EncodingKey::from_secret(SECRET),
        &claims("dept-a", "sluice-persons", 300),
    );
    assert_eq!(
        reason(r.resolve(&bearer(&t), None)),
        "algorithm_not_allowed"
    );
}

#[test]
fn jwks_file_and_kid_less_tokens() {
    let k = keys("jwks");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (x, y) = k.ec_pub_raw[1..].split_at(32);
    let jwks = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "jw1", "alg": "ES256", "use": "sig",
        "x": b64.encode(x), "y": b64.encode(y),
    }]});
    std::fs::write(k.dir.join("jwks.json"), jwks.to_string()).unwrap();
    let cfg = yaml("jwt:\n  jwks_file: jwks.json\n  consumer_claim: client_id\n");
    let r = cfg.build(Some(&k.dir)).unwrap();
    let key = EncodingKey::from_ec_pem(k.ec_priv.as_bytes()).unwrap();
    let mut c = claims("user-17", "x", 300);
    c["client_id"] = serde_json::json!("dept-c");
    let t = token(Algorithm::ES256, Some("jw1"), &key, &c);
    let got = r.resolve(&bearer(&t), None).unwrap();
    assert_eq!(&*got.id, "dept-c");
    assert_eq!(got.subject.as_deref(), Some("user-17"));
    // Without kid, the only ES256 key is used.
    let t = token(Algorithm::ES256, None, &key, &c);
    assert_eq!(&*r.resolve(&bearer(&t), None).unwrap().id, "dept-c");
    // Another EC key under the same kid.
    let other = EncodingKey::from_ec_pem(k.other_ec_priv.as_bytes()).unwrap();
    let t = token(Algorithm::ES256, Some("jw1"), &other, &c);
    assert_eq!(reason(r.resolve(&bearer(&t), None)), "bad_signature");
}

fn api_headers(key: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-api-key", HeaderValue::from_str(key).unwrap());
    h
}

#[test]
fn api_key_valid_unknown_and_digest_helper() {
    assert_eq!(
        api_key_digest("test"),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
    let k = keys("api");
    let r = jwt_config().build(Some(&k.dir)).unwrap();
    let c = r.resolve(&api_headers("test"), None).unwrap();
    assert_eq!((&*c.id, c.method), ("dept-tax", IdentityMethod::ApiKey));
    assert_eq!(
        reason(r.resolve(&api_headers("tesT"), None)),
        "unknown_api_key"
    );
    // The digest itself is not a key.
    let digest = api_key_digest("test");
    assert_eq!(
        reason(r.resolve(&api_headers(&digest), None)),
        "unknown_api_key"
    );
    // Two keys (a valid one among them) are ambiguous: refused, whichever comes first.
    let mut two = api_headers("test");
    two.append("x-api-key", HeaderValue::from_static("other"));
    assert_eq!(reason(r.resolve(&two, None)), "duplicate_credential");
    let mut two = api_headers("other");
    two.append("x-api-key", HeaderValue::from_static("test"));
    assert_eq!(reason(r.resolve(&two, None)), "duplicate_credential");
}

#[test]
fn mtls_names_mapping_and_unknown_certificates() {
    let cert = ClientIdentity {
        common_name: Some("Tax Bureau Client".into()),
        sans: vec![
            "DNS:client.tax.gov.example".into(),
            "URI:spiffe://gov.example/tax".into(),
        ],
    };
    let r = IdentityConfig::default().build(None).unwrap();
    let c = r.resolve(&HeaderMap::new(), Some(&cert)).unwrap();
    assert_eq!(
        (&*c.id, c.method),
        ("spiffe://gov.example/tax", IdentityMethod::Mtls)
    );

    let r = yaml("mtls:\n  consumer_from: [cn]\n").build(None).unwrap();
    assert_eq!(
        &*r.resolve(&HeaderMap::new(), Some(&cert)).unwrap().id,
        "Tax Bureau Client"
    );

    let r = yaml("mtls:\n  consumer_from: [san_dns]\n  map: {client.tax.gov.example: dept-tax}\n")
        .build(None)
        .unwrap();
    let c = r.resolve(&HeaderMap::new(), Some(&cert)).unwrap();
    assert_eq!(&*c.id, "dept-tax");
    assert_eq!(c.subject.as_deref(), Some("client.tax.gov.example"));

    let stranger = ClientIdentity {
        common_name: Some("someone".into()),
        sans: vec!["DNS:someone.example".into()],
    };
    let e = r.resolve(&HeaderMap::new(), Some(&stranger)).unwrap_err();
    assert_eq!(e.reason, RejectReason::Unknown);

    // A certificate with no usable name is a failed credential.
    let r = yaml("mtls:\n  consumer_from: [san_uri]\n")
        .build(None)
        .unwrap();
    let e = r.resolve(&HeaderMap::new(), Some(&stranger)).unwrap_err();
    assert_eq!(e.reason_str(), "certificate_without_usable_name");
}

#[test]
fn precedence_first_present_credential_decides() {
    let k = keys("prec");
    let r = jwt_config().build(Some(&k.dir)).unwrap();
    let cert = ClientIdentity {
        common_name: Some("cert-consumer".into()),
        sans: vec![],
    };
    let key = EncodingKey::from_secret(SECRET);
    let good = token(
        Algorithm::HS256,
        Some("hs1"),
        &key,
        &claims("jwt-consumer", "sluice-persons", 300),
    );
    let expired = token(
        Algorithm::HS256,
        Some("hs1"),
        &key,
        &claims("jwt-consumer", "sluice-persons", -600),
    );

    let mut h = bearer(&good);
    h.insert("x-api-key", HeaderValue::from_static("test"));
    // mtls first.
    assert_eq!(&*r.resolve(&h, Some(&cert)).unwrap().id, "cert-consumer");
    // then jwt.
    assert_eq!(&*r.resolve(&h, None).unwrap().id, "jwt-consumer");
    // An expired JWT is not skipped in favour of the valid API key behind it.
    let mut h = bearer(&expired);
    h.insert("x-api-key", HeaderValue::from_static("test"));
    assert_eq!(reason(r.resolve(&h, None)), "expired");
    // Basic auth is not a bearer token: the API key decides.
    let mut h = api_headers("test");
    h.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("Basic dXNlcjpwYXNz"),
    );
    assert_eq!(&*r.resolve(&h, None).unwrap().id, "dept-tax");
}

#[test]
fn anonymous_missing_invalid_and_unknown_fallbacks() {
    let k = keys("anon");
    // on_missing: reject (from jwt_config).
    let r = jwt_config().build(Some(&k.dir)).unwrap();
    let e = r.resolve(&HeaderMap::new(), None).unwrap_err();
    assert_eq!(e.reason, RejectReason::Missing);
    let resp = e.to_response("req-1", "persons");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert!(resp.headers().contains_key(header::WWW_AUTHENTICATE));
    let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(body["status"], 401);
    assert_eq!(body["request_id"], "req-1");

    // Defaults: missing → anonymous; invalid → 401.
    let mut cfg = jwt_config();
    cfg.on_missing = Fallback::Anonymous;
    cfg.anonymous_id = "guest".into();
    let r = cfg.build(Some(&k.dir)).unwrap();
    let c = r.resolve(&HeaderMap::new(), None).unwrap();
    assert!(c.is_anonymous());
    assert_eq!(&*c.id, "guest");
    let e = r.resolve(&api_headers("wrong"), None).unwrap_err();
    // The problem body never echoes the credential.
    let body = e.to_response("r", "i").into_body();
    assert!(!String::from_utf8_lossy(&body).contains("wrong"));

    // on_invalid: anonymous.
    cfg.on_invalid = Fallback::Anonymous;
    let r = cfg.build(Some(&k.dir)).unwrap();
    assert!(r
        .resolve(&api_headers("wrong"), None)
        .unwrap()
        .is_anonymous());

    // consumers list: a valid credential for a consumer not listed.
    let mut cfg = jwt_config();
    cfg.consumers = Some(vec!["dept-a".into()]);
    let r = cfg.build(Some(&k.dir)).unwrap();
    let e = r.resolve(&api_headers("test"), None).unwrap_err();
    assert_eq!(e.reason, RejectReason::Unknown);
    cfg.on_unknown = Fallback::Anonymous;
    let r = cfg.build(Some(&k.dir)).unwrap();
    assert!(r
        .resolve(&api_headers("test"), None)
        .unwrap()
        .is_anonymous());
}

#[test]
fn config_errors_are_collected_and_unknown_keys_rejected() {
    assert!(serde_yaml_ng::from_str::<IdentityConfig>("odrer: [jwt]\n").is_err());
    assert!(serde_yaml_ng::from_str::<IdentityConfig>("jwt:\n  keys: []\n  leway: 3s\n").is_err());
    let k = keys("cfg");
    std::fs::write(k.dir.join("short.secret"), "short").unwrap();
    let cfg = yaml(
        r#"
order: [jwt, api_key, jwt]
jwt:
  algorithms: [RS256]
  keys:
    - { kid: a, alg: HS256, secret_file: hs.secret }
    - { kid: b, alg: RS256, pem_file: missing.pem }
"#,
    );
    let errs = cfg.build(Some(&k.dir)).unwrap_err();
    let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert!(keys.contains(&"order[1]"), "{errs:?}"); // api_key section missing
    assert!(keys.contains(&"order[2]"), "{errs:?}"); // listed twice
    assert!(keys.contains(&"jwt.keys[0]"), "{errs:?}"); // alg not allowed
    assert!(keys.contains(&"jwt.keys[1]"), "{errs:?}"); // file missing
    let cfg = yaml("jwt:\n  keys:\n    - { alg: HS256, secret_file: short.secret }\n");
    let errs = cfg.build(Some(&k.dir)).unwrap_err();
    assert!(errs[0].message.contains("32 bytes"), "{errs:?}");
    let cfg = yaml("api_key:\n  keys:\n    - { consumer: a, sha256: plaintext-key }\n");
    let errs = cfg.build(None).unwrap_err();
    assert_eq!(errs[0].key, "api_key.keys[0].sha256");
}

#[test]
fn resolver_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Resolver>();
    assert_send_sync::<Consumer>();
}
