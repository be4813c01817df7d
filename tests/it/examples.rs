//! The library as a Rust user meets it: every program in `examples/` runs and does what its
//! comment says, and a crate outside the repository, depending on prt without default
//! features, builds the README's "Using prt as a library" program and finds our listener.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{end_group, python_reporting};

/// Every example and the test that runs it; a new example without a test fails
/// `every_example_is_run`.
const EXAMPLES: [&str; 7] = [
    "scan_json",
    "new_listeners",
    "match_filter",
    "kill_port",
    "closed_sockets",
    "process_events",
    "tcp_states",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>`: the test binary lives in its `deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/it-*")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(repo());
    cmd
}

/// The built example `name`; the examples are built (once per run) if `cargo test --test
/// it` alone did not build them.
fn example(name: &str) -> Command {
    Command::new(built(name))
}

/// The path of the built example `name` (built first if need be); for tests that run it
/// another way (as another user, from a copy).
pub fn built(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut build = cargo();
        build.args(["build", "--examples", "--quiet"]);
        if profile_dir().ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "cargo build --examples failed");
    });
    profile_dir().join("examples").join(name)
}

#[test]
fn every_example_is_run() {
    let mut found: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .expect("examples/")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    found.sort();
    let mut tested: Vec<String> = EXAMPLES.iter().map(|&n| n.to_owned()).collect();
    tested.sort();
    assert_eq!(found, tested, "every example needs a test here");
}

#[test]
fn scan_json_lists_our_listener_with_our_pid() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let output = example("scan_json").output().expect("runs");
    assert!(output.status.success(), "{output:?}");
    let records: Vec<Value> = serde_json::from_slice(&output.stdout).expect("a JSON array");
    let ours = records
        .iter()
        .find(|r| r["local_port"] == port && r["state"] == "LISTEN")
        .expect("our listener is listed");
    assert_eq!(ours["pid"], std::process::id());
    assert_eq!(ours["local_addr"], "127.0.0.1");
}

#[test]
fn new_listeners_calls_back_for_a_listener_opened_later() {
    let mut child = example("new_listeners")
        .args(["100", "300"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("text");
    assert_eq!(first, "watching");
    // Opened after the baseline: the callback must report it, with this process as owner.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let wanted = format!("port {port} pid {}", std::process::id());
    let started = Instant::now();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("text");
        if line.contains(&wanted) {
            break;
        }
        seen.push(line);
        assert!(started.elapsed() < Duration::from_secs(20), "{seen:?}");
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no callback for port {port}: {seen:?}"
    );
    // Listeners open before the baseline were not reported as new.
    assert!(seen.iter().all(|l| !l.contains(" port 22 ")), "{seen:?}");
}

#[test]
fn match_filter_matches_exactly_what_the_expression_says() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let expression = format!("port={port} and state=listen");
    let output = example("match_filter")
        .arg(&expression)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty(), "nothing matched {expression}");
    for line in &lines {
        assert!(line.contains(&format!(":{port} LISTEN")), "{line}");
    }
    let ours = format!("tcp 127.0.0.1:{port} LISTEN pid {}", std::process::id());
    assert!(lines.contains(&ours.as_str()), "{lines:?}");

    // A bad expression: exit 2 and the column where it went wrong.
    let bad = example("match_filter").arg("port=").output().expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(message.contains("column 6"), "{message}");
}

#[test]
fn kill_port_dry_runs_unless_told_and_then_ends_the_listener() {
    let (mut child, port) = python_reporting(
        "import socket, time\n\
         s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n\
         print(s.getsockname()[1], flush=True)\n\
         time.sleep(60)",
    );
    let pid = child.id();

    let dry = example("kill_port").arg(&port).output().expect("runs");
    assert!(dry.status.success(), "{dry:?}");
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        text.contains(&format!("{pid} python3 SkippedDryRun")),
        "{text}"
    );
    assert!(
        child.try_wait().expect("wait").is_none(),
        "a dry run ended it"
    );

    let real = example("kill_port")
        .args([port.as_str(), "--really"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&real.stdout);
    let ended = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        child.try_wait().expect("wait").is_some()
    });
    end_group(&mut child);
    assert!(ended, "the listener survived: {text}");
    assert!(text.contains(&format!("{pid} python3 Exited")), "{text}");
}

/// The README's library section, built as a user would: a new crate elsewhere, prt by
/// path, default features off; then run, and it must list a listener this test holds.
#[test]
fn readme_program_builds_outside_the_repository_without_default_features() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let section = readme
        .split("## Using prt as a library")
        .nth(1)
        .expect("the README has the section");
    let code = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a rust block in the section");
    let dependency = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml block in the section");
    assert!(
        dependency.contains("default-features = false"),
        "{dependency}"
    );

    let outside = tempfile::tempdir().expect("temp dir");
    let manifest = format!(
        "[package]\nname = \"outside\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
         [workspace]\n\n{}",
        dependency.replace("../prt", &repo().display().to_string())
    );
    std::fs::write(outside.path().join("Cargo.toml"), manifest).expect("write");
    std::fs::create_dir(outside.path().join("src")).expect("mkdir");
    std::fs::write(outside.path().join("src/main.rs"), code).expect("write");
    // The same dependency versions as prt's own build, found offline.
    std::fs::copy(repo().join("Cargo.lock"), outside.path().join("Cargo.lock")).expect("copy");

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let output = Command::new(env!("CARGO"))
        .current_dir(outside.path())
        .args(["run", "--quiet", "--offline"])
        // Kept between runs, so only the first run pays for the build.
        .env("CARGO_TARGET_DIR", profile_dir().join("outside-crate"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let ours = format!("tcp 127.0.0.1:{port} {} ", std::process::id());
    assert!(text.contains(&ours), "{ours} not in:\n{text}");

    // Built without the command line's crates.
    let tree = Command::new(env!("CARGO"))
        .current_dir(outside.path())
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(tree.contains("prt v"), "{tree}");
    for crate_name in ["clap", "comfy-table", "owo-colors", "crossterm", "anyhow"] {
        assert!(
            !tree
                .lines()
                .any(|l| l.starts_with(&format!("{crate_name} v"))),
            "{crate_name} is built without the cli feature:\n{tree}"
        );
    }
}

#[test]
#[allow(clippy::print_stderr, reason = "says why the test is skipped")]
fn tcp_states_prints_our_listener_and_connection_as_they_begin_and_end() {
    crate::require_root!();
    let mut child = example("tcp_states")
        .arg("30")
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok);
    assert_eq!(first.as_deref(), Some("watching"));
    let pid = std::process::id();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = listener.local_addr().expect("addr");
    let client = std::net::TcpStream::connect(server).expect("connect");
    let client_addr = client.local_addr().expect("addr");
    drop(listener.accept().expect("accept"));
    drop(client);
    drop(listener);
    let wanted = [
        format!("change CLOSE LISTEN {server} 0.0.0.0:0 {pid}"),
        format!("began listener {server} 0.0.0.0:0 {pid}"),
        format!("began client {client_addr} {server} {pid}"),
        format!("began server {server} {client_addr} {pid}"),
        format!("ended client {client_addr} {server} {pid}"),
        format!("ended listener {server} 0.0.0.0:0 {pid}"),
    ];
    let started = Instant::now();
    let mut missing: Vec<&String> = wanted.iter().collect();
    for line in lines.by_ref() {
        let line = line.expect("text");
        missing.retain(|w| **w != line);
        if missing.is_empty() || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(missing.is_empty(), "never printed: {missing:?}");
}
