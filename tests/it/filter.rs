//! `prt filter` on real scan output and on hand-written streams.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::*;

/// `prt filter ARGS` with `input` on stdin.
fn filter(args: &[&str], input: &[u8]) -> Output {
    with_input(prt().arg("filter").args(args), input)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn scan_piped_into_filter_finds_the_test_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let scanned = run_ok(prt().arg("scan"));
    let output = filter(
        &[&format!("port={port} and state=listen and proto=tcp")],
        scanned.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = ndjson(&stdout(&output));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["pid"], std::process::id());
    let line = stdout(&output);
    assert!(scanned.contains(&line), "the original line, unchanged");

    let same = run_ok(prt().args(["scan", "--where", &format!("port={port} and state=listen")]));
    assert_eq!(
        ndjson(&same).len(),
        1,
        "scan --where uses the same language"
    );

    let bare = filter(&[&port.to_string()], scanned.as_bytes());
    assert!(
        ndjson(&stdout(&bare))
            .iter()
            .all(|r| r["local_port"] == u64::from(port))
    );
}

#[test]
fn unknown_fields_and_formatting_pass_through_byte_for_byte() {
    let input = concat!(
        "{\"local_port\": 22,  \"proto\":\"tcp\", \"zz_extra\": {\"deep\": [1, 2.5e3, null]}, \"note\":\"caf\\u00e9\"}\n",
        "{\"local_port\":80,\"proto\":\"tcp\"}\r\n",
        "{\"proto\":\"udp\",\"local_port\":22,\"from\":\"another tool\"}\n",
    );
    let output = filter(&["port=22"], input.as_bytes());
    assert_eq!(output.status.code(), Some(0));
    let expected = concat!(
        "{\"local_port\": 22,  \"proto\":\"tcp\", \"zz_extra\": {\"deep\": [1, 2.5e3, null]}, \"note\":\"caf\\u00e9\"}\n",
        "{\"proto\":\"udp\",\"local_port\":22,\"from\":\"another tool\"}\n",
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn exit_status_like_grep() {
    let input = b"{\"local_port\":22}\n{\"local_port\":80}\n";
    assert_eq!(filter(&["port=22"], input).status.code(), Some(0));
    assert_eq!(filter(&["port=23"], input).status.code(), Some(1));
    let empty = filter(&["port=22"], b"");
    assert_eq!(empty.status.code(), Some(1), "empty input matches nothing");
    assert!(empty.stdout.is_empty() && empty.stderr.is_empty());
    let blank = filter(&["port=22"], b"\n  \n");
    assert_eq!(
        blank.status.code(),
        Some(1),
        "blank lines are not records, nor errors"
    );

    let bad = filter(&["port>="], input);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        stderr(&bad),
        "prt filter: expected a value after '>=' at column 7\n"
    );
    let typo = filter(&["prcess=sshd"], input);
    assert_eq!(
        stderr(&typo),
        "prt filter: unknown field 'prcess'; did you mean 'process'? at column 1\n"
    );
}

#[test]
fn a_garbage_line_stops_with_its_line_number() {
    let input = b"{\"local_port\":22}\n{\"local_port\":23}\nnot json at all\n{\"local_port\":22}\n";
    let output = filter(&["port=22"], input);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "prt filter: line 3: expected a JSON object at column 1\n"
    );
    assert_eq!(
        stdout(&output),
        "{\"local_port\":22}\n",
        "records before the bad line are out"
    );

    let skipped = filter(&["port=22", "--skip-invalid"], input);
    assert_eq!(skipped.status.code(), Some(0));
    assert_eq!(ndjson(&stdout(&skipped)).len(), 2);
    assert_eq!(
        stderr(&skipped),
        "prt filter: skipped line 3: expected a JSON object at column 1\n"
    );
}

