//! `prt scan` against sockets and processes the tests create.

use std::collections::HashSet;
use std::io::Read;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;
use crate::require_root;

fn own_netns() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/net").expect("netns").ino()
}

#[test]
fn finds_loopback_listeners_and_udp_sockets_with_this_process() {
    let sockets = LoopbackSockets::open();
    let records = scan(&[]);
    let me = u64::from(std::process::id());
    let uid = unsafe { libc::geteuid() };
    let cases = [
        (
            "tcp",
            "127.0.0.1",
            sockets.tcp4.local_addr().expect("addr").port(),
            inode_of(&sockets.tcp4),
            "LISTEN",
        ),
        (
            "tcp",
            "::1",
            sockets.tcp6.local_addr().expect("addr").port(),
            inode_of(&sockets.tcp6),
            "LISTEN",
        ),
        (
            "udp",
            "127.0.0.1",
            sockets.udp4.local_addr().expect("addr").port(),
            inode_of(&sockets.udp4),
            "UNCONN",
        ),
        (
            "udp",
            "::1",
            sockets.udp6.local_addr().expect("addr").port(),
            inode_of(&sockets.udp6),
            "UNCONN",
        ),
    ];
    for (proto, addr, port, inode, state) in cases {
        let found = on_port(&records, proto, port);
        assert_eq!(found.len(), 1, "{proto} {addr}:{port} in {found:?}");
        let record = found[0];
        assert_eq!(record["local_addr"], addr);
        assert_eq!(record["state"], state);
        assert_eq!(record["inode"], inode);
        assert_eq!(record["remote_addr"], Value::Null);
        assert_eq!(record["remote_port"], Value::Null);
        assert_eq!(record["pid"], me);
        assert_eq!(record["pids"], serde_json::json!([me]));
        assert_eq!(record["process"], own_comm());
        assert_eq!(record["uid"], uid);
        assert!(
            record["cmdline"]
                .as_str()
                .is_some_and(|c| c.contains("it-")),
            "{record}"
        );
        assert!(
            record["started"].as_str().is_some_and(|s| s.ends_with('Z')),
            "{record}"
        );
        assert_eq!(record["netns"], own_netns());
        assert_eq!(record["suspicious"], crate::common::own_reasons());
    }
}

#[test]
fn connected_tcp_pair_shows_both_ends() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server_port = listener.local_addr().expect("addr").port();
    let client = TcpStream::connect(("127.0.0.1", server_port)).expect("connect");
    let (_accepted, _) = listener.accept().expect("accept");
    let client_port = client.local_addr().expect("addr").port();

    let records = scan(&["--tcp"]);
    let client_side = on_port(&records, "tcp", client_port);
    assert_eq!(client_side.len(), 1, "{client_side:?}");
    assert_eq!(client_side[0]["state"], "ESTABLISHED");
    assert_eq!(client_side[0]["remote_addr"], "127.0.0.1");
    assert_eq!(client_side[0]["remote_port"], server_port);
    let server_side = on_port(&records, "tcp", server_port);
    let states: HashSet<&str> = server_side
        .iter()
        .filter_map(|r| r["state"].as_str())
        .collect();
    assert_eq!(states, HashSet::from(["LISTEN", "ESTABLISHED"]));
    let accepted = server_side
        .iter()
        .find(|r| r["state"] == "ESTABLISHED")
        .expect("accepted end");
    assert_eq!(accepted["remote_port"], client_port);
    assert_eq!(accepted["pid"], std::process::id());
}

#[test]
fn connected_udp_socket_is_established() {
    let server = UdpSocket::bind("[::1]:0").expect("bind");
    let client = UdpSocket::bind("[::1]:0").expect("bind");
    client
        .connect(server.local_addr().expect("addr"))
        .expect("connect");
    let records = scan(&["--udp", "-6"]);
    let found = on_port(&records, "udp", client.local_addr().expect("addr").port());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["state"], "ESTABLISHED");
    assert_eq!(found[0]["remote_addr"], "::1");
}

