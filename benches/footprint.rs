//! The whole program's footprint at the machine's limit (issue 17): wall time, CPU time and
//! peak RSS of `prt scan`, `prt watch` and `prt filter` as a user runs them, beside `ss`
//! and `jq` measured in the same run, with the goal next to each figure.
//!
//! Run: `cargo bench --bench footprint` (runs per figure from `PRT_BENCH_RUNS`, default 3;
//! sizes from `PRT_BENCH_SOCKETS`, default `20000,100000`). Root raises the holders' file
//! limits; as another user the sizes must fit the hard `ulimit -n`.
//!
//! At the first size it also runs issue 16's budget: the share of a core an event-driven
//! `prt watch --interval 2s` takes over 60 s idle, and over 60 s of 1,000 connections a
//! second (`PRT_BENCH_SHARE_SECS` sets the length).
//!
//! Soak (not part of the default run): `PRT_SOAK_SECS=600 cargo bench --bench footprint`
//! runs `prt watch --ndjson` over 20,000 sockets with 1% of the connections replaced every
//! second, takes the peak of its resident size in each minute (`VmHWM`, reset every
//! minute), and fails unless every later minute's peak is within 5% of the second minute's.
//!
//! Every program is measured through a small probe process (`support::run_measured`):
//! CPU time and peak RSS come from the program's own rusage.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
#![allow(
    clippy::cast_precision_loss,
    reason = "times and sizes are printed to a few digits"
)]

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Holders, Usage};

const HOLDERS: usize = 20;

/// One row of the table: what is measured, the figure now, the goal, and whether it is met.
struct Row {
    figure: String,
    now: String,
    goal: &'static str,
    met: Option<bool>,
}

