//! Pipes: a closed pipe ends prt quietly.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::Stdio;

use crate::common::*;

/// Enough listeners that the output outgrows a pipe buffer, so the writer must see EPIPE.
fn many_listeners() -> Vec<TcpListener> {
    (0..700)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect()
}

#[test]
fn head_closing_the_pipe_is_a_quiet_success() {
    let _listeners = many_listeners();
    for format in ["ndjson", "json", "csv", "table"] {
        let mut child = prt()
            .args(["scan", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("one line");
        // The reader is dropped here: the pipe is closed with most of the output unread.
        let output = child.wait_with_output().expect("wait");
        assert!(!first.is_empty());
        assert_eq!(output.status.code(), Some(0), "{format}");
        assert!(
            output.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn shell_pipeline_into_head() {
    let _listeners = many_listeners();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' scan | head -1", env!("CARGO_BIN_EXE_prt")))
        .output()
        .expect("sh");
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
}

/// Every stage and the help, each with what makes it write something.
fn writing_invocations(own_pid: &str, record_file: &str) -> Vec<Vec<String>> {
    let words = |text: &str| text.split(' ').map(str::to_owned).collect::<Vec<_>>();
    vec![
        words("scan"),
        words(&format!("filter port>=0 {record_file}")),
        words(&format!("alert --when port=22 {record_file}")),
        words("fw 203.0.113.5"),
        words(&format!("detail {own_pid}")),
        words(&format!("kill --dry-run --format ndjson {own_pid}")),
        words("watch --count 1 --ndjson"),
        words("completions bash"),
        words("--help"),
        words("--version"),
        words("scan --help"),
    ]
}

#[test]
fn lost_output_is_an_error_with_a_message() {
    // See: issue 21
    // `prt scan >&-` and `prt --help > /dev/full` exited 0: the output was lost unsaid.
    let _listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dir = tempfile::tempdir().expect("tempdir");
    let records = dir.path().join("records.ndjson");
    std::fs::write(
        &records,
        "{\"proto\":\"tcp\",\"local_addr\":\"127.0.0.1\",\"local_port\":22,\"pid\":1}\n",
    )
    .expect("write");
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("sleep");
    let pid = sleeper.id().to_string();
    let prt_path = env!("CARGO_BIN_EXE_prt");
    for args in writing_invocations(&pid, &records.to_string_lossy()) {
        let closed = command("sh")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" >&-")
            .arg(prt_path)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("sh");
        let full = prt()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full"),
            )
            .output()
            .expect("prt");
        for (how, output, says) in [
            ("closed", closed, "standard output is closed"),
            (
                "full",
                full,
                "cannot write to standard output: No space left",
            ),
        ] {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?} {how}: {stderr}");
            assert!(stderr.contains(says), "{args:?} {how}: {stderr}");
        }
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
}

#[test]
fn help_and_stages_into_a_pipe_nobody_reads_stay_quiet() {
    // See: issue 21
    // Lost output is an error, but a reader that went away (EPIPE) is not: `true` has
    // exited before prt writes, so its every write meets a closed pipe.
    for args in ["--help", "--version", "scan --format csv", "fw 203.0.113.5"] {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "( sleep 0.3; '{}' {args}; echo \"status $?\" >&2 ) | true",
                env!("CARGO_BIN_EXE_prt")
            ))
            .output()
            .expect("sh");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "status 0\n",
            "{args}"
        );
    }
}
