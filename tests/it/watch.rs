//! `prt watch`: the changelog against sockets the test opens and closes, and the live
//! table under a pseudo-terminal.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::common::*;

/// Starts `prt watch ARGS` and a thread that parses its stdout line by line.
fn watch(args: &[&str]) -> (Child, mpsc::Receiver<Value>) {
    let mut child = prt()
        .arg("watch")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad line {line}: {e}"));
            if sender.send(value).is_err() {
                break;
            }
        }
    });
    (child, receiver)
}

/// Receives records until one satisfies `wanted`, collecting all of them.
fn until(receiver: &mpsc::Receiver<Value>, seen: &mut Vec<Value>, wanted: impl Fn(&Value) -> bool) {
    loop {
        let record = receiver
            .recv_timeout(Duration::from_secs(10))
            .expect("the watch keeps reporting");
        let done = wanted(&record);
        seen.push(record);
        if done {
            return;
        }
    }
}

#[test]
fn the_changelog_reports_a_listener_coming_and_going() {
    let marker = TcpListener::bind("127.0.0.1:0").expect("bind");
    let marker_port = marker.local_addr().expect("addr").port();
    let (mut child, receiver) = watch(&["--ndjson", "--interval", "200ms", "--count", "4"]);
    let mut seen = Vec::new();
    until(&receiver, &mut seen, |r| r["local_port"] == marker_port);

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    until(&receiver, &mut seen, |r| {
        r["local_port"] == port && r["status"] == "new"
    });
    drop(listener);
    until(&receiver, &mut seen, |r| {
        r["local_port"] == port && r["status"] == "gone"
    });
    seen.extend(receiver.iter()); // the rest, until the watch ends
    assert!(child.wait().expect("wait").success());

    let first: Vec<&Value> = seen.iter().filter(|r| r["seq"] == 1).collect();
    assert!(!first.is_empty());
    assert!(
        first.iter().all(|r| r["status"] == "new"),
        "the first scan is all new"
    );
    let ours: Vec<&Value> = seen.iter().filter(|r| r["local_port"] == port).collect();
    assert_eq!(ours.len(), 2, "one new, one gone, nothing else: {ours:?}");
    assert_eq!(
        (ours[0]["status"].as_str(), ours[1]["status"].as_str()),
        (Some("new"), Some("gone"))
    );
    assert_eq!(ours[0]["first_seen"], ours[1]["first_seen"]);
    assert!(ours[0]["seq"].as_u64() < ours[1]["seq"].as_u64());
    assert!(ours[0]["seq"].as_u64() > Some(1));
    let seqs: Vec<u64> = seen.iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]), "seq never goes back");
    assert!(
        seqs.iter().all(|&s| (1..=4).contains(&s)),
        "--count 4: {seqs:?}"
    );
    assert!(
        seen.iter()
            .filter(|r| r["local_port"] == marker_port)
            .count()
            == 1,
        "unchanged is not repeated"
    );
    drop(marker);
}

#[test]
fn full_mode_repeats_every_socket_every_scan() {
    let marker = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = marker.local_addr().expect("addr").port();
    let (mut child, receiver) = watch(&["--full", "--interval", "100ms", "--count", "3", "-tl"]);
    let records: Vec<Value> = receiver.iter().collect();
    assert!(child.wait().expect("wait").success());
    let ours: Vec<&Value> = records.iter().filter(|r| r["local_port"] == port).collect();
    let statuses: Vec<&str> = ours.iter().filter_map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["new", "unchanged", "unchanged"]);
    assert!(records.iter().all(|r| r["state"] == "LISTEN"));
}