#[test]
fn files_are_read_in_turn_and_named_in_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("a.ndjson");
    let second = dir.path().join("b.ndjson");
    std::fs::write(&first, "{\"local_port\":1}\n{\"local_port\":2}\n").expect("write");
    std::fs::write(&second, "{\"local_port\":2}\n{\"local_port\":\n").expect("write");
    let output = prt()
        .args(["filter", "port=2"])
        .arg(&first)
        .arg(&second)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output).lines().count(), 2);
    let message = stderr(&output);
    assert!(
        message.starts_with(&format!("prt filter: {}: line 2: ", second.display())),
        "{message}"
    );

    let missing = prt()
        .args(["filter", "port=2", "/nonexistent/x.ndjson"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot open /nonexistent/x.ndjson"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn invert_count_and_quiet() {
    let input = b"{\"local_port\":22}\n{\"local_port\":80}\n{\"local_port\":443}\n";
    assert_eq!(stdout(&filter(&["-c", "port<100"], input)), "2\n");
    assert_eq!(stdout(&filter(&["-c", "-v", "port<100"], input)), "1\n");
    let none = filter(&["-c", "port=1"], input);
    assert_eq!(
        (stdout(&none).as_str(), none.status.code()),
        ("0\n", Some(1))
    );
    let quiet = filter(&["-q", "port=80"], input);
    assert_eq!((quiet.stdout.len(), quiet.status.code()), (0, Some(0)));
}

#[test]
fn other_formats_show_the_records_fields() {
    let input = b"{\"proto\":\"tcp\",\"local_addr\":\"::1\",\"local_port\":22,\"pids\":[3,4],\"process\":\"=cmd\",\"x\":1}\n";
    let csv = stdout(&filter(&["--format", "csv", "port=22"], input));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("proto,local_addr,local_port"))
    );
    assert_eq!(lines.next(), Some("tcp,::1,22,,,,,,,3;4,'=cmd,,,,,,,,,,,"));
    let json = stdout(&filter(&["--format", "json", "port=22"], input));
    let array: Vec<serde_json::Value> = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(array[0]["x"], 1, "unknown fields kept in JSON too");
    let table = stdout(&filter(&["--format", "table", "port=22"], input));
    assert!(table.contains("[::1]:22"), "{table}");
}

#[test]
fn a_live_stream_is_passed_on_at_once() {
    let mut child = prt()
        .args(["filter", "port=22"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    stdin.write_all(b"{\"local_port\":22}\n").expect("write");
    stdin.flush().expect("flush");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    // stdin stays open: the record must arrive without waiting for the end of input.
    let line = receiver
        .recv_timeout(Duration::from_secs(5))
        .expect("the record arrives while input is open");
    assert_eq!(line, "{\"local_port\":22}\n");
    drop(stdin);
    assert_eq!(child.wait().expect("wait").code(), Some(0));
}

#[test]
fn arbitrary_bytes_on_stdin_never_panic() {
    let mut state: u64 = 0x1234_5678_9abc_def1;
    let mut input = Vec::new();
    for i in 0..4000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let pieces: [&[u8]; 8] = [
            b"{",
            b"}",
            b"\"local_port\"",
            b":",
            b"22",
            b"\n",
            b"\\u12",
            b"\xff\xfe",
        ];
        if i % 3 == 0 {
            input.push((state >> 24) as u8);
        } else {
            input.extend_from_slice(pieces[(state % 8) as usize]);
        }
    }
    for args in [
        &["port=22"][..],
        &["--skip-invalid", "port=22"],
        &["--skip-invalid", "--format", "csv", "!"],
    ] {
        let output = filter(args, &input);
        let code = output.status.code();
        assert!(matches!(code, Some(0..=2)), "{args:?}: {code:?}");
        assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    }
}

#[test]
fn a_pipeline_ending_on_a_terminal_ends_in_a_table() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let prt_bin = env!("CARGO_BIN_EXE_prt");
    let pipeline = format!("{prt_bin} scan | {prt_bin} filter 'port={port}'");
    let transcript = run_ok(
        command("script")
            .args(["-qec", &pipeline, "/dev/null"])
            .env("TERM", "dumb")
            .env("COLUMNS", "150")
            .env("NO_COLOR", "1"),
    );
    assert!(transcript.contains("PROTO"), "{transcript}");
    assert!(
        transcript.contains(&format!("127.0.0.1:{port}")),
        "{transcript}"
    );
    assert!(
        !transcript.contains("\"proto\""),
        "not NDJSON on the terminal"
    );
}

