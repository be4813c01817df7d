//! Unit tests of `kill`.

use super::*;
use crate::act::target::tests::target;

#[test]
fn signals_by_name_and_number() {
    for (text, number) in [
        ("TERM", libc::SIGTERM),
        ("sigterm", libc::SIGTERM),
        ("SIGKILL", libc::SIGKILL),
        ("hup", libc::SIGHUP),
        ("9", 9),
        ("64", 64),
    ] {
        assert_eq!(
            text.parse::<Signal>().map(Signal::number),
            Ok(number),
            "{text}"
        );
    }
    for bad in ["", "0", "65", "-9", "SIGNOPE", "TERM ", "1.0"] {
        assert!(bad.parse::<Signal>().is_err(), "{bad:?} accepted");
    }
    assert_eq!(Signal::TERM.to_string(), "TERM");
    assert_eq!(
        "40".parse::<Signal>().map(|s| s.to_string()),
        Ok("40".to_owned())
    );
}

#[test]
fn never_pid_zero_one_or_self() {
    let me = std::process::id();
    let options = KillOptions {
        signal: Signal::TERM,
        escalate: None,
        dry_run: false,
    };
    let results = kill(
        &[
            target(0, Some("x"), None),
            target(1, Some("init"), None),
            target(me, Some("prt"), None),
        ],
        &options,
    );
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Refused),
        "{results:?}"
    );
    assert!(results.iter().all(|r| r.signal.is_none()));
    assert!(results[0].message.contains("process group"));
}

#[test]
fn a_record_that_names_no_process_is_refused() {
    let parent = std::os::unix::process::parent_id();
    let options = KillOptions {
        signal: Signal::TERM,
        escalate: None,
        dry_run: true,
    };
    let results = kill(&[target(parent, None, None)], &options);
    assert_eq!(results[0].outcome, Outcome::Refused, "{results:?}");
    assert!(results[0].message.contains("does not say which process"));
}

/// A child that ignores TERM, and what a record would say about it.
fn stubborn_child() -> (std::process::Child, Target) {
    let child = std::process::Command::new("sh")
        .args(["-c", "trap '' TERM; exec sleep 30"])
        .spawn()
        .expect("sh runs");
    // Wait for the exec, so the name is sleep's.
    let deadline = Instant::now() + Duration::from_secs(5);
    let info = loop {
        let info = ProcessInfo::read(child.id(), BootClock::read().as_ref()).expect("alive");
        if info.name.as_deref() == Some("sleep") || Instant::now() > deadline {
            break info;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let target = Target {
        pid: child.id(),
        process: info.name,
        started: info.started,
        unverifiable: None,
        holder: false,
        source: "test".to_owned(),
        ports: Vec::new(),
    };
    (child, target)
}

#[test]
fn escalation_kills_what_ignores_term_and_reports_it() {
    let (mut child, target) = stubborn_child();
    let options = KillOptions {
        signal: Signal::TERM,
        escalate: Some(Duration::from_millis(300)),
        dry_run: false,
    };
    let begun = Instant::now();
    let results = kill(std::slice::from_ref(&target), &options);
    assert_eq!(results[0].outcome, Outcome::Killed, "{results:?}");
    assert_eq!(results[0].signal.as_deref(), Some("KILL"));
    assert!(begun.elapsed() >= Duration::from_millis(300));
    let status = child.wait().expect("reaped");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );
}

#[test]
fn a_changed_start_time_is_another_process_and_is_not_signalled() {
    let (mut child, mut target) = stubborn_child();
    target.started = target.started.map(|s| Timestamp::from_unix(s.secs - 60));
    let options = KillOptions {
        signal: Signal::KILL,
        escalate: None,
        dry_run: false,
    };
    let results = kill(std::slice::from_ref(&target), &options);
    assert_eq!(results[0].outcome, Outcome::Gone, "{results:?}");
    assert!(results[0].message.contains("another process"));
    assert_eq!(
        child.try_wait().expect("waitable"),
        None,
        "the stranger was hit"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn as_asked_depends_on_the_mode() {
    let plain = KillOptions {
        signal: Signal::TERM,
        escalate: None,
        dry_run: false,
    };
    let escalating = KillOptions {
        escalate: Some(Duration::from_secs(1)),
        ..plain
    };
    assert!(plain.as_asked(Outcome::Signalled));
    assert!(!escalating.as_asked(Outcome::Signalled));
    assert!(escalating.as_asked(Outcome::Killed));
    assert!(!plain.as_asked(Outcome::Gone));
    assert!(!plain.as_asked(Outcome::SkippedDryRun));
    // A worker found holding the port, gone before its turn: its master took it down.
    let mut worker = target(300, Some("nginx"), Some(1_000));
    worker.holder = true;
    let gone = KillResult::of(&worker, Outcome::Gone, String::new());
    assert!(escalating.result_as_asked(&gone));
    let named = KillResult::of(
        &target(300, Some("nginx"), Some(1_000)),
        Outcome::Gone,
        String::new(),
    );
    assert!(
        !escalating.result_as_asked(&named),
        "a record's own process, gone"
    );
}
