//! `prt alert` on real streams: a live watch, a scan, commands run per alert, exit codes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::common::{ndjson, prt, with_input};

/// A free port: bound, read, released (std sets SO_REUSEADDR, so it can be bound again).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn write_file(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn a_watch_stream_rings_once_for_a_listener_opened_after_the_first_scan() {
    let port = free_port();
    let mut watch = prt()
        .args([
            "watch",
            "--ndjson",
            "--full",
            "--tcp",
            "--listen",
            "--interval",
            "200ms",
            "--count",
            "4",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("watch");
    let mut alert = prt()
        .args([
            "alert",
            "--when",
            &format!("port={port}"),
            "--action",
            "bell",
        ])
        .args(["--name", "opened"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("alert");

    // Pass the stream through, opening the listener once the first scan has been written.
    let watch_out = BufReader::new(watch.stdout.take().expect("piped"));
    let mut alert_in = alert.stdin.take().expect("piped");
    let mut listener = None;
    let mut seqs = Vec::new();
    for line in watch_out.lines() {
        let line = line.expect("watch output");
        let record: Value = serde_json::from_str(&line).expect("record");
        seqs.push(record["seq"].as_u64().expect("seq"));
        if listener.is_none() {
            listener = Some(TcpListener::bind(("127.0.0.1", port)).expect("bind the port"));
        }
        writeln!(alert_in, "{line}").expect("to alert");
    }
    drop(alert_in);
    assert!(watch.wait().expect("watch ends").success());
    let output = alert.wait_with_output().expect("alert ends");
    assert_eq!(output.status.code(), Some(0), "fired: exit 0");
    let fired = ndjson(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(
        fired.len(),
        1,
        "one bell for the new socket, not one per tick: {fired:?}"
    );
    assert_eq!(fired[0]["local_port"], port);
    assert_eq!(fired[0]["status"], "new");
    // Opened after the first scan: a later scan's record, or (as root, from the
    // tracepoint) an event record numbered by the first scan, the last before it.
    assert!(
        fired[0]["seq"].as_u64() > Some(1) || fired[0]["source"] == "event",
        "opened after the first scan: {fired:?}"
    );
    assert_eq!(fired[0]["alerts"], serde_json::json!(["opened"]));
    assert!(
        seqs.iter().filter(|&&s| s == 4).count() > 0,
        "all four scans seen"
    );
    drop(listener);
}

#[test]
fn exec_gets_the_record_and_its_fields() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let records = dir.path().join("records");
    let env = dir.path().join("env");
    let scan = prt()
        .args(["scan", "--tcp", "--listen"])
        .output()
        .expect("scan");
    let mut alert = prt()
        .args([
            "alert",
            "-q",
            "--when",
            &format!("port={port}"),
            "--name",
            "mine",
        ])
        .arg("--exec")
        .arg(format!(
            "cat >> '{}'; echo \"$PRT_RULE $PRT_PORT $PRT_PID $PRT_PROCESS\" >> '{}'",
            records.display(),
            env.display()
        ))
        .stdin(Stdio::piped())
        .spawn()
        .expect("alert");
    alert
        .stdin
        .take()
        .expect("piped")
        .write_all(&scan.stdout)
        .expect("feed");
    assert_eq!(alert.wait().expect("ends").code(), Some(0));
    let got = ndjson(&std::fs::read_to_string(&records).expect("exec ran"));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["local_port"], port);
    assert_eq!(got[0]["alerts"], serde_json::json!(["mine"]));
    let env = std::fs::read_to_string(&env).expect("env written");
    assert_eq!(
        env.trim(),
        format!(
            "mine {port} {} {}",
            std::process::id(),
            crate::common::own_comm()
        )
    );
}

#[test]
fn exit_statuses_for_cron() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let scan = prt()
        .args(["scan", "--tcp", "--listen"])
        .output()
        .expect("scan")
        .stdout;
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str], input: &[u8]| {
        let mut child = prt()
            .arg("alert")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("alert");
        // A stage that fails early closes its input: that is not the test's concern.
        let _ = child.stdin.take().expect("piped").write_all(input);
        child.wait_with_output().expect("ends")
    };
    let firing = write_file(
        dir.path(),
        "firing.toml",
        &format!("[[alerts]]\nname = \"ours\"\nport = {port}\nstate = \"LISTEN\"\n"),
    );
    let quiet = write_file(
        dir.path(),
        "quiet.toml",
        "[[alerts]]\nname = \"never\"\nport = 1\nprocess = \"no-such-process\"\n",
    );
    let broken = write_file(
        dir.path(),
        "broken.toml",
        "[[alerts]]\nname = \"bad\"\nwhen = \"port>>1\"\n",
    );
    let fired = run(&["-q", "--rules", firing.to_str().expect("utf-8")], &scan);
    assert_eq!(fired.status.code(), Some(0));
    assert!(fired.stdout.is_empty(), "-q prints nothing");

    let none = run(&["-q", "--rules", quiet.to_str().expect("utf-8")], &scan);
    assert_eq!(none.status.code(), Some(1));

    let bad = run(&["--rules", broken.to_str().expect("utf-8")], &scan);
    assert_eq!(bad.status.code(), Some(2));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(
        message.contains(&format!("rule 'bad': {}:3:", broken.display())),
        "names the rule and the position: {message}"
    );

    let empty_input = run(&["--rules", firing.to_str().expect("utf-8")], b"");
    assert_eq!(
        empty_input.status.code(),
        Some(1),
        "empty input fires nothing"
    );

    let malformed = run(&["--when", "port=1"], b"{\"local_port\":1}\nnot json\n");
    assert_eq!(malformed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("line 2"));

    let passed = run(&["--pass", "--when", &format!("port={port}")], &scan);
    let records = ndjson(&String::from_utf8_lossy(&passed.stdout));
    assert_eq!(records.len(), ndjson(&String::from_utf8_lossy(&scan)).len());
    assert!(records.iter().all(|r| r["alerts"].is_array()));
    assert_eq!(
        records
            .iter()
            .filter(|r| r["alerts"] != serde_json::json!([]))
            .count(),
        1
    );
    drop(listener);
}

