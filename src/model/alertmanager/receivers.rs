//! Receivers' integration configs (`slack_configs`, …), the `global` section
//! and `http_config`, as Alertmanager 0.34 reads and validates them: known
//! fields per type, required fields (with their `global` fallbacks), a
//! `*_file` field and its inline twin both set, URLs, booleans, durations.

use crate::model::duration::parse_duration;
use crate::model::reader::{self, Errors};
use crate::source::Span;
use crate::yaml::{Kind, Node};

/// Common fields of every integration config.
const COMMON: &[&str] = &["send_resolved", "http_config"];

/// One integration type: its list key in a receiver, the Go type named in
/// messages, and its own fields (besides [`COMMON`]).
pub struct IntegrationType {
    /// `slack_configs`.
    pub list: &'static str,
    /// `slack`: used in `missing slack config`.
    pub short: &'static str,
    /// `config.SlackConfig`.
    pub type_name: &'static str,
    /// Fields besides `send_resolved` and `http_config`.
    pub fields: &'static [&'static str],
    /// Fields holding an http(s) URL (checked unless templated).
    pub urls: &'static [&'static str],
}

/// Every integration Alertmanager 0.34 knows.
pub static INTEGRATION_TYPES: &[IntegrationType] = &[
    IntegrationType {
        list: "discord_configs",
        short: "discord",
        type_name: "config.DiscordConfig",
        fields: &[
            "webhook_url",
            "webhook_url_file",
            "content",
            "title",
            "message",
            "username",
            "avatar_url",
        ],
        urls: &["webhook_url"],
    },
    IntegrationType {
        list: "email_configs",
        short: "email",
        type_name: "config.EmailConfig",
        fields: &[
            "to",
            "from",
            "hello",
            "smarthost",
            "auth_username",
            "auth_password",
            "auth_password_file",
            "auth_secret",
            "auth_secret_file",
            "auth_identity",
            "headers",
            "html",
            "text",
            "require_tls",
            "tls_config",
            "force_implicit_tls",
            "threading",
        ],
        urls: &[],
    },
    IntegrationType {
        list: "incidentio_configs",
        short: "incidentio",
        type_name: "config.IncidentioConfig",
        fields: &[
            "url",
            "url_file",
            "alert_source_token",
            "alert_source_token_file",
            "max_alerts",
            "timeout",
        ],
        urls: &["url"],
    },
    IntegrationType {
        list: "jira_configs",
        short: "jira",
        type_name: "config.JiraConfig",
        fields: &[
            "api_url",
            "api_type",
            "project",
            "summary",
            "description",
            "labels",
            "priority",
            "issue_type",
            "reopen_transition",
            "resolve_transition",
            "wont_fix_resolution",
            "reopen_duration",
            "fields",
        ],
        urls: &["api_url"],
    },
    IntegrationType {
        list: "mattermost_configs",
        short: "mattermost",
        type_name: "config.MattermostConfig",
        fields: &[
            "webhook_url",
            "webhook_url_file",
            "channel",
            "username",
            "text",
            "icon_url",
            "icon_emoji",
            "attachments",
            "props",
            "priority",
        ],
        urls: &["webhook_url"],
    },
    IntegrationType {
        list: "msteams_configs",
        short: "msteams",
        type_name: "config.MSTeamsConfig",
        fields: &[
            "webhook_url",
            "webhook_url_file",
            "title",
            "summary",
            "text",
        ],
        urls: &["webhook_url"],
    },
    IntegrationType {
        list: "msteamsv2_configs",
        short: "msteamsv2",
        type_name: "config.MSTeamsV2Config",
        fields: &["webhook_url", "webhook_url_file", "title", "text"],
        urls: &["webhook_url"],
    },
    IntegrationType {
        list: "opsgenie_configs",
        short: "opsgenie",
        type_name: "config.OpsGenieConfig",
        fields: &[
            "api_key",
            "api_key_file",
            "api_url",
            "message",
            "description",
            "source",
            "details",
            "entity",
            "responders",
            "actions",
            "tags",
            "note",
            "priority",
            "update_alerts",
        ],
        urls: &["api_url"],
    },
    IntegrationType {
        list: "pagerduty_configs",
        short: "pagerduty",
        type_name: "config.PagerdutyConfig",
        fields: &[
            "routing_key",
            "routing_key_file",
            "service_key",
            "service_key_file",
            "url",
            "client",
            "client_url",
            "description",
            "details",
            "images",
            "links",
            "source",
            "severity",
            "class",
            "component",
            "group",
            "timeout",
        ],
        urls: &["url"],
    },
    IntegrationType {
        list: "pushover_configs",
        short: "pushover",
        type_name: "config.PushoverConfig",
        fields: &[
            "user_key",
            "user_key_file",
            "token",
            "token_file",
            "title",
            "message",
            "url",
            "url_title",
            "device",
            "sound",
            "priority",
            "retry",
            "expire",
            "ttl",
            "html",
            "monospace",
        ],
        urls: &[],
    },
    IntegrationType {
        list: "rocketchat_configs",
        short: "rocketchat",
        type_name: "config.RocketchatConfig",
        fields: &[
            "api_url",
            "token_id",
            "token_id_file",
            "token",
            "token_file",
            "channel",
            "color",
            "title",
            "title_link",
            "text",
            "fields",
            "short_fields",
            "emoji",
            "icon_url",
            "image_url",
            "thumb_url",
            "link_names",
            "actions",
        ],
        urls: &["api_url"],
    },
    IntegrationType {
        list: "slack_configs",
        short: "slack",
        type_name: "config.SlackConfig",
        fields: &[
            "api_url",
            "api_url_file",
            "app_token",
            "app_token_file",
            "app_url",
            "channel",
            "username",
            "color",
            "title",
            "title_link",
            "pretext",
            "text",
            "fields",
            "short_fields",
            "footer",
            "fallback",
            "callback_id",
            "icon_emoji",
            "icon_url",
            "image_url",
            "thumb_url",
            "link_names",
            "mrkdwn_in",
            "actions",
            "update_message",
            "timeout",
        ],
        urls: &["api_url", "app_url"],
    },
    IntegrationType {
        list: "sns_configs",
        short: "sns",
        type_name: "config.SNSConfig",
        fields: &[
            "api_url",
            "sigv4",
            "topic_arn",
            "phone_number",
            "target_arn",
            "subject",
            "message",
            "attributes",
        ],
        urls: &[],
    },
    IntegrationType {
        list: "telegram_configs",
        short: "telegram",
        type_name: "config.TelegramConfig",
        fields: &[
            "api_url",
            "bot_token",
            "bot_token_file",
            "chat_id",
            "chat_id_file",
            "message_thread_id",
            "message",
            "disable_notifications",
            "parse_mode",
        ],
        urls: &["api_url"],
    },
    IntegrationType {
        list: "victorops_configs",
        short: "victorops",
        type_name: "config.VictorOpsConfig",
        fields: &[
            "api_key",
            "api_key_file",
            "api_url",
            "routing_key",
            "message_type",
            "state_message",
            "entity_display_name",
            "monitoring_tool",
            "custom_fields",
        ],
        urls: &["api_url"],
    },
    IntegrationType {
        list: "webex_configs",
        short: "webex",
        type_name: "config.WebexConfig",
        fields: &["api_url", "message", "room_id"],
        urls: &["api_url"],
    },
    IntegrationType {
        list: "webhook_configs",
        short: "webhook",
        type_name: "config.WebhookConfig",
        fields: &["url", "url_file", "max_alerts", "timeout"],
        urls: &["url"],
    },
    IntegrationType {
        list: "wechat_configs",
        short: "wechat",
        type_name: "config.WechatConfig",
        fields: &[
            "api_secret",
            "api_secret_file",
            "corp_id",
            "message",
            "api_url",
            "to_user",
            "to_party",
            "to_tag",
            "agent_id",
            "message_type",
        ],
        urls: &["api_url"],
    },
];

