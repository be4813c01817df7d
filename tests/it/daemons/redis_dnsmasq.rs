//! redis-server (root, one process) and dnsmasq (binds port 53 as root, then runs as nobody).

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use super::*;

const REDIS_PORT: u16 = 6379;
const DNS_PORT: u16 = 53;

/// Both daemons running in one namespace of the test's.
struct Running {
    _dir: tempfile::TempDir,
    redis: Daemon,
    dnsmasq: Daemon,
    ns: Ns,
}

fn start(redis: &Path, dnsmasq: &Path) -> Running {
    let ns = Ns::create();
    let dir = temp_dir();
    let mut redis = Daemon::spawn(
        "redis-server",
        ns.command(redis)
            .args([
                "--port",
                &REDIS_PORT.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "no",
                "--logfile",
                "",
                "--dir",
            ])
            .arg(dir.path())
            .stdout(Stdio::null()),
    );
    let mut dnsmasq = Daemon::spawn(
        "dnsmasq",
        ns.command(dnsmasq)
            .args([
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                &format!("--port={DNS_PORT}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--user=nobody",
                "--log-facility=-",
            ])
            .arg(format!(
                "--pid-file={}",
                dir.path().join("dnsmasq.pid").display()
            ))
            .stderr(Stdio::null()),
    );
    wait_for(
        "redis and dnsmasq to listen",
        Duration::from_secs(10),
        || {
            redis.assert_running();
            dnsmasq.assert_running();
            ns.tcp_listening(REDIS_PORT)
                && ns.tcp_listening(DNS_PORT)
                && ns
                    .ss(&["-lun", &format!("sport = :{DNS_PORT}")])
                    .lines()
                    .count()
                    == 1
                && process_uid(dnsmasq.pid()) == Some(65534)
        },
    );
    Running {
        _dir: dir,
        redis,
        dnsmasq,
        ns,
    }
}

/// A process's effective uid, from /proc/PID/status.
fn process_uid(pid: u32) -> Option<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What every record of these daemons must say, whichever backend.
fn check(records: &[Value], running: &Running, backend: &str) {
    let redis = listener(records, "tcp", REDIS_PORT);
    assert_eq!(redis["pid"], running.redis.pid(), "{backend}: {redis}");
    assert_eq!(redis["process"], "redis-server", "{backend}: {redis}");
    assert_eq!(redis["uid"], 0, "{backend}: {redis}");
    assert_eq!(redis["user"], "root", "{backend}: {redis}");
    assert_eq!(redis["local_addr"], "127.0.0.1", "{backend}: {redis}");
    assert_eq!(
        redis["suspicious"],
        serde_json::json!([]),
        "{backend}: {redis}"
    );
    for proto in ["tcp", "udp"] {
        let dns = listener(records, proto, DNS_PORT);
        assert_eq!(dns["pid"], running.dnsmasq.pid(), "{backend}: {dns}");
        assert_eq!(dns["process"], "dnsmasq", "{backend}: {dns}");
        assert_eq!(
            dns["uid"], 0,
            "{backend}: the socket's owner (bound as root), not the process's user now: {dns}"
        );
        assert_eq!(dns["user"], "root", "{backend}: {dns}");
        assert_eq!(
            dns["suspicious"],
            serde_json::json!([]),
            "{backend}: not non_root_privileged, the socket is root's: {dns}"
        );
        assert!(
            dns["service"].is_string(),
            "{backend}: port 53 is known: {dns}"
        );
    }
}

/// redis-server and dnsmasq as Debian ships them, run by hand: each socket names the
/// right process and pid; dnsmasq binds port 53 as root and then runs as nobody, and its
/// sockets still belong to root (the socket's uid, not the process's current user), so
/// they are not `non_root_privileged`; nothing is flagged.
#[test]
fn redis_and_dnsmasq_are_named_and_not_flagged() {
    // See: issue 14
    let (redis, dnsmasq) = crate::need!("redis-server", "dnsmasq");
    let running = start(&redis, &dnsmasq);
    let records = running.ns.scan(&[]);
    check(&records, &running, "netlink");
    let proc = running.ns.scan(&["--backend", "proc"]);
    check(&proc, &running, "proc");
}

/// The same through `--backend lsof`: lsof prints the process's user, but the record's
/// `uid` is the socket's, so dnsmasq's sockets are root's there too.
#[test]
fn redis_and_dnsmasq_through_lsof_name_the_socket_owner() {
    // See: issue 14
    let (redis, dnsmasq, _lsof) = crate::need!("redis-server", "dnsmasq", "lsof");
    let running = start(&redis, &dnsmasq);
    let records = running.ns.scan(&["--backend", "lsof"]);
    check(&records, &running, "lsof");
}