#[test]
fn bad_options_exit_2() {
    for args in [
        &["--interval", "soon"][..],
        &["--interval", "0s"],
        &["--count", "0"],
        &["--where", "port>"],
    ] {
        let output = prt()
            .arg("watch")
            .args(args)
            .args(["--count", "1"])
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Runs `prt watch ARGS` under `script`, so it has a terminal; returns the child.
fn on_a_terminal(args: &str) -> Child {
    command("script")
        .args([
            "-qec",
            &format!("{} watch {args}", env!("CARGO_BIN_EXE_prt")),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .env("COLUMNS", "160")
        .env("LINES", "40")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script runs")
}

#[test]
fn the_live_table_runs_on_the_alternate_screen_and_gives_the_terminal_back() {
    let marker = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = marker.local_addr().expect("addr").port();
    let child = on_a_terminal("--interval 200ms --count 2 -tl");
    let output = child.wait_with_output().expect("wait");
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(
        transcript.starts_with("\x1b[?1049h\x1b[?25l"),
        "{transcript:?}"
    );
    assert!(
        transcript.trim_end().ends_with("\x1b[?25h\x1b[?1049l"),
        "{transcript:?}"
    );
    assert!(transcript.contains("PROTO") && transcript.contains("AGE"));
    assert!(transcript.contains(&format!("127.0.0.1:{port}")));
    assert!(transcript.contains("prt watch"));
    assert!(
        transcript.contains("  RX ") && transcript.contains("  TX "),
        "system rates in the header"
    );
}

/// The pid of the `prt` process running under `parent` (script forks a shell that runs it).
fn prt_under(parent: u32) -> Option<u32> {
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        let mut ancestor = parent_of(pid)?;
        for _ in 0..3 {
            if ancestor == parent && comm.trim() == "prt" {
                return Some(pid);
            }
            ancestor = parent_of(ancestor)?;
        }
        None
    })
}

#[test]
fn ctrl_c_leaves_the_terminal_restored() {
    let mut child = on_a_terminal("--interval 100ms");
    let mut stdout = child.stdout.take().expect("stdout");
    // Wait for the first frame.
    let mut transcript = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&transcript).contains("PROTO") {
        let read = stdout.read(&mut chunk).expect("read the terminal");
        assert!(read > 0, "watch ended early");
        transcript.extend_from_slice(&chunk[..read]);
    }
    let pid = prt_under(child.id()).expect("prt runs under script");
    // SAFETY: kill on a pid we found as our grandchild.
    let rc = unsafe { libc::kill(pid as i32, libc::SIGINT) };
    assert_eq!(rc, 0);
    stdout.read_to_end(&mut transcript).expect("read the rest");
    let status = child.wait().expect("wait");
    let transcript = String::from_utf8_lossy(&transcript);
    assert!(status.success(), "{status}");
    assert!(
        transcript.trim_end().ends_with("\x1b[?25h\x1b[?1049l"),
        "restored: {:?}",
        &transcript[transcript.len().saturating_sub(80)..]
    );
}

#[test]
fn the_port_monitor_reports_each_transition_once() {
    // A port number nothing uses: bind to learn one, then let it go.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (mut child, receiver) = watch(&[
        &port.to_string(),
        "--ndjson",
        "--interval",
        "150ms",
        "--count",
        "8",
    ]);
    let mut seen = Vec::new();
    until(&receiver, &mut seen, |e| {
        e["port"] == port && e["status"] == "down"
    });
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the watched port");
    until(&receiver, &mut seen, |e| e["status"] == "up");
    drop(listener);
    until(&receiver, &mut seen, |e| e["status"] == "down");
    seen.extend(receiver.iter());
    assert!(child.wait().expect("wait").success());
    let statuses: Vec<&str> = seen.iter().filter_map(|e| e["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["down", "up", "down"],
        "one event per transition: {seen:?}"
    );
    assert_eq!(seen[1]["pid"], std::process::id());
    assert_eq!(seen[1]["proto"], "tcp");
}

#[test]
fn the_port_board_rings_on_a_terminal() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut child = on_a_terminal(&format!("{port} --interval 150ms --count 6"));
    let mut stdout = child.stdout.take().expect("stdout");
    let mut transcript = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&transcript).contains("UP") {
        let read = stdout.read(&mut chunk).expect("read");
        assert!(read > 0, "ended early");
        transcript.extend_from_slice(&chunk[..read]);
    }
    drop(listener);
    stdout.read_to_end(&mut transcript).expect("read the rest");
    assert!(child.wait().expect("wait").success());
    let transcript = String::from_utf8_lossy(&transcript);
    assert!(
        transcript.contains(&port.to_string()) && transcript.contains("UP"),
        "{transcript:?}"
    );
    assert!(transcript.contains("DOWN"), "{transcript:?}");
    assert_eq!(
        transcript.matches('\x07').count(),
        1,
        "one bell, for the one change: {transcript:?}"
    );
}

// See: issue 14 — one socket was reported `new` and `gone` at once when its owners
// changed (a reload hands a listener to new workers; a parent exits, its child keeps it).
#[test]
fn a_listener_that_changes_hands_is_one_socket_throughout() {
    // A parent that listens, forks a child holding the listener, and exits after a while:
    // the socket's holders go from {parent, child} to {child}.
    let code = "import os, socket, sys, time\n\
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n\
                print(s.getsockname()[1], flush=True)\n\
                if os.fork() == 0:\n\
                \x20   time.sleep(60); os._exit(0)\n\
                time.sleep(1.5)\n";
    let (mut parent, line) = python_reporting(code);
    let port: u16 = line.parse().expect("a port");
    let (mut watcher, receiver) = watch(&["--ndjson", "--interval", "200ms"]);
    let mut seen = Vec::new();
    // The parent exits; the watch then reports the same socket with one holder.
    until(&receiver, &mut seen, |r| {
        r["local_port"] == port && r["pids"].as_array().is_some_and(|p| p.len() == 1)
    });
    let _ = parent.wait();
    let child_pid = seen
        .iter()
        .rev()
        .find(|r| r["local_port"] == port)
        .and_then(|r| r["pid"].as_u64())
        .expect("the child holds it");
    // SAFETY: kill has no memory preconditions; the pid is the test's grandchild.
    unsafe { libc::kill(child_pid as i32, libc::SIGKILL) };
    until(&receiver, &mut seen, |r| {
        r["local_port"] == port && r["status"] == "gone"
    });
    let _ = watcher.kill();
    let _ = watcher.wait();
    let ours: Vec<(&str, usize)> = seen
        .iter()
        .filter(|r| r["local_port"] == port && r["proto"] == "tcp")
        .map(|r| {
            (
                r["status"].as_str().unwrap_or("?"),
                r["pids"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(ours.first(), Some(&("new", 2)), "{ours:?}");
    assert_eq!(ours.last().map(|o| o.0), Some("gone"), "{ours:?}");
    assert_eq!(
        ours.iter().filter(|o| o.0 == "new").count(),
        1,
        "one new: {ours:?}"
    );
    assert_eq!(
        ours.iter().filter(|o| o.0 == "gone").count(),
        1,
        "one gone: {ours:?}"
    );
    assert!(
        ours.contains(&("unchanged", 1)),
        "the change of hands is reported: {ours:?}"
    );
}
