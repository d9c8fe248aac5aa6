//! A blocking client of Prometheus' HTTP API (`/api/v1/…`, as documented
//! in Prometheus' `docs/querying/api.md` and served by `web/api/v1/api.go`).
//!
//! Every call has the settings' timeout (connect to last byte), reads at
//! most [`MAX_BODY_BYTES`] of response, and waits for a slot when
//! [`PrometheusSettings::concurrency`] calls are already in flight, from any
//! thread. Errors name the redacted URL ([`super::redact_url`]) and never
//! a credential.
//!
//! ```no_run
//! use mlalert::prometheus::{Client, PrometheusSettings};
//! let client = Client::new(&PrometheusSettings::new("http://127.0.0.1:9090"))?;
//! let now = std::time::SystemTime::now()
//!     .duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
//! let m = client.query_range("sum(rate(inference_requests_total[5m]))",
//!     now - 3600.0, now, std::time::Duration::from_secs(60))?;
//! for s in &m { println!("{:?}: {} points", s.labels, s.values.len()); }
//! # Ok::<(), mlalert::prometheus::Error>(())
//! ```

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use serde_json::Value as Json;

use super::{PrometheusSettings, redact_url};

/// The most bytes of one response body that are read (64 MiB); a larger
/// answer is an [`Error::Response`].
pub const MAX_BODY_BYTES: u64 = 64 << 20;

/// A label set: name → value, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// One float sample: (Unix time in seconds, value).
pub type Sample = (f64, f64);

/// One series of a range query: its labels and its float samples in time
/// order. Native-histogram samples are not kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' labels (`__name__` included when the result has it).
    pub labels: Labels,
    /// Its samples, oldest first.
    pub values: Vec<Sample>,
}

/// The result of a range query (`resultType: matrix`).
pub type Matrix = Vec<Series>;

/// One active scrape target (`/api/v1/targets`, `activeTargets[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The scrape pool (the `job_name` of its scrape config).
    pub scrape_pool: String,
    /// The target's labels after relabelling (`job`, `instance`, …).
    pub labels: Labels,
    /// `up`, `down` or `unknown`.
    pub health: String,
    /// The scrape interval in milliseconds (`scrapeInterval`, Prometheus
    /// 2.34+); `None` when the server does not say.
    pub scrape_interval_ms: Option<u64>,
}

/// One metric's metadata entry (`/api/v1/metadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `counter`, `gauge`, `histogram`, `summary`, `gaugehistogram`,
    /// `stateset`, `info` or `unknown`, as the exporter declared it.
    pub kind: String,
    /// The `# HELP` text.
    pub help: String,
    /// The `# UNIT`, often empty.
    pub unit: String,
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings cannot be used (an unreadable token or CA file, a URL
    /// that is not http(s)).
    #[error("{0}")]
    Settings(String),
    /// No answer: connection refused, DNS, TLS, or the timeout.
    #[error("cannot reach Prometheus at {url}: {message}")]
    Unreachable {
        /// The redacted base URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// An answer that is not a successful API response (an HTTP error
    /// status, `"status": "error"`, JSON of the wrong shape, too large).
    #[error("Prometheus at {url} answered {endpoint}: {message}")]
    Response {
        /// The redacted base URL.
        url: String,
        /// The API path, e.g. `/api/v1/series`.
        endpoint: String,
        /// What was wrong with the answer (Prometheus' `error` text when it gave one).
        message: String,
    },
}

/// A client of one Prometheus; cheap to share between threads (`&Client`).
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
    slots: Slots,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &redact_url(&self.base))
            .finish_non_exhaustive()
    }
}

/// A counting semaphore: at most `max` calls in flight.
struct Slots {
    used: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

impl Slots {
    fn acquire(&self) -> SlotGuard<'_> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= self.max {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += 1;
        SlotGuard(self)
    }
}

struct SlotGuard<'a>(&'a Slots);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut used = self.0.used.lock().unwrap_or_else(|e| e.into_inner());
        *used -= 1;
        self.0.freed.notify_one();
    }
}

