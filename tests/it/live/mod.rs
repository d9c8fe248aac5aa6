//! A real Prometheus for tests: series the test generates are written as
//! OpenMetrics, turned into TSDB blocks by `promtool tsdb
//! create-blocks-from openmetrics`, and served by `prometheus` on
//! 127.0.0.1 (a free port, a temporary storage directory); the process is
//! killed when the [`Prometheus`] is dropped.
//!
//! Binaries: `$MLALERT_PROMETHEUS_BIN` and `$MLALERT_PROMTOOL_BIN`, else
//! `prometheus`/`promtool` on `PATH` (Debian's `prometheus` package, which
//! `.ci/run` installs, puts both in /usr/bin); promtool is looked for next
//! to the server first, so the blocks are written by the same release.
//! Without them [`Prometheus::start`] prints a "skipped" line and returns
//! `None`.
//!
//! ```ignore
//! let mut om = live::OpenMetrics::default();
//! om.family("gpu_util", "gauge", "GPU utilisation");
//! om.sample("gpu_util", &[("gpu", "0")], 0.5, now - 60);
//! let Some(p) = live::Prometheus::start(&om, live::Config::default()) else { return };
//! let url = p.url(); // http://127.0.0.1:PORT
//! ```

pub mod backtest;
pub mod lints;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// OpenMetrics text being built: families in insertion order, each with
/// its samples (a family's lines stay together, as the format requires).
#[derive(Debug, Default, Clone)]
pub struct OpenMetrics {
    families: Vec<(String, String, String, Vec<String>)>,
}

impl OpenMetrics {
    /// Declares family `name` (`# TYPE name kind`, `# HELP`); a counter's
    /// samples are written with their `_total` name, a histogram's with
    /// `_bucket`/`_count`/`_sum`.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        if !self.families.iter().any(|f| f.0 == name) {
            self.families
                .push((name.into(), kind.into(), help.into(), Vec::new()));
        }
    }

    /// One sample of series `metric{labels}` of the family whose name
    /// `metric` starts with, at Unix second `t`.
    pub fn sample(&mut self, metric: &str, labels: &[(&str, &str)], value: f64, t: i64) {
        let fam = self
            .families
            .iter_mut()
            .filter(|f| metric.starts_with(f.0.as_str()))
            .max_by_key(|f| f.0.len())
            .unwrap_or_else(|| panic!("no family declared for {metric}"));
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        let value = if value.is_nan() {
            "NaN".to_string()
        } else if value == f64::INFINITY {
            "+Inf".to_string()
        } else {
            format!("{value}")
        };
        let lbl = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", labels.join(","))
        };
        fam.3.push(format!("{metric}{lbl} {value} {t}"));
    }

    /// The text, ending with `# EOF`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (name, kind, help, lines) in &self.families {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for l in lines {
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push_str("# EOF\n");
        out
    }
}

/// What the server is started with besides the blocks.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `global.external_labels`.
    pub external_labels: BTreeMap<String, String>,
    /// Scrape jobs: (job name, scrape interval such as `1m`); each gets one
    /// static target on a closed 127.0.0.1 port (down, but listed with its
    /// interval by `/api/v1/targets`).
    pub jobs: Vec<(String, String)>,
    /// `--enable-feature` values.
    pub features: Vec<String>,
    /// Recording rules loaded by the server: (record, expr).
    pub recording_rules: Vec<(String, String)>,
    /// Exporters served from this process on 127.0.0.1 and scraped: (job
    /// name, scrape interval, the text-format body every scrape gets). The
    /// server is ready once each has been scraped (its metadata known).
    pub exporters: Vec<(String, String, String)>,
}