#[test]
fn a_child_process_holding_a_listener_is_its_owner() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut child = spawn_holding(Command::new("sleep").arg("30"), &listener);
    let child_pid = child.id();
    let me = std::process::id();

    let mut both = vec![me, child_pid];
    both.sort_unstable();
    // Another test's child, between its fork and its exec, holds every fd of this process
    // for a moment: look again until only the two holders remain.
    let mut records = scan(&["--listen", "--tcp"]);
    for _ in 0..10 {
        if on_port(&records, "tcp", port).first().map(|r| &r["pids"])
            == Some(&serde_json::json!(both))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        records = scan(&["--listen", "--tcp"]);
    }
    let shared = on_port(&records, "tcp", port);
    assert_eq!(shared.len(), 1, "one socket, one record: {shared:?}");
    assert_eq!(shared[0]["pids"], serde_json::json!(both));
    // See: issue 14 — the holder the other descends from, whatever the pids' order.
    assert_eq!(shared[0]["pid"], me, "the parent, not the lowest pid");

    drop(listener);
    let records = scan(&["--listen", "--tcp"]);
    let owned = on_port(&records, "tcp", port);
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0]["pid"], child_pid);
    assert_eq!(owned[0]["process"], "sleep");
    assert_eq!(owned[0]["cmdline"], "sleep 30");
    assert_eq!(owned[0]["ppid"], me);

    child.kill().expect("kill sleep");
    child.wait().expect("reap sleep");
    let records = scan(&["--listen", "--tcp"]);
    assert!(
        on_port(&records, "tcp", port).is_empty(),
        "closed with its last owner"
    );
}

#[test]
fn escape_sequences_in_process_names_never_reach_the_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let evil = dir.path().join("ev\x1b[2Jil");
    std::fs::copy("/bin/sleep", &evil).expect("copy sleep");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut child = spawn_holding(Command::new(&evil).arg("30"), &listener);
    drop(listener);

    let table = run_ok(prt().args(["scan", "--format", "table", "--color", "never", "-tl"]));
    let csv = run_ok(prt().args(["scan", "--format", "csv", "-tl"]));
    let records = scan(&["-tl"]);
    child.kill().expect("kill");
    child.wait().expect("reap");

    assert!(!table.contains('\x1b'), "raw escape in table");
    let row = table
        .lines()
        .find(|l| l.contains(&format!(":{port} ")))
        .expect("row for the port");
    assert!(row.contains("ev\\x1b[2Jil"), "{row}");
    assert_eq!(
        on_port(&records, "tcp", port)[0]["process"],
        "ev\x1b[2Jil",
        "NDJSON keeps the real name"
    );
    assert!(
        csv.contains("ev\x1b[2Jil"),
        "CSV to a file keeps the real name"
    );
}

#[test]
fn protocol_family_and_listen_flags_select() {
    let sockets = LoopbackSockets::open();
    let client = TcpStream::connect(sockets.tcp4.local_addr().expect("addr")).expect("connect");
    let client_port = client.local_addr().expect("addr").port();
    let port = |s: &TcpListener| s.local_addr().expect("addr").port();
    let uport = |s: &UdpSocket| s.local_addr().expect("addr").port();

    let v6 = scan(&["-6"]);
    assert!(
        v6.iter()
            .all(|r| r["local_addr"].as_str().is_some_and(|a| a.contains(':')))
    );
    assert_eq!(on_port(&v6, "tcp", port(&sockets.tcp6)).len(), 1);
    assert!(on_port(&v6, "tcp", port(&sockets.tcp4)).is_empty());

    let udp = scan(&["--udp"]);
    assert!(udp.iter().all(|r| r["proto"] == "udp"));
    assert_eq!(on_port(&udp, "udp", uport(&sockets.udp4)).len(), 1);

    let listening = scan(&["--listen"]);
    assert!(
        listening
            .iter()
            .all(|r| r["state"] == "LISTEN" || r["state"] == "UNCONN")
    );
    assert!(on_port(&listening, "tcp", client_port).is_empty());
    assert_eq!(on_port(&listening, "udp", uport(&sockets.udp6)).len(), 1);

    let both = scan(&["-4", "-6", "--tcp", "--udp"]);
    assert_eq!(on_port(&both, "udp", uport(&sockets.udp6)).len(), 1);
    assert_eq!(on_port(&both, "tcp", client_port).len(), 1);
}