/// Reads a secret file, trimmed; the error names the file, not its content.
fn read_secret(path: &std::path::Path, what: &str) -> Result<String, Error> {
    let bytes = crate::source::read_file(path)
        .map_err(|e| Error::Settings(format!("{what} {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Settings(format!("{what} {}: not UTF-8", path.display())))?;
    Ok(text.trim().to_string())
}

impl Client {
    /// A client for `settings`: reads the token, password and CA files now.
    ///
    /// # Errors
    /// [`Error::Settings`]: a URL that is not `http://` or `https://`, an
    /// unreadable or empty secret file, a CA file without a PEM certificate.
    pub fn new(settings: &PrometheusSettings) -> Result<Client, Error> {
        let base = settings.url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Settings(format!(
                "prometheus.url must start with http:// or https://, not {:?}",
                redact_url(&base)
            )));
        }
        let authorization = if let Some(f) = &settings.bearer_token_file {
            let token = read_secret(f, "prometheus.bearer_token_file")?;
            if token.is_empty() {
                return Err(Error::Settings(format!(
                    "prometheus.bearer_token_file {} is empty",
                    f.display()
                )));
            }
            Some(format!("Bearer {token}"))
        } else if let Some(b) = &settings.basic_auth {
            use base64::Engine;
            let password = read_secret(&b.password_file, "prometheus.basic_auth.password_file")?;
            let pair = format!("{}:{password}", b.username);
            Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ))
        } else {
            None
        };
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &settings.ca_file {
            let pem = crate::source::read_file(ca).map_err(|e| {
                Error::Settings(format!("prometheus.tls.ca_file {}: {e}", ca.display()))
            })?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(Error::Settings(format!(
                    "prometheus.tls.ca_file {}: no PEM certificate in it",
                    ca.display()
                )));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(settings.timeout))
            .max_redirects(0)
            .user_agent(concat!("mlalert/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(Client {
            agent,
            base,
            authorization,
            slots: Slots {
                used: Mutex::new(0),
                freed: Condvar::new(),
                max: settings.concurrency.max(1),
            },
        })
    }

    /// The redacted base URL, for messages.
    pub fn url(&self) -> String {
        redact_url(&self.base)
    }

    /// GETs `endpoint` with `params` and returns the `data` of a successful
    /// API response.
    fn get(&self, endpoint: &str, params: &[(&str, String)]) -> Result<Json, Error> {
        let _slot = self.slots.acquire();
        let mut req = self.agent.get(format!("{}{endpoint}", self.base));
        for (k, v) in params {
            req = req.query(*k, v);
        }
        if let Some(a) = &self.authorization {
            req = req.header("Authorization", a);
        }
        let response_err = |message: String| Error::Response {
            url: self.url(),
            endpoint: endpoint.to_string(),
            message,
        };
        let mut resp = req.call().map_err(|e| Error::Unreachable {
            url: self.url(),
            message: describe(&e),
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(|e| response_err(describe(&e)))?;
        let json: Json = serde_json::from_str(&body).map_err(|_| {
            response_err(format!(
                "HTTP {status}, not a Prometheus API response (is the URL the Prometheus server?)"
            ))
        })?;
        if json.get("status").and_then(Json::as_str) != Some("success") {
            let msg = json
                .get("error")
                .and_then(Json::as_str)
                .unwrap_or("no error text");
            return Err(response_err(format!("HTTP {status}: {msg}")));
        }
        json.get("data")
            .cloned()
            .ok_or_else(|| response_err("a response without `data`".into()))
    }

    fn shape(&self, endpoint: &str, what: &str) -> Error {
        Error::Response {
            url: self.url(),
            endpoint: endpoint.to_string(),
            message: format!("unexpected JSON: {what}"),
        }
    }

    /// `/api/v1/query_range`: `expr` evaluated from `start` to `end` (Unix
    /// seconds) every `step` (at least 1 ms).
    ///
    /// # Errors
    /// As [`Error`]; a result that is not a matrix is [`Error::Response`].
    pub fn query_range(
        &self,
        expr: &str,
        start: f64,
        end: f64,
        step: Duration,
    ) -> Result<Matrix, Error> {
        const EP: &str = "/api/v1/query_range";
        let step = step.as_secs_f64().max(0.001);
        let data = self.get(
            EP,
            &[
                ("query", expr.to_string()),
                ("start", fmt_time(start)),
                ("end", fmt_time(end)),
                ("step", format!("{step}")),
            ],
        )?;
        if data.get("resultType").and_then(Json::as_str) != Some("matrix") {
            return Err(self.shape(EP, "resultType is not matrix"));
        }
        parse_series(&data["result"], "values").ok_or_else(|| self.shape(EP, "result"))
    }

    /// `/api/v1/query`: `expr` at `time` (Unix seconds), as a list of series
    /// with one sample each (a scalar result is one series without labels).
    ///
    /// # Errors
    /// As [`Error`].
    pub fn query(&self, expr: &str, time: f64) -> Result<Matrix, Error> {
        const EP: &str = "/api/v1/query";
        let data = self.get(EP, &[("query", expr.to_string()), ("time", fmt_time(time))])?;
        match data.get("resultType").and_then(Json::as_str) {
            Some("vector") => {
                parse_series(&data["result"], "value").ok_or_else(|| self.shape(EP, "result"))
            }
            Some("scalar") => Ok(parse_sample(&data["result"])
                .map(|s| {
                    vec![Series {
                        labels: Labels::new(),
                        values: vec![s],
                    }]
                })
                .unwrap_or_default()),
            Some("matrix") => {
                parse_series(&data["result"], "values").ok_or_else(|| self.shape(EP, "result"))
            }
            _ => Err(self.shape(EP, "resultType")),
        }
    }

    /// `/api/v1/series`: the label sets of the series matching any of
    /// `matchers` (selectors such as `up{job="x"}`) between `start` and
    /// `end` (Unix seconds).
    ///
    /// # Errors
    /// As [`Error`].
    pub fn series(&self, matchers: &[&str], start: f64, end: f64) -> Result<Vec<Labels>, Error> {
        const EP: &str = "/api/v1/series";
        let mut params: Vec<(&str, String)> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        params.push(("start", fmt_time(start)));
        params.push(("end", fmt_time(end)));
        let data = self.get(EP, &params)?;
        data.as_array()
            .and_then(|a| a.iter().map(labels_of).collect::<Option<Vec<_>>>())
            .ok_or_else(|| self.shape(EP, "not a list of label sets"))
    }

    /// `/api/v1/label/<label>/values`: the values `label` takes, optionally
    /// only on series matching `matchers`, between `start` and `end`.
    ///
    /// # Errors
    /// As [`Error`].
    pub fn label_values(
        &self,
        label: &str,
        matchers: &[&str],
        start: f64,
        end: f64,
    ) -> Result<Vec<String>, Error> {
        let ep = format!("/api/v1/label/{label}/values");
        let mut params: Vec<(&str, String)> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        params.push(("start", fmt_time(start)));
        params.push(("end", fmt_time(end)));
        let data = self.get(&ep, &params)?;
        strings(&data).ok_or_else(|| self.shape(&ep, "not a list of strings"))
    }

    /// `/api/v1/metadata`: metric name → its metadata entries (one per
    /// distinct type/help/unit the targets declare); only `metric` when given.
    ///
    /// # Errors
    /// As [`Error`].
    pub fn metadata(&self, metric: Option<&str>) -> Result<BTreeMap<String, Vec<Metadata>>, Error> {
        const EP: &str = "/api/v1/metadata";
        let params: Vec<(&str, String)> = metric
            .map(|m| vec![("metric", m.to_string())])
            .unwrap_or_default();
        let data = self.get(EP, &params)?;
        let map = data
            .as_object()
            .ok_or_else(|| self.shape(EP, "not an object"))?;
        let field = |e: &Json, k: &str| e.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        Ok(map
            .iter()
            .map(|(name, entries)| {
                let list = entries
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|e| Metadata {
                                kind: field(e, "type"),
                                help: field(e, "help"),
                                unit: field(e, "unit"),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (name.clone(), list)
            })
            .collect())
    }

    /// `/api/v1/targets?state=active`: the active scrape targets.
    ///
    /// # Errors
    /// As [`Error`].
    pub fn targets(&self) -> Result<Vec<Target>, Error> {
        const EP: &str = "/api/v1/targets";
        let data = self.get(EP, &[("state", "active".to_string())])?;
        let list = data
            .get("activeTargets")
            .and_then(Json::as_array)
            .ok_or_else(|| self.shape(EP, "no activeTargets"))?;
        Ok(list
            .iter()
            .map(|t| Target {
                scrape_pool: t
                    .get("scrapePool")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_string(),
                labels: t.get("labels").and_then(labels_of).unwrap_or_default(),
                health: t
                    .get("health")
                    .and_then(Json::as_str)
                    .unwrap_or("unknown")
                    .to_string(),
                scrape_interval_ms: t
                    .get("scrapeInterval")
                    .and_then(Json::as_str)
                    .and_then(|d| crate::go::duration::parse_prometheus(d).ok()),
            })
            .collect())
    }

    /// `/api/v1/rules?type=record`: the names of the recording rules the
    /// server has loaded, sorted, without duplicates.
    ///
    /// # Errors
    /// As [`Error`].
    pub fn recording_rules(&self) -> Result<Vec<String>, Error> {
        const EP: &str = "/api/v1/rules";
        let data = self.get(EP, &[("type", "record".to_string())])?;
        let groups = data
            .get("groups")
            .and_then(Json::as_array)
            .ok_or_else(|| self.shape(EP, "no groups"))?;
        let mut out: Vec<String> = groups
            .iter()
            .filter_map(|g| g.get("rules").and_then(Json::as_array))
            .flatten()
            .filter(|r| r.get("type").and_then(Json::as_str) == Some("recording"))
            .filter_map(|r| r.get("name").and_then(Json::as_str).map(String::from))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// `/api/v1/status/buildinfo`: the server's `version` (e.g. `2.42.0`).
    ///
    /// # Errors
    /// As [`Error`].
    pub fn buildinfo(&self) -> Result<BTreeMap<String, String>, Error> {
        const EP: &str = "/api/v1/status/buildinfo";
        let data = self.get(EP, &[])?;
        string_map(&data).ok_or_else(|| self.shape(EP, "not an object of strings"))
    }

    /// `/api/v1/status/flags`: the command-line flags, flag name (without
    /// `--`) → value (`enable-feature` → `a,b`).
    ///
    /// # Errors
    /// As [`Error`].
    pub fn flags(&self) -> Result<BTreeMap<String, String>, Error> {
        const EP: &str = "/api/v1/status/flags";
        let data = self.get(EP, &[])?;
        string_map(&data).ok_or_else(|| self.shape(EP, "not an object of strings"))
    }

    /// `/api/v1/status/config`: the loaded configuration as YAML text
    /// (Prometheus prints secrets in it as `<secret>`).
    ///
    /// # Errors
    /// As [`Error`].
    pub fn config(&self) -> Result<String, Error> {
        const EP: &str = "/api/v1/status/config";
        let data = self.get(EP, &[])?;
        data.get("yaml")
            .and_then(Json::as_str)
            .map(String::from)
            .ok_or_else(|| self.shape(EP, "no yaml"))
    }
}

/// What went wrong in a ureq call, without the request (so no URL with
/// credentials, no header).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".to_string(),
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::BodyExceedsLimit(n) => format!("the answer is larger than {n} bytes"),
        ureq::Error::Tls(m) => format!("TLS: {m}"),
        ureq::Error::Rustls(r) => format!("TLS: {r}"),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        other => redact_url(&other.to_string()),
    }
}

/// A time as Prometheus' API reads it: Unix seconds with milliseconds.
fn fmt_time(t: f64) -> String {
    format!("{t:.3}")
}

fn labels_of(v: &Json) -> Option<Labels> {
    string_map(v)
}

fn string_map(v: &Json) -> Option<BTreeMap<String, String>> {
    v.as_object()?
        .iter()
        .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

fn strings(v: &Json) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(String::from))
        .collect()
}