#[test]
fn symbols_and_a_glued_bang_combine_terms_on_real_records() {
    // See: issue 14
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let scanned = run_ok(prt().arg("scan"));
    let and = filter(
        &[&format!("port={port} && state=listen")],
        scanned.as_bytes(),
    );
    assert_eq!(and.status.code(), Some(0), "{}", stderr(&and));
    let records = ndjson(&stdout(&and));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["pid"], std::process::id());
    let or = filter(
        &[&format!("port={port}||port={port}"), "-c"],
        scanned.as_bytes(),
    );
    assert_eq!(stdout(&or), "1\n");
    let not = filter(
        &[&format!("!port={port} && port>={port} && port<={port}")],
        scanned.as_bytes(),
    );
    assert_eq!(not.status.code(), Some(1), "{}", stderr(&not));
}

#[test]
fn a_spaced_bang_means_suspicious_and_a_glued_one_not() {
    // See: issue 14
    let input = concat!(
        "{\"local_port\":22,\"suspicious\":[\"script_on_sensitive\"]}\n",
        "{\"local_port\":22,\"suspicious\":[]}\n",
        "{\"local_port\":80,\"suspicious\":[\"script_on_sensitive\"]}\n",
    );
    let spaced = filter(&["! port=22"], input.as_bytes());
    assert_eq!(
        stdout(&spaced),
        "{\"local_port\":22,\"suspicious\":[\"script_on_sensitive\"]}\n"
    );
    let glued = filter(&["!port=22"], input.as_bytes());
    assert_eq!(
        stdout(&glued),
        "{\"local_port\":80,\"suspicious\":[\"script_on_sensitive\"]}\n"
    );
}

#[test]
fn mistakes_in_expressions_fail_with_status_2_and_the_column() {
    // See: issue 14
    let input = b"{\"local_port\":22,\"state\":\"LISTEN\"}\n";
    for (expr, message) in [
        ("and", "expected an expression before 'and' at column 1"),
        (
            "port=22 and",
            "expected an expression after 'and' at column 12",
        ),
        (
            "or port=22",
            "expected an expression before 'or' at column 1",
        ),
        (
            "port=22 not",
            "expected an expression after 'not' at column 12",
        ),
        (
            "port=22 & state=listen",
            "'&' alone is not an operator: write '&&' or 'and', or quote a value that holds it at column 9",
        ),
        ("port=22) x", "unmatched ')' at column 8"),
        (
            "port=70000",
            "port must be 0 to 65535, found '70000' at column 6",
        ),
        (
            "port=1..70000",
            "port must be 0 to 65535, found '70000' at column 9",
        ),
        (
            "local_port=-1",
            "port must be 0 to 65535, found '-1' at column 12",
        ),
        (
            "pid=4294967296",
            "pid must be 0 to 4294967295, found '4294967296' at column 5",
        ),
        (
            "recv_q>-1",
            "recv_q must be 0 to 18446744073709551615, found '-1' at column 8",
        ),
        (
            "suspicious=nosuchcode",
            "unknown reason code 'nosuchcode'; codes are non_root_privileged, script_on_sensitive, root_high_port_outgoing, proxy_listening, deleted_executable, exe_in_temp at column 12",
        ),
        (
            "suspicious=exe_in_tmp",
            "unknown value 'exe_in_tmp' for suspicious; did you mean 'exe_in_temp'? at column 12",
        ),
        (
            "state=lisen",
            "unknown value 'lisen' for state; did you mean 'LISTEN'? at column 7",
        ),
        (
            "proto=tcpp",
            "unknown value 'tcpp' for proto; did you mean 'tcp'? at column 7",
        ),
        (
            "status=gon",
            "unknown value 'gon' for status; did you mean 'gone'? at column 8",
        ),
    ] {
        let output = filter(&[expr], input);
        assert_eq!(output.status.code(), Some(2), "{expr}: {}", stderr(&output));
        assert_eq!(
            stderr(&output),
            format!("prt filter: {message}\n"),
            "{expr}"
        );
        assert!(output.stdout.is_empty(), "{expr}");
    }
    // A bare word is a search, not a value to check: no match is no error.
    let bare = filter(&["nosuchcode"], input);
    assert_eq!(
        (bare.status.code(), stderr(&bare)),
        (Some(1), String::new())
    );
}

