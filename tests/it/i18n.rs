//! Languages: tables and messages in Russian and Chinese, aligned; records unchanged.

use std::net::TcpListener;

use unicode_width::UnicodeWidthStr;

use crate::common::{ndjson, prt, run_ok, with_input};

/// The display column (CJK characters count two) where `needle` starts in `line`.
fn column_of(line: &str, needle: &str) -> Option<usize> {
    line.find(needle).map(|at| line[..at].width())
}

fn table(lang: &[(&str, &str)], args: &[&str]) -> String {
    let mut command = prt();
    for (name, value) in lang {
        command.env(name, value);
    }
    run_ok(
        command
            .args(args)
            .args(["--format", "table", "--color", "never"]),
    )
}

#[test]
fn russian_and_chinese_tables_are_translated_and_aligned() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let filter = format!("port={port}");
    for (lang, headers) in [
        (
            "ru",
            [
                "ПРОТОКОЛ",
                "ЛОКАЛЬНЫЙ",
                "СОСТОЯНИЕ",
                "ПРОЦЕСС",
                "ПОЛЬЗОВАТЕЛЬ",
            ],
        ),
        ("zh", ["协议", "本地地址", "状态", "进程", "用户"]),
    ] {
        let text = table(&[], &["scan", "--lang", lang, "--where", &filter]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for header in headers {
            assert!(lines[0].contains(header), "{lang}: no {header} in {text}");
        }
        // Each value starts in its header's column, counted in terminal columns.
        let pairs = [
            (headers[1], format!("127.0.0.1:{port}")),
            (headers[2], "LISTEN".to_owned()),
            (headers[4], "root".to_owned()),
        ];
        for (header, value) in pairs {
            if header == headers[4] && !lines[1].contains("root") {
                continue; // not running as root: another user name
            }
            assert_eq!(
                column_of(lines[0], header),
                column_of(lines[1], &value),
                "{lang}: {value} is not under {header}:\n{text}"
            );
        }
    }
}

#[test]
fn language_comes_from_flag_then_prt_lang_then_locale() {
    let zh = table(&[("LANG", "zh_CN.UTF-8")], &["scan", "--listen"]);
    assert!(zh.starts_with("协议"), "{zh}");
    let ru = table(
        &[("LANG", "zh_CN.UTF-8"), ("PRT_LANG", "ru")],
        &["scan", "--listen"],
    );
    assert!(ru.starts_with("ПРОТОКОЛ"), "{ru}");
    let en = table(
        &[("LANG", "zh_CN.UTF-8"), ("PRT_LANG", "ru")],
        &["scan", "--listen", "--lang", "en"],
    );
    assert!(en.starts_with("PROTO"), "{en}");
    let german = table(
        &[("LC_ALL", "de_DE.UTF-8"), ("LANG", "ru_RU.UTF-8")],
        &["scan", "--listen"],
    );
    assert!(
        german.starts_with("PROTO"),
        "a language prt lacks is English: {german}"
    );
}

#[test]
fn records_and_machine_formats_never_change_with_the_language() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let filter = format!("port={}", listener.local_addr().expect("addr").port());
    let english = run_ok(prt().args(["scan", "--where", &filter]));
    for lang in ["ru", "zh"] {
        let other = run_ok(prt().args(["scan", "--lang", lang, "--where", &filter]));
        assert_eq!(ndjson(&other), ndjson(&english), "{lang}");
        let csv = run_ok(prt().args([
            "scan", "--lang", lang, "--format", "csv", "--where", &filter,
        ]));
        assert!(csv.starts_with("proto,local_addr,local_port"), "{csv}");
    }
}

#[test]
fn messages_are_translated() {
    let output = prt()
        .args(["kill", "--lang", "zh", ":1"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("上没有进程监听"), "{stderr}");
    let output = with_input(
        prt()
            .args(["filter", "--skip-invalid", "port=1"])
            .env("PRT_LANG", "ru"),
        b"{broken\n",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("пропущено"), "{stderr}");

    // Errors: a filter expression, a value clap parses, a malformed record.
    let bad_filter = prt()
        .args(["scan", "--lang", "zh", "--where", "prot=tcp"])
        .output()
        .expect("runs");
    assert_eq!(bad_filter.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_filter.stderr);
    assert!(
        stderr.contains("未知字段 'prot'") && stderr.contains("'proto'"),
        "{stderr}"
    );
    let bad_pid = prt()
        .args(["kill", "--", "-1"])
        .env("PRT_LANG", "ru")
        .output()
        .expect("runs");
    assert_eq!(bad_pid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_pid.stderr).contains("не цель"));
}
