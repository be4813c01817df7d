//! Reasons a socket looks suspicious, as snake_case codes in the record's `suspicious`.
//!
//! Each rule must catch something real with few false alarms:
//! - `non_root_privileged`: ports below 1024 need root or CAP_NET_BIND_SERVICE; an ordinary
//!   user's process listening on one got that power some unusual way (a lowered
//!   `ip_unprivileged_port_start`, a leaked socket). A process that holds
//!   CAP_NET_BIND_SERVICE was given it on purpose by root (systemd-resolved, chronyd run
//!   that way) and is not reported.
//! - `script_on_sensitive`: real sshd, web and mail servers are compiled daemons; a Python
//!   or shell process listening on 22, 80 or 443 is how a quick backdoor looks. The
//!   executable is checked as well as the name, since a script started by its shebang
//!   carries the script's name. A netcat or socat relay there counts the same.
//! - `root_high_port_outgoing`: a root process connected out to a non-loopback high port is
//!   the shape of a reverse shell or a beacon; root daemons talk to well-known ports. A
//!   connection on a local address and port something listens on was accepted, not made
//!   (sshd's per-session process does not hold the :22 listener), and is not
//!   outgoing; so is one to a port with a known service name (a backup job to
//!   PostgreSQL, the kubelet to the API server), which is what root daemons legitimately do.
//! - `proxy_listening`: a SOCKS or HTTP proxy port open on a machine that is not meant to
//!   be a proxy is how traffic gets tunnelled through it.
//! - `deleted_executable`: a process whose executable was deleted and nothing put back at
//!   its path — malware deletes itself after starting. A package upgrade also leaves
//!   running daemons on a deleted file, but puts the new file at the same path, so those
//!   are not reported.
//! - `exe_in_temp`: nothing installed runs from /tmp, /var/tmp or /dev/shm; droppers do.

use std::net::IpAddr;

use crate::config::SuspiciousSettings;
use crate::model::{State, reasons};

/// Ports where a script interpreter listening is suspicious, unless configured otherwise.
pub const SENSITIVE_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 80, 110, 143, 443, 445, 465, 587, 993, 995, 3306, 3389, 5432,
];
/// SOCKS and proxy ports.
pub const PROXY_PORTS: &[u16] = &[1080, 1081, 3128, 9050, 9150];
/// Process names of script interpreters (and the netcat/socat relays that serve as them).
pub const INTERPRETERS: &[&str] = &[
    "python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "php-fpm", "bash",
    "sh", "dash", "zsh", "ksh", "mksh", "fish", "busybox", "lua", "luajit", "tclsh", "wish",
    "pwsh", "deno", "bun", "nc", "ncat", "netcat", "socat",
];
/// Directories nothing installed runs from.
const TEMP_DIRS: &[&str] = &["/tmp/", "/var/tmp/", "/dev/shm/"];
/// Start of Linux's default ephemeral port range (`net.ipv4.ip_local_port_range`).
const EPHEMERAL_START: u16 = 32768;

/// What the rules look at: the record's fields, and what is known of its process.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocketFacts<'a> {
    /// Socket state.
    pub state: Option<State>,
    /// Local port.
    pub local_port: Option<u16>,
    /// Peer address.
    pub remote_addr: Option<IpAddr>,
    /// Peer port.
    pub remote_port: Option<u16>,
    /// Owner uid.
    pub uid: Option<u32>,
    /// Process name.
    pub process: Option<&'a str>,
    /// The process's executable (without the kernel's ` (deleted)` mark), when known.
    pub exe: Option<&'a str>,
    /// The executable was deleted and no file is at its path now.
    pub exe_deleted: bool,
    /// The process holds CAP_NET_BIND_SERVICE.
    pub may_bind_privileged: bool,
    /// Whether something listens on this socket's local address and port (in its
    /// namespace, whoever holds the listener): `Some(true)` makes a connection inbound.
    /// `None` when not known (a record from elsewhere).
    pub local_port_listened: Option<bool>,
    /// Whether the remote port has a well-known service name.
    pub remote_port_named: bool,
}

/// The rules with their settings: which run, and their port lists.
#[derive(Debug, Clone)]
pub struct Rules {
    disabled: Vec<String>,
    sensitive_ports: Vec<u16>,
    proxy_ports: Vec<u16>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new(&SuspiciousSettings::default())
    }
}

impl Rules {
    /// The built-in rules, less the disabled ones, with the configured ports added.
    #[must_use]
    pub fn new(settings: &SuspiciousSettings) -> Rules {
        let mut sensitive_ports = SENSITIVE_PORTS.to_vec();
        sensitive_ports.extend(&settings.sensitive_ports);
        let mut proxy_ports = PROXY_PORTS.to_vec();
        proxy_ports.extend(&settings.proxy_ports);
        Rules {
            disabled: settings.disable.clone(),
            sensitive_ports,
            proxy_ports,
        }
    }

