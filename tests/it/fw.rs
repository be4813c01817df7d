//! `prt fw`: the scripts it prints, and (as root, in a namespace of the test's own) the
//! rules it applies, read back from nft and iptables, undone and reset.

use std::process::Command;

use serde_json::Value;

use crate::common::{TestNetns, ndjson, prt, with_input};
use crate::require_root;

/// Runs `prt fw ARGS` with `stdin`; (exit code, stdout, stderr).
fn fw(args: &[&str], stdin: &str) -> (i32, String, String) {
    fw_in(None, args, stdin)
}

/// The same inside a network namespace (`ip netns exec`).
fn fw_in(netns: Option<&TestNetns>, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut command = match netns {
        Some(netns) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", &netns.name, env!("CARGO_BIN_EXE_prt")]);
            command
        }
        None => prt(),
    };
    let output = with_input(command.arg("fw").args(args), stdin.as_bytes());
    (
        output.status.code().expect("exited"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn connection(remote: &str) -> String {
    format!(
        r#"{{"proto":"tcp","local_addr":"10.9.9.9","local_port":40000,"remote_addr":"{remote}","remote_port":443,"state":"ESTABLISHED","pid":5}}"#
    )
}

#[test]
fn records_become_a_script_with_skips_noted_and_duplicates_collapsed() {
    let input = [
        connection("198.51.100.7"),
        connection("198.51.100.7"),
        connection("127.0.0.1"),
        connection("::"),
        connection("10.1.2.3"),
        connection("2001:db8::5"),
        r#"{"proto":"tcp","local_addr":"0.0.0.0","local_port":22,"remote_addr":null,"state":"LISTEN"}"#.to_owned(),
    ]
    .join("\n");
    let (code, script, stderr) = fw(&["--backend", "nft"], &input);
    assert_eq!(code, 0, "{stderr}");
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(
        script.contains("add element inet prt blocked_v4 { 198.51.100.7 }\n"),
        "{script}"
    );
    assert!(
        script.contains("add element inet prt blocked_v6 { 2001:db8::5 }\n"),
        "{script}"
    );
    assert!(
        !script.contains("127.0.0.1") && !script.contains("10.1.2.3"),
        "{script}"
    );
    for note in [
        "line 3: skipped 127.0.0.1: loopback",
        "line 4: skipped ::: unspecified",
        "line 5: skipped 10.1.2.3: a private",
        "line 7: no remote address",
    ] {
        assert!(stderr.contains(note), "missing {note:?} in {stderr}");
    }

    let (_, script, _) = fw(&["--backend", "iptables", "--allow-private"], &input);
    assert!(
        script.contains("iptables -w -A prt-in -s 10.1.2.3 -j DROP"),
        "{script}"
    );
    assert!(
        script.contains("ip6tables -w -A prt-out -d 2001:db8::5 -j DROP"),
        "{script}"
    );
    assert_eq!(
        script.matches("-A prt-in -s 198.51.100.7 ").count(),
        1,
        "{script}"
    );

    let (_, script, _) = fw(&["--backend", "pfctl"], &input);
    assert!(
        script.contains("pfctl -a prt -t prt_blocked -T add 198.51.100.7 2001:db8::5\n"),
        "{script}"
    );
}

#[test]
fn nothing_from_a_record_reaches_the_shell() {
    for remote in ["1.2.3.4; reboot", "$(reboot)", "1.2.3.4\\nreboot"] {
        let (code, script, stderr) = fw(&[], &connection(remote));
        assert_eq!(code, 2, "{remote}: {stderr}");
        assert!(script.is_empty());
        assert!(
            stderr.contains("line 1") && stderr.contains("not an IP address"),
            "{stderr}"
        );
    }
    let (code, _, stderr) = fw(&["--", "1.2.3.4;reboot"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("neither an IP address"), "{stderr}");
    // Nothing left to block is status 1, like grep finding nothing.
    let (code, script, _) = fw(&[], &connection("127.0.0.1"));
    assert_eq!((code, script.as_str()), (1, ""));
}

#[test]
fn local_ports_block_incoming_on_both_families() {
    let listener = r#"{"proto":"udp","local_addr":"::","local_port":5353,"remote_addr":null,"state":"UNCONN"}"#;
    let (code, script, _) = fw(&["--local-port", "--backend", "iptables"], listener);
    assert_eq!(code, 0);
    assert!(
        script.contains("|| iptables -w -A prt-in -p udp --dport 5353 -j DROP\n"),
        "{script}"
    );
    assert!(
        script.contains("|| ip6tables -w -A prt-in -p udp --dport 5353 -j DROP\n"),
        "{script}"
    );
    assert!(
        !script.contains("prt-out -p"),
        "ports are blocked incoming only: {script}"
    );
}

/// `ip netns exec NS program args`: its stdout, asserting success.
fn read_back(netns: &TestNetns, program: &str, args: &[&str]) -> String {
    let output = Command::new("ip")
        .args(["netns", "exec", &netns.name, program])
        .args(args)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn outcomes(stdout: &str) -> Vec<String> {
    ndjson(stdout)
        .iter()
        .map(|r| format!("{} {} {}", r["action"], r["target"], r["outcome"]).replace('"', ""))
        .collect()
}

#[test]
fn nft_rules_apply_read_back_stay_single_and_undo_cleanly() {
    require_root!();
    let netns = TestNetns::create();
    let targets = ["198.51.100.7", "2001:db8::5", "8080/tcp"];
    let mut args = vec!["--backend", "nft", "--apply", "--format", "ndjson"];
    args.extend(targets);
    let (code, stdout, stderr) = fw_in(Some(&netns), &args, "");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        outcomes(&stdout),
        [
            "block 198.51.100.7 applied",
            "block 2001:db8::5 applied",
            "block tcp/8080 applied"
        ]
    );
    let ruleset = read_back(&netns, "nft", &["list", "ruleset"]);
    for element in ["198.51.100.7", "2001:db8::5", "8080"] {
        assert!(
            ruleset.contains(&format!("elements = {{ {element} }}")),
            "{ruleset}"
        );
    }
    assert!(ruleset.contains("ip saddr @blocked_v4 drop"), "{ruleset}");

    // Again: the same rules, not twice as many.
    let (code, _, _) = fw_in(Some(&netns), &args, "");
    assert_eq!(code, 0);
    let again = read_back(&netns, "nft", &["list", "ruleset"]);
    assert_eq!(again.matches("@blocked_v4 drop").count(), 2, "{again}");

    let mut undo = args.clone();
    undo.push("--undo");
    let (code, _, stderr) = fw_in(Some(&netns), &undo, "");
    assert_eq!(code, 0, "{stderr}");
    let after = read_back(&netns, "nft", &["list", "ruleset"]);
    assert!(!after.contains("elements"), "{after}");
    // Undoing what is no longer there is not an error.
    let (code, _, stderr) = fw_in(Some(&netns), &undo, "");
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, _) = fw_in(
        Some(&netns),
        &[
            "--backend",
            "nft",
            "--reset",
            "--apply",
            "--format",
            "ndjson",
        ],
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(outcomes(&stdout), ["reset null applied"]);
    assert!(!read_back(&netns, "nft", &["list", "ruleset"]).contains("prt"));
}

#[test]
fn iptables_rules_apply_read_back_and_undo() {
    require_root!();
    let netns = TestNetns::create();
    let input = [connection("198.51.100.7"), connection("2001:db8::5")].join("\n");
    let apply = ["--backend", "iptables", "--apply", "--format", "ndjson"];
    let (code, stdout, stderr) = fw_in(Some(&netns), &apply, &input);
    assert_eq!(code, 0, "{stderr}");
    let results = ndjson(&stdout);
    assert!(
        results.iter().all(|r| r["outcome"] == "applied"),
        "{results:?}"
    );
    let v4 = read_back(&netns, "iptables", &["-S"]);
    for rule in [
        "-A INPUT -j prt-in",
        "-A OUTPUT -j prt-out",
        "-A prt-in -s 198.51.100.7/32 -j DROP",
        "-A prt-out -d 198.51.100.7/32 -j DROP",
    ] {
        assert!(v4.contains(rule), "missing {rule}: {v4}");
    }
    let v6 = read_back(&netns, "ip6tables", &["-S"]);
    assert!(v6.contains("-A prt-in -s 2001:db8::5/128 -j DROP"), "{v6}");
    assert!(!v6.contains("198.51.100.7"), "{v6}");

    // Applying again changes nothing and says so.
    let (_, stdout, _) = fw_in(Some(&netns), &apply, &input);
    assert!(
        ndjson(&stdout).iter().all(|r| r["outcome"] == "unchanged"),
        "{stdout}"
    );
    assert_eq!(read_back(&netns, "iptables", &["-S"]), v4);

    let mut undo = apply.to_vec();
    undo.push("--undo");
    let (code, _, stderr) = fw_in(Some(&netns), &undo, &input);
    assert_eq!(code, 0, "{stderr}");
    assert!(!read_back(&netns, "iptables", &["-S"]).contains("198.51.100.7"));
    assert!(!read_back(&netns, "ip6tables", &["-S"]).contains("2001:db8::5"));

    let (code, stdout, _) = fw_in(
        Some(&netns),
        &[
            "--backend",
            "iptables",
            "--reset",
            "--apply",
            "--format",
            "ndjson",
        ],
        "",
    );
    assert_eq!(code, 0, "{stdout}");
    let left = read_back(&netns, "iptables", &["-S"]);
    assert!(!left.contains("prt"), "{left}");
}

#[test]
fn a_failing_command_is_reported_and_sets_the_status() {
    // pfctl does not exist on Linux: every step fails, each with its reason.
    let (code, stdout, _) = fw(
        &[
            "--backend",
            "pfctl",
            "--apply",
            "--format",
            "ndjson",
            "198.51.100.7",
        ],
        "",
    );
    assert_eq!(code, 1);
    let results: Vec<Value> = ndjson(&stdout);
    assert!(!results.is_empty());
    assert!(
        results.iter().all(|r| r["outcome"] == "failed"),
        "{results:?}"
    );
    assert!(
        results[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("pfctl"))
    );
}

#[test]
fn skipped_records_are_noted_ten_then_counted_and_errors_show_no_debug_text() {
    // See: issue 21
    // One note per skipped record with no cap (20,000 lines for one scan), and
    // `proto Some("tcp;reboot")` in an error.
    let mut loopback = String::new();
    for i in 0..25 {
        loopback.push_str(&format!(
            "{{\"proto\":\"tcp\",\"local_port\":{},\"remote_addr\":\"127.0.0.{}\"}}\n",
            1000 + i,
            i + 1
        ));
    }
    let input = format!("{loopback}{{\"proto\":\"tcp\",\"remote_addr\":\"203.0.113.5\"}}\n");
    let (code, script, stderr) = fw(&[], &input);
    assert_eq!(code, 0, "{stderr}");
    assert!(script.contains("203.0.113.5"));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 11, "{stderr}");
    assert!(
        lines[..10].iter().all(|l| l.contains(": loopback")),
        "{stderr}"
    );
    assert_eq!(lines[10], "prt fw: ... and 15 more like this");

    let (code, _, stderr) = fw(
        &["--local-port"],
        "{\"proto\":\"tcp;reboot\",\"local_port\":1}\n",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("proto 'tcp;reboot' is not tcp or udp"),
        "{stderr}"
    );
    let (_, _, stderr) = fw(&["--local-port"], "{\"local_port\":1}\n");
    assert!(stderr.contains("proto null is not tcp or udp"), "{stderr}");
    let (_, _, stderr) = fw(&["--", "1.2.3.4;reboot"], "");
    assert!(stderr.contains("'1.2.3.4;reboot' is neither"), "{stderr}");
}

#[test]
fn many_iptables_targets_make_a_loop_that_checks_each_one() {
    // See: issue 21
    // The iptables plan held several commands per address: 2.5 GB for 1M addresses. Now
    // one step per chain runs for each target; in a script, a loop over a here-document.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log");
    // Stand-ins that log their arguments: nothing is in place yet except one rule.
    for program in ["iptables", "ip6tables"] {
        let path = dir.path().join(program);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"{program} $*\" >> '{}'\n\
                 case \"$2 $5\" in '-C 203.0.113.1') exit 0;; '-C '*|'-n '*) exit 1;; esac\n",
                log.display()
            ),
        )
        .expect("write");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
    }
    let mut input = String::new();
    for i in 1..=20 {
        input.push_str(&format!(
            "{{\"proto\":\"tcp\",\"remote_addr\":\"203.0.113.{i}\"}}\n"
        ));
    }
    input.push_str("{\"proto\":\"tcp\",\"remote_addr\":\"2001:db8::5\"}\n");
    let (code, script, stderr) = fw(&["--backend", "iptables"], &input);
    assert_eq!(code, 0, "{stderr}");
    assert!(script.contains("while read -r target; do\n"), "{script}");
    assert!(
        script.contains(
            "iptables -w -C prt-in -s \"$target\" -j DROP >/dev/null 2>&1 || \
             iptables -w -A prt-in -s \"$target\" -j DROP\n"
        ),
        "{script}"
    );
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ran = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("PATH", path)
        .output()
        .expect("sh");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let log = std::fs::read_to_string(&log).expect("commands ran");
    let added: Vec<&str> = log.lines().filter(|l| l.contains(" -A prt-")).collect();
    // 19 new v4 addresses in both chains (203.0.113.1 is already there), and the v6 one.
    assert_eq!(added.len(), 19 * 2 + 2, "{log}");
    assert!(log.contains("iptables -w -A prt-out -d 203.0.113.20 -j DROP\n"));
    assert!(!log.contains("-A prt-in -s 203.0.113.1 "), "{log}");
    assert!(
        log.contains("ip6tables -w -A prt-in -s 2001:db8::5 -j DROP\n"),
        "{log}"
    );
}
