//! `prt watch` with the kernel's event sources (issue 16): connections too short for any
//! scan reported gone as they close, once, with their addresses and final bytes; as root,
//! as `nobody`, in a namespace the test made, and under churn; `--no-events` without them.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::common::{TestNetns, command, inode_of, prt, world_runnable_copy};
use crate::events::{REPLY, REQUEST, five_millisecond_connection};
use crate::require_root;

/// A running watch whose stdout a thread reads, each record stamped with when it arrived.
struct Watch {
    child: Child,
    records: mpsc::Receiver<(Instant, Value)>,
}

impl Watch {
    fn start(cmd: &mut Command) -> Watch {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn watch");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, records) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad line {line}: {e}"));
                if sender.send((Instant::now(), value)).is_err() {
                    break;
                }
            }
        });
        Watch { child, records }
    }

    /// Records until one satisfies `wanted` (appended to `seen` too).
    fn until(
        &self,
        seen: &mut Vec<(Instant, Value)>,
        within: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let record = self
                .records
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no record wanted within {within:?}"));
            let done = wanted(&record.1);
            seen.push(record);
            if done {
                return;
            }
        }
    }

    /// Records until every socket of `wanted` (local, remote) has a `gone` record, or 20 s
    /// pass (a loaded machine slows a debug build's scans, which events wait behind); then
    /// `settle` more, for records that should not come.
    fn collect_gone(
        &self,
        seen: &mut Vec<(Instant, Value)>,
        wanted: &[(SocketAddr, Option<SocketAddr>)],
        settle: Duration,
    ) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let all_gone = |seen: &[(Instant, Value)]| {
            wanted.iter().all(|&(local, remote)| {
                about(seen, local, remote)
                    .iter()
                    .any(|(_, r)| r["status"] == "gone")
            })
        };
        while !all_gone(seen) && Instant::now() < deadline {
            self.collect_for(seen, Duration::from_millis(200));
        }
        self.collect_for(seen, settle);
    }

    /// Every record that arrives within `time`.
    fn collect_for(&self, seen: &mut Vec<(Instant, Value)>, time: Duration) {
        let deadline = Instant::now() + time;
        while let Ok(record) = self
            .records
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            seen.push(record);
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `prt watch --ndjson ARGS`, once its first scan is written and the second has begun to
/// be (a listener of this test opened after the first is in it): the first scan writes
/// every socket of the machine, which takes a debug build a while on a busy one, and events
/// wait behind it. With the records so far.
fn started(cmd: &mut Command, args: &[&str]) -> (Watch, Vec<(Instant, Value)>, [TcpListener; 2]) {
    let first = TcpListener::bind("127.0.0.1:0").expect("bind");
    let inode = inode_of(&first);
    let watch = Watch::start(cmd.arg("watch").arg("--ndjson").args(args));
    let mut seen = Vec::new();
    watch.until(&mut seen, Duration::from_secs(60), |r| r["inode"] == inode);
    let second = TcpListener::bind("127.0.0.1:0").expect("bind");
    let local = second.local_addr().expect("addr");
    // As root the tracepoint reports it as it begins, before the scan lists its inode.
    watch.until(&mut seen, Duration::from_secs(60), |r| {
        at(r, local, None) && r["status"] == "new"
    });
    (watch, seen, [first, second])
}

/// Whether `record` is about the socket at `local` whose peer is `remote` (`None`: none).
fn at(record: &Value, local: SocketAddr, remote: Option<SocketAddr>) -> bool {
    let ip = |addr: SocketAddr| Value::from(addr.ip().to_string());
    record["local_addr"] == ip(local)
        && record["local_port"] == local.port()
        && match remote {
            Some(remote) => {
                record["remote_addr"] == ip(remote) && record["remote_port"] == remote.port()
            }
            None => record["remote_port"].is_null(),
        }
}

/// The records about one socket, in arrival order.
fn about(
    seen: &[(Instant, Value)],
    local: SocketAddr,
    remote: Option<SocketAddr>,
) -> Vec<&(Instant, Value)> {
    seen.iter().filter(|(_, r)| at(r, local, remote)).collect()
}

/// The one `gone` record of a socket, checked to come from an event, to be its only gone
/// and to have no `new` after it; with its arrival.
fn the_gone(
    seen: &[(Instant, Value)],
    local: SocketAddr,
    remote: Option<SocketAddr>,
) -> &(Instant, Value) {
    let records = about(seen, local, remote);
    let gone: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].1["status"] == "gone")
        .collect();
    assert_eq!(
        gone.len(),
        1,
        "one gone for {local} -> {remote:?}: {records:?}"
    );
    assert!(
        records[gone[0]..].iter().all(|(_, r)| r["status"] != "new"),
        "no new after its gone: {records:?}"
    );
    let record = records[gone[0]];
    assert_eq!(record.1["source"], "event", "{record:?}");
    record
}

