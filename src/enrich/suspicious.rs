//! Reasons a socket looks suspicious, as snake_case codes in the record's `suspicious`.
//!
//! Each rule must catch something real with few false alarms:
//! - `non_root_privileged`: ports below 1024 need root or CAP_NET_BIND_SERVICE; an ordinary
//!   user's process holding one was given that power on purpose or got it some other way.
//! - `script_on_sensitive`: real sshd, web and mail servers are compiled daemons; a Python
//!   or shell process listening on 22, 80 or 443 is how a quick backdoor looks.
//! - `root_high_port_outgoing`: a root process connected out from an ephemeral port to a
//!   non-loopback high port is the shape of a reverse shell or a beacon; root daemons talk
//!   to well-known low ports. Inbound connections (local port below the ephemeral range,
//!   i.e. accepted by a listener) are not outgoing.
//! - `proxy_listening`: a SOCKS or HTTP proxy port open on a machine that is not meant to
//!   be a proxy is how traffic gets tunnelled through it.

use std::net::IpAddr;

use crate::model::State;

/// Ports where a script interpreter listening is suspicious.
pub const SENSITIVE_PORTS: &[u16] = &[
    21, 22, 23, 25, 53, 80, 110, 143, 443, 445, 993, 995, 3306, 5432,
];
/// SOCKS and proxy ports.
pub const PROXY_PORTS: &[u16] = &[1080, 1081, 3128, 9050, 9150];
/// Process names of script interpreters.
pub const INTERPRETERS: &[&str] = &[
    "python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "bash", "sh", "dash",
    "zsh", "ksh", "lua", "tclsh", "pwsh",
];
/// Start of Linux's default ephemeral port range (`net.ipv4.ip_local_port_range`).
const EPHEMERAL_START: u16 = 32768;

/// The fields the rules look at.
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
}

/// The reason codes that apply to a socket, in a fixed order.
#[must_use]
pub fn suspicious_reasons(facts: &SocketFacts<'_>) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    let listening = facts.state.is_some_and(State::is_listening);
    let port = facts.local_port.unwrap_or(0);
    if listening && port != 0 && port < 1024 && facts.uid.is_some_and(|uid| uid != 0) {
        reasons.push("non_root_privileged");
    }
    if listening && SENSITIVE_PORTS.contains(&port) && facts.process.is_some_and(is_interpreter) {
        reasons.push("script_on_sensitive");
    }
    let outgoing = facts.state == Some(State::Established) && port >= EPHEMERAL_START;
    let remote_far = facts
        .remote_addr
        .is_some_and(|ip| !ip.is_loopback() && !ip.is_unspecified());
    if outgoing
        && facts.uid == Some(0)
        && remote_far
        && facts.remote_port.is_some_and(|p| p >= 1024)
    {
        reasons.push("root_high_port_outgoing");
    }
    if listening && PROXY_PORTS.contains(&port) {
        reasons.push("proxy_listening");
    }
    reasons
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

    #[test]
    fn each_rule() {
        assert_eq!(
            suspicious_reasons(&listening(80, 1000, "nginx")),
            ["non_root_privileged"]
        );
        assert_eq!(
            suspicious_reasons(&listening(80, 0, "nginx")),
            Vec::<&str>::new()
        );
        assert_eq!(
            suspicious_reasons(&listening(22, 0, "python3.11")),
            ["script_on_sensitive"]
        );
        assert_eq!(
            suspicious_reasons(&listening(9050, 0, "tor")),
            ["proxy_listening"]
        );
        let beacon = SocketFacts {
            state: Some(State::Established),
            local_port: Some(45000),
            remote_addr: "203.0.113.9".parse().ok(),
            remote_port: Some(4444),
            uid: Some(0),
            process: Some("cron"),
        };
        assert_eq!(suspicious_reasons(&beacon), ["root_high_port_outgoing"]);
        let inbound = SocketFacts {
            local_port: Some(22),
            ..beacon
        };
        assert!(
            suspicious_reasons(&inbound).is_empty(),
            "accepted by sshd: inbound"
        );
        let local = SocketFacts {
            remote_addr: "127.0.0.1".parse().ok(),
            ..beacon
        };
        assert!(suspicious_reasons(&local).is_empty());
    }
}
