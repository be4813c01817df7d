//! Alert rules over a stream of records: which rules fire for which record.
//!
//! A rule has a name, an action and conditions; every condition present must hold (the
//! original prt's `port`, `process` as a case-insensitive substring, `state`,
//! `connections_gt`, and `when`, a filter expression). Records come in groups — one scan,
//! the records sharing a `seq` — and `connections_gt` counts the records of the same pid
//! within the group. A `bell` rule fires only on `new` records (or records without a
//! status, as from a single scan), so a watch rings once per new socket and not every
//! tick; a `highlight` rule marks every record it matches. What to do when a rule fires
//! (print, ring, run a command) is the caller's business: nothing here has side effects.

use std::collections::HashMap;
use std::path::Path;

use crate::config::AlertRule;
use crate::i18n::{self, Msg};
use crate::model::State;
use crate::query::{self, Query};
use crate::raw::{Key, RawRecord};

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ring the terminal bell: only for new sockets.
    Bell,
    /// Mark the record: for every match.
    Highlight,
}

impl Action {
    /// `bell` or `highlight`; anything else is `highlight`, as in the original prt, so a
    /// misspelt action still shows the match.
    #[must_use]
    pub fn parse(text: &str) -> Action {
        if text.trim().eq_ignore_ascii_case("bell") {
            Action::Bell
        } else {
            Action::Highlight
        }
    }
}

/// One alert rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name, reported in the `alerts` field.
    pub name: String,
    /// Its action.
    pub action: Action,
    port: Option<u16>,
    /// Lowercased, for the case-insensitive substring match.
    process: Option<String>,
    state: Option<State>,
    connections_gt: Option<u64>,
    when: Option<Query>,
}

/// A rule that cannot be used: it names the rule and where it went wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}", i18n::trf(Msg::RuleError, &[rule, location, message]))]
pub struct Error {
    /// The rule's name.
    pub rule: String,
    /// `FILE:LINE:COLUMN: ` or `column N: `, or empty.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl Rule {
    /// A rule from the command line: `--when EXPR --action ACTION [--name NAME]`.
    pub fn from_expression(name: &str, action: &str, when: &str) -> Result<Rule, Error> {
        let query = query::parse(when).map_err(|e| Error {
            rule: name.to_owned(),
            location: format!("--when column {}: ", e.column),
            message: e.message,
        })?;
        Ok(Rule {
            name: name.to_owned(),
            action: Action::parse(action),
            port: None,
            process: None,
            state: None,
            connections_gt: None,
            when: Some(query),
        })
    }

    /// A rule from a configuration or rules file; `file` names it in errors, which point at
    /// the line and column inside the `when` expression.
    pub fn from_config(rule: &AlertRule, file: Option<&Path>) -> Result<Rule, Error> {
        let file = file.map_or(String::new(), |f| format!("{}:", f.display()));
        let when = match &rule.when {
            None => None,
            Some(located) => Some(query::parse(&located.value).map_err(|e| {
                // The expression starts one column after its opening quote.
                Error {
                    rule: rule.name.clone(),
                    location: format!("{file}{}:{}: ", located.line, located.column + e.column),
                    message: e.message,
                }
            })?),
        };
        if rule.name.trim().is_empty() {
            return Err(Error {
                rule: rule.name.clone(),
                location: format!("{file}{}:{}: ", rule.at.0, rule.at.1),
                message: i18n::tr(Msg::RuleNeedsName).to_owned(),
            });
        }
        Ok(Rule {
            name: rule.name.clone(),
            action: rule
                .action
                .as_deref()
                .map_or(Action::Highlight, Action::parse),
            port: rule.port,
            process: rule.process.as_ref().map(|p| p.to_lowercase()),
            state: rule.state,
            connections_gt: rule.connections_gt,
            when,
        })
    }

    /// Whether every condition holds for `record`, whose pid has `pid_records` records in
    /// its group.
    #[must_use]
    pub fn matches(&self, record: &RawRecord<'_>, pid_records: u64) -> bool {
        if let Some(port) = self.port
            && record.u64(Key::LocalPort) != Some(u64::from(port))
        {
            return false;
        }
        if let Some(wanted) = &self.process {
            let name = record.str(Key::Process);
            if !name.is_some_and(|name| name.to_lowercase().contains(wanted.as_str())) {
                return false;
            }
        }
        if let Some(state) = self.state {
            let actual = record.str(Key::State).and_then(|s| s.parse::<State>().ok());
            if actual != Some(state) {
                return false;
            }
        }
        if let Some(limit) = self.connections_gt
            && (record.u64(Key::Pid).is_none() || pid_records <= limit)
        {
            return false;
        }
        self.when.as_ref().is_none_or(|query| query.matches(record))
    }