/// How long after `closed` the watch read the event of `record` (its `ts`): the
/// latency that matters, whatever else the machine makes this test's reader parse first.
fn read_after(record: &Value, closed: SystemTime) -> Duration {
    let ts: prt::model::Timestamp = record["ts"]
        .as_str()
        .and_then(|ts| ts.parse().ok())
        .unwrap_or_else(|| panic!("ts of {record}"));
    let read = UNIX_EPOCH + Duration::new(ts.secs as u64, ts.nanos);
    read.duration_since(closed).unwrap_or_default()
}

/// Checks a connection's two gone records: from events, as they closed (`closed`), with
/// the final counters of the request and reply each way.
fn check_connection(
    seen: &[(Instant, Value)],
    client: SocketAddr,
    server: SocketAddr,
    closed: SystemTime,
    within: Duration,
) {
    for (local, remote, sent, received) in [
        (client, server, REQUEST, REPLY),
        (server, client, REPLY, REQUEST),
    ] {
        let (_, record) = the_gone(seen, local, Some(remote));
        let late = read_after(record, closed);
        assert!(late < within, "{late:?} after the close: {record}");
        assert_eq!(record["proto"], "tcp");
        // The counters are sequence-number spans: a FIN (and the SYN) may count one each.
        let bytes = |field: &str| record[field].as_u64().unwrap_or(0) as usize;
        assert!(
            (sent..=sent + 2).contains(&bytes("bytes_sent")),
            "bytes_sent of {record}"
        );
        assert!(
            (received..=received + 2).contains(&bytes("bytes_received")),
            "bytes_received of {record}"
        );
    }
}