/// The integration type of a receiver list key.
pub fn integration_type(list: &str) -> Option<&'static IntegrationType> {
    INTEGRATION_TYPES.iter().find(|t| t.list == list)
}

/// Fields of `global`.
pub const GLOBAL_FIELDS: &[&str] = &[
    "resolve_timeout",
    "http_config",
    "smtp_from",
    "smtp_hello",
    "smtp_smarthost",
    "smtp_auth_username",
    "smtp_auth_password",
    "smtp_auth_password_file",
    "smtp_auth_secret",
    "smtp_auth_secret_file",
    "smtp_auth_identity",
    "smtp_require_tls",
    "smtp_tls_config",
    "smtp_force_implicit_tls",
    "slack_api_url",
    "slack_api_url_file",
    "slack_app_token",
    "slack_app_token_file",
    "slack_app_url",
    "pagerduty_url",
    "opsgenie_api_url",
    "opsgenie_api_key",
    "opsgenie_api_key_file",
    "wechat_api_url",
    "wechat_api_secret",
    "wechat_api_secret_file",
    "wechat_api_corp_id",
    "victorops_api_url",
    "victorops_api_key",
    "victorops_api_key_file",
    "telegram_api_url",
    "telegram_bot_token",
    "telegram_bot_token_file",
    "webex_api_url",
    "jira_api_url",
    "rocketchat_api_url",
    "rocketchat_token",
    "rocketchat_token_file",
    "rocketchat_token_id",
    "rocketchat_token_id_file",
    "mattermost_webhook_url",
    "mattermost_webhook_url_file",
];

