//! Layouts of whole tables and of tables written row by row, marks, cuts and clips.

use super::*;
use crate::model::{Timestamp, TrackedEntry};

/// The content widths plus padding of a row-by-row layout.
fn used(widths: &[u16]) -> u16 {
    widths.iter().sum::<u16>() + (widths.len() * 2).saturating_sub(1) as u16
}

// See: issue 15 — a table written row by row squeezed every column at narrow widths
// instead of dropping the least useful as whole tables do.
#[test]
fn a_live_layout_drops_columns_by_priority_and_keeps_the_process() {
    let mut columns = vec![Col::Mark];
    columns.extend(Col::BASE);
    let (keep, widths) = live_layout(&columns, 160);
    assert!(keep.iter().all(|k| *k), "all fit at 160");
    assert!(used(&widths) <= 160);
    let (keep, widths) = live_layout(&columns, 60);
    let kept: Vec<Col> = columns
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| *c)
        .collect();
    for gone in [Col::Service, Col::User, Col::Remote] {
        assert!(!kept.contains(&gone), "{gone:?} goes first at 60: {kept:?}");
    }
    for stays in [Col::Mark, Col::Proto, Col::Local, Col::Pid, Col::Process] {
        assert!(kept.contains(&stays), "{stays:?} stays at 60: {kept:?}");
    }
    assert!(used(&widths) <= 60, "{widths:?}");
    let process = kept.iter().position(|c| *c == Col::Process).unwrap_or(0);
    assert!(widths[process] >= 15, "a whole process name: {widths:?}");
    let local = kept.iter().position(|c| *c == Col::Local).unwrap_or(0);
    assert!(widths[local] >= 12, "an address with its port: {widths:?}");
}

#[test]
fn a_live_table_writes_rows_as_they_come_with_a_heading_per_screenful() {
    let options = TableOptions {
        width: Some(80),
        height: Some(4),
        ..TableOptions::default()
    };
    let mut out = Vec::new();
    let mut sink = TableSink::new(&mut out, options);
    let line = br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":8080,"state":"LISTEN"}"#;
    let record = RawRecord::parse(line).expect("valid");
    assert!(
        !sink.go_live().expect("writes"),
        "no rows yet: keep collecting"
    );
    sink.write_raw(&record).expect("writes");
    assert!(sink.go_live().expect("writes"));
    let after_first = sink.out.len();
    assert!(after_first > 0, "the kept rows are written at once");
    for _ in 0..4 {
        sink.write_raw(&record).expect("writes");
    }
    sink.finish().expect("writes");
    let text = String::from_utf8(out).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5 + 2, "{text}");
    assert!(
        lines[0].starts_with("PROTO") && lines[4].starts_with("PROTO"),
        "{text}"
    );
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{text}");
    let columns = |l: &str| l.find("LISTEN");
    assert_eq!(
        columns(lines[1]),
        columns(lines[5]),
        "fixed columns: {text}"
    );
}

#[test]
fn lines_are_cut_at_the_screen_edge_keeping_colour_escapes() {
    assert_eq!(cut("abcdef", 4), "abcd\x1b[0m");
    assert_eq!(cut("abc", 4), "abc");
    assert_eq!(cut("\x1b[32mabcdef\x1b[0m", 2), "\x1b[32mab\x1b[0m");
    assert_eq!(cut("时长x", 3), "时\x1b[0m");
    assert_eq!(clip("prt watch header", 8), "prt wat…");
    assert_eq!(clip("short", 8), "short");
}

#[test]
fn endpoints_are_written_as_ss_writes_them() {
    assert_eq!(endpoint_text("0.0.0.0", "80", ""), "0.0.0.0:80");
    assert_eq!(endpoint_text("::1", "80", ""), "[::1]:80");
    assert_eq!(endpoint_text("0.0.0.0", "9444", "v0"), "0.0.0.0%v0:9444");
    assert_eq!(endpoint_text("fe80::1", "9444", "v0"), "[fe80::1]%v0:9444");
    assert_eq!(endpoint_text("::", "1", "e\x1b[0m"), "[::]%e\\x1b[0m:1");
}
// See: issue 15
#[test]
fn long_addresses_are_shortened_in_the_middle_keeping_the_port() {
    let text = "[2001:db8:85a3:0:0:8a2e:370:7334]:443";
    let short = shorten_middle(text, 20);
    assert_eq!(visible_width(&short), 20, "{short}");
    assert!(
        short.starts_with("[2001:db") && short.ends_with("7334]:443"),
        "{short}"
    );
    assert_eq!(shorten_middle("127.0.0.1:80", 20), "127.0.0.1:80");
}