#[test]
fn short_connections_are_gone_records_as_they_close() {
    let (watch, mut seen, _marker) = started(&mut prt(), &["--interval", "2s"]);
    assert!(
        seen.iter().any(|(_, r)| r["source"] == "scan"),
        "scan records say so"
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut connections = Vec::new();
    for _ in 0..50 {
        let (client, server) = five_millisecond_connection(&listener);
        connections.push((client, server, SystemTime::now()));
    }
    let mut datagrams = Vec::new();
    for address in ["127.0.0.1:0", "[::1]:0", "127.0.0.1:0"] {
        let udp = UdpSocket::bind(address).expect("bind udp");
        let local = udp.local_addr().expect("addr");
        drop(udp);
        datagrams.push((local, SystemTime::now()));
    }
    let wanted: Vec<_> = connections
        .iter()
        .flat_map(|&(client, server, _)| [(client, Some(server)), (server, Some(client))])
        .chain(datagrams.iter().map(|&(local, _)| (local, None)))
        .collect();
    watch.collect_gone(&mut seen, &wanted, Duration::from_millis(500));
    for &(client, server, closed) in &connections {
        check_connection(&seen, client, server, closed, Duration::from_millis(500));
    }
    for &(local, closed) in &datagrams {
        let (_, record) = the_gone(&seen, local, None);
        assert!(
            read_after(record, closed) < Duration::from_millis(500),
            "{record}"
        );
        assert_eq!(
            (&record["proto"], &record["first_seen"]),
            (&"udp".into(), &Value::Null)
        );
        assert!(
            record["bytes_sent"].is_null() && record["pid"].is_null(),
            "{record}"
        );
    }
    // The event records carry the number of the scan before them, and when they were read.
    let (_, first) = the_gone(&seen, connections[0].0, Some(connections[0].1));
    assert!(first["seq"].as_u64().is_some_and(|seq| seq >= 1), "{first}");
    assert!(
        first["ts"].as_str().is_some_and(|ts| ts.contains('.')),
        "{first}"
    );
}

#[test]
fn a_connection_a_scan_saw_is_gone_once_with_its_owner() {
    let (watch, mut seen, _marker) = started(&mut prt(), &["--interval", "1s"]);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    let inode = inode_of(&client);
    let (local, remote) = (
        client.local_addr().expect("addr"),
        client.peer_addr().expect("peer"),
    );
    watch.until(&mut seen, Duration::from_secs(30), |r| {
        at(r, local, Some(remote)) && r["status"] == "new"
    });
    // As root that was the tracepoint's record, before any scan: let one list it.
    let marker = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let marker_at = marker.local_addr().expect("addr");
    watch.until(&mut seen, Duration::from_secs(30), |r| {
        at(r, marker_at, None) && r["source"] == "scan"
    });
    drop(client);
    drop(server);
    let closed = SystemTime::now();
    // Two more scans: neither reports it again.
    watch.collect_for(&mut seen, Duration::from_millis(2500));
    let (_, gone) = the_gone(&seen, local, Some(remote));
    assert!(
        read_after(gone, closed) < Duration::from_millis(500),
        "{gone}"
    );
    assert_eq!(gone["pid"], std::process::id(), "{gone}");
    assert_eq!(gone["inode"], inode, "{gone}");
    assert!(gone["first_seen"].is_string(), "{gone}");
    let ours = about(&seen, local, Some(remote));
    let statuses: Vec<&Value> = ours.iter().map(|(_, r)| &r["status"]).collect();
    assert_eq!(statuses, ["new", "gone"], "one new, one gone: {ours:?}");
}

#[test]
fn nobody_gets_gone_records_too() {
    require_root!();
    let (_dir, copy) = world_runnable_copy(std::path::Path::new(env!("CARGO_BIN_EXE_prt")));
    let mut cmd = command(&copy);
    {
        use std::os::unix::process::CommandExt;
        cmd.uid(65534).gid(65534).current_dir("/");
    }
    let (watch, mut seen, _marker) = started(&mut cmd, &["--interval", "2s"]);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let connections: Vec<_> = (0..10)
        .map(|_| {
            let (client, server) = five_millisecond_connection(&listener);
            (client, server, SystemTime::now())
        })
        .collect();
    let wanted: Vec<_> = connections
        .iter()
        .flat_map(|&(client, server, _)| [(client, Some(server)), (server, Some(client))])
        .collect();
    watch.collect_gone(&mut seen, &wanted, Duration::from_millis(500));
    for &(client, server, closed) in &connections {
        // Not the latency test: as nobody a scan of a busy machine takes longer.
        check_connection(&seen, client, server, closed, Duration::from_secs(5));
    }
}

#[test]
fn no_events_keeps_to_the_scans() {
    let (watch, mut seen, _marker) = started(&mut prt(), &["--no-events", "--interval", "2s"]);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server_addr = listener.local_addr().expect("addr");
    let mut connections = Vec::new();
    for _ in 0..20 {
        // Far shorter than the interval: opened and closed between two scans.
        let client = TcpStream::connect(server_addr).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        connections.push(client.local_addr().expect("addr"));
        drop(client);
        drop(server);
    }
    let after = seen
        .last()
        .and_then(|(_, r)| r["seq"].as_u64())
        .unwrap_or(1);
    watch.until(&mut seen, Duration::from_secs(30), |r| {
        r["seq"].as_u64().is_some_and(|seq| seq >= after + 2)
    });
    assert!(
        seen.iter().all(|(_, r)| r.get("source").is_none()),
        "no source field without events"
    );
    for client in connections {
        let records = about(&seen, client, Some(server_addr));
        // A scan may see the client's TIME_WAIT remnant; never the connection's close.
        assert!(
            records
                .iter()
                .all(|(_, r)| r["status"] != "gone" && r["state"] == "TIME_WAIT"),
            "{records:?}"
        );
    }
}

#[test]
fn all_netns_reports_a_connection_in_a_namespace_the_test_made() {
    require_root!();
    let netns = TestNetns::create();
    let listener = netns.listen("127.0.0.1:0");
    let listener_inode = inode_of(&listener);
    let watch = Watch::start(prt().args(["watch", "--ndjson", "--all-netns", "--interval", "2s"]));
    let mut seen = Vec::new();
    // The first scan lists the namespace's listener: the namespace is subscribed in.
    watch.until(&mut seen, Duration::from_secs(60), |r| {
        r["inode"] == listener_inode
    });
    let server_addr = listener.local_addr().expect("addr");
    let path = format!("/run/netns/{}", netns.name);
    let client = std::thread::spawn(move || {
        let file = std::fs::File::open(path).expect("open namespace");
        // SAFETY: a valid fd; only this short-lived thread changes namespace.
        let joined = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(joined, 0, "setns");
        TcpStream::connect(server_addr).expect("connect inside the namespace")
    })
    .join()
    .expect("thread");
    let (server, _) = listener.accept().expect("accept");
    let local = client.local_addr().expect("addr");
    drop(client);
    drop(server);
    let closed = SystemTime::now();
    watch.until(&mut seen, Duration::from_secs(10), |r| {
        at(r, local, Some(server_addr)) && r["status"] == "gone"
    });
    let (_, gone) = the_gone(&seen, local, Some(server_addr));
    // Not the latency test: --all-netns also reads and scans every other namespace of a
    // machine other tests keep busy.
    let late = read_after(gone, closed);
    assert!(late < Duration::from_secs(5), "{late:?}: {gone}");
    assert_eq!(gone["netns"], netns.inode(), "{gone}");
}

// See: issue 16 — no event reported twice, and the reconciliation scan never re-reports.
#[test]
fn under_churn_each_connection_is_gone_once_and_never_new_after() {
    let (watch, mut seen, _marker) = started(&mut prt(), &["--interval", "200ms"]);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server_addr = listener.local_addr().expect("addr");
    let mut connections = Vec::new();
    for i in 0..300u64 {
        let client = TcpStream::connect(server_addr).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        connections.push((client.local_addr().expect("addr"), server_addr));
        // From none to 30 ms: some live across a scan, most between two.
        std::thread::sleep(Duration::from_millis(i % 31));
        drop(client);
        drop(server);
    }
    let wanted: Vec<_> = connections
        .iter()
        .flat_map(|&(client, server)| [(client, Some(server)), (server, Some(client))])
        .collect();
    // Then a second at 200 ms: five scans that must not report them again.
    watch.collect_gone(&mut seen, &wanted, Duration::from_secs(1));
    // Loopback may hand a client port in TIME_WAIT to a new connection to the same server
    // (tcp_tw_reuse): one address pair, several connections, one gone each.
    let mut times: std::collections::HashMap<SocketAddr, usize> = std::collections::HashMap::new();
    for &(client, _) in &connections {
        *times.entry(client).or_default() += 1;
    }
    for (client, server) in connections {
        if times[&client] == 1 {
            the_gone(&seen, client, Some(server));
            the_gone(&seen, server, Some(client));
            continue;
        }
        for (local, remote) in [(client, server), (server, client)] {
            let records = about(&seen, local, Some(remote));
            let gone: Vec<_> = records
                .iter()
                .filter(|(_, r)| r["status"] == "gone")
                .collect();
            assert_eq!(gone.len(), times[&client], "{records:?}");
            assert!(
                gone.iter().all(|(_, r)| r["source"] == "event"),
                "{records:?}"
            );
        }
    }
}

// As root the tracepoint tells of each connection as it begins: a connection of 5 ms is a
// `new` record with this process's pid and name, then its `gone`, both ends.
#[test]
fn as_root_a_short_connection_is_new_then_gone_with_its_process() {
    require_root!();
    let (watch, mut seen, _marker) = started(&mut prt(), &["--interval", "2s"]);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let connections: Vec<_> = (0..20)
        .map(|_| five_millisecond_connection(&listener))
        .collect();
    let wanted: Vec<_> = connections
        .iter()
        .flat_map(|&(client, server)| [(client, Some(server)), (server, Some(client))])
        .collect();
    watch.collect_gone(&mut seen, &wanted, Duration::from_millis(500));
    let me = std::process::id();
    for &(local, remote) in &wanted {
        let records = about(&seen, local, remote);
        let statuses: Vec<&Value> = records.iter().map(|(_, r)| &r["status"]).collect();
        assert_eq!(
            statuses,
            ["new", "gone"],
            "{local} -> {remote:?}: {records:?}"
        );
        for (_, record) in records {
            assert_eq!(record["source"], "event", "{record}");
            assert_eq!(record["pid"], me, "{record}");
            assert!(record["process"].is_string(), "{record}");
        }
        let (_, new) = about(&seen, local, remote)[0];
        assert_eq!(new["state"], "ESTABLISHED", "{new}");
    }
}

// The first record of a new listener reaches stdout within 50 ms of listen() as root.
#[test]
fn as_root_a_new_listener_is_reported_within_50_ms() {
    require_root!();
    let (watch, mut seen, _marker) = started(&mut prt(), &["--interval", "2s"]);
    let mut latencies = Vec::new();
    for _ in 0..5 {
        // Between scans, not behind one: a UDP socket only a scan reports marks when one
        // has just been written.
        let marker = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let marker_at = marker.local_addr().expect("addr");
        watch.until(&mut seen, Duration::from_secs(30), |r| {
            at(r, marker_at, None) && r["source"] == "scan"
        });
        std::thread::sleep(Duration::from_millis(300));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let since = Instant::now();
        let local = listener.local_addr().expect("addr");
        watch.until(&mut seen, Duration::from_secs(5), |r| {
            at(r, local, None) && r["status"] == "new"
        });
        let (arrived, record) = seen.last().expect("the record");
        assert_eq!(record["source"], "event", "{record}");
        assert_eq!(record["pid"], std::process::id(), "{record}");
        assert_eq!(record["state"], "LISTEN", "{record}");
        latencies.push(arrived.duration_since(since));
    }
    assert!(
        latencies.iter().all(|l| *l < Duration::from_millis(50)),
        "new listeners reached stdout after {latencies:?}"
    );
}

/// A helper that waits for commands on stdin: `open` binds a UDP socket and prints its
/// port, `connect` connects it (a change no event and no fd count tells) and prints
/// `connected`. Its first line is its pid.
const UDP_ON_COMMAND: &str = "\
import os, socket, sys
print(os.getpid(), flush=True)
u = None
for line in sys.stdin:
    if line.strip() == 'open':
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(('127.0.0.1', 0))
        print(u.getsockname()[1], flush=True)
    elif line.strip() == 'connect':
        u.connect(('127.0.0.1', 9))
        print('connected', flush=True)
";

// See: issue 16 — the idle budget: as root a watch skips the scans of quiet ticks.
#[test]
fn as_root_a_watch_that_skips_quiet_scans_still_reports_what_no_event_tells() {
    use std::io::Write as _;
    use std::os::unix::process::CommandExt as _;
    require_root!();
    let mut helper = Command::new("python3")
        .process_group(0)
        .args(["-c", UDP_ON_COMMAND])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut commands = helper.stdin.take().expect("stdin");
    let mut replies = BufReader::new(helper.stdout.take().expect("stdout")).lines();
    let mut reply = || replies.next().expect("a reply").expect("a line");
    let pid = reply();
    let interval = Duration::from_millis(500);
    let watch = Watch::start(prt().args([
        "watch",
        "--ndjson",
        "--interval",
        "500ms",
        "--where",
        &format!("pid={pid}"),
    ]));
    // Quiet ticks first: a few intervals in which the helper holds nothing.
    std::thread::sleep(interval * 4);

    writeln!(commands, "open").expect("command");
    let port: u16 = reply().parse().expect("a port");
    let opened = Instant::now();
    let mut seen = Vec::new();
    let local: SocketAddr = ([127, 0, 0, 1], port).into();
    watch.until(&mut seen, Duration::from_secs(30), |r| {
        at(r, local, None) && r["status"] == "new"
    });
    let (arrived, record) = seen.last().expect("the record");
    assert_eq!(record["source"], "scan", "{record}");
    // Its process's fd count moved: the next tick scans, not the reconciliation.
    assert!(
        arrived.duration_since(opened) < interval * 4,
        "a socket opened by a process reached stdout {:?} later",
        arrived.duration_since(opened)
    );

    writeln!(commands, "connect").expect("command");
    assert_eq!(reply(), "connected");
    let connected = Instant::now();
    watch.until(&mut seen, Duration::from_secs(30), |r| {
        r["local_port"] == port && r["state"] == "ESTABLISHED"
    });
    let (arrived, record) = seen.last().expect("the record");
    assert_eq!(record["remote_port"], 9, "{record}");
    // Only a scan sees it: at the latest the reconciliation, ten ticks on (and the time a
    // debug build takes to scan a busy machine).
    let waited = arrived.duration_since(connected);
    assert!(
        waited < interval * 10 + Duration::from_secs(5),
        "a UDP connect reached stdout {waited:?} later"
    );
    drop(commands);
    crate::common::end_group(&mut helper);
}