#[test]
fn rules_come_from_the_configuration_when_none_are_given() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(
        dir.path(),
        "prt.toml",
        &format!("[[alerts]]\nname = \"configured\"\nwhen = \"port={port}\"\n"),
    );
    let scan = prt()
        .args(["scan", "--tcp", "--listen"])
        .output()
        .expect("scan")
        .stdout;
    let mut child = prt()
        .args(["alert"])
        .env("PRT_CONFIG", &config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("alert");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(&scan)
        .expect("feed");
    let output = child.wait_with_output().expect("ends");
    let fired = ndjson(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0]["alerts"], serde_json::json!(["configured"]));
    drop(listener);
}

#[test]
fn connections_gt_counts_within_each_scan_of_a_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write_file(
        dir.path(),
        "busy.toml",
        "[[alerts]]\nname = \"busy\"\nconnections_gt = 2\n",
    );
    let line = |seq: u64, port: u16| {
        format!(
            "{{\"local_port\":{port},\"pid\":7,\"process\":\"web\",\"status\":\"new\",\"seq\":{seq}}}\n"
        )
    };
    // Three sockets of pid 7 in scan 1, two in scan 2, three in scan 3.
    let input: String = [
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 4),
        (2, 5),
        (3, 6),
        (3, 7),
        (3, 8),
    ]
    .iter()
    .map(|&(seq, port)| line(seq, port))
    .collect();
    let mut child = prt()
        .args(["alert", "--rules", rules.to_str().expect("utf-8")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("alert");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())
        .expect("feed");
    let output = child.wait_with_output().expect("ends");
    let ports: Vec<u64> = ndjson(&String::from_utf8_lossy(&output.stdout))
        .iter()
        .filter_map(|r| r["local_port"].as_u64())
        .collect();
    assert_eq!(ports, [1, 2, 3, 6, 7, 8], "scan 2 has only two");
}

#[test]
fn config_check_parses_the_rules_when() {
    // See: issue 14
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_file(
        dir.path(),
        "prt.toml",
        "[[alerts]]\nname = \"fine\"\nwhen = \"port=22\"\n\n[[alerts]]\nname = \"broken\"\nwhen = \"port=22 && state=lisen\"\n",
    );
    let check = prt()
        .args(["config", "--check"])
        .arg(&config)
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(2));
    assert!(check.stdout.is_empty(), "no 'ok'");
    assert_eq!(
        String::from_utf8_lossy(&check.stderr),
        format!(
            "prt config: rule 'broken': {}:7:26: unknown value 'lisen' for state; did you mean 'LISTEN'?\n",
            config.display()
        )
    );
    // The same file through PRT_CONFIG, and the alert stage agrees.
    let via_env = prt()
        .args(["config", "--check"])
        .env("PRT_CONFIG", &config)
        .output()
        .expect("runs");
    assert_eq!(via_env.status.code(), Some(2));
    let alert = prt()
        .arg("alert")
        .env("PRT_CONFIG", &config)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(alert.status.code(), Some(2));

    let good = write_file(
        dir.path(),
        "good.toml",
        "[[alerts]]\nname = \"ssh\"\nwhen = \"port=22 && !state=listen\"\n",
    );
    let ok = prt()
        .args(["config", "--check"])
        .arg(&good)
        .output()
        .expect("runs");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains(": ok ("));
}

