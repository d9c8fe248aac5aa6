//! The backtest report: one [`Row`] per alerting rule, printed as an
//! aligned table, JSON (`version: 1`) or Markdown (a pull-request comment).
//! With `--compare REF` each number is shown as `then → now`.

use std::fmt::Write as _;

use serde_json::{Value as Json, json};

use crate::go::duration::format_prometheus;

use super::notify::{Counts, Notifications};
use super::stats::Stats;
use super::{Range, rfc3339};

/// One version of a rule's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// `for`, ms.
    pub for_ms: i64,
    /// `keep_firing_for`, ms.
    pub keep_firing_for_ms: i64,
    /// The evaluation interval replayed, ms.
    pub interval_ms: i64,
    /// Evaluations replayed.
    pub evaluations: u64,
    /// Evaluations Prometheus would have failed.
    pub failed_evaluations: u64,
    /// The numbers.
    pub stats: Stats,
    /// Notifications carrying its alerts (with an Alertmanager config).
    pub notifications: Option<Counts>,
    /// Why the replay stopped early.
    pub error: Option<String>,
}

/// One alerting rule of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The rule file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Group name.
    pub group: String,
    /// Alert name.
    pub alert: String,
    /// The rules as they are.
    pub now: Side,
    /// The rule at the `--compare` revision (`None`: not there, or no `--compare`).
    pub base: Option<Side>,
}

/// A whole backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The server asked (redacted URL).
    pub prometheus: String,
    /// The range replayed.
    pub range: Range,
    /// The `--compare` revision.
    pub compare: Option<String>,
    /// The Alertmanager config's path.
    pub alertmanager: Option<String>,
    /// Whether resolved notifications were counted (`--send-resolved`).
    pub send_resolved: bool,
    /// Rows in file order.
    pub rows: Vec<Row>,
    /// Notifications of the whole run.
    pub notifications: Option<Notifications>,
    /// Notifications of the run at the `--compare` revision.
    pub base_notifications: Option<Notifications>,
}

fn dur(ms: i64) -> String {
    format_prometheus(u64::try_from(ms.max(0)).unwrap_or(0))
}

/// A total of alert-time: Prometheus' notation up to two days, hours beyond
/// (`17w10h` reads worse than `2866h`).
fn total(ms: i64) -> String {
    const H: i64 = 3_600_000;
    if ms >= 48 * H {
        format!("{}h", (ms + H / 2) / H)
    } else {
        dur(ms)
    }
}

/// `then → now`, or `now` when both are equal or there is no `then`.
fn pair<T: PartialEq>(then: Option<T>, now: T, f: impl Fn(&T) -> String) -> String {
    match then {
        Some(t) if t != now => format!("{} → {}", f(&t), f(&now)),
        _ => f(&now),
    }
}

struct Columns {
    head: Vec<&'static str>,
    cells: Vec<Vec<String>>,
}

