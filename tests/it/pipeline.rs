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