    /// The reason codes that apply to a socket, in a fixed order.
    #[must_use]
    pub fn reasons(&self, facts: &SocketFacts<'_>) -> Vec<&'static str> {
        let listening = facts.state.is_some_and(State::is_listening);
        let port = facts.local_port.unwrap_or(0);
        let candidates = [
            (
                reasons::NON_ROOT_PRIVILEGED,
                listening
                    && port != 0
                    && port < 1024
                    && facts.uid.is_some_and(|uid| uid != 0)
                    && !facts.may_bind_privileged,
            ),
            (
                reasons::SCRIPT_ON_SENSITIVE,
                listening
                    && self.sensitive_ports.contains(&port)
                    && (facts.process.is_some_and(is_interpreter)
                        || facts.exe.and_then(file_name).is_some_and(is_interpreter)),
            ),
            (
                reasons::ROOT_HIGH_PORT_OUTGOING,
                outgoing_to_high_port(facts),
            ),
            (
                reasons::PROXY_LISTENING,
                listening && self.proxy_ports.contains(&port),
            ),
            (reasons::DELETED_EXECUTABLE, facts.exe_deleted),
            (
                reasons::EXE_IN_TEMP,
                facts
                    .exe
                    .is_some_and(|exe| TEMP_DIRS.iter().any(|dir| exe.starts_with(dir))),
            ),
        ];
        candidates
            .into_iter()
            .filter(|&(code, applies)| applies && !self.disabled.iter().any(|d| d == code))
            .map(|(code, _)| code)
            .collect()
    }
}

/// The rules with their built-in settings, for records that arrive without `suspicious`.
#[must_use]
pub fn suspicious_reasons(facts: &SocketFacts<'_>) -> Vec<&'static str> {
    Rules::default().reasons(facts)
}

fn outgoing_to_high_port(facts: &SocketFacts<'_>) -> bool {
    let port = facts.local_port.unwrap_or(0);
    // Without knowing what the process listens on, an ephemeral local port is the sign of
    // a connection this side opened.
    let outgoing = facts.state == Some(State::Established)
        && facts
            .local_port_listened
            .map_or(port >= EPHEMERAL_START, |listened| !listened);
    // `::ffff:127.0.0.1` on an AF_INET6 socket (Java's default) is IPv4 loopback.
    let remote_far = facts.remote_addr.is_some_and(|ip| {
        let ip = ip.to_canonical();
        !ip.is_loopback() && !ip.is_unspecified()
    });
    outgoing
        && facts.uid == Some(0)
        && remote_far
        && facts.remote_port.is_some_and(|p| p >= 1024)
        && !facts.remote_port_named
}

fn file_name(path: &str) -> Option<&str> {
    path.rsplit('/').next().filter(|name| !name.is_empty())
}

/// `python3.11`, `perl5.36` and the like count as their interpreter.
fn is_interpreter(process: &str) -> bool {
    let base = process.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    INTERPRETERS.contains(&process) || INTERPRETERS.contains(&base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening(port: u16, uid: u32, process: &str) -> SocketFacts<'_> {
        SocketFacts {
            state: Some(State::Listen),
            local_port: Some(port),
            uid: Some(uid),
            process: Some(process),
            ..SocketFacts::default()
        }
    }

    fn beacon() -> SocketFacts<'static> {
        SocketFacts {
            state: Some(State::Established),
            local_port: Some(45000),
            remote_addr: "203.0.113.9".parse().ok(),
            remote_port: Some(4444),
            uid: Some(0),
            process: Some("cron"),
            ..SocketFacts::default()
        }
    }

    const NONE: [&str; 0] = [];

    #[test]
    fn non_root_privileged() {
        let rules = Rules::default();
        assert_eq!(
            rules.reasons(&listening(80, 1000, "nginx")),
            ["non_root_privileged"]
        );
        assert_eq!(rules.reasons(&listening(80, 0, "nginx")), NONE);
        assert_eq!(rules.reasons(&listening(8080, 1000, "nginx")), NONE);
        let granted = SocketFacts {
            may_bind_privileged: true,
            ..listening(53, 101, "systemd-resolve")
        };
        assert_eq!(
            rules.reasons(&granted),
            NONE,
            "given the capability by root"
        );
        let connected = SocketFacts {
            state: Some(State::Established),
            ..listening(80, 1000, "nginx")
        };
        assert_eq!(rules.reasons(&connected), NONE, "only listeners");
    }

    #[test]
    fn script_on_sensitive() {
        let rules = Rules::default();
        assert_eq!(
            rules.reasons(&listening(22, 0, "python3.11")),
            ["script_on_sensitive"]
        );
        assert_eq!(
            rules.reasons(&listening(443, 0, "socat")),
            ["script_on_sensitive"]
        );
        let by_shebang = SocketFacts {
            exe: Some("/usr/bin/perl5.36"),
            ..listening(80, 0, "serve.pl")
        };
        assert_eq!(rules.reasons(&by_shebang), ["script_on_sensitive"]);
        assert_eq!(rules.reasons(&listening(22, 0, "sshd")), NONE);
        assert_eq!(rules.reasons(&listening(8000, 0, "python3")), NONE);
        let configured = Rules::new(&SuspiciousSettings {
            sensitive_ports: vec![8000],
            ..SuspiciousSettings::default()
        });
        assert_eq!(
            configured.reasons(&listening(8000, 0, "python3")),
            ["script_on_sensitive"]
        );
    }

    // See: issue 14 — a root client on AF_INET6 to ::ffff:127.0.0.1 was flagged.
    #[test]
    fn v4_mapped_loopback_is_loopback() {
        let rules = Rules::default();
        for remote in ["::ffff:127.0.0.1", "127.0.0.1", "::1", "::ffff:0.0.0.0"] {
            let local = SocketFacts {
                remote_addr: remote.parse().ok(),
                ..beacon()
            };
            assert_eq!(rules.reasons(&local), NONE, "{remote}");
        }
        let far = SocketFacts {
            remote_addr: "::ffff:203.0.113.9".parse().ok(),
            ..beacon()
        };
        assert_eq!(rules.reasons(&far), ["root_high_port_outgoing"]);
    }

    #[test]
    fn root_high_port_outgoing() {
        let rules = Rules::default();
        assert_eq!(rules.reasons(&beacon()), ["root_high_port_outgoing"]);
        let accepted = SocketFacts {
            local_port_listened: Some(true),
            ..beacon()
        };
        assert_eq!(
            rules.reasons(&accepted),
            NONE,
            "inbound: its process listens"
        );
        let inbound_low = SocketFacts {
            local_port: Some(22),
            ..beacon()
        };
        assert_eq!(
            rules.reasons(&inbound_low),
            NONE,
            "no facts: ephemeral rule"
        );
        let from_low_port = SocketFacts {
            local_port: Some(700),
            local_port_listened: Some(false),
            ..beacon()
        };
        assert_eq!(
            rules.reasons(&from_low_port),
            ["root_high_port_outgoing"],
            "outgoing from a port nobody listens on"
        );
        for harmless in [
            SocketFacts {
                remote_addr: "127.0.0.1".parse().ok(),
                ..beacon()
            },
            SocketFacts {
                remote_port: Some(443),
                ..beacon()
            },
            SocketFacts {
                uid: Some(1000),
                ..beacon()
            },
            SocketFacts {
                remote_port_named: true,
                ..beacon()
            },
            SocketFacts {
                state: Some(State::TimeWait),
                ..beacon()
            },
        ] {
            assert_eq!(rules.reasons(&harmless), NONE, "{harmless:?}");
        }
    }

    #[test]
    fn proxy_listening() {
        let rules = Rules::default();
        assert_eq!(
            rules.reasons(&listening(9050, 0, "tor")),
            ["proxy_listening"]
        );
        assert_eq!(rules.reasons(&listening(9051, 0, "tor")), NONE);
        let configured = Rules::new(&SuspiciousSettings {
            proxy_ports: vec![8888],
            ..SuspiciousSettings::default()
        });
        assert_eq!(
            configured.reasons(&listening(8888, 0, "tinyproxy")),
            ["proxy_listening"]
        );
    }

    #[test]
    fn executables() {
        let rules = Rules::default();
        let dropped = SocketFacts {
            exe: Some("/dev/shm/x"),
            exe_deleted: true,
            ..beacon()
        };
        assert_eq!(
            rules.reasons(&dropped),
            [
                "root_high_port_outgoing",
                "deleted_executable",
                "exe_in_temp"
            ]
        );
        let installed = SocketFacts {
            exe: Some("/usr/sbin/sshd"),
            ..listening(22, 0, "sshd")
        };
        assert_eq!(rules.reasons(&installed), NONE);
        let tmp_named = SocketFacts {
            exe: Some("/tmpfiles/bin/daemon"),
            ..listening(5000, 0, "daemon")
        };
        assert_eq!(
            rules.reasons(&tmp_named),
            NONE,
            "only the directories themselves"
        );
    }

    #[test]
    fn disabled_rules_are_not_reported() {
        let rules = Rules::new(&SuspiciousSettings {
            disable: vec!["proxy_listening".into(), "exe_in_temp".into()],
            ..SuspiciousSettings::default()
        });
        assert_eq!(rules.reasons(&listening(1080, 0, "ssh")), NONE);
        let temp = SocketFacts {
            exe: Some("/tmp/a"),
            exe_deleted: true,
            ..listening(5000, 0, "a")
        };
        assert_eq!(rules.reasons(&temp), ["deleted_executable"]);
    }

    #[test]
    fn every_code_is_in_the_list_of_codes() {
        let all = SocketFacts {
            state: Some(State::Listen),
            local_port: Some(22),
            uid: Some(1000),
            process: Some("bash"),
            exe: Some("/tmp/bash"),
            exe_deleted: true,
            ..SocketFacts::default()
        };
        for code in Rules::default().reasons(&all) {
            assert!(reasons::ALL.contains(&code), "{code}");
        }
    }
}
