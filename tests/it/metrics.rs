//! `prt metrics` (issue 19): the exposition checked by promtool, and read back through a
//! real Prometheus — scraping node_exporter's textfile collector, and scraping
//! `prt metrics --listen` fed by a live `prt watch` — with PromQL over its HTTP API.
//!
//! The daemons run on loopback ports picked by binding port 0 first, with temp data dirs,
//! each in a process group of its own that is killed when the test ends, pass or fail.
//! The listener a test looks for is its own (port from the kernel), so other tests'
//! sockets on this machine change nothing but the other series.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{prt, run_ok, with_input};
use crate::need;

/// The rules file shipped in contrib/.
fn rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/prometheus/prt-rules.yml")
}

/// A loopback port free a moment ago (the kernel's pick for port 0).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A daemon in a process group of its own, killed (group and all) when dropped.
struct Group {
    child: Child,
    what: &'static str,
}

impl Group {
    fn spawn(what: &'static str, cmd: &mut Command) -> Group {
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        Group { child, what }
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}", self.what);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: kill has no memory preconditions; the group is our own child's.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on 127.0.0.1:port: the status code and the body.
fn http_get(port: u16, path: &str) -> Option<(u16, String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head.to_owned(), body.to_owned()))
}

/// Percent-encodes a query parameter.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A Prometheus on a free loopback port scraping `target` every second, with the contrib
/// alerting rules evaluated every second.
struct Prometheus {
    port: u16,
    _daemon: Group,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(binary: &Path, target: u16) -> Prometheus {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("prometheus.yml");
        let rules = rules_file();
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 rule_files:\n  - {}\n\
                 scrape_configs:\n  - job_name: prt\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n",
                rules.display()
            ),
        )
        .expect("write prometheus.yml");
        let port = free_port();
        let mut daemon = Group::spawn(
            "prometheus",
            Command::new(binary)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}")),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(port, "/-/ready").is_none_or(|(status, ..)| status != 200) {
            daemon.assert_running();
            assert!(Instant::now() < deadline, "prometheus did not get ready");
            std::thread::sleep(Duration::from_millis(200));
        }
        Prometheus {
            port,
            _daemon: daemon,
            _dir: dir,
        }
    }

    /// `GET /api/v1/PATH`'s `data`.
    fn api(&self, path: &str) -> Value {
        let (status, _, body) = http_get(self.port, &format!("/api/v1/{path}"))
            .unwrap_or_else(|| panic!("prometheus answers {path}"));
        assert_eq!(status, 200, "{path}: {body}");
        let value: Value = serde_json::from_str(&body).expect("JSON from prometheus");
        assert_eq!(value["status"], "success", "{body}");
        value["data"].clone()
    }

    /// The series a PromQL instant query returns.
    fn query(&self, promql: &str) -> Vec<Value> {
        let data = self.api(&format!("query?query={}", encode(promql)));
        data["result"].as_array().cloned().unwrap_or_default()
    }

    /// Whether alert `name` is firing with label `port`.
    fn firing(&self, name: &str, port: u16) -> bool {
        self.api("alerts")["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|alert| {
                alert["labels"]["alertname"] == name
                    && alert["labels"]["port"].as_str() == Some(port.to_string().as_str())
                    && alert["state"] == "firing"
            })
    }
}

