//! `--traffic`: TCP byte counters from the kernel, rates in a watch, and the per-process
//! view — against real transfers between the test's own child processes.
//!
//! Every transfer runs over loopback or between two network namespaces the test made; each
//! test knows its sockets by the ports its helpers report, never by assuming a port is free.

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TestNetns, command, end_group, ip, ndjson, prt, run_ok, world_runnable_copy};
use crate::common::{frames, plain};
use crate::require_root;

/// What the big transfer sends: 50 MB.
const SIZE: u64 = 50_000_000;

/// A helper process (python3) in a process group of its own, whose stdout is read line by
/// line; ended with its group when dropped.
struct Helper {
    child: Child,
    lines: BufReader<ChildStdout>,
}

impl Helper {
    /// `prefix... python3 -c code` (the prefix: `setpriv ...`, `ip netns exec ...`).
    fn start(prefix: &[&str], code: &str) -> Helper {
        let (program, args) = match prefix.split_first() {
            Some((program, rest)) => (*program, rest.to_vec()),
            None => ("python3", Vec::new()),
        };
        let python = if prefix.is_empty() {
            Vec::new()
        } else {
            // Another user cannot run an interpreter under root's home (pyenv).
            vec!["/usr/bin/python3"]
        };
        let mut child = Command::new(program)
            .args(args)
            .args(python)
            .args(["-u", "-c", code])
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the helper starts");
        let lines = BufReader::new(child.stdout.take().expect("stdout"));
        Helper { child, lines }
    }

    /// The next line the helper prints, trimmed.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.lines.read_line(&mut line).expect("the helper's line");
        assert!(!line.is_empty(), "the helper ended early");
        line.trim().to_owned()
    }

    fn pid(&self) -> u64 {
        u64::from(self.child.id())
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        end_group(&mut self.child);
    }
}

/// Listens on `host`:0, prints the port, accepts one connection, reads until the peer
/// closes or `SIZE` bytes came, prints the count, then holds the connection open.
fn receiver(host: &str) -> String {
    format!(
        "import socket, time
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.bind(('{host}', 0)); l.listen(1)
print(l.getsockname()[1])
s, _ = l.accept()
n = 0
while n < {SIZE}:
    d = s.recv(1 << 20)
    if not d: break
    n += len(d)
print(n)
while s.recv(1 << 20): pass
time.sleep(120)"
    )
}

/// Connects to `host`:`port`, prints its own port, sends `size` bytes — at `rate` bytes per
/// second on a fixed schedule when given, else as fast as it can — and holds on.
fn sender(host: &str, port: u16, size: u64, rate: Option<u64>) -> String {
    let pace = rate.map_or(String::new(), |rate| {
        format!(
            "    ahead = start + sent / {rate} - time.monotonic()
    if ahead > 0: time.sleep(ahead)
"
        )
    });
    format!(
        "import socket, time
c = socket.create_connection(('{host}', {port}))
print(c.getsockname()[1])
chunk = b'x' * 65536
sent = 0
start = time.monotonic()
while sent < {size}:
    n = min(len(chunk), {size} - sent)
    c.sendall(chunk[:n])
    sent += n
{pace}time.sleep(120)"
    )
}

/// The record of the TCP socket from local port `local` to remote port `remote`.
fn connection(records: &[Value], local: u16, remote: u16) -> Option<&Value> {
    records.iter().find(|r| {
        r["proto"] == "tcp"
            && r["local_port"] == u64::from(local)
            && r["remote_port"] == u64::from(remote)
            && r["state"] == "ESTABLISHED"
    })
}

fn within(actual: &Value, expected: u64, tolerance: f64) -> bool {
    let Some(actual) = actual.as_u64() else {
        return false;
    };
    #[allow(clippy::cast_precision_loss)]
    let off = (actual as f64 - expected as f64).abs() / expected as f64;
    off <= tolerance
}

