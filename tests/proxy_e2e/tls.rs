//! TLS termination with ALPN, mTLS, and TLS to the upstream.

use crate::support::*;

fn tls_client(pki: &Pki, with_cert: bool, h2: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .no_gzip();
    if with_cert {
        b = b.identity(reqwest::Identity::from_pem(pki.client_pem.as_bytes()).unwrap());
    }
    if !h2 {
        b = b.http1_only();
    }
    b.build().unwrap()
}

#[tokio::test]
async fn tls_termination_with_alpn() {
    let pki = Pki::new("alpn");
    let up = Upstream::start(|_req| async move {
        resp(
            200,
            "application/json",
            full(format!("{{\"sfzh\":\"{ID}\"}}")),
        )
    })
    .await;
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  tls:\n    cert: {}\n    key: {}\nupstream:\n  url: {}\n",
        pki.server_cert.display(),
        pki.server_key.display(),
        up.url()
    );
    let cfg = sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<t>")).unwrap();
    let p = sluice_proxy::start(cfg).await.unwrap();
    let url = format!("https://localhost:{}/x", p.addr.port());
    let r = tls_client(&pki, false, true)
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2, "ALPN h2");
    assert!(!r.text().await.unwrap().contains(ID));
    let r = tls_client(&pki, false, false)
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_11, "ALPN http/1.1");
    p.shutdown().await;
}

#[tokio::test]
async fn mtls_requires_a_client_certificate() {
    let pki = Pki::new("mtls");
    let up = Upstream::start(|_req| async move { resp(200, "text/plain", full("hello")) }).await;
    let yaml = format!(
        "listen:\n  addr: 127.0.0.1:0\n  tls:\n    cert: {}\n    key: {}\n    client_ca: {}\nupstream:\n  url: {}\n",
        pki.server_cert.display(),
        pki.server_key.display(),
        pki.ca.display(),
        up.url()
    );
    let cfg = sluice_proxy::config::Config::from_yaml(&yaml, std::path::Path::new("<t>")).unwrap();
    let p = sluice_proxy::start(cfg).await.unwrap();
    let url = format!("https://localhost:{}/x", p.addr.port());
    assert!(
        tls_client(&pki, false, true)
            .get(&url)
            .send()
            .await
            .is_err(),
        "no client cert → handshake refused"
    );
    let r = tls_client(&pki, true, true).get(&url).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "hello");
    // The identity the policy layer gets.
    let der = std::fs::read_to_string(&pki.client_cert).unwrap();
    let der = rustls_pemfile_der(&der);
    let id = sluice_proxy::tls::ClientIdentity::from_der(&der).unwrap();
    assert_eq!(id.common_name.as_deref(), Some("consumer-dept-42"));
    assert_eq!(id.sans, vec!["DNS:consumer.gov.example".to_string()]);
    p.shutdown().await;
}

fn rustls_pemfile_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[tokio::test]
async fn tls_to_upstream_with_alpn_h2() {
    // Chain: client → proxy A (plain) → proxy B (TLS) → plain upstream. A's upstream is TLS.
    let pki = Pki::new("up");
    let up = Upstream::start(|req| async move {
        let v = format!("{:?}", req.version());
        resp(
            200,
            "application/json",
            full(format!("{{\"v\":\"{v}\",\"lxdh\":\"{MOBILE}\"}}")),
        )
    })
    .await;
    let yaml_b = format!(
        "listen:\n  addr: 127.0.0.1:0\n  tls:\n    cert: {}\n    key: {}\nupstream:\n  url: {}\nactions:\n  default: allow\n",
        pki.server_cert.display(),
        pki.server_key.display(),
        up.url()
    );
    let b = sluice_proxy::start(
        sluice_proxy::config::Config::from_yaml(&yaml_b, std::path::Path::new("<b>")).unwrap(),
    )
    .await
    .unwrap();
    let a = proxy(
        &format!("https://localhost:{}", b.addr.port()),
        &format!("  tls:\n    ca: {}\n", pki.ca.display()),
    )
    .await;
    let r = client()
        .get(format!("http://{}/x", a.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t = r.text().await.unwrap();
    assert!(!t.contains(MOBILE), "{t}");
    assert!(t.contains("138****8000"), "{t}");
    a.shutdown().await;
    b.shutdown().await;
}
