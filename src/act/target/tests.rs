//! Unit tests of `target`.

use super::*;

#[test]
fn specs_parse_and_print() {
    for (text, spec) in [
        ("1234", TargetSpec::Pid(1234)),
        (":8080", TargetSpec::Port(8080, None)),
        ("8080/tcp", TargetSpec::Port(8080, Some(Proto::Tcp))),
        ("53/UDP", TargetSpec::Port(53, Some(Proto::Udp))),
    ] {
        assert_eq!(text.parse::<TargetSpec>(), Ok(spec), "{text}");
    }
    assert_eq!(TargetSpec::Port(53, Some(Proto::Udp)).to_string(), "53/udp");
    for bad in [
        "",
        "-1",
        "+5",
        "0x10",
        ":0",
        ":70000",
        "80/sctp",
        "abc",
        "4294967296",
        " 12",
    ] {
        assert!(bad.parse::<TargetSpec>().is_err(), "{bad:?} accepted");
    }
}

fn targets_of(lines: &[&str]) -> Result<Targets, BadRecord> {
    let mut targets = Targets::new();
    for (index, line) in lines.iter().enumerate() {
        let record = RawRecord::parse(line.as_bytes()).expect("valid");
        targets.add_record(&record, &format!("line {}", index + 1))?;
    }
    Ok(targets)
}

#[test]
fn records_of_one_process_are_one_target() {
    let started = r#""started":"2026-11-23T10:00:00Z""#;
    let targets = targets_of(&[
        &format!(r#"{{"proto":"tcp","local_port":80,"pid":42,"process":"nginx",{started}}}"#),
        &format!(r#"{{"proto":"tcp","local_port":443,"pid":42,"process":"nginx",{started}}}"#),
        &format!(r#"{{"proto":"udp","local_port":53,"pid":43,"process":"dns",{started}}}"#),
    ])
    .expect("good pids");
    assert_eq!(targets.targets.len(), 2);
    assert_eq!(targets.targets[0].ports, ["tcp/443", "tcp/80"]);
    assert_eq!(targets.targets[0].source, "line 1");
    assert_eq!(
        targets.targets[0].started,
        Some(Timestamp::from_unix(1_795_428_000))
    );
}

/// A target as a record would name it, for the kill and target tests.
pub(crate) fn target(pid: u32, process: Option<&str>, started: Option<i64>) -> Target {
    Target {
        pid,
        process: process.map(str::to_owned),
        started: started.map(Timestamp::from_unix),
        unverifiable: None,
        holder: false,
        source: "test".to_owned(),
        ports: Vec::new(),
    }
}

#[test]
fn identity_compares_name_and_start_time() {
    let now = ProcessInfo {
        name: Some("python3".to_owned()),
        cmdline: None,
        ppid: None,
        started: Some(Timestamp::from_unix(1_000)),
        state: Some('S'),
        kernel_thread: false,
    };
    assert_eq!(
        target(5, Some("python3"), Some(1_000)).differs_from(&now),
        None
    );
    // See: issue 21 — the same name in the same second is another process when the
    // clock ticks differ.
    let mut same_second = target(5, Some("python3"), Some(1_000));
    same_second.started = Some(Timestamp::from_unix_nanos(1_000, 10_000_000));
    assert!(same_second.differs_from(&now).is_some());
    assert!(
        target(5, Some("python3"), Some(1_001))
            .differs_from(&now)
            .is_some()
    );
    assert_eq!(target(5, None, Some(1_000)).differs_from(&now), None);
    assert!(target(5, None, Some(999)).differs_from(&now).is_some());
    assert!(
        target(5, Some("python3"), Some(1_005))
            .differs_from(&now)
            .is_some()
    );
    let other = target(5, Some("nginx"), Some(1_000))
        .differs_from(&now)
        .expect("differs");
    assert!(
        other.contains("python3") && other.contains("not nginx"),
        "{other}"
    );
    let long = ProcessInfo {
        name: Some("a-very-long-nam".to_owned()),
        ..now
    };
    assert_eq!(
        target(5, Some("a-very-long-name-indeed"), None).differs_from(&long),
        None
    );
}

#[test]
fn bad_pids_are_bad_input_and_null_pids_are_reported() {
    for bad in ["-1", "0", "1.5", "\"12\"", "4294967296", "true", "[1]"] {
        let line = format!(r#"{{"pid":{bad}}}"#);
        let err = targets_of(&[&line]).expect_err(bad);
        assert!(
            matches!(&err, BadRecord::Pid { place, .. } if place == "line 1"),
            "{bad}: {err:?}"
        );
    }
    let targets = targets_of(&[
        r#"{"proto":"tcp","local_port":22,"inode":0,"pid":null}"#,
        r#"{"proto":"tcp","local_port":23,"inode":99}"#,
    ])
    .expect("null is fine");
    assert!(targets.targets.is_empty());
    assert_eq!(targets.unowned.len(), 2);
    assert_eq!(targets.unowned[0].socket, "tcp/22");
    assert!(targets.unowned[0].reason.contains("no process"));
    assert!(targets.unowned[1].reason.contains("not visible"));
}