/// `prt scan -t --traffic` (as `prt` runs it: root, or another user through `runner`)
/// until the sending end's counter shows the last bytes acknowledged (a delayed ACK can
/// lag a little), or 10 s.
fn scan_after_the_transfer(
    runner: &mut dyn FnMut() -> Command,
    sent_from: u16,
    to: u16,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let records = ndjson(&run_ok(runner().args(["scan", "-t", "--traffic"])));
        let acked = connection(&records, sent_from, to)
            .and_then(|r| r["bytes_sent"].as_u64())
            .unwrap_or(0);
        if acked >= SIZE || Instant::now() > deadline {
            return records;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Both ends of the 50 MB transfer carry it within 1%.
fn assert_both_ends(records: &[Value], receiver_port: u16, sender_port: u16) {
    let receiving = connection(records, receiver_port, sender_port).expect("the receiving end");
    let sending = connection(records, sender_port, receiver_port).expect("the sending end");
    assert!(
        within(&receiving["bytes_received"], SIZE, 0.01),
        "{receiving}"
    );
    assert!(within(&sending["bytes_sent"], SIZE, 0.01), "{sending}");
    // What went one way did not come back.
    assert!(receiving["bytes_sent"].as_u64().expect("a number") < SIZE / 100);
    assert!(sending["bytes_received"].as_u64().expect("a number") < SIZE / 100);
    for end in [receiving, sending] {
        assert!(end["retrans"].is_u64() && end["rtt_us"].is_u64(), "{end}");
    }
}

#[test]
fn a_50_mb_transfer_is_counted_on_both_ends() {
    let mut receiving = Helper::start(&[], &receiver("127.0.0.1"));
    let port: u16 = receiving.line().parse().expect("a port");
    let mut sending = Helper::start(&[], &sender("127.0.0.1", port, SIZE, None));
    let sender_port: u16 = sending.line().parse().expect("a port");
    assert_eq!(receiving.line(), SIZE.to_string(), "everything arrived");

    let records = scan_after_the_transfer(&mut prt, sender_port, port);
    assert_both_ends(&records, port, sender_port);
    let receiving_end = connection(&records, port, sender_port).expect("listed");
    let sending_end = connection(&records, sender_port, port).expect("listed");
    assert_eq!(receiving_end["pid"], receiving.pid());
    assert_eq!(sending_end["pid"], sending.pid());

    // Without --traffic the records have no counter fields at all; UDP has them null.
    let plain = ndjson(&run_ok(prt().args(["scan", "-t"])));
    let plain = connection(&plain, sender_port, port).expect("listed");
    assert!(plain.get("bytes_sent").is_none(), "{plain}");
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let udp_port = udp.local_addr().expect("addr").port();
    let records = ndjson(&run_ok(prt().args(["scan", "-u", "--traffic"])));
    let udp = records
        .iter()
        .find(|r| r["local_port"] == u64::from(udp_port) && r["proto"] == "udp")
        .expect("the UDP socket");
    for field in ["bytes_sent", "bytes_received", "retrans", "rtt_us"] {
        assert!(udp[field].is_null(), "{field} of {udp}");
    }
}

// The counters need no privilege: an ordinary user reads them for its own sockets and for
// another user's (root's here), whose process it cannot see.
#[test]
fn nobody_reads_the_counters_of_its_own_and_of_roots_sockets() {
    require_root!();
    let as_nobody = [
        "setpriv",
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
    ];
    let mut receiving = Helper::start(&[], &receiver("127.0.0.1"));
    let port: u16 = receiving.line().parse().expect("a port");
    let mut sending = Helper::start(&as_nobody, &sender("127.0.0.1", port, SIZE, None));
    let sender_port: u16 = sending.line().parse().expect("a port");
    assert_eq!(receiving.line(), SIZE.to_string(), "everything arrived");

    let (_dir, copy) = world_runnable_copy(env!("CARGO_BIN_EXE_prt").as_ref());
    let mut nobody_prt = || {
        let mut cmd = command("setpriv");
        cmd.args(as_nobody[1..].iter()).arg(&copy);
        cmd
    };
    let records = scan_after_the_transfer(&mut nobody_prt, sender_port, port);
    assert_both_ends(&records, port, sender_port);
    let roots = connection(&records, port, sender_port).expect("listed");
    assert_eq!(roots["uid"], 0);
    assert!(roots["pid"].is_null(), "root's process is hidden: {roots}");
    let own = connection(&records, sender_port, port).expect("listed");
    assert_eq!(own["pid"], sending.pid(), "its own process: {own}");

    // Per process, root's hidden sockets are grouped under uid 0; its own under its pid.
    let groups = ndjson(&run_ok(nobody_prt().args([
        "watch",
        "-t",
        "--traffic",
        "--by",
        "process",
        "--count",
        "1",
    ])));
    let hidden = groups
        .iter()
        .find(|g| g["pid"].is_null() && g["uid"] == 0)
        .expect("root's sockets, grouped by uid");
    // Other root connections (other tests') may add to the group, never take from it.
    assert!(
        hidden["bytes_received"].as_u64().expect("a number") >= SIZE * 99 / 100,
        "{hidden}"
    );
    let own = groups
        .iter()
        .find(|g| g["pid"] == sending.pid())
        .expect("its own process's group");
    assert!(within(&own["bytes_sent"], SIZE, 0.01), "{own}");
    assert_eq!(own["connections"], 1);

    // And root sees the same counters, with both processes.
    let records = scan_after_the_transfer(&mut prt, sender_port, port);
    assert_both_ends(&records, port, sender_port);
    assert_eq!(
        connection(&records, port, sender_port).expect("listed")["pid"],
        receiving.pid()
    );
}

#[test]
fn a_paced_transfer_has_the_rate_it_was_paced_at() {
    const RATE: u64 = 4_000_000;
    let mut receiving = Helper::start(&[], &receiver("127.0.0.1"));
    let port: u16 = receiving.line().parse().expect("a port");
    // Long enough for the watches below (about 4 s each). Scans 2 s apart: a helper that
    // the machine's load stalls for a moment catches up on its schedule within the window.
    let mut sending = Helper::start(&[], &sender("127.0.0.1", port, RATE * 16, Some(RATE)));
    let sender_port: u16 = sending.line().parse().expect("a port");

    let watch = |count: &str, extra: &[&str]| -> Vec<Value> {
        let output = run_ok(
            prt()
                .args([
                    "watch",
                    "-t",
                    "--traffic",
                    "--interval",
                    "2s",
                    "--count",
                    count,
                ])
                .args(extra),
        );
        ndjson(&output)
    };
    let records = watch("3", &["--full", "--ndjson"]);
    for (local, remote, field) in [
        (sender_port, port, "rate_sent"),
        (port, sender_port, "rate_received"),
    ] {
        let rates: Vec<&Value> = records
            .iter()
            .filter(|r| {
                r["local_port"] == u64::from(local)
                    && r["remote_port"] == u64::from(remote)
                    && r["status"] != "gone"
            })
            .map(|r| &r[field])
            .collect();
        assert_eq!(rates.len(), 3, "one record per scan: {rates:?}");
        assert!(rates[0].is_null(), "no rate on the first observation");
        for rate in &rates[1..] {
            assert!(
                within(rate, RATE, 0.10),
                "{field} {rate} vs {RATE}: {rates:?}"
            );
        }
    }

    // The same transfer per process, in a pipe: one record per process per scan.
    let groups = watch("3", &["--by", "process"]);
    let senders: Vec<&Value> = groups
        .iter()
        .filter(|g| g["pid"] == sending.pid())
        .collect();
    assert_eq!(senders.len(), 3, "{groups:?}");
    for group in &senders {
        assert_eq!(group["by"], "process");
        assert_eq!(group["connections"], 1);
    }
    for group in &senders[1..] {
        assert!(within(&group["rate_sent"], RATE, 0.10), "{group}");
    }
    // Totals grow with the transfer.
    let totals: Vec<u64> = senders
        .iter()
        .map(|g| g["bytes_sent"].as_u64().expect("a number"))
        .collect();
    assert!(totals.windows(2).all(|w| w[0] < w[1]), "{totals:?}");

    // Per remote: the loopback address, with both processes talking to it.
    let remotes = watch("2", &["--by", "remote"]);
    let loopback = remotes
        .iter()
        .filter(|g| g["remote_addr"] == "127.0.0.1" && g["seq"] == 2)
        .find(|g| {
            let pids = g["pids"].as_array().expect("pids");
            pids.contains(&sending.pid().into()) && pids.contains(&receiving.pid().into())
        });
    assert!(loopback.is_some(), "{remotes:?}");
}

/// Two namespaces joined by a veth pair: 10.231.0.1 in the first, 10.231.0.2 in the second.
fn joined_namespaces() -> (TestNetns, TestNetns) {
    let here = TestNetns::create();
    let there = TestNetns::create();
    let (a, b) = (here.name.as_str(), there.name.as_str());
    for args in [
        &[
            "-n", a, "link", "add", "prt-a", "type", "veth", "peer", "name", "prt-b", "netns", b,
        ][..],
        &["-n", a, "addr", "add", "10.231.0.1/24", "dev", "prt-a"],
        &["-n", b, "addr", "add", "10.231.0.2/24", "dev", "prt-b"],
        &["-n", a, "link", "set", "prt-a", "up"],
        &["-n", b, "link", "set", "prt-b", "up"],
    ] {
        ip(args);
    }
    (here, there)
}

// The per-process view on a terminal puts the process that sends first. The receiver is in
// another namespace (joined by a veth pair the test made), so the view in the sender's
// namespace shows one busy sender against an idle, older process.
#[test]
fn the_per_process_view_shows_the_sending_process_first() {
    require_root!();
    let (here, there) = joined_namespaces();
    let exec_in = |netns: &TestNetns| {
        ["ip", "netns", "exec"]
            .map(str::to_owned)
            .to_vec()
            .into_iter()
            .chain([netns.name.clone()])
            .collect::<Vec<String>>()
    };
    let here_prefix = exec_in(&here);
    let here_prefix: Vec<&str> = here_prefix.iter().map(String::as_str).collect();
    let there_prefix = exec_in(&there);
    let there_prefix: Vec<&str> = there_prefix.iter().map(String::as_str).collect();

    // The older process: a loopback connection to itself that trickles 1 KB a second.
    let mut idle = Helper::start(
        &here_prefix,
        "import socket, time
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
print('ready')
while True:
    c.sendall(b'x' * 1024); s.recv(4096); time.sleep(1)",
    );
    assert_eq!(idle.line(), "ready");
    let mut receiving = Helper::start(&there_prefix, &receiver("10.231.0.2"));
    let port: u16 = receiving.line().parse().expect("a port");
    let mut sending = Helper::start(
        &here_prefix,
        &sender("10.231.0.2", port, 5_000_000 * 30, Some(5_000_000)),
    );
    let _: u16 = sending.line().parse().expect("a port");

    let output = command("script")
        .args([
            "-qec",
            &format!(
                "stty cols 120 rows 30; exec ip netns exec {} {} watch --traffic --by process \
                 --interval 500ms --count 5 --color never",
                here.name,
                env!("CARGO_BIN_EXE_prt")
            ),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .expect("script runs");
    let transcript = String::from_utf8_lossy(&output.stdout);
    // The last frame in which the busiest row has a rate: a rate needs two scans, and on a
    // loaded machine the last frames drawn may still be early ones.
    let frames: Vec<Vec<String>> = frames(&transcript)
        .iter()
        .map(|frame| frame.iter().map(|line| plain(line)).collect())
        .collect();
    let last: &Vec<String> = frames
        .iter()
        .rev()
        .find(|frame| frame.get(3).is_some_and(|row| row.contains("/s")))
        .unwrap_or_else(|| {
            panic!(
                "a frame with rates was drawn; the frames were {frames:#?} (stderr: {})",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    // The header, the live view's sort and keys line, the heading, then the busiest.
    assert!(last[0].contains("prt watch --traffic"), "{last:?}");
    assert!(last[1].contains("RATE OUT"), "sorted by rate out: {last:?}");
    let heading = last[2].trim_start_matches(['>', ' ']);
    assert!(
        heading.contains("RATE OUT") && heading.starts_with("PID"),
        "{last:?}"
    );
    let first_row = last[3].trim_start_matches(['>', ' ']);
    assert!(
        first_row.starts_with(&format!("{} ", sending.pid())),
        "the sender ({}) first: {last:#?}",
        sending.pid()
    );
    assert!(
        first_row.contains("python3") && first_row.contains("/s"),
        "{first_row}"
    );
    let idle_row = last
        .iter()
        .position(|row| {
            row.trim_start_matches(['>', ' '])
                .starts_with(&format!("{} ", idle.pid()))
        })
        .expect("the idle process is listed");
    assert!(idle_row > 3, "{last:#?}");
}

#[test]
fn the_counters_are_in_the_schema_and_in_csv_columns() {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let (mut server, _) = listener.accept().expect("accept");
    client.write_all(&[1; 12_345]).expect("send");
    server.read_exact(&mut [0; 12_345]).expect("receive");
    let client_port = client.local_addr().expect("addr").port();

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/port-entry.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("valid JSON");
    let entry = &schema["$defs"]["PortEntry"];
    let mut documented: Vec<&str> = entry["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let traffic = ["bytes_sent", "bytes_received", "retrans", "rtt_us"];
    for field in traffic {
        assert!(entry["properties"][field].is_object(), "{field} documented");
        assert!(
            entry["dependentRequired"][field].is_array(),
            "{field} comes with the others"
        );
    }
    documented.extend(traffic);
    let records = ndjson(&run_ok(prt().args(["scan", "-t", "--traffic"])));
    let record = connection(&records, port, client_port).expect("the server end");
    let fields: Vec<&str> = record
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, documented, "every field, in wire order");
    assert_eq!(record["bytes_received"], 12_345);

    let csv = run_ok(prt().args(["scan", "-t", "--traffic", "--format", "csv"]));
    let mut lines = csv.lines();
    let header = lines.next().expect("header");
    assert!(
        header.ends_with(",recv_q,send_q,bytes_sent,bytes_received,retrans,rtt_us"),
        "{header}"
    );
    let row = lines
        .find(|line| line.contains(&format!(",{port},127.0.0.1,{client_port},ESTABLISHED,")))
        .expect("the server end's row");
    let cells: Vec<&str> = row.rsplitn(5, ',').collect();
    // rtt_us, retrans, bytes_received, bytes_sent (from the end): plain numbers.
    assert_eq!(cells[2], "12345", "{row}");
    assert!(cells[0].parse::<u64>().is_ok(), "{row}");

    // A table says it in binary units.
    let table = run_ok(prt().args(["scan", "-t", "--traffic", "--format", "table"]));
    assert!(
        table.lines().next().expect("heading").contains("TOTAL IN"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|line| line.contains(&format!("127.0.0.1:{port} ")) && line.contains("ESTAB"))
        .expect("the server end's row");
    assert!(row.contains("12.1 KiB"), "{row}");
}
