//! Flags, formats, colours, exit statuses and external subcommands.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::common::*;

fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (listener, port)
}

#[test]
fn json_is_one_array_of_the_same_records() {
    let (_l, port) = listener();
    let text = run_ok(prt().args(["scan", "--format", "json", "-tl"]));
    let array: Vec<Value> = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(on_port(&array, "tcp", port).len(), 1);
    assert!(text.starts_with("[\n{"));
    assert!(text.ends_with("}\n]\n"));
    let empty = run_ok(prt().args([
        "scan", "--format", "json", "-6", "--listen", "--udp", "--tcp",
    ]));
    assert!(serde_json::from_str::<Vec<Value>>(&empty).is_ok());
}

#[test]
fn csv_has_the_field_names_as_header() {
    let (_l, port) = listener();
    let text = run_ok(prt().args(["scan", "--format", "csv", "-tl"]));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let record = &scan(&["-tl"])[0];
    let fields: Vec<&String> = record.as_object().expect("object").keys().collect();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        fields,
        "same names, same order"
    );
    let row = reader
        .records()
        .map(|r| r.expect("row"))
        .find(|r| r.get(2) == Some(&port.to_string()))
        .expect("our listener");
    assert_eq!(row.get(0), Some("tcp"));
    assert_eq!(row.get(5), Some("LISTEN"));
    assert_eq!(row.get(3), Some(""), "null is an empty cell");
    assert_eq!(row.get(8), Some(std::process::id().to_string().as_str()));
}

#[test]
fn table_has_headers_and_respects_colour_switches() {
    let (_l, port) = listener();
    let plain = run_ok(prt().args(["scan", "--format", "table", "-tl"]));
    assert!(
        plain
            .lines()
            .next()
            .is_some_and(|h| h.contains("PROTO") && h.contains("PROCESS"))
    );
    assert!(plain.contains(&format!("127.0.0.1:{port}")));
    assert!(!plain.contains('\x1b'), "no colour in a pipe");

    let always = run_ok(prt().args(["scan", "--format", "table", "--color", "always", "-tl"]));
    assert!(always.contains('\x1b'));
    let forced = run_ok(
        prt()
            .args(["scan", "--format", "table", "-tl"])
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(forced.contains('\x1b'));
    let never = run_ok(
        prt()
            .args(["scan", "--format", "table", "--color", "never", "-tl"])
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(!never.contains('\x1b'));
}

#[test]
fn a_terminal_gets_a_table_without_colour_under_no_color() {
    let (_l, port) = listener();
    let run = |no_color: bool| {
        let mut cmd = command("script");
        cmd.args([
            "-qec",
            &format!("{} scan -tl", env!("CARGO_BIN_EXE_prt")),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .env("COLUMNS", "200");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        run_ok(&mut cmd)
    };
    let coloured = run(false);
    assert!(
        coloured.contains("PROTO") && coloured.contains(&format!(":{port}")),
        "{coloured}"
    );
    assert!(coloured.contains('\x1b'), "colour on a terminal");
    let plain = run(true);
    assert!(plain.contains("PROTO"));
    assert!(!plain.contains("\x1b["), "NO_COLOR: {plain:?}");
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    for args in [
        &["scan", "--bogus"][..],
        &["scan", "--format", "xml"],
        &["scan", "--sort", "colour"],
        &["scan", "--backend", "carrier-pigeon"],
        &[],
    ] {
        let output = prt().args(args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
    let help = prt().args(["scan", "--help"]).output().expect("runs");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Examples:"));
}

#[test]
fn unknown_commands_run_prt_name_from_path_or_suggest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugin = dir.path().join("prt-hello");
    std::fs::write(&plugin, "#!/bin/sh\necho \"hello $*\"\nexit 3\n").expect("write plugin");
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!("{}:/usr/bin:/bin", dir.path().display());

    let output = prt()
        .args(["hello", "a", "b"])
        .env("PATH", &path)
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello a b\n");
    assert_eq!(
        output.status.code(),
        Some(3),
        "the plugin's status passes through"
    );

    let output = prt().arg("sacn").env("PATH", &path).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("prt: no such command: `sacn`"),
        "{stderr}"
    );
    assert!(stderr.contains("`scan`"), "{stderr}");
}

#[test]
fn prt_scan_binary_is_the_same_stage() {
    let (_l, port) = listener();
    let text = run_ok(command(env!("CARGO_BIN_EXE_prt-scan")).args(["-tl"]));
    let records = ndjson(&text);
    assert_eq!(on_port(&records, "tcp", port).len(), 1);
    let output = command(env!("CARGO_BIN_EXE_prt-scan"))
        .arg("--nope")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("prt-scan"));
}

#[test]
fn the_json_schema_describes_the_records() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/port-entry.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema file"))
        .expect("valid JSON");
    let entry = &schema["$defs"]["PortEntry"];
    let required: Vec<&str> = entry["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let (_l, _port) = listener();
    let record = &scan(&["-tl"])[0];
    let fields: Vec<&str> = record
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(required, fields, "every field, in wire order");
    let states: Vec<&str> = entry["properties"]["state"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let all: Vec<&str> = prt::model::State::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(states, all);
}