    /// Whether the rule fires: it matches, and a bell rings only for a new socket (or a
    /// record without a status).
    #[must_use]
    pub fn fires(&self, record: &RawRecord<'_>, pid_records: u64) -> bool {
        if self.action == Action::Bell
            && record
                .str(Key::Status)
                .is_some_and(|status| status != "new")
        {
            return false;
        }
        self.matches(record, pid_records)
    }

    /// Whether this rule needs whole groups (it counts records per pid).
    #[must_use]
    pub fn counts_per_pid(&self) -> bool {
        self.connections_gt.is_some()
    }
}

/// The rules that fire for each record of one group, as indices into `rules`.
#[must_use]
pub fn evaluate_group(rules: &[Rule], group: &[RawRecord<'_>]) -> Vec<Vec<usize>> {
    let mut per_pid: HashMap<u64, u64> = HashMap::new();
    if rules.iter().any(Rule::counts_per_pid) {
        for pid in group.iter().filter_map(|r| r.u64(Key::Pid)) {
            *per_pid.entry(pid).or_default() += 1;
        }
    }
    group
        .iter()
        .map(|record| {
            let count = record
                .u64(Key::Pid)
                .and_then(|pid| per_pid.get(&pid).copied())
                .unwrap_or(1);
            rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| rule.fires(record, count))
                .map(|(index, _)| index)
                .collect()
        })
        .collect()
}

/// The group a record belongs to: its `seq`; records without one (a plain scan) are all
/// one group.
#[must_use]
pub fn group_key(record: &RawRecord<'_>) -> Option<u64> {
    record.u64(Key::Seq)
}

