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
    // Other tests' sockets may share a port number: this test's are known by inode.
    let marker = TcpListener::bind("127.0.0.1:0").expect("bind");
    let marker_inode = inode_of(&marker);
    let (mut child, receiver) = watch(&["--ndjson", "--interval", "200ms", "--count", "4"]);
    let mut seen = Vec::new();
    until(&receiver, &mut seen, |r| r["inode"] == marker_inode);

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let inode = inode_of(&listener);
    until(&receiver, &mut seen, |r| {
        r["inode"] == inode && r["status"] == "new"
    });
    drop(listener);
    until(&receiver, &mut seen, |r| {
        r["inode"] == inode && r["status"] == "gone"
    });
    seen.extend(receiver.iter()); // the rest, until the watch ends
    assert!(child.wait().expect("wait").success());

    // The first scan's own records (events after it share its number).
    let first: Vec<&Value> = seen
        .iter()
        .filter(|r| r["seq"] == 1 && r["source"] != "event")
        .collect();
    assert!(!first.is_empty());
    assert!(
        first.iter().all(|r| r["status"] == "new"),
        "the first scan is all new"
    );
    let ours: Vec<&Value> = seen.iter().filter(|r| r["inode"] == inode).collect();
    assert_eq!(ours.len(), 2, "one new, one gone, nothing else: {ours:?}");
    assert_eq!(
        (ours[0]["status"].as_str(), ours[1]["status"].as_str()),
        (Some("new"), Some("gone"))
    );
    assert_eq!(ours[0]["first_seen"], ours[1]["first_seen"]);
    // The close is an event record: it carries the number of the last scan before it,
    // which may be the scan that saw the listener new.
    assert!(ours[0]["seq"].as_u64() <= ours[1]["seq"].as_u64());
    // Opened after the first scan: a later scan's record, or (as root, from the
    // tracepoint) an event record numbered by the first scan, the last before it.
    assert!(
        ours[0]["seq"].as_u64() > Some(1) || ours[0]["source"] == "event",
        "{ours:?}"
    );
    let seqs: Vec<u64> = seen.iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]), "seq never goes back");
    assert!(
        seqs.iter().all(|&s| (1..=4).contains(&s)),
        "--count 4: {seqs:?}"
    );
    assert!(
        seen.iter().filter(|r| r["inode"] == marker_inode).count() == 1,
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

/// Runs `prt watch ARGS` under `script`, so it has a terminal (160x40); returns the child.
fn on_a_terminal(args: &str) -> Child {
    command("script")
        .args([
            "-qec",
            &format!(
                "stty cols 160 rows 40; exec {} watch {args}",
                env!("CARGO_BIN_EXE_prt")
            ),
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
    // Only the marker: other tests' listeners would push it below the screen.
    let child = on_a_terminal(&format!(
        "--interval 200ms --count 2 -tl --where 'port={port}'"
    ));
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

/// `prt watch` on a pseudo-terminal of a given size (`script` gives the terminal, `stty`
/// sizes it), with its output read on a thread so that waits can time out.
struct Terminal {
    child: Child,
    chunks: mpsc::Receiver<Vec<u8>>,
    transcript: Vec<u8>,
}

const ENTER: &str = "\x1b[?1049h\x1b[?25l";
const LEAVE: &str = "\x1b[?25h\x1b[?1049l";

impl Terminal {
    fn start(args: &str, columns: u16, lines: u16, env: &[(&str, &str)]) -> Terminal {
        let mut child = command("script")
            .args([
                "-qec",
                &format!(
                    "stty cols {columns} rows {lines}; exec {} watch {args}",
                    env!("CARGO_BIN_EXE_prt")
                ),
                "/dev/null",
            ])
            .env("TERM", "xterm")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("script runs");
        let mut stdout = child.stdout.take().expect("stdout");
        let (sender, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(read @ 1..) = stdout.read(&mut chunk) {
                if sender.send(chunk[..read].to_vec()).is_err() {
                    break;
                }
            }
        });
        Terminal {
            child,
            chunks,
            transcript: Vec::new(),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.transcript).into_owned()
    }

    /// Reads until `wanted` holds for the transcript from byte `from` on.
    fn wait_for(&mut self, from: usize, what: &str, wanted: impl Fn(&str) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let text = String::from_utf8_lossy(&self.transcript[from.min(self.transcript.len())..])
                .into_owned();
            if wanted(&text) {
                return;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.transcript.extend_from_slice(&chunk),
                Err(err) => panic!("no {what} on the terminal ({err}): {:?}", tail(&text, 600)),
            }
        }
    }

    fn prt_pid(&self) -> i32 {
        prt_under(self.child.id()).expect("prt runs under script") as i32
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill on a pid found as the test's (grand)child.
        assert_eq!(unsafe { libc::kill(self.prt_pid(), signal) }, 0);
    }

    /// Waits for the end; the exit status and the whole transcript.
    fn finish(mut self) -> (std::process::ExitStatus, String) {
        while let Ok(chunk) = self.chunks.recv_timeout(Duration::from_secs(15)) {
            self.transcript.extend_from_slice(&chunk);
        }
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status, self.text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the watch goes on: {:?}", tail(&self.text(), 300));
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // A failed test must not leave a watch running.
        if let Some(pid) = prt_under(self.child.id()) {
            // SAFETY: kill on a pid found as the test's (grand)child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last `n` bytes of `text` (or all of it), cut on a character boundary.
fn tail(text: &str, n: usize) -> &str {
    let mut start = text.len().saturating_sub(n);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The state letter of a process (`S`, `T` for stopped).
fn process_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

// See: issue 15 — Ctrl-C and SIGTERM ended the watch with status 0; a shell expects
// 128 + the signal's number.
#[test]
fn ctrl_c_and_sigterm_restore_the_terminal_and_exit_128_plus_the_signal() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let mut terminal = Terminal::start("--interval 100ms", 120, 30, &[]);
        terminal.wait_for(0, "first frame", |t| t.contains("PROTO"));
        terminal.signal(signal);
        let (status, transcript) = terminal.finish();
        assert_eq!(status.code(), Some(code), "signal {signal}: {status}");
        assert!(
            transcript.trim_end().ends_with(LEAVE),
            "signal {signal} restored: {:?}",
            tail(&transcript, 80)
        );
    }
}

// See: issue 15 — Ctrl-Z left the terminal on the alternate screen with no cursor.
#[test]
fn ctrl_z_gives_the_terminal_back_and_fg_redraws() {
    let mut terminal = Terminal::start("--interval 100ms", 120, 30, &[]);
    terminal.wait_for(0, "first frame", |t| t.contains("PROTO"));
    let pid = terminal.prt_pid();
    let before = terminal.transcript.len();
    terminal.signal(libc::SIGTSTP);
    let mut stopped = false;
    for _ in 0..200 {
        if process_state(pid) == Some('T') {
            stopped = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(stopped, "Ctrl-Z stops prt: {:?}", process_state(pid));
    // `script` stops itself when its child stops (possibly before passing on all the child
    // wrote), and continues the child when it is continued itself: the test's `fg`.
    // SAFETY: kill on the test's own child.
    assert_eq!(
        unsafe { libc::kill(terminal.child.id() as i32, libc::SIGCONT) },
        0
    );
    terminal.wait_for(before, "leave, then a redraw after fg", |t| {
        t.find(LEAVE)
            .is_some_and(|at| t[at..].contains(ENTER) && t[at..].contains("PROTO"))
    });
    let text = terminal.text();
    let suspended = &text[before..];
    let left = suspended.find(LEAVE).unwrap_or_default();
    assert!(
        !suspended[left..]
            .split(ENTER)
            .next()
            .unwrap_or_default()
            .contains("PROTO"),
        "nothing drawn between leaving and coming back"
    );
    terminal.signal(libc::SIGINT);
    let (status, transcript) = terminal.finish();
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(transcript.trim_end().ends_with(LEAVE));
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
                print(os.fstat(s.fileno()).st_ino, flush=True)\n\
                if os.fork() == 0:\n\
                \x20   time.sleep(60); os._exit(0)\n\
                time.sleep(1.5)\n";
    let (mut parent, line) = python_reporting(code);
    // The socket is the test's by its inode: a stranger's socket on the same port number
    // is not mistaken for it.
    let inode: u64 = line.parse().expect("an inode");
    let (mut watcher, receiver) = watch(&["--ndjson", "--interval", "200ms"]);
    let mut seen = Vec::new();
    // The parent exits; the watch then reports the same socket with one holder.
    until(&receiver, &mut seen, |r| {
        r["inode"] == inode && r["pids"].as_array().is_some_and(|p| p.len() == 1)
    });
    let _ = parent.wait();
    let child_pid = seen
        .iter()
        .rev()
        .find(|r| r["inode"] == inode)
        .and_then(|r| r["pid"].as_u64())
        .expect("the child holds it");
    // SAFETY: kill has no memory preconditions; the pid is the test's grandchild.
    unsafe { libc::kill(child_pid as i32, libc::SIGKILL) };
    until(&receiver, &mut seen, |r| {
        r["inode"] == inode && r["status"] == "gone"
    });
    let _ = watcher.kill();
    let _ = watcher.wait();
    let ours: Vec<(&str, usize)> = seen
        .iter()
        .filter(|r| r["inode"] == inode)
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

// See: issue 15 — the live view printed every row and scrolled its header off the screen.
#[test]
fn the_live_view_fits_the_screen_with_its_header_pinned_and_marks_new_rows() {
    let listeners: Vec<TcpListener> = (0..60)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let mut terminal = Terminal::start(
        "--interval 200ms -tl --where 'local in 127.0.0.0/8'",
        80,
        24,
        &[("NO_COLOR", "1")],
    );
    terminal.wait_for(0, "two frames", |t| frames(t).len() >= 2);
    let text = terminal.text();
    assert!(!text.contains("\x1b[3"), "NO_COLOR: no colours");
    let all = frames(&text);
    let frame = all.last().expect("a frame");
    assert!(
        frame.len() <= 24,
        "{} lines on a 24-line screen",
        frame.len()
    );
    assert!(
        frame[0].starts_with("prt watch") && frame[0].contains("sockets"),
        "header pinned: {frame:?}"
    );
    assert!(frame[1].contains("sort"), "controls: {frame:?}");
    assert!(frame[2].contains("PROTO"), "table heading: {frame:?}");
    let last = plain(frame.last().expect("a line"));
    let hidden: usize = last
        .trim()
        .strip_prefix('+')
        .and_then(|rest| rest.strip_suffix(" more"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a +N more line: {frame:?}"));
    assert!(hidden >= 60 - 21, "+{hidden} more of 60 listeners");
    for line in frame {
        assert!(
            plain(line).chars().count() <= 80,
            "{line:?} is wider than the screen"
        );
    }
    drop(terminal);

    // Without colour, a socket that is new in a later scan is told apart by its marker.
    let old = &listeners[0];
    let old_port = old.local_addr().expect("addr").port();
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut terminal = Terminal::start(
        &format!("--interval 200ms -tl --where 'port={port} or port={old_port}'"),
        80,
        24,
        &[("NO_COLOR", "1")],
    );
    terminal.wait_for(0, "two frames", |t| frames(t).len() >= 2);
    let new = TcpListener::bind(("127.0.0.1", port)).expect("bind the chosen port");
    let needle = format!("127.0.0.1:{port}");
    let from = terminal.transcript.len();
    let framed = |t: &str| {
        frames(t)
            .into_iter()
            .find(|frame| frame.iter().any(|line| line.contains(&needle)))
    };
    terminal.wait_for(from, "the new listener", |t| framed(t).is_some());
    let text = terminal.text();
    let frame = framed(&text[from..]).expect("a frame with it");
    let row = |needle: &str| {
        frame
            .iter()
            .find(|line| line.contains(needle))
            .cloned()
            .unwrap_or_else(|| panic!("no {needle} in {frame:?}"))
    };
    // After the selection column (`>` or a space): the marker.
    let marker = |line: &str| line.chars().skip(1).collect::<String>();
    assert!(marker(&row(&needle)).starts_with('+'), "new: {frame:?}");
    let unchanged = row(&format!("127.0.0.1:{old_port}"));
    assert!(
        !marker(&unchanged).starts_with('+') && !marker(&unchanged).starts_with('-'),
        "unchanged: {frame:?}"
    );
    drop(new);
    drop(listeners);
}

// See: issue 15 — a resized terminal kept the old layout until the next scan.
#[test]
fn a_resize_re_lays_out_the_view_at_once() {
    let listeners: Vec<TcpListener> = (0..40)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    // One scan only in the test's time: the second frame can come only from the resize.
    let mut terminal = Terminal::start(
        "--interval 60s -tl --where 'local in 127.0.0.0/8'",
        120,
        40,
        &[("NO_COLOR", "1")],
    );
    terminal.wait_for(0, "a frame", |t| !frames(t).is_empty());
    let first = frames(&terminal.text()).remove(0);
    assert!(first.len() > 20, "{} lines at 120x40", first.len());
    let tty = std::fs::read_link(format!("/proc/{}/fd/1", terminal.prt_pid())).expect("tty");
    run_ok(
        command("stty")
            .arg("-F")
            .arg(&tty)
            .args(["cols", "60", "rows", "20"]),
    );
    // stty sets the columns and the rows one after the other: a frame may come between.
    terminal.wait_for(0, "a frame at 60x20", |t| {
        frames(t).iter().skip(1).any(|f| f.len() <= 20)
    });
    let resized = frames(&terminal.text())
        .into_iter()
        .skip(1)
        .find(|f| f.len() <= 20)
        .expect("a frame at 60x20");
    assert!(resized[0].starts_with("prt watch"), "{resized:?}");
    assert!(
        resized.iter().all(|line| plain(line).chars().count() <= 60),
        "{resized:?}"
    );
    drop(listeners);
}

// See: issue 15 — at 60 columns the live view's columns ran past the edge and PROCESS was
// cut off.
#[test]
fn a_narrow_live_view_keeps_the_process_whole() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let comm = own_comm();
    let pid = std::process::id().to_string();
    let mut terminal = Terminal::start(
        &format!("--interval 200ms -tl --where 'port={port}'"),
        60,
        24,
        &[("NO_COLOR", "1")],
    );
    let ours = |frame: &Vec<String>| {
        frame.iter().any(|line| {
            let words: Vec<String> = plain(line).split_whitespace().map(str::to_owned).collect();
            words.contains(&pid) && words.contains(&comm)
        })
    };
    terminal.wait_for(0, "our row with the whole process name", |t| {
        frames(t).iter().any(ours)
    });
    let text = terminal.text();
    let all = frames(&text);
    let frame = all.iter().find(|f| ours(f)).expect("a frame");
    assert!(frame[2].contains("PROCESS"), "{frame:?}");
    for line in frame {
        assert!(plain(line).chars().count() <= 60, "{line:?}: {frame:?}");
    }
    drop(terminal);
    drop(listener);
}
