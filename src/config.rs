//! The configuration file: known port names, alert rules, suspicious-socket settings and
//! defaults for the flags, read from TOML.
//!
//! ```toml
//! interval = "2s"          # prt watch's --interval
//! format = "table"         # on a terminal: table | ndjson | json | csv
//! color = "auto"           # auto | always | never
//! lang = "en"              # en | ru | zh
//!
//! [known_ports]
//! 9090 = "prometheus"
//! "5353/udp" = "mdns"
//!
//! [suspicious]
//! disable = ["proxy_listening"]
//! sensitive_ports = [8443]
//! proxy_ports = [8888]
//!
//! [[alerts]]
//! name = "ssh opened"
//! when = "port=22 and state=listen"
//! action = "bell"
//! ```
//!
//! Where the file is looked for is the binary's business (`--config`, `$PRT_CONFIG`, the
//! XDG directory); this module parses text and names the file, line and column of anything
//! it cannot take. Unknown keys are errors too: a misspelt setting silently ignored is a
//! setting that does not work.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::i18n::{self, Lang, Msg};
use crate::model::{Proto, State, reasons};
use crate::output::Format;

/// A parsed configuration file. Every part is optional; the default is an empty file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Where it was read from; `None` when no file was read.
    pub path: Option<PathBuf>,
    /// Default `--interval` for `prt watch`.
    pub interval: Option<Duration>,
    /// Default `--format` on a terminal; a pipe gets NDJSON unless `--format` says else.
    pub format: Option<Format>,
    /// Default `--color`.
    pub color: Option<ColorChoice>,
    /// Default `--lang`.
    pub lang: Option<Lang>,
    /// `[known_ports]`: port names that override or extend the built-in table.
    pub known_ports: Vec<PortName>,
    /// `[suspicious]`.
    pub suspicious: SuspiciousSettings,
    /// `[[alerts]]`, in file order.
    pub alerts: Vec<AlertRule>,
}

/// When to colour: `--color` and the configuration's `color` (one enum for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ColorChoice {
    /// Colour when writing a table to a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always colour (also CLICOLOR_FORCE=1).
    Always,
    /// Never colour.
    Never,
}

/// One `[known_ports]` entry: `9090 = "prometheus"` or `"5353/udp" = "mdns"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortName {
    /// The port.
    pub port: u16,
    /// The protocol it applies to; `None` for both.
    pub proto: Option<Proto>,
    /// The service name.
    pub name: String,
}

/// `[suspicious]`: which heuristics run, and the port lists they use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuspiciousSettings {
    /// Reason codes not to report.
    pub disable: Vec<String>,
    /// Ports added to the list where a script interpreter listening is suspicious.
    pub sensitive_ports: Vec<u16>,
    /// Ports added to the SOCKS/proxy list.
    pub proxy_ports: Vec<u16>,
}

/// One `[[alerts]]` rule as written: the alert stage gives it meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    /// The rule's name, reported in the `alerts` field.
    pub name: String,
    /// `bell` or `highlight`; anything else is taken as `highlight` by the alert stage.
    pub action: Option<String>,
    /// The local port must be this.
    pub port: Option<u16>,
    /// The process name must contain this (case-insensitively).
    pub process: Option<String>,
    /// The state must be this.
    pub state: Option<State>,
    /// The process must hold more than this many sockets in the scan.
    pub connections_gt: Option<u64>,
    /// A filter expression that must match, with where it sits in the file.
    pub when: Option<Located<String>>,
    /// Where the rule's table starts in the file: line and column, 1-based.
    pub at: (usize, usize),
}

