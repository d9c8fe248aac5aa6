//! `plaintext-secret` (ML305): a real-looking secret written inline in the
//! config where Alertmanager offers a `*_file` field for it. The message
//! never prints the secret.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::receivers::secret_fields;

use super::placeholder_secret::{is_placeholder, is_substituted};

crate::declare_lint! {
    /// The `plaintext-secret` lint.
    pub struct PlaintextSecret {
        code: "ML305",
        name: "plaintext-secret",
        category: Suspicious,
        severity: Warning,
        summary: "a secret written inline where a `*_file` field could read it from a file",
    }
}

impl Lint for PlaintextSecret {
    /// Flags an inline value of a field that has a `*_file` twin when it
    /// looks like a real credential: not a placeholder, not a deploy-time
    /// substitution (`${VAR}`, `<name>`, a template), and, for URLs, only
    /// when the URL itself carries a credential (userinfo, a credential
    /// query key, a token-like path segment). A config that ships inside a
    /// Kubernetes Secret is where secrets belong: not reported.
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        if cx.am.in_kubernetes_secret {
            return;
        }
        for f in secret_fields(cx.am.global.as_ref(), &cx.am.receivers) {
            let (Some(twin), Some((value, span))) = (&f.file_twin, &f.value) else {
                continue;
            };
            let v = value.trim();
            // Templates, placeholders (placeholder-secret) and short test values are not reported.
            if v.len() < 8 || is_substituted(v) || is_placeholder(v) {
                continue;
            }
            if (v.starts_with("http://") || v.starts_with("https://")) && !url_has_credential(v) {
                continue;
            }
            r.report(*span, format!(
                        "`{}` of {} holds a secret inline ({} characters): anyone who can read this config can use it",
                        f.key,
                        f.owner,
                        v.chars().count()
                    ))
                .help(format!(
                    "mount the secret as a file and use `{twin}` instead, then rotate this one: it is in your repository's history"
                ));
        }
    }
}

/// True when a URL carries a credential: a password in its userinfo, a
/// query parameter named like a credential, or a path segment that looks
/// like a token (16+ characters mixing letters and digits, as Slack's,
/// Teams' and Discord's webhook URLs end with).
fn url_has_credential(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (authority, path_query) = rest.split_once('/').unwrap_or((rest, ""));
    if authority
        .split_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':') || userinfo.len() >= 16)
    {
        return true;
    }
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    const KEYS: &[&str] = &[
        "token",
        "key",
        "apikey",
        "api_key",
        "access_token",
        "secret",
        "sig",
        "signature",
        "auth",
        "password",
        "code",
        "integrationkey",
        "routing_key",
    ];
    if query.split('&').any(|kv| {
        let k = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
        KEYS.contains(&k.as_str()) && kv.split('=').nth(1).is_some_and(|v| !v.is_empty())
    }) {
        return true;
    }
    path.split('/').any(|seg| {
        seg.len() >= 16
            && seg.chars().any(|c| c.is_ascii_digit())
            && seg.chars().any(|c| c.is_ascii_alphabetic())
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    })
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_inline_secret_without_printing_it() {
        let y = "route:\n  receiver: a\nreceivers:\n- name: a\n  slack_configs:\n  - api_url: https://hooks.slack.com/services/T02A1B2C3/B04D5E6F7/q8Rz2Lm9Xp4Wn6Kt\n";
        let d = run_on(&super::META, y);
        assert_eq!(d.len(), 1);
        assert!(!d[0].message.contains("q8Rz2Lm9Xp4Wn6Kt"));
        assert!(d[0].help.as_ref().unwrap().contains("api_url_file"));
    }

    #[test]
    fn urls_are_secrets_only_with_a_credential_and_secrets_belong_in_kubernetes_secrets() {
        let am = |url: &str| {
            format!(
                "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: '{url}'\n"
            )
        };
        for url in [
            "https://user:hunter2hunter2@alerts.internal.example.net/hook",
            "https://alerts.internal/hook?token=8f14e45fceea167a5a36dedd4bea2543",
            "https://hooks.slack.com/services/T02A1B2C3/B04D5E6F7/q8Rz2Lm9Xp4Wn6Kt",
        ] {
            assert_eq!(run_on(&super::META, &am(url)).len(), 1, "{url}");
        }
        for url in [
            "https://alertmanager-webhook.monitoring.svc:8080/alerts",
            "http://ml-alert-router.ml-platform.svc.cluster.local/api/v1/notify",
            "https://alerts.internal/hook?source=alertmanager",
            "${WEBHOOK_URL}",
            "<webhook_url>",
        ] {
            assert!(run_on(&super::META, &am(url)).is_empty(), "{url}");
        }
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: am}\nstringData:\n  alertmanager.yaml: |\n    route:\n      receiver: a\n    receivers:\n    - name: a\n      slack_configs:\n      - api_url: https://hooks.slack.com/services/T02A1B2C3/B04D5E6F7/q8Rz2Lm9Xp4Wn6Kt\n";
        assert!(run_on(&super::META, secret).is_empty());
        let configmap = secret
            .replace("kind: Secret", "kind: ConfigMap")
            .replace("stringData", "data");
        assert_eq!(run_on(&super::META, &configmap).len(), 1);
    }

    #[test]
    fn passes_file_template_and_placeholder() {
        let y = "route:\n  receiver: a\nreceivers:\n- name: a\n  slack_configs:\n  - api_url_file: /etc/am/slack\n  - api_url: <slack-url>\n  pagerduty_configs:\n  - routing_key: '{{ .Key }}'\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
