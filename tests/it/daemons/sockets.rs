//! Socket shapes real servers make: dual-stack listeners, v4-mapped clients, orphaned
//! FIN_WAIT2, sockets bound to a device, link-local addresses, accept backlogs. Made by
//! python3 scripts (the system's interpreter) inside namespaces of the test's.

use std::time::Duration;

use serde_json::Value;

use super::*;

/// Starts `script` with python3 in `ns` and returns it with the JSON it prints once set up.
fn python_in(ns: &Ns, dir: &Path, script: &str) -> (Daemon, Value) {
    let mut daemon = spawn_python(ns, dir, "sockets.py", script);
    let line = read_line(&mut daemon, Duration::from_secs(20));
    let value: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the script's set-up line {line:?}: {e}"));
    (daemon, value)
}

/// The record of the socket with `inode`; panics unless there is exactly one.
fn by_inode<'a>(records: &'a [Value], inode: &Value) -> &'a Value {
    let found: Vec<&Value> = records.iter().filter(|r| &r["inode"] == inode).collect();
    assert_eq!(
        found.len(),
        1,
        "one record with inode {inode}: {records:#?}"
    );
    found[0]
}

const DUAL_STACK: &str = r#"
import json, os, socket, time
L = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
L.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
L.bind(("::", 7000))
L.listen(8)
c4 = socket.create_connection(("127.0.0.1", 7000))
s4, _ = L.accept()
c6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
c6.connect(("::ffff:127.0.0.1", 7000))
s6, _ = L.accept()
ino = lambda s: os.fstat(s.fileno()).st_ino
print(json.dumps({"listener": ino(L), "c4": ino(c4), "s4": ino(s4), "c6": ino(c6), "s6": ino(s6)}))
time.sleep(120)
"#;

/// A dual-stack listener (`[::]:7000`, IPV6_V6ONLY off) with an IPv4 client, and a root
/// client on an AF_INET6 socket connected to `::ffff:127.0.0.1`: nothing is flagged (the
/// v4-mapped peer is loopback, and the accepted sockets are inbound); the accepted sockets
/// of the IPv4 client are spelled `::ffff:127.0.0.1` as ss spells them; and `--backend
/// lsof` spells every address of these sockets as the default backend does.
#[test]
fn dual_stack_and_v4_mapped_sockets_are_spelled_alike_and_not_flagged() {
    // See: issue 14
    let (_python, _lsof) = crate::need!("/usr/bin/python3", "lsof");
    let ns = Ns::create();
    let dir = temp_dir();
    let (script, inodes) = python_in(&ns, dir.path(), DUAL_STACK);
    let records = ns.scan(&["--tcp"]);

    let listener = by_inode(&records, &inodes["listener"]);
    assert_eq!(listener["local_addr"], "::", "{listener}");
    assert_eq!(listener["state"], "LISTEN", "{listener}");
    let c4 = by_inode(&records, &inodes["c4"]);
    assert_eq!(
        (&c4["local_addr"], &c4["remote_addr"], &c4["remote_port"]),
        (&"127.0.0.1".into(), &"127.0.0.1".into(), &7000.into()),
        "{c4}"
    );
    for side in ["s4", "s6", "c6"] {
        let record = by_inode(&records, &inodes[side]);
        assert_eq!(record["local_addr"], "::ffff:127.0.0.1", "{side}: {record}");
        assert_eq!(
            record["remote_addr"], "::ffff:127.0.0.1",
            "{side}: {record}"
        );
    }
    assert_eq!(by_inode(&records, &inodes["c6"])["remote_port"], 7000);
    for side in ["listener", "c4", "s4", "c6", "s6"] {
        let record = by_inode(&records, &inodes[side]);
        assert_eq!(record["pid"], script.pid(), "{side}: {record}");
        assert_eq!(record["uid"], 0, "{side}: {record}");
        assert_eq!(
            record["suspicious"],
            serde_json::json!([]),
            "{side}: {record}"
        );
    }
    // ss agrees on the mapped spelling.
    let ss = ns.ss(&["-tn", "state", "established"]);
    assert!(ss.contains("[::ffff:127.0.0.1]:7000"), "{ss}");

    let lsof = ns.scan(&["--tcp", "--backend", "lsof"]);
    for side in ["listener", "c4", "s4", "c6", "s6"] {
        let default = by_inode(&records, &inodes[side]);
        let other = by_inode(&lsof, &inodes[side]);
        for field in [
            "local_addr",
            "local_port",
            "remote_addr",
            "remote_port",
            "state",
            "pid",
            "uid",
            "suspicious",
        ] {
            assert_eq!(
                other[field], default[field],
                "{side} {field}: lsof {other} vs netlink {default}"
            );
        }
    }
}