/// A value with its 1-based line and column in the file, so later stages can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based, in characters.
    pub column: usize,
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key or a bad value.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads and parses `path`. `Ok(None)` when the file does not exist (a missing
    /// configuration is normal); any other failure is an error.
    pub fn load(path: &Path) -> Result<Option<Config>, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses `text`, naming `path` in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let invalid = |span: Option<Range<usize>>, message: String| {
            let (line, column) = line_column(text, span.map_or(0, |s| s.start));
            Error::Invalid {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        };
        let file: File =
            toml::from_str(text).map_err(|e| invalid(e.span(), e.message().to_owned()))?;
        let mut config = Config {
            path: Some(path.to_owned()),
            ..Config::default()
        };
        if let Some(interval) = file.interval {
            let parsed = crate::duration::parse(interval.get_ref())
                .map_err(|message| invalid(Some(interval.span()), message))?;
            config.interval = Some(parsed);
        }
        config.format = file.format;
        config.color = file.color;
        config.lang = file.lang;
        for (key, name) in file.known_ports.0 {
            let (port, proto) = parse_port_key(key.get_ref())
                .map_err(|message| invalid(Some(key.span()), message))?;
            if name.get_ref().trim().is_empty() {
                return Err(invalid(
                    Some(name.span()),
                    i18n::tr(Msg::CfgEmptyService).to_owned(),
                ));
            }
            config.known_ports.push(PortName {
                port,
                proto,
                name: name.into_inner(),
            });
        }
        if let Some(suspicious) = file.suspicious {
            for code in &suspicious.disable {
                if !reasons::ALL.contains(&code.get_ref().as_str()) {
                    return Err(invalid(
                        Some(code.span()),
                        i18n::trf(
                            Msg::UnknownReason,
                            &[code.get_ref(), &reasons::ALL.join(", ")],
                        ),
                    ));
                }
            }
            config.suspicious = SuspiciousSettings {
                disable: suspicious
                    .disable
                    .into_iter()
                    .map(toml::Spanned::into_inner)
                    .collect(),
                sensitive_ports: suspicious.sensitive_ports,
                proxy_ports: suspicious.proxy_ports,
            };
        }
        for rule in file.alerts {
            let at = line_column(text, rule.span().start);
            let rule = rule.into_inner();
            let when = rule.when.map(|when| {
                let (line, column) = line_column(text, when.span().start);
                Located {
                    value: when.into_inner(),
                    line,
                    column,
                }
            });
            config.alerts.push(AlertRule {
                name: rule.name,
                action: rule.action,
                port: rule.port,
                process: rule.process,
                state: rule.state.map(|state| state.0),
                connections_gt: rule.connections_gt,
                when,
                at,
            });
        }
        Ok(config)
    }
}

/// `"9090"` or `"5353/udp"`.
fn parse_port_key(key: &str) -> Result<(u16, Option<Proto>), String> {
    let (port, proto) = match key.split_once('/') {
        Some((port, proto)) => (port, Some(proto)),
        None => (key, None),
    };
    let port = port
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|&port| port != 0)
        .ok_or_else(|| i18n::trf(Msg::CfgPort, &[&key]))?;
    let proto = match proto.map(|p| p.trim().to_ascii_lowercase()) {
        None => None,
        Some(p) if p == "tcp" => Some(Proto::Tcp),
        Some(p) if p == "udp" => Some(Proto::Udp),
        Some(p) => return Err(i18n::trf(Msg::CfgProto, &[&p, &key])),
    };
    Ok((port, proto))
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// The file as TOML gives it, before values are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    interval: Option<toml::Spanned<String>>,
    format: Option<Format>,
    color: Option<ColorChoice>,
    lang: Option<Lang>,
    #[serde(default)]
    known_ports: KnownPortsFile,
    suspicious: Option<SuspiciousFile>,
    #[serde(default)]
    alerts: Vec<toml::Spanned<AlertFile>>,
}

/// `[known_ports]` in file order, keys with their positions (a map type would lose both).
#[derive(Debug, Default)]
struct KnownPortsFile(Vec<(toml::Spanned<String>, toml::Spanned<String>)>);