/// `[1712345678.123, "1.5"]` (values are strings: `"NaN"`, `"+Inf"`).
fn parse_sample(v: &Json) -> Option<Sample> {
    let a = v.as_array()?;
    let t = a.first()?.as_f64()?;
    let value = crate::go::float::parse_float(a.get(1)?.as_str()?).ok()?;
    Some((t, value))
}

/// A `result` list of `{metric, values}` (or `{metric, value}`) objects.
fn parse_series(v: &Json, key: &str) -> Option<Matrix> {
    v.as_array()?
        .iter()
        .map(|s| {
            let labels = labels_of(s.get("metric")?)?;
            let values = match s.get(key) {
                Some(Json::Array(items)) if key == "values" => {
                    items.iter().map(parse_sample).collect::<Option<Vec<_>>>()?
                }
                Some(one) if key == "value" => vec![parse_sample(one)?],
                // A native-histogram-only series: no float samples.
                _ => Vec::new(),
            };
            Some(Series { labels, values })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_parse_with_go_floats() {
        let v: Json = serde_json::from_str(
            r#"[{"metric":{"job":"a"},"values":[[1.5,"1"],[2,"NaN"],[3,"+Inf"]]}]"#,
        )
        .unwrap();
        let m = parse_series(&v, "values").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].labels["job"], "a");
        assert_eq!(m[0].values[0], (1.5, 1.0));
        assert!(m[0].values[1].1.is_nan());
        assert_eq!(m[0].values[2].1, f64::INFINITY);
        assert!(parse_series(&serde_json::json!([{"metric": 1}]), "values").is_none());
    }

    #[test]
    fn settings_errors_name_files_not_contents() {
        let mut s = PrometheusSettings::new("ftp://prom");
        assert!(Client::new(&s).unwrap_err().to_string().contains("http://"));
        s.url = "http://prom".into();
        s.bearer_token_file = Some("/nonexistent/token".into());
        let e = Client::new(&s).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/token"), "{e}");
    }

    #[test]
    fn a_closed_port_is_unreachable_not_a_panic() {
        // Bind and drop: the port is closed for the next connect.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = PrometheusSettings::new(format!("http://u:pw@127.0.0.1:{port}"));
        s.timeout = Duration::from_secs(2);
        let c = Client::new(&s).unwrap();
        let e = c.buildinfo().unwrap_err();
        assert!(matches!(e, Error::Unreachable { .. }), "{e}");
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}
