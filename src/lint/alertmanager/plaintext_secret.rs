//! `plaintext-secret` (ML305): a real-looking secret written inline in the
//! config where Alertmanager offers a `*_file` field for it. The message
//! never prints the secret.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::receivers::secret_fields;

use super::placeholder_secret::is_placeholder;

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
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        for f in secret_fields(cx.am.global.as_ref(), &cx.am.receivers) {
            let (Some(twin), Some((value, span))) = (&f.file_twin, &f.value) else {
                continue;
            };
            let v = value.trim();
            // Templates, placeholders (placeholder-secret) and short test values are not reported.
            if v.len() < 8 || v.contains("{{") || v.starts_with('$') || is_placeholder(v) {
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
    fn passes_file_template_and_placeholder() {
        let y = "route:\n  receiver: a\nreceivers:\n- name: a\n  slack_configs:\n  - api_url_file: /etc/am/slack\n  - api_url: <slack-url>\n  pagerduty_configs:\n  - routing_key: '{{ .Key }}'\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
