//! Against a real nginx upstream (static files, as in the benchmark). Skipped with a clear
//! message when nginx is not installed; CI installs it (tests/nginx/setup.sh).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sluice_proxy::codec::{decode_all, DecodeLimits, Encoding};

use crate::support::*;

struct Nginx(Child, std::path::PathBuf);
impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn nginx_bin() -> Option<String> {
    for c in ["nginx", "/usr/sbin/nginx"] {
        if Command::new(c)
            .arg("-v")
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return Some(c.to_string());
        }
    }
    None
}

#[tokio::test]
async fn nginx_static_upstream() {
    let Some(bin) = nginx_bin() else {
        eprintln!("SKIP nginx_static_upstream: nginx is not installed (run tests/nginx/setup.sh)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("sluice-nginx-{}", std::process::id()));
    let www = dir.join("www");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::create_dir_all(&www).unwrap();
    let pii =
        format!("{{\"records\":[{{\"xm\":\"王小明\",\"sfzh\":\"{ID}\",\"lxdh\":\"{MOBILE}\"}}]}}")
            .repeat(1);
    std::fs::write(www.join("pii.json"), &pii).unwrap();
    let clean = clean_payload(200_000, 42);
    std::fs::write(www.join("clean.txt"), &clean).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/nginx/upstream.conf"
    ))
    .unwrap()
    .replace("@PORT@", &port.to_string())
    .replace("@ROOT@", &www.display().to_string())
    .replace("@PREFIX@", &dir.display().to_string());
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(&bin)
        .args([
            "-p",
            &dir.display().to_string(),
            "-c",
            &dir.join("nginx.conf").display().to_string(),
            "-g",
            "daemon off;",
        ])
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let _guard = Nginx(child, dir.clone());
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let p = proxy(&format!("http://127.0.0.1:{port}"), "").await;
    let c = client();
    let r = c
        .get(format!("http://{}/pii.json", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b = r.bytes().await.unwrap();
    assert!(
        !contains(&b, ID) && !contains(&b, MOBILE),
        "{}",
        String::from_utf8_lossy(&b)
    );
    // gzip from nginx (gzip on for JSON): still redacted.
    let r = c
        .get(format!("http://{}/pii.json", p.addr))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let gz = r.headers().get("content-encoding").is_some();
    let b = r.bytes().await.unwrap();
    let plain = if gz {
        decode_all(Encoding::Gzip, &b, &DecodeLimits::default()).unwrap()
    } else {
        b.to_vec()
    };
    assert!(!contains(&plain, ID));
    // Clean static file: byte-identical, length kept.
    let r = c
        .get(format!("http://{}/clean.txt", p.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.content_length(), Some(clean.len() as u64));
    assert_eq!(r.bytes().await.unwrap().as_ref(), clean.as_slice());
    // h2c to the proxy, HTTP/1.1 keep-alive pool to nginx.
    for _ in 0..20 {
        let r = h2c_client()
            .get(format!("http://{}/clean.txt", p.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.bytes().await.unwrap().len(), clean.len());
    }
    p.shutdown().await;
}