#[test]
fn sort_orders_and_reverses() {
    let _sockets = LoopbackSockets::open();
    let ports = |records: Vec<Value>| -> Vec<u64> {
        records
            .iter()
            .map(|r| r["local_port"].as_u64().expect("port"))
            .collect()
    };
    let ascending = ports(scan(&["--sort", "port"]));
    assert!(ascending.windows(2).all(|w| w[0] <= w[1]), "{ascending:?}");
    let descending = ports(scan(&["--sort", "port", "--reverse"]));
    assert!(
        descending.windows(2).all(|w| w[0] >= w[1]),
        "{descending:?}"
    );

    let by_pid = scan(&["--sort", "pid"]);
    let pids: Vec<Option<u64>> = by_pid.iter().map(|r| r["pid"].as_u64()).collect();
    let first_unknown = pids.iter().position(Option::is_none).unwrap_or(pids.len());
    assert!(
        pids[first_unknown..].iter().all(Option::is_none),
        "unknown pids sort last"
    );
    assert!(pids[..first_unknown].windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn proc_backend_lists_the_same_sockets_as_netlink() {
    let sockets = LoopbackSockets::open();
    let client = TcpStream::connect(sockets.tcp6.local_addr().expect("addr")).expect("connect");
    let (server, _) = sockets.tcp6.accept().expect("accept");
    let ours: HashSet<u64> = [
        inode_of(&sockets.tcp4),
        inode_of(&sockets.tcp6),
        inode_of(&sockets.udp4),
        inode_of(&sockets.udp6),
        inode_of(&client),
        inode_of(&server),
    ]
    .into();
    let pick = |records: Vec<Value>| -> Vec<Value> {
        let mut mine: Vec<Value> = records
            .into_iter()
            .filter(|r| r["inode"].as_u64().is_some_and(|i| ours.contains(&i)))
            .collect();
        mine.sort_by_key(|r| r["inode"].as_u64());
        mine
    };
    let mut netlink = pick(scan(&["--backend", "netlink"]));
    let procfs = pick(scan(&["--backend", "proc"]));
    assert_eq!(netlink.len(), ours.len());
    // /proc/net cannot give a listener's backlog limit: that one field is null there.
    for record in &mut netlink {
        if record["state"] == "LISTEN" {
            assert_eq!(record["send_q"], 128, "the listener's backlog: {record}");
            record["send_q"] = Value::Null;
        }
    }
    assert_eq!(netlink, procfs, "identical records, field for field");

    // The whole machine, too: every socket that stays put is in both.
    let all_netlink = prt_keys(&scan(&["--backend", "netlink"]));
    let all_proc = prt_keys(&scan(&["--backend", "proc"]));
    let again = prt_keys(&scan(&["--backend", "netlink"]));
    let stable: HashSet<_> = all_netlink.intersection(&again).cloned().collect();
    let missing: Vec<_> = stable
        .difference(&all_proc)
        .filter(|k| k.1 != "TIME_WAIT")
        .collect();
    assert!(missing.is_empty(), "proc backend lacks {missing:?}");
}

#[test]
fn lsof_backend_gives_the_same_sockets_as_netlink() {
    let sockets = LoopbackSockets::open();
    let client = TcpStream::connect(sockets.tcp4.local_addr().expect("addr")).expect("connect");
    let (server, _) = sockets.tcp4.accept().expect("accept");
    let client6 = TcpStream::connect(sockets.tcp6.local_addr().expect("addr")).expect("connect");
    let (server6, _) = sockets.tcp6.accept().expect("accept");
    let connected = UdpSocket::bind("127.0.0.1:0").expect("bind");
    connected
        .connect(sockets.udp4.local_addr().expect("addr"))
        .expect("udp connect");
    // An AF_INET6 client of an IPv4 listener, as Java connects: `::ffff:127.0.0.1` both ends.
    let port4 = sockets.tcp4.local_addr().expect("addr").port();
    let mapped = TcpStream::connect(("::ffff:127.0.0.1", port4)).expect("v4-mapped connect");
    let (mapped_server, _) = sockets.tcp4.accept().expect("accept");
    let ours: HashSet<u64> = [
        inode_of(&mapped),
        inode_of(&mapped_server),
        inode_of(&sockets.tcp4),
        inode_of(&sockets.tcp6),
        inode_of(&sockets.udp4),
        inode_of(&sockets.udp6),
        inode_of(&client),
        inode_of(&server),
        inode_of(&client6),
        inode_of(&server6),
        inode_of(&connected),
    ]
    .into();
    // What both backends must agree on; start times come from ps's elapsed time in whole
    // seconds and may differ from /proc's by one.
    let pick = |records: Vec<Value>| -> Vec<Value> {
        let mut mine: Vec<Value> = records
            .into_iter()
            .filter(|r| r["inode"].as_u64().is_some_and(|i| ours.contains(&i)))
            .map(|r| {
                serde_json::json!([
                    r["proto"],
                    r["local_addr"],
                    r["local_port"],
                    r["remote_addr"],
                    r["remote_port"],
                    r["state"],
                    r["inode"],
                    r["uid"],
                    r["pid"],
                    r["pids"],
                    r["process"],
                    r["user"],
                    r["ppid"],
                    r["interface"],
                    r["recv_q"]
                ])
            })
            .collect();
        mine.sort_by_key(|r| r[6].as_u64());
        mine
    };
    // Another test thread of this process that forks a child lends it this process's fds
    // until the child execs: a scan in that window sees an extra holder. It goes within
    // moments, so a disagreement is looked at again before it counts.
    let (mut netlink, mut lsof) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        netlink = pick(scan(&["--backend", "netlink"]));
        lsof = pick(scan(&["--backend", "lsof"]));
        if lsof == netlink {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(netlink.len(), ours.len(), "{netlink:?}");
    assert_eq!(lsof, netlink, "lsof and netlink disagree");
    let mapped_record = netlink
        .iter()
        .find(|r| r[6] == inode_of(&mapped))
        .expect("the v4-mapped client");
    assert_eq!(
        mapped_record[1], "::ffff:127.0.0.1",
        "as the kernel spells it"
    );
    let with_lsof = scan(&["--backend", "lsof", "--tcp", "--listen"]);
    assert!(
        with_lsof
            .iter()
            .all(|r| r["proto"] == "tcp" && r["state"] == "LISTEN")
    );
    let listeners = [inode_of(&sockets.tcp4), inode_of(&sockets.tcp6)];
    let own: Vec<&Value> = with_lsof
        .iter()
        .filter(|r| r["inode"].as_u64().is_some_and(|i| listeners.contains(&i)))
        .collect();
    assert_eq!(own.len(), 2, "{own:?}");
    assert!(
        own.iter()
            .all(|r| r["started"].is_string() && r["cmdline"].is_string())
    );
}

#[test]
fn lists_every_socket_ss_lists_with_the_same_owners() {
    let sockets = LoopbackSockets::open();
    // Some connections in several states, so the comparison is not only of listeners.
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients
            .push(TcpStream::connect(sockets.tcp4.local_addr().expect("addr")).expect("connect"));
    }
    let accepted: Vec<_> = (0..10)
        .map(|_| sockets.tcp4.accept().expect("accept").0)
        .collect();
    drop(accepted); // the server closes first: its ends go FIN_WAIT2, the clients' CLOSE_WAIT

    let before = ss_sockets(&ss(&["-tunapH"]));
    let records = scan(&[]);
    let after = ss_sockets(&ss(&["-tunapH"]));

    let prt: std::collections::HashMap<SocketKey, &Value> =
        records.iter().map(|r| (prt_key(r), r)).collect();
    let after_owners: std::collections::HashMap<&SocketKey, &Vec<u32>> =
        after.iter().map(|(k, pids)| (k, pids)).collect();
    let mut checked = 0;
    for (key, ss_pids) in &before {
        let Some(after_pids) = after_owners.get(key) else {
            continue; // came and went around the scan
        };
        // A holder ss saw only once was passing through: another test's child between its
        // fork and its exec holds every fd of this process for a moment.
        let ss_pids: Vec<&u32> = ss_pids.iter().filter(|p| after_pids.contains(p)).collect();
        let record = prt
            .get(key)
            .unwrap_or_else(|| panic!("prt scan lacks {key:?}, which ss lists"));
        let pids: Vec<u32> = record["pids"]
            .as_array()
            .expect("pids")
            .iter()
            .filter_map(|p| p.as_u64().map(|p| p as u32))
            .collect();
        for &pid in ss_pids {
            assert!(
                pids.contains(&pid),
                "ss says pid {pid} holds {key:?}; prt says {pids:?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 40, "compared only {checked} sockets");
    let close_wait = records
        .iter()
        .filter(|r| r["state"] == "CLOSE_WAIT")
        .count();
    assert!(close_wait >= 10, "half-closed connections are listed");

    // And nothing invented: every prt socket is one ss saw before or after.
    let seen: HashSet<&SocketKey> = before.iter().chain(after.iter()).map(|(k, _)| k).collect();
    let ours: HashSet<u16> = clients
        .iter()
        .map(|c| c.local_addr().expect("addr").port())
        .collect();
    for key in prt.keys() {
        if ours.contains(&key.3) {
            assert!(seen.contains(key), "prt lists {key:?}, which ss never did");
        }
    }
}

#[test]
fn another_user_sees_root_sockets_without_owners() {
    require_root!();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (_dir, binary) = world_runnable_copy(env!("CARGO_BIN_EXE_prt").as_ref());
    let output = command(&binary)
        .args(["scan", "--tcp", "--listen"])
        .uid(65534)
        .gid(65534)
        .output()
        .expect("run as nobody");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "no note when stderr is not a terminal"
    );
    let records = ndjson(&String::from_utf8(output.stdout).expect("utf-8"));
    let found = on_port(&records, "tcp", port);
    assert_eq!(found.len(), 1, "the socket is kept");
    assert_eq!(found[0]["pid"], Value::Null);
    assert_eq!(found[0]["pids"], serde_json::json!([]));
    assert_eq!(found[0]["uid"], 0);
    assert_eq!(found[0]["user"], "root");
    assert_eq!(found[0]["inode"], inode_of(&listener));
}

#[test]
fn another_user_on_a_terminal_is_told_once_how_to_see_owners() {
    require_root!();
    let _listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let (_dir, binary) = world_runnable_copy(env!("CARGO_BIN_EXE_prt").as_ref());
    // `script` gives the command a pseudo-terminal for stdout and stderr.
    let mut child = command("script")
        .args([
            "-qec",
            &format!("{} scan --tcp", binary.display()),
            "/dev/null",
        ])
        .env("TERM", "dumb")
        .env("COLUMNS", "120")
        .uid(65534)
        .gid(65534)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut transcript = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut transcript)
        .expect("read");
    assert!(child.wait().expect("wait").success());
    assert!(
        transcript.contains("PROTO"),
        "a table on a terminal: {transcript}"
    );
    let notes = transcript.matches("sudo prt scan").count();
    assert_eq!(notes, 1, "{transcript}");
}

// See: issue 14 — `--backend lsof` gave the process's user, not the socket's: dnsmasq binds
// as root and then becomes another user.
#[test]
fn a_socket_bound_before_dropping_privileges_is_its_creators_in_every_backend() {
    crate::require_root!();
    let code = "import os, socket, sys, time\n\
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n\
                os.setgid(65534); os.setuid(65534)\n\
                print(s.getsockname()[1], flush=True)\n\
                time.sleep(60)\n";
    let (mut child, line) = crate::common::python_reporting(code);
    let port: u16 = line.parse().expect("a port");
    for backend in ["netlink", "proc", "lsof"] {
        let records = scan(&["--backend", backend, "-tl"]);
        let mine: Vec<&Value> = records
            .iter()
            .filter(|r| r["local_port"] == port && r["pid"] == child.id())
            .collect();
        assert_eq!(mine.len(), 1, "{backend}: {records:?}");
        assert_eq!(mine[0]["uid"], 0, "{backend}: {}", mine[0]);
        assert_eq!(mine[0]["user"], "root", "{backend}: {}", mine[0]);
    }
    let _ = child.kill();
    let _ = child.wait();
}

// See: issue 15
#[test]
fn ss_habits_n_p_a_are_accepted_as_typed() {
    let sockets = LoopbackSockets::open();
    let tcp = sockets.tcp4.local_addr().expect("addr").port();
    let udp = sockets.udp4.local_addr().expect("addr").port();
    let me = u64::from(std::process::id());

    let listeners = scan(&["-tlnp"]);
    assert!(
        listeners
            .iter()
            .all(|r| r["proto"] == "tcp" && r["state"] == "LISTEN")
    );
    let ours = on_port(&listeners, "tcp", tcp);
    assert_eq!(ours.len(), 1, "-tlnp lists our listener: {ours:?}");
    assert_eq!(ours[0]["pid"], me, "-p: the owner is shown");
    assert!(on_port(&listeners, "udp", udp).is_empty());

    let every = scan(&["-tunap"]);
    assert_eq!(on_port(&every, "tcp", tcp).len(), 1, "-tunap: tcp");
    assert_eq!(on_port(&every, "udp", udp).len(), 1, "-tunap: udp");

    let numeric = scan(&["-ltn"]);
    assert_eq!(on_port(&numeric, "tcp", tcp).len(), 1, "-ltn");
    assert!(numeric.iter().all(|r| r["proto"] == "tcp"));

    let watched = ndjson(&run_ok(
        prt().args(["watch", "-tlnp", "--ndjson", "--count", "1"]),
    ));
    assert_eq!(on_port(&watched, "tcp", tcp).len(), 1, "watch -tlnp");
    drop(sockets);
}

// See: issue 15 — at 60 columns the table ran past the edge and cut PROCESS off.
#[test]
fn a_narrow_table_keeps_the_process_whole_and_fits_the_screen() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let pid = std::process::id().to_string();
    let comm = own_comm();
    let transcript = run_ok(
        command("script")
            .args([
                "-qec",
                &format!(
                    "stty cols 60 rows 50; exec {} scan --tcp --format table",
                    env!("CARGO_BIN_EXE_prt")
                ),
                "/dev/null",
            ])
            .env("TERM", "dumb")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null()),
    );
    drop(listener);
    let lines: Vec<&str> = transcript
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .collect();
    assert!(lines.iter().any(|l| l.contains("PROCESS")), "{transcript}");
    let ours = lines.iter().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.contains(&pid.as_str()) && words.contains(&comm.as_str())
    });
    assert!(
        ours,
        "our pid and whole name {comm} on one row: {transcript}"
    );
    for line in &lines {
        let width = unicode_width::UnicodeWidthStr::width(*line);
        assert!(width <= 60, "{width} columns: {line:?}\n{transcript}");
    }
}
