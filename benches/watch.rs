//! The cost of one `prt watch` tick against one `ss -tunapH`, on sockets this benchmark
//! creates.
//!
//! Run: `cargo bench --bench watch` (sockets from `PRT_BENCH_SOCKETS`, default 20000; ticks
//! from `PRT_BENCH_TICKS`, default 20).
//!
//! Twenty holder processes keep loopback connections open. The benchmark then measures, in
//! CPU time (user + system, all threads, from getrusage): one full first scan; steady ticks
//! where nothing changed; ticks after 1% of the sockets were added as new connections
//! accepted by processes that already hold sockets; and `ss -tunapH` (its CPU time as a
//! child). It prints medians and the ratios to ss.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use prt::model::Timestamp;
use prt::scan::ScanOptions;
use prt::scan::incremental::Scanner;
use prt::track::Tracker;
use support::Holders;

const HOLDERS: usize = 20;

fn main() {
    if support::hold_if_asked() {
        return;
    }
    let sockets = env_number("PRT_BENCH_SOCKETS", 20_000);
    let ticks = env_number("PRT_BENCH_TICKS", 20);
    let mut holders = Holders::start(HOLDERS, sockets);

    let mut scanner = Scanner::new(ScanOptions::default());
    let (first, _) = cpu(|| scanner.scan().expect("scan").entries.len());
    let steady: Vec<Duration> = (0..ticks)
        .map(|_| cpu(|| scanner.scan().expect("scan")).0)
        .collect();
    let steady_walked = scanner.walked_last();
    // The tracker's share of a steady tick, as a watch with events runs it (following
    // cookies): the same scan again and again, nothing changed. The copy it consumes is
    // made outside the measured time.
    let unchanged = scanner.scan().expect("scan").entries;
    let mut tracker = Tracker::new(5).following_cookies();
    tracker.observe(unchanged.clone(), Timestamp::now());
    let tracker_ticks: Vec<Duration> = (0..ticks)
        .map(|_| {
            let copy = unchanged.clone();
            cpu(|| tracker.observe(copy, Timestamp::now()).len()).0
        })
        .collect();
    // 1% new: two sockets per connection, spread over the holders.
    let each = (sockets / 100 / 2 / HOLDERS).max(1);
    let mut unowned = 0;
    let churn: Vec<Duration> = (0..ticks)
        .map(|_| {
            holders.more(each);
            let (time, scan) = cpu(|| scanner.scan().expect("scan"));
            // The benchmark's own connections must all be attributed: speed bought by
            // missing owners would not count.
            unowned = scan
                .entries
                .iter()
                .filter(|e| e.local_addr.is_loopback() && e.inode != 0 && e.pid.is_none())
                .count();
            time
        })
        .collect();
    let churn_walked = scanner.walked_last();
    let ss: Vec<Duration> = (0..ticks.min(11))
        .map(|_| child_cpu("ss", &["-tunapH"]))
        .collect();
    holders.stop();

    let ss = median(ss);
    let report = |label: &str, time: Duration| {
        println!(
            "{label:<40} {:>8.1} ms CPU   {:>5.2}x ss",
            time.as_secs_f64() * 1e3,
            time.as_secs_f64() / ss.as_secs_f64()
        );
    };
    println!("\n== {sockets} benchmark sockets, {ticks} ticks each, median CPU time ==");
    report("ss -tunapH", ss);
    report("first scan (full /proc walk)", first);
    report(
        &format!("steady tick ({steady_walked} processes re-read)"),
        median(steady),
    );
    report(
        &format!("tracker, steady tick ({} sockets)", unchanged.len()),
        median(tracker_ticks),
    );
    report(
        &format!("tick with 1% new ({churn_walked} re-read)"),
        median(churn),
    );
    println!("loopback sockets left without an owner after the last 1% tick: {unowned}");
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn rusage(who: libc::c_int) -> Duration {
    // SAFETY: getrusage fills a local struct.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &raw mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// CPU time of this process (all threads) spent in `work`.
fn cpu<T>(work: impl FnOnce() -> T) -> (Duration, T) {
    let before = rusage(libc::RUSAGE_SELF);
    let result = work();
    (rusage(libc::RUSAGE_SELF).saturating_sub(before), result)
}

/// CPU time of one run of a command, output to /dev/null.
fn child_cpu(program: &str, args: &[&str]) -> Duration {
    let before = rusage(libc::RUSAGE_CHILDREN);
    let _ = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    rusage(libc::RUSAGE_CHILDREN).saturating_sub(before)
}