const GLOBAL_URLS: &[&str] = &[
    "slack_api_url",
    "slack_app_url",
    "pagerduty_url",
    "opsgenie_api_url",
    "wechat_api_url",
    "victorops_api_url",
    "telegram_api_url",
    "webex_api_url",
    "jira_api_url",
    "rocketchat_api_url",
    "mattermost_webhook_url",
];

const BOOL_FIELDS: &[&str] = &[
    "send_resolved",
    "update_alerts",
    "short_fields",
    "link_names",
    "html",
    "monospace",
    "disable_notifications",
    "require_tls",
    "force_implicit_tls",
    "update_message",
    "smtp_require_tls",
    "smtp_force_implicit_tls",
    "follow_redirects",
    "enable_http2",
    "proxy_from_environment",
    "insecure_skip_verify",
];

/// Fields named `X` whose `X_file` twin is not a secret pair.
const NOT_SECRET: &[&str] = &["chat_id", "username", "ca", "cert", "client_id"];

/// The fields of `global` that are set (non-empty), for the fallbacks.
#[derive(Debug, Default, Clone)]
pub struct GlobalSet {
    keys: Vec<String>,
}

impl GlobalSet {
    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }
    fn any(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.has(k))
    }
}

/// True for a value that counts as set: not null, not an empty string.
fn is_set(v: &Node) -> bool {
    match &v.kind {
        Kind::Scalar(s) => !s.is_null() && !s.value.is_empty(),
        _ => true,
    }
}

/// Reads `global` (unknown keys, pairs, URLs, durations, http_config).
pub(crate) fn read_global(node: &Node, errs: &mut Errors) -> GlobalSet {
    let mut set = GlobalSet::default();
    let Some(fields) = reader::fields(node, "config.GlobalConfig", GLOBAL_FIELDS, &[], errs) else {
        return set;
    };
    for (key, _, v) in &fields {
        if is_set(v) {
            set.keys.push(key.to_string());
        }
        check_value(key, v, GLOBAL_URLS, errs);
        match *key {
            "resolve_timeout" => {
                reader::duration(v, key, errs);
            }
            "http_config" => check_http_config(v, errs),
            "smtp_tls_config" => check_tls_config(v, errs),
            "smtp_smarthost" => check_hostport(v, errs),
            _ => {}
        }
    }
    pairs(&fields, "", errs);
    let app = set.any(&["slack_app_token", "slack_app_token_file"]);
    let url = fields.iter().any(|(k, _, v)| {
        *k == "slack_api_url"
            && is_set(v)
            && v.as_str() != Some("https://slack.com/api/chat.postMessage")
    }) || set.has("slack_api_url_file");
    if app && url {
        errs.report(
            node.span,
            "at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured",
        );
    }
    set
}

/// Reports `at most one of X & X_file must be configured` for every pair set.
fn pairs(fields: &[(&str, &Node, &Node)], prefix: &str, errs: &mut Errors) {
    for (key, k, v) in fields {
        let Some(base) = key.strip_suffix("_file") else {
            continue;
        };
        if !is_set(v) {
            continue;
        }
        if let Some((_, _, inline)) = fields.iter().find(|(x, _, _)| *x == base)
            && is_set(inline)
        {
            errs.report(
                k.span,
                format!("at most one of {prefix}{base} & {prefix}{base}_file must be configured"),
            );
        }
    }
}