const FIN_WAIT2: &str = r#"
import json, os, socket, time
L = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
L.bind(("127.0.0.1", 7100))
L.listen(8)
c = socket.create_connection(("127.0.0.1", 7100))
s, _ = L.accept()
client_port = c.getsockname()[1]
s.close()
time.sleep(0.3)
print(json.dumps({"client": os.fstat(c.fileno()).st_ino, "client_port": client_port}))
time.sleep(120)
"#;

/// A server that closes its end first while the client keeps its own open: the server's
/// socket goes FIN_WAIT2 and, with its fd closed, is orphaned — no process holds it and
/// the kernel keeps no inode for it. Its record says so: `inode: 0`, `uid`, `user` and
/// `pid` null, `pids` empty (the kernel reports uid 0 for it, which is not an owner). The
/// client's CLOSE_WAIT end is still the script's.
#[test]
fn an_orphaned_fin_wait2_has_no_owner() {
    // See: issue 14
    let _python = crate::need!("/usr/bin/python3");
    let ns = Ns::create();
    let dir = temp_dir();
    let (script, facts) = python_in(&ns, dir.path(), FIN_WAIT2);
    let ss = ns.ss(&["-tn", "state", "fin-wait-2"]);
    assert!(ss.contains("127.0.0.1:7100"), "ss sees the FIN_WAIT2: {ss}");

    let records = ns.scan(&["--tcp"]);
    let orphans: Vec<&Value> = records
        .iter()
        .filter(|r| r["state"] == "FIN_WAIT2" && r["local_port"] == 7100)
        .collect();
    assert_eq!(orphans.len(), 1, "{records:#?}");
    let orphan = orphans[0];
    assert_eq!(orphan["remote_port"], facts["client_port"], "{orphan}");
    assert_eq!(orphan["inode"], 0, "{orphan}");
    assert_eq!(orphan["uid"], Value::Null, "{orphan}");
    assert_eq!(orphan["user"], Value::Null, "{orphan}");
    assert_eq!(orphan["pid"], Value::Null, "{orphan}");
    assert_eq!(orphan["pids"], serde_json::json!([]), "{orphan}");
    assert_eq!(orphan["process"], Value::Null, "{orphan}");
    let client = by_inode(&records, &facts["client"]);
    assert_eq!(client["state"], "CLOSE_WAIT", "{client}");
    assert_eq!(client["pid"], script.pid(), "{client}");
    assert_eq!(client["uid"], 0, "{client}");
    // The proc backend reads the same kernel facts another way.
    let proc = ns.scan(&["--tcp", "--backend", "proc"]);
    let orphan = proc
        .iter()
        .find(|r| r["state"] == "FIN_WAIT2" && r["local_port"] == 7100)
        .expect("the orphan through /proc/net/tcp");
    assert_eq!(
        (&orphan["inode"], &orphan["uid"], &orphan["pid"]),
        (&0.into(), &Value::Null, &Value::Null),
        "{orphan}"
    );
}