// See: issue 15
#[test]
fn a_narrow_table_drops_columns_by_priority_and_keeps_the_process() {
    let line = br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":8080,"state":"LISTEN","pid":4242,"process":"a-long-process1","user":"someone","service":"http-alt"}"#;
    let record = RawRecord::parse(line).expect("valid");
    for width in [40u16, 50, 60, 80, 120] {
        let options = TableOptions {
            width: Some(width),
            ..TableOptions::default()
        };
        let mut out = Vec::new();
        let mut sink = TableSink::new(&mut out, options);
        sink.write_raw(&record).expect("writes");
        sink.finish().expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("a-long-process1"), "{width}: {text}");
        assert!(
            text.lines().all(|l| visible_width(l) <= usize::from(width)),
            "{width}: {text}"
        );
        if width == 60 {
            assert!(
                !text.contains("SERVICE") && !text.contains("REMOTE"),
                "{text}"
            );
        }
        if width == 120 {
            assert!(
                text.contains("SERVICE") && text.contains("someone"),
                "{text}"
            );
        }
    }
}

// See: issue 15
#[test]
fn tracked_and_alerted_rows_are_marked() {
    let lines: [&[u8]; 3] = [
        br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":1,"state":"LISTEN","status":"new"}"#,
        br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":2,"state":"LISTEN","status":"gone"}"#,
        br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":3,"state":"LISTEN","alerts":["x"]}"#,
    ];
    let mut out = Vec::new();
    let mut sink = TableSink::new(&mut out, TableOptions::default());
    for line in lines {
        sink.write_raw(&RawRecord::parse(line).expect("valid"))
            .expect("writes");
    }
    sink.finish().expect("writes");
    let text = String::from_utf8(out).expect("utf-8");
    let marks: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(marks, ["+", "-", "*"], "{text}");
}

/// A tracked socket from its wire form, the fields that vary filled in.
fn tracked(port: u16, remote: Option<(&str, u16)>, process: &str) -> TrackedEntry {
    let (state, remote_addr, remote_port) = match remote {
        Some((addr, port)) => ("ESTABLISHED", format!("\"{addr}\""), port.to_string()),
        None => ("LISTEN", "null".to_owned(), "null".to_owned()),
    };
    let json = format!(
        r#"{{"proto":"tcp","local_addr":"127.0.0.1","local_port":{port},"remote_addr":{remote_addr},"remote_port":{remote_port},"state":"{state}","inode":{port},"uid":0,"pid":{port},"pids":[{port}],"process":"{process}","cmdline":null,"user":"root","ppid":1,"started":null,"service":null,"suspicious":[],"container":null,"netns":null,"interface":null,"recv_q":0,"send_q":0,"status":"unchanged","first_seen":"2026-01-01T00:00:00Z","seq":1,"ts":"2026-01-01T00:00:00Z"}}"#
    );
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

// See: issue 15 — the live view renders only the rows on screen; they must look exactly as
// in the table of every row (same columns kept, same widths, addresses cut alike).
#[test]
fn a_window_of_the_live_table_is_laid_out_as_the_whole_table() {
    let mut records: Vec<TrackedEntry> =
        (0..50).map(|i| tracked(1000 + i, None, "nginx")).collect();
    records[41] = tracked(
        1041,
        Some(("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 443)),
        "nginx",
    );
    records[45] = tracked(1045, None, "a-much-longer-process");
    let refs: Vec<&TrackedEntry> = records.iter().collect();
    let now = Timestamp::from_unix(1_767_225_600);
    for width in [60, 100, 200] {
        let options = TableOptions {
            width: Some(width),
            ..TableOptions::default()
        };
        let whole = render_tracked(&refs, now, &options);
        let whole: Vec<&str> = whole.lines().collect();
        assert_eq!(whole.len(), 51, "a heading and one line per row");
        for window in [0..10, 20..30, 40..50, 45..46] {
            let part = TrackedTable::new(&refs, now, &options).window(window.clone(), &options);
            let mut want = vec![whole[0]];
            want.extend(&whole[window.start + 1..=window.end]);
            assert_eq!(part.lines().collect::<Vec<_>>(), want, "{width} {window:?}");
        }
    }
}
