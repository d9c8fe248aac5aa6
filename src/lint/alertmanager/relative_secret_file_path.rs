//! `relative-secret-file-path` (ML311): a notifier `*_file` path that is
//! relative. Alertmanager resolves `templates` and `http_config` files
//! against the config file's folder, but not the notifiers' own `*_file`
//! fields (`api_url_file`, `routing_key_file`, `smtp_auth_password_file`,
//! …): those are opened relative to Alertmanager's working directory.

use crate::lint::{AmCtx, Lint, Reporter};
use crate::model::alertmanager::receivers::secret_fields;

crate::declare_lint! {
    /// The `relative-secret-file-path` lint.
    pub struct RelativeSecretFilePath {
        code: "ML311",
        name: "relative-secret-file-path",
        category: Correctness,
        severity: Warning,
        summary: "a notifier `*_file` path is relative to Alertmanager's working directory, not the config's",
    }
}

impl Lint for RelativeSecretFilePath {
    fn check_alertmanager(&self, cx: &AmCtx, r: &mut Reporter) {
        for f in secret_fields(cx.am.global.as_ref(), &cx.am.receivers) {
            if !f.is_file || f.in_http_config {
                continue;
            }
            let Some((path, span)) = &f.value else {
                continue;
            };
            if path.is_empty() || path.starts_with('/') || path.contains("{{") {
                continue;
            }
            r.report(*span, format!(
                        "`{}` of {} is the relative path {path:?}: Alertmanager opens it from its working directory, not from the config file's folder",
                        f.key, f.owner
                    ))
                .help("use an absolute path (e.g. where the secret is mounted: `/etc/alertmanager/secrets/...`)");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::run_on;

    #[test]
    fn flags_relative_notifier_file() {
        let y = "global:\n  smtp_auth_password_file: secrets/smtp\nroute:\n  receiver: a\nreceivers:\n- name: a\n  pagerduty_configs:\n  - routing_key_file: ./pd-key\n";
        assert_eq!(run_on(&super::META, y).len(), 2);
    }

    #[test]
    fn passes_absolute_and_http_config() {
        let y = "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url_file: /etc/am/url\n    http_config:\n      authorization:\n        credentials_file: token\n";
        assert!(run_on(&super::META, y).is_empty());
    }
}