#[test]
fn interface_and_queues_filter_real_sockets_and_null_in_old_records() {
    // See: issue 14
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let scanned = run_ok(prt().args(["scan", "--tcp", "--listen"]));
    // A listener's send_q is its backlog (std asks for 128), its recv_q the connections
    // waiting to be accepted (none), and nothing binds it to a device.
    let output = filter(
        &[&format!(
            "port={port} and send_q>=1 and recv_q=0 and interface!=lo"
        )],
        scanned.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(ndjson(&stdout(&output)).len(), 1);
    let none = filter(&[&format!("port={port} and recv_q>0")], scanned.as_bytes());
    assert_eq!(none.status.code(), Some(1), "{}", stderr(&none));

    // Records from before these fields, or from other tools: null, not an error.
    let old = b"{\"local_port\":22}\n{\"local_port\":23,\"interface\":\"eth0\",\"recv_q\":4,\"send_q\":null}\n";
    assert_eq!(
        stdout(&filter(&["interface=eth0"], old)),
        "{\"local_port\":23,\"interface\":\"eth0\",\"recv_q\":4,\"send_q\":null}\n"
    );
    assert_eq!(stdout(&filter(&["-c", "recv_q>0"], old)), "1\n");
    assert_eq!(stdout(&filter(&["-c", "send_q>=0"], old)), "0\n");
    assert_eq!(stdout(&filter(&["-c", "send_q!=5"], old)), "2\n");
    assert_eq!(stdout(&filter(&["-c", "interface!=eth0"], old)), "1\n");
}

#[test]
fn a_configured_table_format_stays_off_pipes() {
    // See: issue 14
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "format = \"table\"\n").expect("write");
    // `prt scan | prt filter PORT`, both stages reading the configuration, stdout a pipe.
    let scanned = run_ok(prt().arg("scan").env("PRT_CONFIG", &config));
    assert!(scanned.starts_with('{'), "NDJSON, not a table: {scanned}");
    let output = with_input(
        prt()
            .args(["filter", &port.to_string()])
            .env("PRT_CONFIG", &config),
        scanned.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = ndjson(&stdout(&output));
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r["local_port"] == u64::from(port)));
    // The command line still wins.
    let table = with_input(
        prt()
            .args(["filter", "--format", "table", &port.to_string()])
            .env("PRT_CONFIG", &config),
        scanned.as_bytes(),
    );
    assert!(stdout(&table).contains("PROTO"), "{}", stdout(&table));
}

// See: issue 21 — 12,000 nested parentheses aborted `prt filter` (stack overflow, exit 134).
#[test]
fn nesting_too_deep_is_an_error_not_a_crash() {
    let expr = format!("{}port=22{}", "(".repeat(12_000), ")".repeat(12_000));
    let output = filter(&[&expr], b"{\"local_port\":22}\n");
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("257"), "points at the column: {message}");
}

#[test]
fn csv_neutralises_every_element_of_an_array_cell() {
    // See: issue 21
    // `x;=1+1` kept its formula past the first element.
    let line =
        br#"{"proto":"tcp","local_port":1,"suspicious":["x","=1+1","@SUM(A1)"],"process":"-cmd"}"#;
    let output = with_input(prt().args(["filter", "port=1", "--format", "csv"]), line);
    let text = String::from_utf8_lossy(&output.stdout);
    let row = text.lines().nth(1).expect("a row");
    assert!(row.contains(",x;'=1+1;'@SUM(A1),"), "{row}");
    assert!(row.contains(",'-cmd,"), "{row}");
}

// See: issue 14 — a watch record's `status`, `first_seen` and `seq` must not land in the
// `interface`, `recv_q` and `send_q` columns.
#[test]
fn csv_columns_of_the_new_fields_hold_those_fields() {
    let line = br#"{"local_port":1,"interface":"v0","recv_q":2,"send_q":5,"status":"new","seq":3}"#;
    let output = with_input(prt().args(["filter", "port=1", "--format", "csv"]), line);
    let text = String::from_utf8_lossy(&output.stdout);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let row = reader.records().next().expect("a row").expect("a record");
    let cell = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| row.get(i))
            .map(str::to_owned)
    };
    assert_eq!(cell("interface").as_deref(), Some("v0"));
    assert_eq!(cell("recv_q").as_deref(), Some("2"));
    assert_eq!(cell("send_q").as_deref(), Some("5"));
}

