//! `global-http-config-credentials` (ML313): credentials in
//! `global.http_config` are sent by every integration that has no
//! `http_config` of its own: the Slack webhook, PagerDuty, every webhook
//! receiver, … all receive the same token.

use crate::lint::{AmCtx, Lint, Reporter};

crate::declare_lint! {
    /// The `global-http-config-credentials` lint.
    pub struct GlobalHttpConfigCredentials {
        code: "ML313",
        name: "global-http-config-credentials",
        category: Suspicious,
        severity: Warning,
        summary: "credentials in `global.http_config` are sent to every integration",
    }
}

const CREDENTIALS: &[&str] = &[
    "authorization",
    "basic_auth",
    "bearer_token",
    "bearer_token_file",
    "oauth2",
];

impl Lint for GlobalHttpConfigCredentials {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        let Some(http) = cx.am.global.as_ref().and_then(|g| g.get("http_config")) else {
            return;
        };
        for (k, v) in http.as_map().unwrap_or(&[]) {
            let Some(key) = k.as_str().filter(|k| CREDENTIALS.contains(k)) else {
                continue;
            };
            if v.is_null() {
                continue;
            }
            r.report(k.span, format!("`global.http_config.{key}` is sent with every notification of every integration that has no `http_config` of its own, to Slack, PagerDuty and every webhook alike"))
                .help("move the credentials into the `http_config` of the one integration that needs them");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_global_credentials() {
        let y = "global:\n  http_config:\n    authorization:\n      credentials_file: /etc/am/token\nroute:\n  receiver: a\nreceivers:\n- name: a\n";
        assert_eq!(run_on(&super::META, y).len(), 1);
    }

    #[test]
    fn passes_proxy_only() {
        let y = "global:\n  http_config:\n    proxy_url: http://proxy:3128\nroute:\n  receiver: a\nreceivers:\n- name: a\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