/// Writes `record`'s line with an `alerts` field naming `names` into `out` (cleared first).
///
/// The original text is kept and the field appended, so unknown fields survive; a record
/// that already has `alerts` (from an earlier alert stage) gets the field replaced.
pub fn annotate(record: &RawRecord<'_>, names: &[&str], out: &mut Vec<u8>) {
    out.clear();
    let list = serde_json::to_string(names).unwrap_or_else(|_| "[]".to_owned());
    if record.get(Key::Alerts).is_some()
        && let Ok(serde_json::Value::Object(mut object)) =
            serde_json::from_slice::<serde_json::Value>(record.line())
    {
        object.insert(
            "alerts".to_owned(),
            serde_json::Value::from(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()),
        );
        if serde_json::to_writer(&mut *out, &object).is_ok() {
            return;
        }
        out.clear();
    }
    let line = record.line().trim_ascii();
    // A validated record is one object: it ends with `}`.
    let body = line.strip_suffix(b"}").unwrap_or(line);
    out.extend_from_slice(body);
    if body.trim_ascii_end() != b"{" {
        out.push(b',');
    }
    out.extend_from_slice(b"\"alerts\":");
    out.extend_from_slice(list.as_bytes());
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Located;

    fn record(line: &str) -> RawRecord<'_> {
        RawRecord::parse(line.as_bytes()).expect("valid record")
    }

    fn rule(fields: &AlertRule) -> Rule {
        Rule::from_config(fields, None).expect("valid rule")
    }

    fn base(name: &str) -> AlertRule {
        AlertRule {
            name: name.to_owned(),
            action: None,
            port: None,
            process: None,
            state: None,
            connections_gt: None,
            when: None,
            at: (1, 1),
        }
    }

    const SSH: &str =
        r#"{"proto":"tcp","local_port":22,"state":"LISTEN","pid":7,"process":"sshd"}"#;
    const WEB: &str =
        r#"{"proto":"tcp","local_port":8080,"state":"ESTABLISHED","pid":9,"process":"Nginx"}"#;

    #[test]
    fn each_condition() {
        let port = rule(&AlertRule {
            port: Some(22),
            ..base("p")
        });
        assert!(port.matches(&record(SSH), 1));
        assert!(!port.matches(&record(WEB), 1));

        let process = rule(&AlertRule {
            process: Some("NGIN".into()),
            ..base("n")
        });
        assert!(
            process.matches(&record(WEB), 1),
            "case-insensitive substring"
        );
        assert!(!process.matches(&record(SSH), 1));
        assert!(
            !process.matches(&record(r#"{"local_port":1}"#), 1),
            "no process"
        );

        let state = rule(&AlertRule {
            state: Some(State::Listen),
            ..base("s")
        });
        assert!(state.matches(&record(SSH), 1));
        assert!(!state.matches(&record(WEB), 1));

        let busy = rule(&AlertRule {
            connections_gt: Some(2),
            ..base("c")
        });
        assert!(!busy.matches(&record(WEB), 2));
        assert!(busy.matches(&record(WEB), 3));
        assert!(!busy.matches(&record(r#"{"local_port":1}"#), 9), "no pid");

        let when = Rule::from_expression("w", "highlight", "port>=1024 and state=established")
            .expect("valid");
        assert!(when.matches(&record(WEB), 1));
        assert!(!when.matches(&record(SSH), 1));
    }

    #[test]
    fn conditions_combine_with_and() {
        let both = rule(&AlertRule {
            port: Some(22),
            process: Some("python".into()),
            ..base("both")
        });
        assert!(
            !both.matches(&record(SSH), 1),
            "port holds, process does not"
        );
        let empty = rule(&base("everything"));
        assert!(
            empty.matches(&record(SSH), 1),
            "no conditions: every record"
        );
    }

    #[test]
    fn bells_ring_only_for_new_sockets() {
        let bell = Rule::from_expression("b", "bell", "port=22").expect("valid");
        let highlight = Rule::from_expression("h", "whatever", "port=22").expect("valid");
        assert_eq!(
            highlight.action,
            Action::Highlight,
            "unknown action: highlight"
        );
        let with = |status: &str| SSH.replace('}', &format!(r#","status":"{status}"}}"#));
        for (line, rings) in [
            (SSH.to_owned(), true),
            (with("new"), true),
            (with("unchanged"), false),
            (with("gone"), false),
        ] {
            assert_eq!(bell.fires(&record(&line), 1), rings, "{line}");
            assert!(highlight.fires(&record(&line), 1), "{line}");
        }
    }

    #[test]
    fn connections_are_counted_per_pid_within_a_group() {
        let busy = rule(&AlertRule {
            connections_gt: Some(1),
            ..base("busy")
        });
        let rules = [busy];
        let lines = [WEB, WEB, SSH];
        let group: Vec<RawRecord<'_>> = lines.iter().map(|l| record(l)).collect();
        let fired = evaluate_group(&rules, &group);
        assert_eq!(fired, [vec![0], vec![0], vec![]]);
        // The same records split over two scans: one each, nothing fires.
        let first = evaluate_group(&rules, &group[..1]);
        let second = evaluate_group(&rules, &group[1..]);
        assert_eq!((first, second), (vec![vec![]], vec![vec![], vec![]]));
        assert!(evaluate_group(&rules, &[]).is_empty(), "empty input");
        assert!(
            evaluate_group(&[], &group).iter().all(Vec::is_empty),
            "no rules"
        );
    }

    #[test]
    fn bad_rules_name_the_rule_and_the_place() {
        let error = Rule::from_expression("ssh", "bell", "port=").expect_err("bad");
        assert_eq!(error.rule, "ssh");
        assert!(
            error.to_string().starts_with("rule 'ssh': --when column"),
            "{error}"
        );

        let bad_when = AlertRule {
            when: Some(Located {
                value: "port>>22".into(),
                line: 4,
                column: 8,
            }),
            ..base("web")
        };
        let error =
            Rule::from_config(&bad_when, Some(Path::new("/etc/prt.toml"))).expect_err("bad");
        assert!(
            error
                .to_string()
                .starts_with("rule 'web': /etc/prt.toml:4:"),
            "{error}"
        );
    }

    #[test]
    fn annotation_keeps_the_line_and_adds_alerts() {
        let mut out = Vec::new();
        let line = r#"{"local_port":22,"extra":{"x":1}}"#;
        annotate(&record(line), &["ssh", "a\"b"], &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"local_port":22,"extra":{"x":1},"alerts":["ssh","a\"b"]}"#
        );
        annotate(&record("{}"), &[], &mut out);
        assert_eq!(String::from_utf8_lossy(&out), r#"{"alerts":[]}"#);
        annotate(
            &record(r#"{"alerts":["old"],"local_port":1}"#),
            &["new"],
            &mut out,
        );
        let value: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(value["alerts"], serde_json::json!(["new"]));
        assert_eq!(value["local_port"], 1);
    }
}