// See: issue 15 — an OS error was said twice, and a missing file stopped the whole run.
#[test]
fn a_missing_file_is_said_once_and_the_next_file_is_still_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let present = dir.path().join("b.ndjson");
    std::fs::write(
        &present,
        "{\"proto\":\"tcp\",\"local_port\":22,\"state\":\"LISTEN\"}\n",
    )
    .expect("write");
    let missing = dir.path().join("a.ndjson");
    for stage in [&["filter", "port=22"][..], &["alert", "--when", "port=22"]] {
        let output = prt()
            .args(stage)
            .arg(&missing)
            .arg(&present)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{stage:?}: like grep");
        let records = ndjson(&stdout(&output));
        assert_eq!(records.len(), 1, "{stage:?}: b is read after a");
        assert_eq!(records[0]["local_port"], 22);
        let stderr = stderr(&output);
        let os = std::io::Error::from_raw_os_error(libc::ENOENT).to_string();
        assert_eq!(
            stderr.matches(&os).count(),
            1,
            "{stage:?}: said once: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stage:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("prt {}: ", stage[0]))
                && stderr.contains(&missing.display().to_string()),
            "{stderr}"
        );
    }
}

// See: issue 15 — on a terminal, a table from a live stream showed nothing until the
// stream ended (never, for a watch).
#[test]
fn a_table_from_a_live_stream_is_written_as_rows_arrive() {
    let marker = TcpListener::bind("127.0.0.1:0").expect("bind");
    let binary = env!("CARGO_BIN_EXE_prt");
    let mut child = command("script")
        .args([
            "-qec",
            &format!(
                "stty cols 120 rows 30; {binary} watch --ndjson --interval 200ms -tl \
                 | exec {binary} filter 'new and state=listen'"
            ),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut out = child.stdout.take().expect("stdout");
    let (sender, chunks) = mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut chunk = [0u8; 8192];
        while let Ok(read @ 1..) = out.read(&mut chunk) {
            if sender.send(chunk[..read].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut transcript = String::new();
    let mut wait_for = |needle: &str, within: Duration| -> bool {
        let deadline = std::time::Instant::now() + within;
        while !transcript.contains(needle) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match chunks.recv_timeout(left) {
                Ok(chunk) => transcript.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => return false,
            }
        }
        true
    };
    let marker_text = format!("127.0.0.1:{}", marker.local_addr().expect("addr").port());
    let first = wait_for(&marker_text, Duration::from_secs(10));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let new = first && wait_for(&format!("127.0.0.1:{port}"), Duration::from_secs(3));
    let still_running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    // script's own child: the pipeline ends when its terminal goes away.
    assert!(first, "the first scan's rows while the watch runs");
    assert!(new, "a listener opened later shows up within seconds");
    assert!(still_running, "while the watch is still running");
    drop(marker);
}

/// `prt filter ARGS < input` on a terminal `columns` wide, without colour: its screen's lines.
fn on_a_terminal(args: &str, input: &[u8], columns: u16) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("input.ndjson");
    std::fs::write(&path, input).expect("write");
    let transcript = run_ok(
        command("script")
            .args([
                "-qec",
                &format!(
                    "stty cols {columns} rows 50; exec {} filter {args} < {}",
                    env!("CARGO_BIN_EXE_prt"),
                    path.display()
                ),
                "/dev/null",
            ])
            .env("TERM", "dumb")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null()),
    );
    transcript
        .lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .collect()
}

// See: issue 15 — one long IPv6 address collapsed PROCESS, USER and SERVICE to `…`.
#[test]
fn a_long_address_is_shortened_and_the_process_and_user_stay_whole() {
    let input = br#"{"proto":"tcp","local_addr":"2001:db8:85a3:1234:5678:8a2e:370:7334","local_port":443,"remote_addr":"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff","remote_port":51234,"state":"ESTABLISHED","pid":4242,"process":"a-long-process1","user":"postgres-admin","service":"https","status":"new"}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":443,"state":"LISTEN","pid":4243,"process":"nginx","user":"www-data","service":"https"}
"#;
    let lines = on_a_terminal("--format table port=443", input, 120);
    let text = lines.join("\n");
    let row = lines
        .iter()
        .find(|l| l.contains("4242"))
        .unwrap_or_else(|| panic!("the row: {text}"));
    assert!(row.contains("a-long-process1"), "{text}");
    assert!(row.contains("postgres-admin"), "{text}");
    assert!(
        row.contains('…') && row.contains("]:443"),
        "shortened, port kept: {text}"
    );
    assert!(
        lines
            .iter()
            .all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 120),
        "{text}"
    );
}

