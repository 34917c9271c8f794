//! Helpers shared by the observe-and-reload tests: ConfigMap-style directories that update
//! the way the kubelet does it, admin API calls, and reading values out of a scrape.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A directory laid out like a mounted Kubernetes ConfigMap: the data lives in a timestamped
/// directory, `..data` is a symlink to it, and every visible file is a symlink through
/// `..data`. [`ConfigMap::update`] swaps `..data` atomically (new directory, `..data_tmp`
/// symlink renamed over `..data`, old directory removed), exactly the sequence that defeats a
/// watch on the file itself.
pub struct ConfigMap {
    pub dir: PathBuf,
    version: u32,
}

impl ConfigMap {
    pub fn new(dir: &Path, files: &[(&str, &str)]) -> ConfigMap {
        std::fs::create_dir_all(dir).unwrap();
        let mut cm = ConfigMap {
            dir: dir.to_path_buf(),
            version: 0,
        };
        cm.update(files);
        for (name, _) in files {
            std::os::unix::fs::symlink(format!("..data/{name}"), dir.join(name)).unwrap();
        }
        cm
    }

    pub fn update(&mut self, files: &[(&str, &str)]) {
        self.version += 1;
        let ts = format!(
            "..2026_11_23_00_00_{:02}.{}",
            self.version,
            std::process::id()
        );
        let data = self.dir.join(&ts);
        std::fs::create_dir(&data).unwrap();
        for (name, text) in files {
            std::fs::write(data.join(name), text).unwrap();
        }
        let old = std::fs::read_link(self.dir.join("..data")).ok();
        let tmp = self.dir.join("..data_tmp");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&ts, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(self.dir.join(old));
        }
    }
}

/// A fresh temporary directory under the target dir (removed at drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "sluice-observe-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A custom rule pack: the keyword `word` is class `codename`, replaced by a label.
pub fn codename_pack(word: &str) -> String {
    format!(
        r#"pack: custom
version: 1
description: Project code names that must not leave the department.
rules:
  - id: custom.codename
    name: Project code name
    description: A code name of a confidential project.
    class: codename
    grade: important
    match:
      keywords: ["{word}"]
    redact:
      style: label
      label: "[CODENAME]"
    examples:
      - "project {word} starts"
    negative_examples:
      - "nothing to see"
"#
    )
}

/// Starts the proxy from a config *file* (so reload re-reads it).
pub async fn start_from_file(path: &Path) -> sluice_proxy::Running {
    let cfg = sluice_proxy::config::Config::load(path).unwrap_or_else(|e| panic!("{e}"));
    sluice_proxy::start(cfg).await.unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// GET on the admin listener; (status, body).
pub async fn admin_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let r = http()
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// POST on the admin listener; (status, body).
pub async fn admin_post(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, String) {
    let r = http()
        .post(format!("http://{addr}{path}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Sum of the samples of `name` whose labels include every `k="v"` of `labels`.
pub fn metric(scrape: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut sum = 0.0;
    for line in scrape.lines() {
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = match line.rsplit_once(' ') {
            Some(x) => x,
            None => continue,
        };
        let (n, l) = match series.split_once('{') {
            Some((n, l)) => (n, l),
            None => (series, ""),
        };
        if n != name {
            continue;
        }
        if labels
            .iter()
            .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        {
            sum += value.parse::<f64>().unwrap_or(0.0);
        }
    }
    sum
}

/// Polls `f` until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = std::time::Instant::now() + timeout;
    loop {
        if f().await {
            return true;
        }
        if std::time::Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `Some(path)` when promtool is installed; `None` (after printing SKIP) when it is not and
/// `SLUICE_SKIP_PROMTOOL=1`; panics with the install line otherwise, so CI cannot pass
/// silently without it.
pub fn promtool() -> Option<&'static str> {
    let ok = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("promtool");
    }
    if std::env::var("SLUICE_SKIP_PROMTOOL").as_deref() == Ok("1") {
        println!("SKIP: promtool not installed (SLUICE_SKIP_PROMTOOL=1)");
        return None;
    }
    panic!(
        "promtool is not installed: run dashboards/setup.sh (apt-get install -y prometheus), \
         or set SLUICE_SKIP_PROMTOOL=1 to skip the promtool tests"
    );
}