/// Waits up to `secs` (doing `tick` before each look) until `done`.
fn within(secs: u64, what: &str, mut tick: impl FnMut(), mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        tick();
        if done() {
            return;
        }
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `prt scan | prt metrics ARGS`: the metrics' stdout.
fn scan_to_metrics(args: &[&str]) -> String {
    scan_with_to_metrics(&[], args)
}

/// `prt scan SCAN_ARGS | prt metrics ARGS`.
fn scan_with_to_metrics(scan_args: &[&str], args: &[&str]) -> String {
    let records = run_ok(prt().args(["scan", "--format", "ndjson"]).args(scan_args));
    let output = with_input(prt().arg("metrics").args(args), records.as_bytes());
    assert!(
        output.status.success(),
        "prt metrics: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn promtool_check_metrics(promtool: &Path, text: &str) {
    let output = with_input(
        Command::new(promtool).args(["check", "metrics"]),
        text.as_bytes(),
    );
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn promtool_accepts_the_metrics_and_the_rules() {
    let promtool = need!("promtool");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let text = scan_to_metrics(&[]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("prt_listening{") && l.contains(&format!("port=\"{port}\""))),
        "{text}"
    );
    promtool_check_metrics(&promtool, &text);

    // With counters (issue 18): bytes by process, which promtool accepts too. The bytes
    // this test moves over its own connection are in its process's sums.
    let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let (mut server, _) = listener.accept().expect("accept");
    std::io::Write::write_all(&mut client, &[7; 4096]).expect("send");
    std::io::Read::read_exact(&mut server, &mut [0; 4096]).expect("receive");
    let text = scan_with_to_metrics(&["--traffic"], &[]);
    let sent: u64 = text
        .lines()
        .filter(|l| l.starts_with("prt_process_sent_bytes{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(sent >= 4096, "{text}");
    promtool_check_metrics(&promtool, &text);
    let rules = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(rules_file())
        .output()
        .expect("promtool runs");
    assert!(
        rules.status.success(),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&rules.stdout),
        String::from_utf8_lossy(&rules.stderr)
    );
}

#[test]
fn prometheus_finds_a_listener_through_node_exporters_textfile_collector() {
    let (prometheus, exporter, promtool) =
        need!("prometheus", "prometheus-node-exporter", "promtool");
    let textfiles = tempfile::tempdir().expect("temp dir");
    let prom_file = textfiles.path().join("prt.prom");
    let exporter_port = free_port();
    let mut node = Group::spawn(
        "prometheus-node-exporter",
        Command::new(exporter)
            .args(["--collector.disable-defaults", "--collector.textfile"])
            .arg(format!(
                "--collector.textfile.directory={}",
                textfiles.path().display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{exporter_port}")),
    );
    let server = Prometheus::start(&prometheus, exporter_port);
    node.assert_running();

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let output = prom_file.to_string_lossy().into_owned();
    let refresh = || {
        scan_to_metrics(&["--output", &output]);
    };
    let series = format!("prt_listening{{port=\"{port}\"}}");
    within(30, "the listener's series in prometheus", refresh, || {
        !server.query(&series).is_empty()
    });
    let found = server.query(&series);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["metric"]["proto"], "tcp");
    assert_eq!(found[0]["metric"]["family"], "ipv4");
    assert_eq!(found[0]["value"][1], "1");
    promtool_check_metrics(
        &promtool,
        &std::fs::read_to_string(&prom_file).expect("the textfile"),
    );
    // No leftover temporary file beside it (the collector would complain of it).
    let names: Vec<_> = std::fs::read_dir(textfiles.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from("prt.prom")]);

    within(
        30,
        "the not-allowed-listener alert firing",
        || {},
        || server.firing("PrtListenerNotAllowed", port),
    );

    drop(listener);
    within(30, "the series to go", refresh, || {
        server.query(&series).is_empty()
    });
}

#[test]
fn prometheus_scrapes_prt_metrics_listen_fed_by_prt_watch() {
    let prometheus = need!("prometheus");
    let port_metrics = free_port();
    let listen = format!("127.0.0.1:{port_metrics}");
    // prt watch | prt metrics --listen, both in one process group.
    let mut watch = prt()
        .args(["watch", "--ndjson", "--interval", "500ms"])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("prt watch");
    let group = watch.id() as i32;
    let watch_out = watch.stdout.take().expect("watch's stdout");
    let metrics = prt()
        .args(["metrics", "--listen", &listen])
        .process_group(group)
        .stdin(watch_out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prt metrics");
    let _pipeline = Group {
        child: watch,
        what: "prt watch",
    };
    let _metrics = Group {
        child: metrics,
        what: "prt metrics",
    };

    // Only GET /metrics is served.
    within(
        20,
        "prt metrics --listen to serve",
        || {},
        || http_get(port_metrics, "/metrics").is_some_and(|(status, ..)| status == 200),
    );
    let (status, head, body) = http_get(port_metrics, "/metrics").expect("answer");
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    assert!(body.contains("# TYPE prt_listening gauge"), "{body}");
    let (status, ..) = http_get(port_metrics, "/").expect("answer");
    assert_eq!(status, 404);

    let server = Prometheus::start(&prometheus, port_metrics);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let series = format!("prt_listening{{port=\"{port}\"}}");
    within(
        30,
        "the listener's series in prometheus",
        || {},
        || server.query(&series).len() == 1,
    );
    drop(listener);
    within(
        30,
        "the series to go",
        || {},
        || server.query(&series).is_empty(),
    );
}

/// The label sets of the exposition `text` (metric name and labels, values left out),
/// without the scan's own gauges.
fn series_set(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .filter(|s| !s.starts_with("prt_scan_") && !s.starts_with("prt_last_scan"))
        .collect()
}

#[test]
fn many_connections_of_one_process_are_the_same_series_as_few() {
    // A real connection of this test's own, as prt scan reports it: then copies of it with
    // other ephemeral ports, remote addresses and inodes, as 100 or 10,000 connections of
    // the one process would be.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let client_port = client.local_addr().expect("addr").port();
    let records = run_ok(prt().args(["scan", "--format", "ndjson", "--tcp"]));
    let template: Value = records
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["local_port"] == client_port && r["remote_port"] == port)
        .expect("the test's connection in the scan");
    let metrics = |connections: u32| {
        let mut input = String::new();
        for i in 0..connections {
            let mut record = template.clone();
            record["local_port"] = (20_000 + i % 40_000).into();
            record["remote_addr"] = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255).into();
            record["inode"] = (1_000_000 + u64::from(i)).into();
            input.push_str(&record.to_string());
            input.push('\n');
        }
        let output = with_input(prt().arg("metrics"), input.as_bytes());
        assert!(output.status.success());
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let few = metrics(100);
    let many = metrics(10_000);
    assert_eq!(series_set(&few), series_set(&many));
    assert!(
        few.lines()
            .any(|l| l.starts_with("prt_established_connections{") && l.ends_with(" 100")),
        "{few}"
    );
    assert!(
        many.lines()
            .any(|l| l.starts_with("prt_established_connections{") && l.ends_with(" 10000")),
        "{many}"
    );
    assert!(many.contains("prt_scan_sockets 10000\n"));
}

#[test]
fn output_is_replaced_whole_and_bad_input_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("prt.prom");
    std::fs::write(&file, "old\n").expect("write");
    let record = r#"{"proto":"udp","local_addr":"::","local_port":5353,"remote_addr":null,"remote_port":null,"state":"UNCONN","inode":7,"pid":1,"process":"avahi","user":"avahi"}"#;
    let output = with_input(
        prt().args(["metrics", "--output"]).arg(&file),
        format!("{record}\n").as_bytes(),
    );
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty());
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        text.contains(
            "prt_listening{proto=\"udp\",port=\"5353\",family=\"ipv6\",process=\"avahi\",user=\"avahi\",service=\"mdns\"} 1"
        ),
        "{text}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert_eq!(names.len(), 1, "no temporary file left");

    let bad = with_input(prt().arg("metrics"), b"{\"proto\":\n");
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty(), "nothing half-written");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.starts_with("prt metrics: ") && stderr.contains("line 1"),
        "{stderr}"
    );

    let missing = with_input(
        prt().args(["metrics", "--output", "/nonexistent-dir/prt.prom"]),
        format!("{record}\n").as_bytes(),
    );
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("/nonexistent-dir/prt.prom"), "{stderr}");

    // An address already taken is an error that names it.
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let busy = with_input(prt().args(["metrics", "--listen", &addr]), b"");
    assert_eq!(busy.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&busy.stderr).contains(&addr));
}

#[test]
fn host_marks_records_only_when_asked() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let own = |records: &str| -> Value {
        records
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
            .find(|r| r["local_port"] == port && r["state"] == "LISTEN")
            .expect("the test's listener")
    };
    let plain = own(&run_ok(prt().args(["scan", "--format", "ndjson", "-tl"])));
    assert!(plain.get("host").is_none(), "{plain}");
    let named = run_ok(prt().args(["scan", "--format", "ndjson", "-tl", "--host", "web\"1"]));
    assert!(
        named.lines().all(|l| l.ends_with(r#","host":"web\"1"}"#)),
        "the last field of every line: {named}"
    );
    let named = own(&named);
    assert_eq!(named["host"], "web\"1");
    let mut without = named.clone();
    without.as_object_mut().expect("an object").remove("host");
    assert_eq!(without["inode"], plain["inode"]);

    // Without a NAME: the machine's hostname, in a watch too.
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let watched = run_ok(prt().args(["watch", "--ndjson", "--count", "1", "-tl", "--host"]));
    assert_eq!(own(&watched)["host"], hostname.trim());
}