impl<'de> Deserialize<'de> for KnownPortsFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> de::Visitor<'de> for Entries {
            type Value = KnownPortsFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of port = \"name\" entries")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(KnownPortsFile(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuspiciousFile {
    #[serde(default)]
    disable: Vec<toml::Spanned<String>>,
    #[serde(default)]
    sensitive_ports: Vec<u16>,
    #[serde(default)]
    proxy_ports: Vec<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertFile {
    name: String,
    action: Option<String>,
    port: Option<u16>,
    process: Option<String>,
    state: Option<StateValue>,
    connections_gt: Option<u64>,
    when: Option<toml::Spanned<String>>,
}

/// A state spelt as records or `ss` spell it; a bad one is an error at its position.
#[derive(Debug)]
struct StateValue(State);

impl<'de> Deserialize<'de> for StateValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map(StateValue).map_err(|_| {
            de::Error::custom(format!(
                "unknown state '{text}'; use LISTEN, ESTABLISHED, TIME_WAIT, ..."
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(text, Path::new("/etc/prt.toml"))
    }

    fn position(text: &str) -> (usize, usize, String) {
        match parse(text) {
            Err(Error::Invalid {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn a_full_file_parses() {
        let config = parse(
            r#"
interval = "500ms"
format = "csv"
color = "never"
lang = "ru"

[known_ports]
9090 = "prometheus"
"5353/udp" = "bonjour"

[suspicious]
disable = ["proxy_listening"]
sensitive_ports = [8443]
proxy_ports = [8888, 8889]

[[alerts]]
name = "ssh"
port = 22
state = "listen"
action = "bell"

[[alerts]]
name = "busy"
process = "Nginx"
connections_gt = 100
when = "state=established"
"#,
        )
        .expect("valid");
        assert_eq!(config.interval, Some(Duration::from_millis(500)));
        assert_eq!(config.format, Some(Format::Csv));
        assert_eq!(config.color, Some(ColorChoice::Never));
        assert_eq!(config.lang, Some(Lang::Ru));
        assert_eq!(
            config.known_ports,
            [
                PortName {
                    port: 9090,
                    proto: None,
                    name: "prometheus".into()
                },
                PortName {
                    port: 5353,
                    proto: Some(Proto::Udp),
                    name: "bonjour".into()
                }
            ]
        );
        assert_eq!(config.suspicious.disable, ["proxy_listening"]);
        assert_eq!(config.suspicious.proxy_ports, [8888, 8889]);
        assert_eq!(config.alerts.len(), 2);
        assert_eq!(config.alerts[0].state, Some(State::Listen));
        assert_eq!(config.alerts[0].at.0, 16);
        let when = config.alerts[1].when.as_ref().expect("when");
        assert_eq!((when.line, when.column), (26, 8));
        assert_eq!(when.value, "state=established");
    }

    #[test]
    fn an_empty_file_is_the_default() {
        let config = parse("").expect("valid");
        assert_eq!(config.alerts, []);
        assert_eq!(config.interval, None);
    }

    #[test]
    fn errors_name_line_and_column() {
        let (line, column, message) = position("interval = \"2s\"\ncolour = \"auto\"\n");
        assert_eq!((line, column), (2, 1));
        assert!(message.contains("unknown field `colour`"), "{message}");

        let (line, column, message) = position("interval = \"fast\"\n");
        assert_eq!((line, column), (1, 12));
        assert!(message.contains("not a duration"), "{message}");

        let (line, column, message) = position("[known_ports]\n\"80/sctp\" = \"http\"\n");
        assert_eq!((line, column), (2, 1));
        assert!(message.contains("unknown protocol 'sctp'"), "{message}");

        let (line, _, message) = position("[known_ports]\n70000 = \"x\"\n");
        assert_eq!(line, 2);
        assert!(message.contains("not a port"), "{message}");

        let (line, column, message) =
            position("[suspicious]\ndisable = [\"proxy_listening\", \"bogus\"]\n");
        assert_eq!((line, column), (2, 31));
        assert!(message.contains("unknown reason code 'bogus'"), "{message}");

        let (line, _, message) = position("[[alerts]]\nname = \"x\"\nstate = \"OPEN\"\n");
        assert_eq!(line, 3);
        assert!(message.contains("unknown state 'OPEN'"), "{message}");

        let (line, _, message) = position("[[alerts]]\nport = 22\n");
        assert!(line >= 1);
        assert!(message.contains("missing field `name`"), "{message}");

        let (line, column, _) = position("format = \"yaml\"\n");
        assert_eq!((line, column), (1, 10));

        let (line, _, _) = position("lang = \"en\"\n[suspicious\n");
        assert_eq!(line, 2);
    }

    #[test]
    fn a_missing_file_is_not_an_error_but_a_directory_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(
            Config::load(&dir.path().join("absent.toml"))
                .expect("missing is fine")
                .is_none()
        );
        assert!(matches!(Config::load(dir.path()), Err(Error::Read { .. })));
    }
}