/// Checks one value by its field name: booleans and URLs.
fn check_value(key: &str, v: &Node, urls: &[&str], errs: &mut Errors) {
    if BOOL_FIELDS.contains(&key) {
        reader::bool_yaml11(v, key, errs);
    } else if urls.contains(&key)
        && let Some(s) = v.as_str()
        && !s.contains("{{")
        && s != "<secret>"
        && let Err(e) = check_url(s)
    {
        errs.report(v.span, e);
    }
}

/// Go's `url.Parse` plus Alertmanager's `parseURL`: an http or https URL with a host.
pub fn check_url(s: &str) -> Result<(), String> {
    let scheme = match s.find(':') {
        Some(i)
            if s[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && s[..i].starts_with(|c: char| c.is_ascii_alphabetic()) =>
        {
            &s[..i]
        }
        _ => "",
    };
    let lower = scheme.to_ascii_lowercase();
    if lower != "http" && lower != "https" {
        // Alertmanager quotes whatever precedes the first `:`; in a token
        // pasted where a URL belongs (`xoxb-…:x`) that is the secret
        // itself. URL fields are secret fields (SecretURL): the "scheme" is
        // quoted only when `://` shows it is one.
        return Err(
            if !lower.is_empty() && s[scheme.len()..].starts_with("://") {
                format!("unsupported scheme {lower:?} for URL")
            } else if lower.is_empty() {
                "unsupported scheme \"\" for URL".to_string()
            } else {
                "unsupported scheme for URL: the value does not start with `http://` or `https://` (value not shown: it may be a secret)".to_string()
            },
        );
    }
    let rest = &s[scheme.len() + 1..];
    let host = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    if host.is_empty() {
        return Err("missing host for URL".into());
    }
    Ok(())
}

fn check_hostport(v: &Node, errs: &mut Errors) {
    let Some(s) = v.as_str() else { return };
    match s.rsplit_once(':') {
        Some((_, "")) => errs.report(v.span, format!("address {s:?}: port cannot be empty")),
        Some(_) => {}
        None => errs.report(v.span, format!("address {s}: missing port in address")),
    }
}

/// `http_config` (prometheus/common `HTTPClientConfig`).
pub(crate) fn check_http_config(node: &Node, errs: &mut Errors) {
    const F: &[&str] = &[
        "authorization",
        "basic_auth",
        "oauth2",
        "bearer_token",
        "bearer_token_file",
        "tls_config",
        "proxy_url",
        "no_proxy",
        "proxy_from_environment",
        "proxy_connect_header",
        "follow_redirects",
        "enable_http2",
        "http_headers",
    ];
    let Some(fields) = reader::fields(node, "config.HTTPClientConfig", F, &[], errs) else {
        return;
    };
    let set = |k: &str| fields.iter().any(|(x, _, v)| *x == k && is_set(v));
    for (key, _, v) in &fields {
        check_value(key, v, &[], errs);
        match *key {
            "basic_auth" => {
                let f = sub(
                    v,
                    "config.BasicAuth",
                    &[
                        "username",
                        "username_file",
                        "username_ref",
                        "password",
                        "password_file",
                        "password_ref",
                    ],
                    errs,
                );
                pairs(&f, "basic_auth ", errs);
            }
            "authorization" => {
                let f = sub(
                    v,
                    "config.Authorization",
                    &["type", "credentials", "credentials_file", "credentials_ref"],
                    errs,
                );
                pairs(&f, "authorization ", errs);
                if let Some((_, _, t)) = f.iter().find(|(k, _, _)| *k == "type")
                    && t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("basic"))
                {
                    errs.report(
                        t.span,
                        "authorization type cannot be set to \"basic\", use \"basic_auth\" instead",
                    );
                }
            }
            "oauth2" => {
                let f = sub(
                    v,
                    "config.OAuth2",
                    &[
                        "client_id",
                        "client_id_file",
                        "client_id_ref",
                        "client_secret",
                        "client_secret_file",
                        "client_secret_ref",
                        "client_certificate_key",
                        "client_certificate_key_file",
                        "client_certificate_key_id",
                        "client_certificate_key_ref",
                        "grant_type",
                        "signature_algorithm",
                        "iss",
                        "audience",
                        "claims",
                        "scopes",
                        "token_url",
                        "endpoint_params",
                        "tls_config",
                        "proxy_url",
                        "no_proxy",
                        "proxy_from_environment",
                        "proxy_connect_header",
                    ],
                    errs,
                );
                pairs(&f, "oauth2 ", errs);
                if let Some((_, _, t)) = f.iter().find(|(k, _, _)| *k == "tls_config") {
                    check_tls_config(t, errs);
                }
            }
            "tls_config" => check_tls_config(v, errs),
            _ => {}
        }
    }
    pairs(&fields, "", errs);
    let bearer = set("bearer_token") || set("bearer_token_file");
    if (set("basic_auth") || set("oauth2")) && bearer {
        errs.report(
            node.span,
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        );
    }
    if set("authorization") && bearer {
        errs.report(
            node.span,
            "authorization is not compatible with bearer_token & bearer_token_file",
        );
    }
    if [set("basic_auth"), set("oauth2"), set("authorization")]
        .iter()
        .filter(|x| **x)
        .count()
        > 1
    {
        errs.report(
            node.span,
            "at most one of basic_auth, oauth2 & authorization must be configured",
        );
    }
}

