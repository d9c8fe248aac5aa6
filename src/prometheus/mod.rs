//! Talking to a running Prometheus, and what mlalert knows about it.
//!
//! - [`client`]: a blocking client of Prometheus' HTTP API
//!   (`/api/v1/query_range`, `series`, `label/<name>/values`, `metadata`,
//!   `targets`, `rules`, `status/buildinfo`, `status/flags`,
//!   `status/config`), with a bearer token file or basic auth, a custom CA,
//!   and a timeout on every call. The only module that does network I/O.
//! - [`facts`]: [`facts::PrometheusFacts`], what the lints read about the
//!   Prometheus the rules run on (metrics with their label names and a
//!   bounded sample of values and series, metric types, scrape intervals
//!   per job, external labels, feature flags, version). It is built either
//!   from a committed snapshot (`.mlalert/prometheus.json`, schema
//!   `docs/prometheus-snapshot.schema.json`) or fetched live by
//!   [`gather`]; both give the same shape, so lints never talk HTTP.
//! - [`gather`]: fetches the facts about the metric names a run reads,
//!   bounded and concurrent up to [`PrometheusSettings::concurrency`].
//!
//! Credentials (the bearer token, the basic-auth password, a password in
//! the URL) never appear in an error, a log line or a snapshot:
//! [`PrometheusSettings`]' `Debug` and [`redact_url`] leave them out.

pub mod client;
pub mod facts;
pub mod gather;

pub use client::{Client, Error, Matrix, Sample, Series, Target};
pub use facts::PrometheusFacts;

use std::path::PathBuf;
use std::time::Duration;

/// How to reach a Prometheus: `prometheus:` in `.mlalert.yaml` (`url`,
/// `bearer_token_file`, `basic_auth`, `tls.ca_file`, `timeout`,
/// `concurrency`, `lookback`) and `--prometheus URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct PrometheusSettings {
    /// The server's base URL, e.g. `http://127.0.0.1:9090` (a path prefix
    /// such as `/prometheus` is kept; a trailing `/` is not needed).
    pub url: String,
    /// A file whose content (trimmed) is sent as `Authorization: Bearer …`.
    pub bearer_token_file: Option<PathBuf>,
    /// Basic auth: the user name and a file holding the password (trimmed).
    pub basic_auth: Option<BasicAuth>,
    /// A PEM file of CA certificates that replace the built-in roots for
    /// `https://` URLs.
    pub ca_file: Option<PathBuf>,
    /// The limit on each HTTP call, connect to last byte (default 10s).
    pub timeout: Duration,
    /// At most this many requests at once (default 4).
    pub concurrency: usize,
    /// How far back series count as existing (default 7d): a selector
    /// "matches no series" when nothing matched it within this window.
    pub lookback: Duration,
}

/// `basic_auth: {username: …, password_file: …}`.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name (not a secret; printed as is).
    pub username: String,
    /// The file holding the password.
    pub password_file: PathBuf,
}

impl PrometheusSettings {
    /// Default timeout of one HTTP call.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default number of requests in flight at once.
    pub const DEFAULT_CONCURRENCY: usize = 4;
    /// Default lookback: a week, so that weekly jobs (retraining, batch
    /// inference) count as existing.
    pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(7 * 24 * 3600);

    /// Settings for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> PrometheusSettings {
        PrometheusSettings {
            url: url.into(),
            bearer_token_file: None,
            basic_auth: None,
            ca_file: None,
            timeout: Self::DEFAULT_TIMEOUT,
            concurrency: Self::DEFAULT_CONCURRENCY,
            lookback: Self::DEFAULT_LOOKBACK,
        }
    }
}

impl std::fmt::Debug for PrometheusSettings {
    /// Paths and the redacted URL only: never a token or password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusSettings")
            .field("url", &redact_url(&self.url))
            .field("bearer_token_file", &self.bearer_token_file)
            .field(
                "basic_auth",
                &self
                    .basic_auth
                    .as_ref()
                    .map(|b| (&b.username, &b.password_file)),
            )
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("lookback", &self.lookback)
            .finish()
    }
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .field("password_file", &self.password_file)
            .finish()
    }
}

/// `url` with any `user:password@` removed and the query string dropped
/// (`http://u:p@host:9090/x?token=…` → `http://host:9090/x`): what error
/// messages and snapshots print.
pub fn redact_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or("");
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(host_end);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_and_queries() {
        assert_eq!(
            redact_url("https://u:secret@prom.example:9090/p?x=token"),
            "https://prom.example:9090/p"
        );
        assert_eq!(redact_url("http://127.0.0.1:9090"), "http://127.0.0.1:9090");
        assert_eq!(redact_url("prom:9090/a@b"), "prom:9090/a@b");
    }

    #[test]
    fn debug_never_prints_the_url_password() {
        let s = PrometheusSettings::new("http://admin:hunter2@prom:9090");
        let d = format!("{s:?}");
        assert!(!d.contains("hunter2"), "{d}");
        assert!(d.contains("prom:9090"), "{d}");
    }
}