impl Report {
    fn cells(&self, with_compare: bool) -> Columns {
        let notify = self.notifications.is_some();
        let mut head: Vec<&'static str> = vec![
            "alert",
            "for",
            "alerts",
            "episodes",
            "firing",
            "longest",
            "flaps",
            "held by for",
        ];
        if notify {
            head.push("notifications");
        }
        let mut cells = Vec::new();
        for r in &self.rows {
            let b = if with_compare { r.base.as_ref() } else { None };
            let n = |s: &Side| s.stats;
            let mut row = vec![
                r.alert.clone(),
                pair(b.map(|b| b.for_ms), r.now.for_ms, |v| dur(*v)),
                pair(b.map(n).map(|s| s.alerts), n(&r.now).alerts, u64::to_string),
                pair(
                    b.map(n).map(|s| s.episodes),
                    n(&r.now).episodes,
                    u64::to_string,
                ),
                pair(b.map(n).map(|s| s.firing_ms), n(&r.now).firing_ms, |v| {
                    total(*v)
                }),
                pair(b.map(n).map(|s| s.longest_ms), n(&r.now).longest_ms, |v| {
                    dur(*v)
                }),
                pair(b.map(n).map(|s| s.flaps), n(&r.now).flaps, u64::to_string),
                pair(
                    b.map(n).map(|s| s.pending_only),
                    n(&r.now).pending_only,
                    u64::to_string,
                ),
            ];
            if with_compare && r.base.is_none() {
                row[0] = format!("{} (new)", r.alert);
            }
            if notify {
                let c = |s: &Side| s.notifications.unwrap_or_default().firing;
                row.push(pair(b.map(c), c(&r.now), u64::to_string));
            }
            if r.now.error.is_some() || b.is_some_and(|b| b.error.is_some()) {
                // Why is on stderr and in JSON's `error`.
                row[0] = format!("{} (incomplete)", row[0]);
            }
            cells.push(row);
        }
        Columns { head, cells }
    }

    fn header_lines(&self) -> Vec<String> {
        let n = self.rows.len();
        let mut out = vec![format!(
            "{n} {} replayed from {} to {} against {}",
            if n == 1 { "rule" } else { "rules" },
            rfc3339(self.range.start_ms),
            rfc3339(self.range.end_ms),
            self.prometheus
        )];
        if let Some(c) = &self.compare {
            out.push(format!(
                "numbers shown as {c} → working tree where they differ"
            ));
        }
        out
    }

    fn notification_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(n) = &self.notifications else {
            return out;
        };
        let am = self
            .alertmanager
            .as_deref()
            .unwrap_or("the Alertmanager config");
        let resolved = if self.send_resolved {
            format!(" and {} resolved", n.total.resolved)
        } else {
            String::new()
        };
        let base = self
            .base_notifications
            .as_ref()
            .map(|b| {
                format!(
                    " (at {}: {} firing)",
                    self.compare.as_deref().unwrap_or("REF"),
                    b.total.firing
                )
            })
            .unwrap_or_default();
        out.push(format!(
            "{am}: {} firing{resolved} notifications{base} from {} aggregation groups",
            n.total.firing, n.groups
        ));
        for (recv, c) in &n.per_receiver {
            let resolved = if self.send_resolved {
                format!(", {} resolved", c.resolved)
            } else {
                String::new()
            };
            out.push(format!("  {recv}: {} firing{resolved}", c.firing));
        }
        if n.incomplete {
            out.push("  (incomplete: the time budget ran out)".into());
        }
        out
    }

    /// The aligned table.
    pub fn human(&self) -> String {
        let cols = self.cells(self.compare.is_some());
        let mut widths: Vec<usize> = cols.head.iter().map(|h| h.chars().count()).collect();
        for row in &cols.cells {
            for (i, c) in row.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        for l in self.header_lines() {
            let _ = writeln!(out, "{l}");
        }
        out.push('\n');
        let line = |cells: Vec<String>| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(c.chars().count());
                if i == 0 {
                    s.push_str(c);
                    s.push_str(&" ".repeat(pad));
                } else {
                    s.push_str("  ");
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                }
            }
            s.trim_end().to_string()
        };
        let _ = writeln!(
            out,
            "{}",
            line(cols.head.iter().map(|h| h.to_uppercase()).collect())
        );
        for row in cols.cells {
            let _ = writeln!(out, "{}", line(row));
        }
        let n = self.notification_lines();
        if !n.is_empty() {
            out.push('\n');
            for l in n {
                let _ = writeln!(out, "{l}");
            }
        }
        out
    }

    /// A Markdown section for a pull-request comment.
    pub fn markdown(&self) -> String {
        let cols = self.cells(self.compare.is_some());
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('|', "\\|")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\n', " ")
        };
        let mut out = String::from("### mlalert backtest\n\n");
        for l in self.header_lines() {
            let _ = writeln!(out, "{}  ", esc(&l));
        }
        out.push('\n');
        let _ = writeln!(out, "| {} |", cols.head.join(" | "));
        let _ = writeln!(
            out,
            "|{}",
            cols.head
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { " --- |" } else { " ---: |" })
                .collect::<String>()
        );
        for row in cols.cells {
            let mut row = row;
            row[0] = format!("`{}`", row[0].replace('`', "'"));
            let _ = writeln!(
                out,
                "| {} |",
                row.iter()
                    .enumerate()
                    .map(|(i, c)| if i == 0 {
                        c.replace('|', "\\|")
                    } else {
                        esc(c)
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        let n = self.notification_lines();
        if !n.is_empty() {
            out.push('\n');
            for l in n {
                let _ = writeln!(out, "- {}", esc(l.trim()));
            }
        }
        out
    }

    /// The JSON document (`version: 1`).
    pub fn json(&self) -> String {
        let secs = |ms: i64| ms as f64 / 1000.0;
        let side = |s: &Side| {
            json!({
                "for_seconds": secs(s.for_ms),
                "keep_firing_for_seconds": secs(s.keep_firing_for_ms),
                "interval_seconds": secs(s.interval_ms),
                "evaluations": s.evaluations,
                "failed_evaluations": s.failed_evaluations,
                "alerts": s.stats.alerts,
                "episodes": s.stats.episodes,
                "firing_seconds": secs(s.stats.firing_ms),
                "longest_episode_seconds": secs(s.stats.longest_ms),
                "flaps": s.stats.flaps,
                "pending_only": s.stats.pending_only,
                "notifications": s.notifications.map(|c| json!({"firing": c.firing, "resolved": c.resolved})),
                "error": s.error,
            })
        };
        let notifications = |n: &Notifications| {
            json!({
                "firing": n.total.firing,
                "resolved": n.total.resolved,
                "groups": n.groups,
                "incomplete": n.incomplete,
                "receivers": n.per_receiver.iter().map(|(k, c)| (k.clone(), json!({"firing": c.firing, "resolved": c.resolved}))).collect::<serde_json::Map<String, Json>>(),
            })
        };
        let doc = json!({
            "version": 1,
            "prometheus": self.prometheus,
            "start": rfc3339(self.range.start_ms),
            "end": rfc3339(self.range.end_ms),
            "compare": self.compare,
            "alertmanager": self.alertmanager,
            "send_resolved": self.send_resolved,
            "rules": self.rows.iter().map(|r| {
                let mut o = side(&r.now);
                o["file"] = json!(r.file);
                o["line"] = json!(r.line);
                o["group"] = json!(r.group);
                o["alert"] = json!(r.alert);
                o["base"] = r.base.as_ref().map(side).unwrap_or(Json::Null);
                o
            }).collect::<Vec<_>>(),
            "notifications": self.notifications.as_ref().map(notifications),
            "base_notifications": self.base_notifications.as_ref().map(notifications),
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn side(for_ms: i64, episodes: u64) -> Side {
        Side {
            for_ms,
            keep_firing_for_ms: 0,
            interval_ms: M,
            evaluations: 10_080,
            failed_evaluations: 0,
            stats: Stats {
                alerts: 3,
                episodes,
                firing_ms: 125 * M,
                longest_ms: 61 * M,
                flaps: episodes / 2,
                pending_only: 7,
            },
            notifications: Some(Counts {
                firing: episodes,
                resolved: 1,
            }),
            error: None,
        }
    }

    fn report(compare: bool) -> Report {
        Report {
            prometheus: "http://prom:9090".into(),
            range: Range {
                start_ms: 0,
                end_ms: 7 * 24 * 60 * M,
            },
            compare: compare.then(|| "main".into()),
            alertmanager: Some("am.yaml".into()),
            send_resolved: true,
            rows: vec![
                Row {
                    file: "r.yaml".into(),
                    line: 4,
                    group: "gpu".into(),
                    alert: "HighGPUTemperature".into(),
                    now: side(10 * M, 12),
                    base: compare.then(|| side(0, 143)),
                },
                Row {
                    file: "r.yaml".into(),
                    line: 9,
                    group: "gpu".into(),
                    alert: "New|Alert".into(),
                    now: side(0, 2),
                    base: None,
                },
            ],
            notifications: Some(Notifications {
                per_rule: vec![],
                per_receiver: [(
                    "pager".to_string(),
                    Counts {
                        firing: 14,
                        resolved: 2,
                    },
                )]
                .into(),
                total: Counts {
                    firing: 14,
                    resolved: 2,
                },
                groups: 5,
                incomplete: false,
            }),
            base_notifications: None,
        }
    }

    #[test]
    fn human_table_shows_then_and_now() {
        let t = report(true).human();
        assert!(t.contains("HighGPUTemperature"), "{t}");
        assert!(t.contains("143 → 12"), "{t}");
        assert!(t.contains("0s → 10m"), "{t}");
        assert!(t.contains("New|Alert (new)"), "{t}");
        assert!(t.contains("pager: 14 firing, 2 resolved"), "{t}");
        let plain = report(false).human();
        assert!(!plain.contains('→'), "{plain}");
        assert!(plain.contains("2h5m"), "{plain}");
        assert_eq!(total(2 * 24 * 3_600_000 + 1_800_000), "49h");
        assert_eq!(total(90 * 60_000), "1h30m");
    }

    #[test]
    fn markdown_escapes_table_cells() {
        let m = report(true).markdown();
        assert!(m.contains("| `HighGPUTemperature` | 0s → 10m |"), "{m}");
        assert!(m.contains("`New\\|Alert (new)`"), "{m}");
    }

    #[test]
    fn json_has_both_sides() {
        let v: Json = serde_json::from_str(&report(true).json()).expect("json");
        assert_eq!(v["version"], 1);
        assert_eq!(v["rules"][0]["episodes"], 12);
        assert_eq!(v["rules"][0]["base"]["episodes"], 143);
        assert_eq!(v["rules"][0]["firing_seconds"], 7500.0);
        assert_eq!(v["rules"][1]["base"], Json::Null);
        assert_eq!(v["notifications"]["receivers"]["pager"]["firing"], 14);
        assert_eq!(v["end"], "1970-01-08T00:00:00Z");
    }
}