fn check_tls_config(node: &Node, errs: &mut Errors) {
    let f = sub(
        node,
        "config.TLSConfig",
        &[
            "ca",
            "ca_file",
            "ca_ref",
            "cert",
            "cert_file",
            "cert_ref",
            "key",
            "key_file",
            "key_ref",
            "server_name",
            "insecure_skip_verify",
            "min_version",
            "max_version",
        ],
        errs,
    );
    for (k, _, v) in &f {
        check_value(k, v, &[], errs);
    }
    pairs(&f, "", errs);
}

fn sub<'n>(
    node: &'n Node,
    ty: &str,
    known: &[&str],
    errs: &mut Errors,
) -> Vec<(&'n str, &'n Node, &'n Node)> {
    reader::fields(node, ty, known, &[], errs).unwrap_or_default()
}

/// Checks every item of a receiver's integration list.
pub(crate) fn check_integration_list(
    ty: &IntegrationType,
    list: &Node,
    global: &GlobalSet,
    errs: &mut Errors,
) {
    let Some(items) = list.as_seq() else {
        errs.report(
            list.span,
            format!("{} must be a list, got a {}", ty.list, list.type_name()),
        );
        return;
    };
    for item in items {
        check_integration(ty, item, global, errs);
    }
}

fn check_integration(ty: &IntegrationType, item: &Node, global: &GlobalSet, errs: &mut Errors) {
    let null_ok = matches!(ty.short, "slack" | "opsgenie" | "wechat" | "rocketchat");
    if item.is_null() && !null_ok {
        errs.report(item.span, format!("missing {} config", ty.short));
        return;
    }
    let known: Vec<&str> = COMMON.iter().chain(ty.fields).copied().collect();
    let Some(fields) = reader::fields(item, ty.type_name, &known, &[], errs) else {
        return;
    };
    let get = |k: &str| {
        fields
            .iter()
            .find(|(x, _, v)| *x == k && is_set(v))
            .map(|(_, _, v)| *v)
    };
    let has = |k: &str| get(k).is_some();
    for (key, _, v) in &fields {
        // `html` is the HTML body template of an email (a string), but a
        // boolean of Pushover's.
        if !(ty.list == "email_configs" && *key == "html") {
            check_value(key, v, ty.urls, errs);
        }
        match *key {
            "http_config" => check_http_config(v, errs),
            "tls_config" => check_tls_config(v, errs),
            "smarthost" => check_hostport(v, errs),
            "reopen_duration" => {
                reader::duration(v, key, errs);
            }
            "timeout" | "retry" | "expire" | "ttl" => {
                if let Some(s) = v.as_str()
                    && parse_go_duration(s).is_none()
                    && parse_duration(s).is_err()
                {
                    errs.report(v.span, format!("time: invalid duration {s:?}"));
                }
            }
            _ => {}
        }
    }
    pairs(&fields, "", errs);
    let at = item.span;
    let mut need = |ok: bool, msg: &str| {
        if !ok {
            errs.report(at, msg.to_string());
        }
    };
    match ty.short {
        "discord" | "msteams" | "msteamsv2" => need(
            has("webhook_url") || has("webhook_url_file"),
            "one of webhook_url or webhook_url_file must be configured",
        ),
        "email" => {
            need(has("to"), "missing to address in email config");
            need(
                has("smarthost") || global.has("smtp_smarthost"),
                "no global SMTP smarthost set",
            );
            need(
                has("from") || global.has("smtp_from"),
                "no global SMTP from set",
            );
        }
        "incidentio" => need(
            has("url") || has("url_file"),
            "one of url or url_file must be configured",
        ),
        "jira" => {
            need(has("project"), "missing project in jira_config");
            need(has("issue_type"), "missing issue_type in jira_config");
            need(
                has("api_url") || global.has("jira_api_url"),
                "no global Jira Cloud URL set",
            );
        }
        "mattermost" => need(
            has("webhook_url")
                || has("webhook_url_file")
                || global.any(&["mattermost_webhook_url", "mattermost_webhook_url_file"]),
            "missing webhook_url or webhook_url_file on mattermost_config",
        ),
        "opsgenie" => {
            need(
                has("api_key")
                    || has("api_key_file")
                    || global.any(&["opsgenie_api_key", "opsgenie_api_key_file"]),
                "no global OpsGenie API Key set either inline or in a file",
            );
            if let Some(r) = get("responders") {
                check_responders(r, errs);
            }
        }
        "pagerduty" => need(
            [
                "routing_key",
                "service_key",
                "routing_key_file",
                "service_key_file",
            ]
            .iter()
            .any(|k| has(k)),
            "missing service or routing key in PagerDuty config",
        ),
        "pushover" => {
            need(
                has("user_key") || has("user_key_file"),
                "one of user_key or user_key_file must be configured",
            );
            need(
                has("token") || has("token_file"),
                "one of token or token_file must be configured",
            );
            let yes = |k: &str| get(k).and_then(Node::as_str).is_some_and(is_true);
            need(
                !(yes("html") && yes("monospace")),
                "at most one of monospace & html must be configured",
            );
        }
        "rocketchat" => {
            need(
                has("token_id")
                    || has("token_id_file")
                    || global.any(&["rocketchat_token_id", "rocketchat_token_id_file"]),
                "no global Rocketchat TokenID set either inline or in a file",
            );
            need(
                has("token")
                    || has("token_file")
                    || global.any(&["rocketchat_token", "rocketchat_token_file"]),
                "no global Rocketchat Token set either inline or in a file",
            );
        }
        "slack" => {
            let url = has("api_url") || has("api_url_file");
            let app = has("app_token") || has("app_token_file");
            need(
                url || app
                    || global.any(&[
                        "slack_api_url",
                        "slack_api_url_file",
                        "slack_app_token",
                        "slack_app_token_file",
                    ]),
                "no Slack API URL nor App token set either inline or in a file",
            );
            need(
                !(url && app),
                "at most one of app_token/app_token_file & api_url/api_url_file must be configured",
            );
            let update = get("update_message")
                .and_then(Node::as_str)
                .is_some_and(is_true);
            let webhook = get("api_url")
                .and_then(Node::as_str)
                .is_some_and(|u| u != "https://slack.com/api/chat.postMessage");
            need(
                !(update && webhook),
                "update_message can only be used with bot tokens. api_url must be set to https://slack.com/api/chat.postMessage",
            );
        }
        "sns" => {
            let (t, p, n) = (!has("target_arn"), !has("topic_arn"), !has("phone_number"));
            need(
                (t != p) == n,
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
            );
        }
        "telegram" => {
            need(
                has("bot_token")
                    || has("bot_token_file")
                    || global.any(&["telegram_bot_token", "telegram_bot_token_file"]),
                "missing bot_token or bot_token_file on telegram_config",
            );
            need(
                get("chat_id")
                    .and_then(Node::as_str)
                    .is_some_and(|c| c != "0")
                    || has("chat_id_file"),
                "missing chat_id or chat_id_file on telegram_config",
            );
            if let Some(m) = get("parse_mode").and_then(Node::as_str) {
                need(
                    matches!(m, "Markdown" | "MarkdownV2" | "HTML"),
                    "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
                );
            }
        }
        "victorops" => {
            need(
                has("routing_key"),
                "missing Routing key in VictorOps config",
            );
            need(
                has("api_key")
                    || has("api_key_file")
                    || global.any(&["victorops_api_key", "victorops_api_key_file"]),
                "no global VictorOps API Key set",
            );
            if let Some(cf) = get("custom_fields").and_then(Node::as_map) {
                for (k, _) in cf {
                    if let Some(name) = k.as_str()
                        && [
                            "routing_key",
                            "message_type",
                            "state_message",
                            "entity_display_name",
                            "monitoring_tool",
                            "entity_id",
                            "entity_state",
                        ]
                        .contains(&name)
                    {
                        errs.report(k.span, format!("victorOps config contains custom field {name} which cannot be used as it conflicts with the fixed/static fields"));
                    }
                }
            }
        }
        "webex" => {
            let mut need = |ok: bool, msg: &str| {
                if !ok {
                    errs.report(at, msg.to_string());
                }
            };
            need(has("room_id"), "missing room_id on webex_config");
            need(
                get("http_config").is_some_and(|h| h.get("authorization").is_some_and(is_set)),
                "missing webex_configs.http_config.authorization",
            );
        }
        "webhook" => need(
            has("url") || has("url_file"),
            "one of url or url_file must be configured",
        ),
        "wechat" => {
            need(
                has("api_secret")
                    || has("api_secret_file")
                    || global.any(&["wechat_api_secret", "wechat_api_secret_file"]),
                "no global Wechat Api Secret set either inline or in a file",
            );
            need(
                has("corp_id") || global.has("wechat_api_corp_id"),
                "no global Wechat CorpID set",
            );
            if let Some(m) = get("message_type").and_then(Node::as_str) {
                need(
                    matches!(m, "text" | "markdown"),
                    &format!(
                        "weChat message type {m:?} does not match valid options ^(text|markdown)$"
                    ),
                );
            }
        }
        _ => {}
    }
}