/// A `/metrics` endpoint on 127.0.0.1 answering every request with one
/// body, until dropped.
struct Exporter {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Exporter {
    fn start(body: String) -> Exporter {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind exporter");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 4096];
                        let _ = conn.read(&mut buf);
                        let _ = write!(
                            conn,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Exporter {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A running Prometheus; killed (and waited for) on drop.
pub struct Prometheus {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
    _exporters: Vec<Exporter>,
}

/// A binary from `$var`, else next to `near`, else on `PATH`.
fn find_binary(var: &str, name: &str, near: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    if let Some(dir) = near.and_then(Path::parent) {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The prometheus and promtool binaries, or `None` after a "skipped" line.
pub fn binaries() -> Option<(PathBuf, PathBuf)> {
    let Some(server) = find_binary("MLALERT_PROMETHEUS_BIN", "prometheus", None) else {
        println!(
            "skipped: no prometheus binary (set MLALERT_PROMETHEUS_BIN or install Debian's prometheus package)"
        );
        return None;
    };
    let Some(promtool) = find_binary("MLALERT_PROMTOOL_BIN", "promtool", Some(&server)) else {
        println!("skipped: no promtool binary (set MLALERT_PROMTOOL_BIN)");
        return None;
    };
    Some((server, promtool))
}

/// A port nothing listens on right now, on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A plain HTTP GET of `path` on 127.0.0.1:`port`: (status, body).
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf.split_once("\r\n\r\n").map_or("", |b| b.1).to_string();
    Ok((status, body))
}

impl Prometheus {
    /// Builds blocks from `data` and starts a server on them, waiting up
    /// to 60s until it is ready; `None` (skipped) without the binaries.
    /// Panics when promtool or the server fail: the test cannot go on.
    pub fn start(data: &OpenMetrics, config: Config) -> Option<Prometheus> {
        let (server, promtool) = binaries()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let om = dir.path().join("series.om");
        std::fs::write(&om, data.text()).expect("write openmetrics");
        let storage = dir.path().join("data");
        let out = Command::new(&promtool)
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om)
            .arg(&storage)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "promtool tsdb create-blocks-from openmetrics failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut yaml = String::from("global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n");
        if !config.external_labels.is_empty() {
            yaml.push_str("  external_labels:\n");
            for (k, v) in &config.external_labels {
                yaml.push_str(&format!("    {k}: {v:?}\n"));
            }
        }
        if !config.recording_rules.is_empty() {
            let mut rules = String::from("groups:\n- name: recorded\n  rules:\n");
            for (r, e) in &config.recording_rules {
                rules.push_str(&format!("  - record: {r}\n    expr: {e:?}\n"));
            }
            std::fs::write(dir.path().join("rules.yml"), rules).expect("rules");
            yaml.push_str("rule_files: [rules.yml]\n");
        }
        yaml.push_str("scrape_configs:\n");
        for (job, interval) in &config.jobs {
            yaml.push_str(&format!(
                "- job_name: {job:?}\n  scrape_interval: {interval}\n  scrape_timeout: 1s\n  static_configs:\n  - targets: [\"127.0.0.1:{}\"]\n",
                free_port()
            ));
        }
        let exporters: Vec<Exporter> = config
            .exporters
            .iter()
            .map(|(_, _, body)| Exporter::start(body.clone()))
            .collect();
        for ((job, interval, _), e) in config.exporters.iter().zip(&exporters) {
            yaml.push_str(&format!(
                "- job_name: {job:?}\n  scrape_interval: {interval}\n  scrape_timeout: 1s\n  static_configs:\n  - targets: [\"127.0.0.1:{}\"]\n",
                e.port
            ));
        }
        if config.jobs.is_empty() && config.exporters.is_empty() {
            yaml.push_str("[]\n");
            yaml = yaml.replace("scrape_configs:\n[]", "scrape_configs: []");
        }
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(&cfg, yaml).expect("config");
        let port = free_port();
        let mut cmd = Command::new(&server);
        cmd.arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--storage.tsdb.path={}", storage.display()))
            .arg("--storage.tsdb.retention.time=30d")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).expect("log"));
        if !config.features.is_empty() {
            cmd.arg(format!("--enable-feature={}", config.features.join(",")));
        }
        let child = cmd.spawn().expect("start prometheus");
        let mut p = Prometheus {
            child,
            port,
            _dir: dir,
            _exporters: exporters,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = http_get(port, "/-/ready") {
                break;
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("prometheus exited with {status}: {}", p.log());
            }
            assert!(
                Instant::now() < deadline,
                "prometheus not ready after 60s: {}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Targets appear after service discovery's first update (~5s).
        while !config.jobs.iter().all(|(job, _)| {
            http_get(port, "/api/v1/targets?state=active")
                .is_ok_and(|(_, b)| b.contains(&format!("\"scrapePool\":\"{job}\"")))
        }) {
            assert!(
                Instant::now() < deadline,
                "targets not listed after 60s: {}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // Each exporter scraped once: its series and metadata are known.
        while !config.exporters.is_empty()
            && http_get(port, "/api/v1/targets?state=active")
                .map_or(0, |(_, b)| b.matches("\"health\":\"up\"").count())
                < config.exporters.len()
        {
            assert!(
                Instant::now() < deadline,
                "exporters not scraped after 60s: {}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(p)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query's JSON answer (`/api/v1/query?query=…&time=…`).
    pub fn query(&self, expr: &str, time: i64) -> serde_json::Value {
        let q: String = expr
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let (status, body) =
            http_get(self.port, &format!("/api/v1/query?query={q}&time={time}")).expect("query");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("json")
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_harness_serves_the_generated_series_and_stops() {
    let now = now();
    let mut om = OpenMetrics::default();
    om.family("harness_probe", "gauge", "a probe");
    for i in 0..10 {
        om.sample("harness_probe", &[("n", "1")], i as f64, now - 600 + i * 60);
    }
    let Some(p) = Prometheus::start(&om, Config::default()) else {
        return;
    };
    let v = p.query("harness_probe", now);
    assert_eq!(v["data"]["result"][0]["value"][1], "9", "{v}");
    // The library's client reads the same series back as a matrix.
    let client =
        mlalert::prometheus::Client::new(&mlalert::prometheus::PrometheusSettings::new(p.url()))
            .expect("client");
    let m = client
        .query_range(
            "harness_probe",
            (now - 600) as f64,
            (now - 60) as f64,
            Duration::from_secs(60),
        )
        .expect("query_range");
    assert_eq!(m.len(), 1);
    let values: Vec<f64> = m[0].values.iter().map(|p| p.1).collect();
    assert_eq!(values, (0..10).map(f64::from).collect::<Vec<_>>());
    let port = p.port();
    drop(p);
    assert!(
        http_get(port, "/-/ready").is_err(),
        "prometheus still answers after drop"
    );
}