// See: issue 15 — a new and a gone record printed as two identical rows.
#[test]
fn csv_of_tracked_records_has_their_status_seq_and_times() {
    let input = br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN","status":"new","first_seen":"2026-01-01T00:00:00Z","seq":3,"ts":"2026-01-01T00:00:05Z"}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN","status":"gone","first_seen":"2026-01-01T00:00:00Z","seq":4,"ts":"2026-01-01T00:00:07Z"}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN"}
"#;
    let output = filter(&["--format", "csv", "port=7"], input);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let names: Vec<&str> = header.iter().collect();
    assert_eq!(
        names[names.len() - 4..],
        ["status", "first_seen", "seq", "ts"],
        "after the PortEntry columns: {text}"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let cell = |row: usize, name: &str| {
        let index = names.iter().position(|h| *h == name).expect("column");
        rows[row].get(index).map(str::to_owned).unwrap_or_default()
    };
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(cell(0, "status"), "new");
    assert_eq!(cell(0, "seq"), "3");
    assert_eq!(cell(0, "ts"), "2026-01-01T00:00:05Z");
    assert_eq!(cell(1, "status"), "gone");
    assert_eq!(cell(1, "first_seen"), "2026-01-01T00:00:00Z");
    assert_eq!(cell(2, "status"), "", "a record without it: empty");
    assert_eq!(cell(2, "local_port"), "7");
    assert!(
        stderr(&output).is_empty(),
        "nothing lost: {}",
        stderr(&output)
    );
}

// See: issue 15 — a CSV stream whose first record lacks `status` dropped the status of the
// records after it without a word.
#[test]
fn csv_says_when_a_later_record_has_a_field_the_header_lacks() {
    let input = br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN"}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN","status":"new","first_seen":"2026-01-01T00:00:00Z","seq":3,"ts":"2026-01-01T00:00:05Z"}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN","status":"gone","first_seen":"2026-01-01T00:00:00Z","seq":4,"ts":"2026-01-01T00:00:07Z"}
"#;
    let output = filter(&["--format", "csv", "port=7"], input);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).lines().count(),
        4,
        "the header and every row"
    );
    let note = stderr(&output);
    assert_eq!(note.lines().count(), 1, "said once: {note}");
    assert!(
        note.contains("CSV row 2") && note.contains("status") && note.contains("ndjson"),
        "{note}"
    );
}

// See: issue 15
#[test]
fn a_table_of_tracked_records_marks_new_and_gone_rows() {
    let input = br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":7,"state":"LISTEN","status":"new","seq":1}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":8,"state":"LISTEN","status":"unchanged","seq":1}
{"proto":"tcp","local_addr":"127.0.0.1","local_port":9,"state":"LISTEN","status":"gone","seq":1}
"#;
    let lines = on_a_terminal("--format table 'port>1'", input, 100);
    let text = lines.join("\n");
    let mark = |port: &str| {
        let row = lines
            .iter()
            .find(|l| l.contains(&format!("127.0.0.1:{port}")))
            .unwrap_or_else(|| panic!("port {port}: {text}"));
        row.split_whitespace().next().map(str::to_owned)
    };
    assert_eq!(mark("7").as_deref(), Some("+"), "{text}");
    assert_eq!(mark("8").as_deref(), Some("tcp"), "{text}");
    assert_eq!(mark("9").as_deref(), Some("-"), "{text}");
}

/// `prt filter ARGS` reading `path` as its standard input: a regular file, which it reads
/// in blocks on every core.
fn filter_file_on_stdin(args: &[&str], path: &std::path::Path) -> Output {
    let file = std::fs::File::open(path).expect("open the input");
    prt()
        .arg("filter")
        .args(args)
        .stdin(Stdio::from(file))
        .output()
        .expect("runs")
}