fn is_true(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON"
    )
}

fn check_responders(node: &Node, errs: &mut Errors) {
    let Some(items) = node.as_seq() else { return };
    for r in items {
        let Some(f) = reader::fields(
            r,
            "config.OpsGenieConfigResponder",
            &["id", "name", "username", "type"],
            &[],
            errs,
        ) else {
            continue;
        };
        let val = |k: &str| {
            f.iter()
                .find(|(x, _, _)| *x == k)
                .and_then(|(_, _, v)| v.as_str())
                .unwrap_or("")
        };
        if val("id").is_empty() && val("name").is_empty() && val("username").is_empty() {
            errs.report(
                r.span,
                format!(
                    "opsGenieConfig responder {{{} {} {} {}}} has to have at least one of id, username or name specified",
                    val("id"),
                    val("name"),
                    val("username"),
                    val("type")
                ),
            );
            continue;
        }
        let t = val("type");
        if !t.contains("{{")
            && !matches!(
                t.to_lowercase().as_str(),
                "team" | "teams" | "user" | "escalation" | "schedule"
            )
        {
            errs.report(
                r.span,
                format!("opsGenieConfig responder type {t:?} does not match valid options ^(team|teams|user|escalation|schedule)$"),
            );
        }
    }
}

/// Go's `time.ParseDuration` (`1.5s`, `300ms`, `1h2m`), in nanoseconds.
fn parse_go_duration(s: &str) -> Option<f64> {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return Some(0.0);
    }
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut total = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += num * mult;
        rest = &rest[u..];
    }
    Some(total)
}