// See: issue 21 — 200,000 `not` in a rules file aborted `prt alert` (stack overflow).
#[test]
fn a_rule_nested_too_deep_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("deep.toml");
    std::fs::write(
        &rules,
        format!(
            "[[alerts]]\nname = \"deep\"\nwhen = \"{}port=22\"\n",
            "not ".repeat(200_000)
        ),
    )
    .expect("write rules");
    let output = with_input(
        prt().args(["alert", "--rules", rules.to_str().expect("utf-8")]),
        b"{\"local_port\":22}\n",
    );
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("rule 'deep'"), "{message}");
    let config = with_input(
        prt().args([
            "config",
            "--check",
            "--config",
            rules.to_str().expect("utf-8"),
        ]),
        b"",
    );
    assert_eq!(
        config.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&config.stderr)
    );
}

/// A record of about 200 KB (a long command line) on port 22, as one NDJSON line.
fn large_record() -> Vec<u8> {
    let mut line = format!(
        "{{\"proto\":\"tcp\",\"local_addr\":\"127.0.0.1\",\"local_port\":22,\"cmdline\":\"{}\"}}\n",
        "x".repeat(200 * 1024)
    )
    .into_bytes();
    line.shrink_to_fit();
    line
}

#[test]
fn exec_timeout_covers_feeding_a_large_record_to_a_command_that_never_reads() {
    // See: issue 21
    // prt blocked writing the record before the clock started: `sleep 6` with
    // --exec-timeout 1s ran 6 s and was reported a success.
    let start = std::time::Instant::now();
    let output = with_input(
        prt().args([
            "alert",
            "-q",
            "--when",
            "port=22",
            "--exec",
            "sleep 5",
            "--exec-timeout",
            "1s",
        ]),
        &large_record(),
    );
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(elapsed < Duration::from_millis(3500), "took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(900), "took {elapsed:?}");
    assert!(
        stderr.contains("`sleep 5` timed out after 1s"),
        "reported as timed out: {stderr}"
    );
    // The rule fired, but a command it ran failed: status 2 at the end (issue 20).
    assert_eq!(output.status.code(), Some(2), "{stderr}");
}

/// Whether process `pid` is gone (or dead, waiting to be reaped).
fn is_dead(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn exec_timeout_kills_everything_the_command_started() {
    // See: issue 21
    // Only `sh` was killed: a `sleep` under it lived on with parent 1.
    let dir = tempfile::tempdir().expect("tempdir");
    let pids = dir.path().join("pids");
    let command = format!(
        "sleep 30 & echo $! >> '{0}'; sleep 30 & echo $! >> '{0}'; echo $$ >> '{0}'; wait",
        pids.display()
    );
    let output = with_input(
        prt()
            .args(["alert", "-q", "--when", "port=22", "--exec-timeout", "1s"])
            .arg("--exec")
            .arg(&command),
        &large_record(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("timed out after 1s"), "{stderr}");
    let pids = std::fs::read_to_string(&pids).expect("the command wrote its pids");
    let pids: Vec<&str> = pids.split_whitespace().collect();
    assert_eq!(pids.len(), 3, "{pids:?}");
    // Orphans are reaped by init soon after they die; give that a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while !pids.iter().all(|pid| is_dead(pid)) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let alive: Vec<&&str> = pids.iter().filter(|pid| !is_dead(pid)).collect();
    assert!(alive.is_empty(), "still running: {alive:?}");
}

// See: issue 15 — the table and CSV of `prt alert --pass` did not say which rows fired.
#[test]
fn passed_tables_and_csv_say_which_records_fired() {
    let input = br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN","status":"new","seq":1}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":8,"state":"LISTEN","status":"unchanged","seq":1}
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = write_file(
        dir.path(),
        "rules.toml",
        "[[alerts]]\nname = \"seven\"\nport = 7\n",
    );
    let rules = rules.to_str().expect("utf-8");
    let table = with_input(
        prt().args(["alert", "--pass", "--rules", rules, "--format", "table"]),
        input,
    );
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    let mark = |port: &str| {
        text.lines()
            .find(|l| l.contains(&format!("127.0.0.1:{port}")))
            .and_then(|l| l.split_whitespace().next())
            .map(str::to_owned)
    };
    assert_eq!(mark("7").as_deref(), Some("+*"), "{text}");
    assert_eq!(mark("8").as_deref(), Some("tcp"), "{text}");

    let csv = with_input(
        prt().args(["alert", "--pass", "--rules", rules, "--format", "csv"]),
        input,
    );
    let text = String::from_utf8_lossy(&csv.stdout);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let names: Vec<&str> = header.iter().collect();
    assert_eq!(
        names[names.len() - 5..],
        ["status", "first_seen", "seq", "ts", "alerts"],
        "{text}"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let last = names.len() - 1;
    assert_eq!(rows[0].get(last), Some("seven"), "{text}");
    assert_eq!(rows[1].get(last), Some(""), "{text}");
    assert_eq!(rows[0].get(names.len() - 5), Some("new"), "{text}");
}