fn main() {
    if support::hold_if_asked() || support::probe_if_asked() {
        return;
    }
    if let Some(seconds) = env_number("PRT_SOAK_SECS") {
        soak(Duration::from_secs(seconds as u64));
        return;
    }
    let runs = env_number("PRT_BENCH_RUNS").unwrap_or(3).max(1);
    let sizes: Vec<usize> = std::env::var("PRT_BENCH_SOCKETS")
        .unwrap_or_else(|_| "20000,100000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let prt = env!("CARGO_BIN_EXE_prt");
    let mut rows = Vec::new();
    let mut filter_input = None;
    for &size in &sizes {
        settle_time_wait(size);
        let mut holders = Holders::start(HOLDERS, size);
        println!(
            "== {size} benchmark sockets ({} TCP sockets on the machine, {} in TIME-WAIT), {runs} runs each, medians ==",
            tcp_sockets(&[]),
            tcp_sockets(&["state", "time-wait"])
        );
        let ss = median_usage(runs, &["ss", "-tunapH"], None);
        let scan = median_usage(runs, &[prt, "scan", "--format", "ndjson"], None);
        if let (Some(ss), Some(scan)) = (ss, scan) {
            let ratio = ratio(scan.wall, ss.wall);
            rows.push(Row {
                figure: format!("prt scan --format ndjson, {size}: wall vs ss -tunapH"),
                now: format!("{ratio:.2}x ({} vs {})", millis(scan.wall), millis(ss.wall)),
                goal: "<= 0.30x",
                met: Some(ratio <= 0.30),
            });
            rows.push(Row {
                figure: format!("prt scan, {size}: peak RSS"),
                now: format!(
                    "{} (ss: {})",
                    mebibytes(scan.max_rss_kib),
                    mebibytes(ss.max_rss_kib)
                ),
                goal: if size >= 100_000 { "<= 48 MiB" } else { "-" },
                met: (size >= 100_000).then_some(scan.max_rss_kib <= 48 * 1024),
            });
        }
        if let Some(tick) = watch_tick(prt, runs) {
            let ss_cpu = ss.map_or(Duration::ZERO, |u| u.cpu);
            let share = ratio(tick.cpu, ss_cpu);
            let (goal, met) = if size >= 100_000 {
                ("<= 100 ms", tick.cpu <= Duration::from_millis(100))
            } else {
                ("<= 0.10x of ss", share <= 0.10)
            };
            rows.push(Row {
                figure: format!("prt watch --ndjson, {size}: CPU per steady tick"),
                now: format!(
                    "{} ({share:.2}x of one ss at {})",
                    millis(tick.cpu),
                    millis(ss_cpu)
                ),
                goal,
                met: Some(met),
            });
            rows.push(Row {
                figure: format!("prt watch --ndjson, {size}: peak RSS"),
                now: mebibytes(tick.max_rss_kib),
                goal: if size >= 100_000 { "<= 64 MiB" } else { "-" },
                met: (size >= 100_000).then_some(tick.max_rss_kib <= 64 * 1024),
            });
        }
        if size == sizes[0] {
            rows.extend(watch_share(prt, &mut holders));
        }
        if filter_input.is_none() {
            filter_input = records_file(prt, 1_000_000);
        }
        holders.stop();
    }
    if let Some(input) = &filter_input {
        rows.extend(filter_row(prt, input.path(), runs));
    }
    print_table(&rows);
}

/// Waits (at most the kernel's 60 s) for an earlier stage's TIME-WAIT remnants to expire —
/// the connections its churn replaced — so that a stage measures about `size` sockets, not
/// half as many again.
fn settle_time_wait(size: usize) {
    let start = Instant::now();
    while tcp_sockets(&["state", "time-wait"]) > size / 100
        && start.elapsed() < Duration::from_secs(70)
    {
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// How many TCP sockets `ss -tanH` lists with `filter`: what the stage really measures
/// (remnants of an earlier stage would swell it).
fn tcp_sockets(filter: &[&str]) -> usize {
    Command::new("ss")
        .arg("-tanH")
        .args(filter)
        .output()
        .map_or(0, |out| memchr::memchr_iter(b'\n', &out.stdout).count())
}

/// The median of `runs` runs (after one warm-up) of each figure separately.
fn median_usage(runs: usize, argv: &[&str], stdin: Option<&Path>) -> Option<Usage> {
    support::run_measured(argv, stdin)?;
    let samples: Vec<Usage> = (0..runs)
        .filter_map(|_| support::run_measured(argv, stdin))
        .collect();
    if samples.is_empty() {
        return None;
    }
    let pick = |key: fn(&Usage) -> u128| {
        let mut values: Vec<u128> = samples.iter().map(key).collect();
        values.sort_unstable();
        values[values.len() / 2]
    };
    Some(Usage {
        wall: Duration::from_nanos(pick(|u| u.wall.as_nanos()) as u64),
        cpu: Duration::from_nanos(pick(|u| u.cpu.as_nanos()) as u64),
        max_rss_kib: pick(|u| u128::from(u.max_rss_kib)) as u64,
    })
}

/// Steady ticks of `prt watch --ndjson` where nothing changed: the CPU of a watch of 12
/// scans less that of a watch of 2, over the 10 extra scans; and the longer watch's peak
/// RSS.
fn watch_tick(prt: &str, runs: usize) -> Option<Usage> {
    let watch = |count: &str| {
        let argv = [
            prt,
            "watch",
            "--ndjson",
            "--interval",
            "300ms",
            "--count",
            count,
        ];
        median_usage(runs, &argv, None)
    };
    let short = watch("2")?;
    let long = watch("12")?;
    Some(Usage {
        wall: long.wall.saturating_sub(short.wall) / 10,
        cpu: long.cpu.saturating_sub(short.cpu) / 10,
        max_rss_kib: long.max_rss_kib,
    })
}

/// Issue 16's budget for an event-driven watch at its default interval: the share of one
/// core `prt watch --ndjson --interval 2s` takes over 60 s with the sockets idle, then over
/// 60 s while 1,000 connections a second are replaced (opened and closed).
fn watch_share(prt: &str, holders: &mut Holders) -> Vec<Row> {
    let seconds = env_number("PRT_BENCH_SHARE_SECS").unwrap_or(60) as u64;
    let Ok(mut watch) = Command::new(prt)
        .args(["watch", "--ndjson", "--interval", "2s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return Vec::new();
    };
    // The first scan writes every socket: not the steady state.
    std::thread::sleep(Duration::from_secs(5));
    let pid = watch.id();
    let mut rows = Vec::new();
    for (what, goal, limit, churn) in [
        ("idle", "<= 2%", 0.02, 0),
        ("1000 connections/s", "<= 25%", 0.25, 1000 / HOLDERS),
    ] {
        let (before, start) = (support::process_usage(pid).0, Instant::now());
        while start.elapsed() < Duration::from_secs(seconds) {
            let tick = Instant::now();
            if churn > 0 {
                holders.churn(churn);
            }
            std::thread::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed()));
        }
        let share = ratio(
            support::process_usage(pid).0.saturating_sub(before),
            start.elapsed(),
        );
        rows.push(Row {
            figure: format!("prt watch --interval 2s, {what}: share of a core over {seconds} s"),
            now: format!("{:.1}%", share * 100.0),
            goal,
            met: Some(share <= limit),
        });
    }
    let _ = watch.kill();
    let _ = watch.wait();
    rows
}

/// A file of at least `lines` NDJSON records: the machine's scan repeated.
fn records_file(prt: &str, lines: usize) -> Option<tempfile::NamedTempFile> {
    let scan = Command::new(prt)
        .args(["scan", "--format", "ndjson"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let count = memchr::memchr_iter(b'\n', &scan.stdout).count();
    if count == 0 {
        return None;
    }
    let mut file = tempfile::NamedTempFile::new().ok()?;
    {
        let mut out = std::io::BufWriter::new(file.as_file_mut());
        for _ in 0..lines.div_ceil(count) {
            out.write_all(&scan.stdout).ok()?;
        }
        out.flush().ok()?;
    }
    Some(file)
}

/// `prt filter` against `jq -c 'select(...)'` on the same records, the same selection.
fn filter_row(prt: &str, input: &Path, runs: usize) -> Option<Row> {
    let lines = memchr::memchr_iter(b'\n', &std::fs::read(input).ok()?).count();
    let ours = median_usage(runs, &[prt, "filter", "state=listen"], Some(input))?;
    let jq = median_usage(
        runs,
        &["jq", "-c", "select(.state == \"LISTEN\")"],
        Some(input),
    )?;
    let speedup = ratio(jq.wall, ours.wall);
    let rate = lines as f64 / ours.wall.as_secs_f64() / 1e6;
    Some(Row {
        figure: format!("prt filter, {lines} records: speed vs jq -c 'select(...)'"),
        now: format!(
            "{speedup:.1}x, {rate:.2}M rec/s ({} vs {})",
            millis(ours.wall),
            millis(jq.wall)
        ),
        goal: ">= 30x",
        met: Some(speedup >= 30.0),
    })
}

/// `PRT_SOAK_SECS`: a long watch under churn; its RSS must stay flat after the first minute.
///
/// Each minute's peak is the kernel's high-water mark of the watch's resident size
/// (`VmHWM`), reset to the current size as the minute begins (`/proc/PID/clear_refs`):
/// every scan's transient memory is in it, where samples taken every few seconds fall
/// during a scan or between two by chance, which alone moved a minute's figure by a MiB.
/// The second minute's peak is the baseline: connections the churn replaced linger in
/// TIME-WAIT for 60 s, so the machine's socket count only settles after the first.
fn soak(length: Duration) {
    let sockets = 20_000;
    let minutes = (length.as_secs() / 60).max(3) as usize;
    let mut holders = Holders::start(HOLDERS, sockets);
    let mut watch = Command::new(env!("CARGO_BIN_EXE_prt"))
        .args(["watch", "--ndjson", "--interval", "2s"])
        .stdout(Stdio::null())
        .spawn()
        .expect("start prt watch");
    let clear_refs = format!("/proc/{}/clear_refs", watch.id());
    let start = Instant::now();
    let mut minute_ends = Duration::from_secs(60);
    // The peak RSS of each minute so far, KiB.
    let mut peaks: Vec<u64> = Vec::new();
    // 1% of the connections, spread over the holders, replaced every second.
    let each = (sockets / 100 / 2 / HOLDERS).max(1);
    while peaks.len() < minutes {
        holders.churn(each);
        std::thread::sleep(Duration::from_secs(1));
        if start.elapsed() >= minute_ends {
            let peak = support::status_kib(watch.id(), "VmHWM:");
            assert!(peak > 0, "prt watch is running");
            std::fs::write(&clear_refs, "5").expect("reset the watch's peak RSS (clear_refs)");
            peaks.push(peak);
            println!(
                "minute {:>2}: peak RSS {:.1} MiB, {} TCP sockets",
                peaks.len(),
                peak as f64 / 1024.0,
                tcp_sockets(&[])
            );
            minute_ends += Duration::from_secs(60);
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
    holders.stop();
    let baseline = *peaks.get(1).expect("the soak ran into its second minute");
    let largest = peaks.iter().skip(2).copied().max().unwrap_or(baseline);
    let growth = ratio_u64(largest, baseline) - 1.0;
    println!(
        "peak RSS in the second minute {:.1} MiB, largest peak after {:.1} MiB ({:+.1}%): goal within 5%",
        baseline as f64 / 1024.0,
        largest as f64 / 1024.0,
        growth * 100.0
    );
    assert!(
        growth <= 0.05,
        "RSS grew {:.1}% after the first minute",
        growth * 100.0
    );
}

fn print_table(rows: &[Row]) {
    let width = rows.iter().map(|r| r.figure.len()).max().unwrap_or(0);
    let now = rows.iter().map(|r| r.now.len()).max().unwrap_or(0);
    println!("\n| {:width$} | {:now$} | goal | met |", "figure", "now");
    println!(
        "|{}|{}|---|---|",
        "-".repeat(width + 2),
        "-".repeat(now + 2)
    );
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        println!(
            "| {:width$} | {:now$} | {} | {met} |",
            row.figure, row.now, row.goal
        );
    }
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        return f64::INFINITY;
    }
    a.as_secs_f64() / b.as_secs_f64()
}

fn ratio_u64(a: u64, b: u64) -> f64 {
    if b == 0 {
        return f64::INFINITY;
    }
    a as f64 / b as f64
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn mebibytes(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}