/// A secret-bearing field of the config, for the secret lints.
#[derive(Debug, Clone)]
pub struct SecretField {
    /// Where it is: `global`, `receiver "x" slack_configs[0]`, with `http_config` parts.
    pub owner: String,
    /// The field name (`api_url`, `bearer_token_file`).
    pub key: String,
    /// The key's span.
    pub key_span: Span,
    /// The value (a scalar's text) and its span.
    pub value: Option<(String, Span)>,
    /// For an inline field: the name of its `*_file` twin when the type has one.
    pub file_twin: Option<String>,
    /// True for a `*_file` field.
    pub is_file: bool,
    /// True inside an `http_config` (whose files Alertmanager resolves against the config's folder).
    pub in_http_config: bool,
}

/// Secret-ish field names that have no `*_file` twin (placeholders still matter).
const SECRET_NO_TWIN: &[&str] = &["webhook_url", "url", "api_key", "token", "routing_key"];

/// Every secret field of `global` and of every integration config, in file order.
pub fn secret_fields(global: Option<&Node>, receivers: &[super::Receiver]) -> Vec<SecretField> {
    let mut out = Vec::new();
    if let Some(g) = global {
        collect(g, "global", GLOBAL_FIELDS, false, &mut out);
        if let Some(h) = g.get("http_config") {
            collect_http(h, "global http_config", &mut out);
        }
    }
    for r in receivers {
        for (list, node) in &r.integrations {
            let Some(ty) = integration_type(list) else {
                continue;
            };
            let known: Vec<&str> = COMMON.iter().chain(ty.fields).copied().collect();
            for (i, item) in node.as_seq().unwrap_or(&[]).iter().enumerate() {
                let owner = format!("receiver {:?} {list}[{i}]", r.name.value);
                collect(item, &owner, &known, false, &mut out);
                if let Some(h) = item.get("http_config") {
                    collect_http(h, &format!("{owner} http_config"), &mut out);
                }
            }
        }
    }
    out
}

