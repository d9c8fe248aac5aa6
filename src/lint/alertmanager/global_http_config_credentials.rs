//! `global-http-config-credentials` (ML313): credentials in
//! `global.http_config` are sent by every integration that has no
//! `http_config` of its own: the Slack webhook, PagerDuty, every webhook
//! receiver, … all receive the same token.

use crate::lint::{AmCtx, Category, Diagnostic, Lint, LintMeta, Severity};

/// Metadata of `global-http-config-credentials`.
pub static META: LintMeta = LintMeta {
    code: "ML313",
    name: "global-http-config-credentials",
    category: Category::Suspicious,
    severity: Severity::Warning,
    summary: "credentials in `global.http_config` are sent to every integration",
};

const CREDENTIALS: &[&str] = &[
    "authorization",
    "basic_auth",
    "bearer_token",
    "bearer_token_file",
    "oauth2",
];

/// The `global-http-config-credentials` lint.
pub struct GlobalHttpConfigCredentials;

impl Lint for GlobalHttpConfigCredentials {
    fn meta(&self) -> &'static LintMeta {
        &META
    }

    fn check_alertmanager(&self, cx: &AmCtx, out: &mut Vec<Diagnostic>) {
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
            out.push(
                Diagnostic::new(
                    &META,
                    cx.file,
                    k.span,
                    format!("`global.http_config.{key}` is sent with every notification of every integration that has no `http_config` of its own, to Slack, PagerDuty and every webhook alike"),
                )
                .with_help("move the credentials into the `http_config` of the one integration that needs them"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_global_credentials() {
        let y = "global:\n  http_config:\n    authorization:\n      credentials_file: /etc/am/token\nroute:\n  receiver: a\nreceivers:\n- name: a\n";
        assert_eq!(run_on("ML313", y).len(), 1);
    }

    #[test]
    fn passes_proxy_only() {
        let y = "global:\n  http_config:\n    proxy_url: http://proxy:3128\nroute:\n  receiver: a\nreceivers:\n- name: a\n";
        assert!(run_on("ML313", y).is_empty());
    }
}
