//! `placeholder-secret` (ML304): a webhook URL, key or token still holds the
//! placeholder of an example (`YOUR/WEBHOOK/URL`, `<pagerduty-key>`, `xxx`,
//! `changeme`): notifications to it fail, and nobody is told.

use std::sync::LazyLock;

use regex::Regex;

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::receivers::secret_fields;

crate::declare_lint! {
    /// The `placeholder-secret` lint.
    pub struct PlaceholderSecret {
        code: "ML304",
        name: "placeholder-secret",
        category: Correctness,
        severity: Error,
        summary: "a webhook URL, key or token is still a placeholder",
    }
}

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        ^<secret>$                                            # what Alertmanager prints for a secret
        | .<[^<>]*[a-z][^<>]*> | <[^<>]*[a-z][^<>]*>.            # …/services/<slack-webhook-path>
        | \bYOUR[-_/ ]?[A-Z]                                  # YOUR_API_KEY, YOUR/WEBHOOK
        | ^https?://([a-z0-9-]+\.)*example\.(com|org|net)(/|$)  # https://example.com/secret
        | /[A-Z]+_?[A-Z]*/[A-Z]+/[A-Z]+/?$                      # …/SLACK/API/KEY
        | \bchange/me\b
        | /YOUR/
        | ^(x{3,}|changeme|change[-_]me|replace[-_]?me|todo|tbd|fixme|placeholder|dummy|example|secret|password|token|api[-_]?key|routing[-_]?key|insert[-_].*|put[-_].*here)$
        | (^|[/=:_-])x{3,}($|[/&?_-])                           # …/XXXXXXXXXXXX, …/xxx
        | [a-z]*[-_]here$                                       # key-here, token_here
        | \bCHANGE[-_]?ME\b
        | \bREPLACE[-_]?(ME|WITH)\b",
    )
    .expect("placeholder regex")
});

/// True when `value` looks like an example's placeholder rather than a real secret.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && !is_substituted(v) && PLACEHOLDER.is_match(v)
}

static SUBSTITUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \{\{ | \$\{[^}]+\} | ^\$[A-Za-z_][A-Za-z0-9_]*$ | %\{[^}]+\}   # {{ .X }}, ${VAR}, $VAR, %{VAR}
        | ^<[^<>]*[a-z][^<>]*>$                                # <smtp_password>, <pagerduty-key>
        | ^__[A-Z0-9_]+__$ | ^@[A-Z0-9_]+@$                      # __SLACK_URL__, @SLACK_URL@",
    )
    .expect("substitution regex")
});

/// True when `value` is a marker a deploy step substitutes (`${SLACK_URL}`,
/// `<smtp_password>`, `__TOKEN__`, a Go template): the value in the
/// repository is not the one Alertmanager will read. `<secret>` (what
/// Alertmanager prints in place of a secret) is not one.
pub fn is_substituted(value: &str) -> bool {
    let v = value.trim();
    v != "<secret>" && SUBSTITUTION.is_match(v)
}

impl Lint for PlaceholderSecret {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        for f in secret_fields(cx.am.global.as_ref(), &cx.am.receivers) {
            if f.is_file {
                continue;
            }
            let Some((value, span)) = &f.value else {
                continue;
            };
            if !is_placeholder(value) {
                continue;
            }
            let what = if value.trim() == "<secret>" {
                "is `<secret>`, the redacted value Alertmanager prints in place of a secret"
            } else {
                "is still a placeholder"
            };
            r.report(*span, format!("`{}` of {} {what}: notifications sent with it fail", f.key, f.owner))
                .help(match &f.file_twin {
                    Some(t) => format!("put the real value in a file and point `{t}` at it (mounted from a secret store)"),
                    None => "replace it with the real value from your secret store".to_string(),
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;
    use crate::lint::run_on;

    #[test]
    fn placeholders() {
        for p in [
            "https://hooks.slack.com/services/YOUR/WEBHOOK/URL",
            "https://example.com/secret",
            "https://hooks.slack.com/services/<slack-webhook-path>",
            "https://hooks.slack.com/services/SLACK/API/KEY",
            "https://hooks.example.org/change/me/please",
            "xxx",
            "changeme",
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "YOUR_API_KEY",
            "<secret>",
            "your-token-here",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for p in [
            "https://hooks.slack.com/services/T02A1B2C3/B04D5E6F7/q8Rz2Lm9Xp4Wn6Kt",
            "0123456789abcdef0123456789abcdef",
            "{{ .SlackURL }}",
            "https://notexample.org/xoxb",
            // Substituted at deploy: not a placeholder left by mistake.
            "<smtp_password>",
            "<pagerduty-key>",
            "${SLACK_WEBHOOK_URL}",
            "__PAGERDUTY_KEY__",
        ] {
            assert!(!is_placeholder(p), "{p}");
        }
    }

    #[test]
    fn flags_in_receivers_and_global() {
        let y = "global:\n  slack_api_url: https://hooks.slack.com/services/YOUR/WEBHOOK/URL\nroute:\n  receiver: a\nreceivers:\n- name: a\n  pagerduty_configs:\n  - routing_key: changeme\n  - routing_key: <pagerduty-key>\n  slack_configs:\n  - channel: '#x'\n";
        assert_eq!(run_on(&super::META, y).len(), 2);
    }

    #[test]
    fn passes_files_and_real_values() {
        let y = "route:\n  receiver: a\nreceivers:\n- name: a\n  pagerduty_configs:\n  - routing_key_file: /etc/am/pd\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