fn collect_http(h: &Node, owner: &str, out: &mut Vec<SecretField>) {
    let http = [
        "bearer_token",
        "bearer_token_file",
        "basic_auth",
        "authorization",
        "oauth2",
        "tls_config",
    ];
    collect(h, owner, &http, true, out);
    for (sub, known) in [
        (
            "basic_auth",
            &["username", "username_file", "password", "password_file"][..],
        ),
        ("authorization", &["credentials", "credentials_file"][..]),
        ("oauth2", &["client_secret", "client_secret_file"][..]),
        (
            "tls_config",
            &["ca_file", "cert_file", "key", "key_file"][..],
        ),
    ] {
        if let Some(n) = h.get(sub) {
            collect(n, &format!("{owner} {sub}"), known, true, out);
        }
    }
}

fn collect(node: &Node, owner: &str, known: &[&str], http: bool, out: &mut Vec<SecretField>) {
    let Some(entries) = node.as_map() else { return };
    for (k, v) in entries {
        let Some(key) = k.as_str() else { continue };
        if !known.contains(&key) {
            continue;
        }
        let twin = format!("{key}_file");
        let is_file = key.ends_with("_file");
        let has_twin = known.contains(&twin.as_str()) && !NOT_SECRET.contains(&key);
        let base_secret = key
            .strip_suffix("_file")
            .is_some_and(|b| known.contains(&b) && !NOT_SECRET.contains(&b));
        let secretish = has_twin
            || base_secret
            || SECRET_NO_TWIN.contains(&key)
            || key.ends_with("_token")
            || key.ends_with("_secret")
            || key.ends_with("_key")
            || key.ends_with("password");
        if !secretish || NOT_SECRET.contains(&key) || v.as_map().is_some() {
            continue;
        }
        out.push(SecretField {
            owner: owner.to_string(),
            key: key.to_string(),
            key_span: k.span,
            value: v
                .as_scalar()
                .filter(|s| !s.is_null())
                .map(|s| (s.value.clone(), v.span)),
            file_twin: has_twin.then_some(twin),
            is_file,
            in_http_config: http,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("https://hooks.slack.com/services/x").is_ok());
        assert_eq!(
            check_url("ftp://x").unwrap_err(),
            "unsupported scheme \"ftp\" for URL"
        );
        assert_eq!(check_url("http://").unwrap_err(), "missing host for URL");
        assert!(check_url("<webhook-url>").is_err());
        // Issue 13 item 24: a token where the URL belongs is never quoted.
        let e = check_url("xoxb-1234567890-SECRET:x").unwrap_err();
        assert!(
            !e.to_lowercase().contains("secret:") && !e.contains("xoxb"),
            "{e}"
        );
        assert!(e.starts_with("unsupported scheme for URL"), "{e}");
        assert_eq!(
            check_url("hooks.slack.com/x").unwrap_err(),
            "unsupported scheme \"\" for URL"
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1.5s"), Some(1.5e9));
        assert_eq!(parse_go_duration("1h2m"), Some(3720e9));
        assert_eq!(parse_go_duration("5x"), None);
    }
}