const BOUND: &str = r#"
import json, os, socket, time
ino = lambda s: os.fstat(s.fileno()).st_ino
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"v0")
t.bind(("0.0.0.0", 7200))
t.listen(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"v0")
u.bind(("0.0.0.0", 7201))
l6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l6.bind(("fe80::1", 7202, 0, socket.if_nametoindex("v0")))
l6.listen(5)
q = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
q.bind(("127.0.0.1", 7203))
q.listen(5)
c1 = socket.create_connection(("127.0.0.1", 7203))
c2 = socket.create_connection(("127.0.0.1", 7203))
print(json.dumps({"tcp": ino(t), "udp": ino(u), "link_local": ino(l6), "backlog": ino(q)}))
time.sleep(120)
"#;

/// The local column of ss's line for `port` (`0.0.0.0%v0:7200`, `[fe80::1]%v0:7202`).
fn ss_local(ss: &str, port: u16) -> String {
    let suffix = format!(":{port}");
    ss.lines()
        .find_map(|line| {
            line.split_whitespace()
                .find(|field| field.ends_with(&suffix))
        })
        .unwrap_or_else(|| panic!("ss shows port {port}: {ss}"))
        .to_owned()
}

/// Sockets bound to a device: a TCP listener and a UDP socket bound to `v0` with
/// SO_BINDTODEVICE on 0.0.0.0, and a listener on the link-local `fe80::1%v0`. Their
/// records say `interface: "v0"` (a socket not bound to a device says null), as ss shows
/// `%v0`, and the table spells their local address as ss does (`0.0.0.0%v0:7200`). A
/// listener with backlog 5 and two connections not yet accepted has `recv_q` 2 and
/// `send_q` 5, as `ss -ltn` shows them.
#[test]
fn device_bound_and_link_local_sockets_name_their_interface() {
    // See: issue 14
    let _python = crate::need!("/usr/bin/python3");
    let ns = Ns::create();
    // A veth pair (the dummy driver may not be built): v0 carries the address, v1 its peer.
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    ns.ip(&["link", "set", "v1", "up"]);
    ns.ip(&["link", "set", "v0", "up"]);
    ns.ip(&["addr", "add", "fe80::1/64", "dev", "v0", "nodad"]);
    let dir = temp_dir();
    let (_script, inodes) = python_in(&ns, dir.path(), BOUND);
    let ss = ns.ss(&["-tuln"]);
    for port in [7200, 7201, 7202] {
        assert!(ss_local(&ss, port).contains("%v0"), "ss: {ss}");
    }

    let records = ns.scan(&[]);
    for (side, proto) in [("tcp", "tcp"), ("udp", "udp"), ("link_local", "tcp")] {
        let record = by_inode(&records, &inodes[side]);
        assert_eq!(record["proto"], proto, "{record}");
        assert_eq!(record["interface"], "v0", "{side}: {record}");
    }
    assert_eq!(
        by_inode(&records, &inodes["link_local"])["local_addr"],
        "fe80::1"
    );
    let backlog = by_inode(&records, &inodes["backlog"]);
    assert_eq!(backlog["interface"], Value::Null, "{backlog}");
    assert_eq!(
        (&backlog["recv_q"], &backlog["send_q"]),
        (&2.into(), &5.into()),
        "{backlog}"
    );
    let ss_queue = ns.ss(&["-ltn", "sport = :7203"]);
    let fields: Vec<&str> = ss_queue.split_whitespace().collect();
    assert_eq!(&fields[1..3], ["2", "5"], "ss -ltn: {ss_queue}");

    let mut cmd = ns.prt();
    cmd.args(["scan", "--format", "table"])
        .env("COLUMNS", "250");
    let table = crate::common::run_ok(&mut cmd);
    for port in [7200, 7201, 7202] {
        let spelled = ss_local(&ss, port);
        assert!(
            table.contains(&spelled),
            "the table spells {spelled} as ss does: {table}"
        );
    }
}