#[test]
fn a_file_read_on_every_core_gives_what_a_pipe_gives_in_the_same_order() {
    // Several MiB, so that many blocks are in flight at once: every seventh record matches,
    // blank lines and CRLF endings count as lines, one record is longer than a block, and
    // the file ends without a newline.
    let mut input = String::new();
    for n in 0..60_000u32 {
        let port = if n % 7 == 0 { 7 } else { 1000 + n % 50_000 };
        let cmdline = if n == 31_337 {
            "x".repeat(3 << 20)
        } else {
            format!("server --id {n}")
        };
        input.push_str(&format!(
            "{{\"proto\":\"tcp\",\"local_addr\":\"127.0.0.1\",\"local_port\":{port},\"seq\":{n},\"cmdline\":\"{cmdline}\"}}"
        ));
        input.push_str(match n % 1000 {
            3 => "\r\n",
            5 => "\n\n",
            _ => "\n",
        });
    }
    input.pop();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("records.ndjson");
    std::fs::write(&path, &input).expect("write");
    for args in [
        &["port=7"][..],
        &["-v", "port=7"],
        &["-c", "port=7"],
        &["cmdline:xxxx"],
    ] {
        let from_file = filter_file_on_stdin(args, &path);
        let from_pipe = filter(args, input.as_bytes());
        assert_eq!(
            from_file.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&from_file)
        );
        assert!(
            from_file.stdout == from_pipe.stdout,
            "{args:?}: {} bytes from the file, {} from the pipe",
            from_file.stdout.len(),
            from_pipe.stdout.len()
        );
    }
    let count = stdout(&filter_file_on_stdin(&["-c", "port=7"], &path));
    assert_eq!(count, format!("{}\n", 60_000usize.div_ceil(7)));

    // Malformed lines deep in the file: with --skip-invalid each is said with its number,
    // in order, and reading goes on; without, the matches before the first are written and
    // nothing after it.
    let mut lines: Vec<&str> = input.split('\n').collect();
    lines[40_123] = "{\"local_port\":7,";
    lines[50_001] = "not json";
    let broken = lines.join("\n");
    std::fs::write(&path, &broken).expect("write");
    let skipping = filter_file_on_stdin(&["--skip-invalid", "port=7"], &path);
    let skipping_pipe = filter(&["--skip-invalid", "port=7"], broken.as_bytes());
    assert_eq!(skipping.status.code(), Some(0), "{}", stderr(&skipping));
    assert_eq!(stderr(&skipping), stderr(&skipping_pipe));
    assert!(
        stderr(&skipping).contains("skipped line 40124: "),
        "{}",
        stderr(&skipping)
    );
    assert!(stdout(&skipping) == stdout(&skipping_pipe));
    let stopping = filter_file_on_stdin(&["port=7"], &path);
    let stopping_pipe = filter(&["port=7"], broken.as_bytes());
    assert_eq!(stopping.status.code(), Some(2));
    assert_eq!(stderr(&stopping), stderr(&stopping_pipe));
    assert!(
        stderr(&stopping).starts_with("prt filter: line 40124: "),
        "{}",
        stderr(&stopping)
    );
    assert!(stdout(&stopping) == stdout(&stopping_pipe));
    let last = ndjson(&stdout(&stopping))
        .pop()
        .expect("matches before the bad line");
    assert!(last["seq"].as_u64() < Some(40_123), "{last}");

    // -q stops at the first match, and says so by its status.
    std::fs::write(&path, &input).expect("write");
    assert_eq!(
        filter_file_on_stdin(&["-q", "port=7"], &path).status.code(),
        Some(0)
    );
    assert_eq!(
        filter_file_on_stdin(&["-q", "port=8"], &path).status.code(),
        Some(1)
    );
}

#[test]
fn named_files_read_on_every_core_keep_their_order_names_and_line_numbers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let record = |port: u32| format!("{{\"local_port\":{port}}}\n");
    let first = dir.path().join("a.ndjson");
    let second = dir.path().join("b.ndjson");
    let big: String = (0..200_000).map(|n| record(n % 3)).collect();
    std::fs::write(&first, &big).expect("write");
    std::fs::write(&second, format!("{}{{\"local_port\":\n", record(2))).expect("write");
    let output = prt()
        .args(["filter", "port=2"])
        .arg(&first)
        .arg("/nonexistent/x.ndjson")
        .arg(&second)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output).lines().count(), 200_000 / 3 + 1);
    let message = stderr(&output);
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 2, "{message}");
    assert!(
        lines[0].contains("cannot open /nonexistent/x.ndjson"),
        "{message}"
    );
    assert!(
        lines[1].starts_with(&format!("prt filter: {}: line 2: ", second.display())),
        "{message}"
    );
}
