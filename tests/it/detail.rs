//! `prt detail` against a child process with a known cwd, environment, open file and
//! listener.

use std::process::Stdio;

use serde_json::Value;

use crate::common::{command, ndjson, prt, run_ok, with_input};
use crate::kill::Listener;
use crate::require_root;

/// A python3 listener in `dir`, holding `dir/held.txt` open, with PRT_TEST_SECRET set.
fn child_in(dir: &std::path::Path) -> Listener {
    std::fs::write(dir.join("held.txt"), "x").expect("write the file");
    Listener::start_in("held = open('held.txt')", Some(dir))
}

fn detail(args: &[&str]) -> Vec<Value> {
    ndjson(&run_ok(prt().arg("detail").args(args).stdin(Stdio::null())))
}

#[test]
fn a_child_is_described_in_full_and_secrets_stay_hidden() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = child_in(dir.path());
    let pid = listener.pid().to_string();
    let output = run_ok(prt().args(["detail", "--files", "--sample", "100ms", &pid]));
    assert!(
        !output.contains("hunter2"),
        "a secret value leaked: {output}"
    );
    let records = ndjson(&output);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    let canonical = dir.path().canonicalize().expect("canonical");
    assert_eq!(record["pid"], listener.pid());
    assert_eq!(record["cwd"], canonical.to_string_lossy().as_ref());
    assert!(
        record["exe"]
            .as_str()
            .is_some_and(|e| e.contains("python3")),
        "{record}"
    );
    assert!(
        record["argv"][0]
            .as_str()
            .is_some_and(|a| a.ends_with("python3")),
        "{record}"
    );
    assert_eq!(record["argv"][1], "-c");
    assert_eq!(record["ppid"], std::process::id());
    assert_eq!(record["parents"][0]["pid"], std::process::id());
    assert_eq!(
        record["parents"]
            .as_array()
            .and_then(|p| p.last())
            .map(|p| &p["pid"]),
        Some(&Value::from(1))
    );
    assert_eq!(record["user"], whoami());
    assert!(record["threads"].as_u64().is_some_and(|t| t >= 1));
    assert!(record["rss_bytes"].as_u64().is_some_and(|r| r > 1_000_000));
    assert!(record["cpu_percent"].as_f64().is_some());
    assert!(record["started"].as_str().is_some_and(|s| s.ends_with('Z')));
    let names = record["env"].as_array().expect("env names");
    assert!(names.iter().any(|n| n == "PRT_TEST_SECRET"), "{names:?}");
    assert_eq!(record["env_values"], Value::Null);
    let files = record["files"].as_array().expect("files listed");
    let held = canonical.join("held.txt");
    assert!(
        files
            .iter()
            .any(|f| f["target"] == held.to_string_lossy().as_ref()),
        "{files:?}"
    );
    assert_eq!(record["open_files"].as_u64(), Some(files.len() as u64));
    let listening = format!("127.0.0.1:{}", listener.port);
    assert!(
        record["sockets"]
            .as_array()
            .expect("sockets")
            .iter()
            .any(|s| s["local"] == listening.as_str() && s["state"] == "LISTEN"),
        "{record}"
    );
    assert_eq!(record["notes"], serde_json::json!([]));

    let with_values = detail(&["--env-values", "--sample", "0", &pid]);
    assert_eq!(with_values[0]["env_values"]["PRT_TEST_SECRET"], "hunter2");
    assert_eq!(
        with_values[0]["cpu_percent"],
        Value::Null,
        "--sample 0 skips it"
    );
    assert_eq!(
        with_values[0]["files"],
        Value::Null,
        "listed only with --files"
    );
}

fn whoami() -> String {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let passwd = std::fs::read_to_string("/etc/passwd").expect("passwd");
    passwd
        .lines()
        .find(|line| line.split(':').nth(2) == Some(&uid.to_string()))
        .and_then(|line| line.split(':').next())
        .expect("a passwd entry")
        .to_owned()
}

#[test]
fn records_and_ports_name_their_owners_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = child_in(dir.path());
    let records = listener.records();
    let twice = format!("{records}{records}");
    let output = with_input(prt().args(["detail", "--sample", "0"]), twice.as_bytes());
    assert!(output.status.success());
    let described = ndjson(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(described.len(), 1, "one process, one record");
    assert_eq!(described[0]["pid"], listener.pid());

    let by_port = detail(&["--sample", "0", &format!(":{}", listener.port)]);
    assert_eq!(by_port.len(), 1);
    assert_eq!(by_port[0]["pid"], listener.pid());
}

#[test]
fn a_terminal_view_has_labels_and_a_gone_pid_is_status_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = child_in(dir.path());
    let view = run_ok(prt().args([
        "detail",
        "--format",
        "table",
        "--sample",
        "0",
        &listener.pid().to_string(),
    ]));
    let canonical = dir.path().canonicalize().expect("canonical");
    assert!(
        view.lines()
            .any(|l| l.starts_with("cwd") && l.ends_with(canonical.to_string_lossy().as_ref())),
        "{view}"
    );
    assert!(
        view.contains("PRT_TEST_SECRET") && !view.contains("hunter2"),
        "{view}"
    );

    let mut gone = std::process::Command::new("true").spawn().expect("true");
    let gone_pid = gone.id();
    gone.wait().expect("reaped");
    let output = prt()
        .args(["detail", &gone_pid.to_string()])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no process"));
}

#[test]
fn what_another_user_may_not_read_is_null_with_a_note() {
    require_root!();
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = child_in(dir.path());
    let (_copy_dir, binary) =
        crate::common::world_runnable_copy(env!("CARGO_BIN_EXE_prt").as_ref());
    let output = {
        use std::os::unix::process::CommandExt;
        command(&binary)
            .args([
                "detail",
                "--files",
                "--sample",
                "0",
                &listener.pid().to_string(),
            ])
            .uid(65534)
            .gid(65534)
            .output()
            .expect("run as nobody")
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = ndjson(&String::from_utf8_lossy(&output.stdout));
    let record = &records[0];
    assert_eq!(record["pid"], listener.pid());
    assert_eq!(record["process"], "python3");
    assert_eq!(record["cwd"], Value::Null);
    assert_eq!(record["env"], Value::Null);
    assert_eq!(record["files"], Value::Null);
    let notes = record["notes"].to_string();
    for what in ["cwd", "environment", "open files"] {
        assert!(
            notes.contains(&format!("{what}: permission denied")),
            "{notes}"
        );
    }
    assert!(
        record["rss_bytes"].as_u64().is_some(),
        "what is readable is still there"
    );
}
