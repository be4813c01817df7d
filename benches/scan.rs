//! `prt scan` against `ss -tunapH` and `lsof -nP -i` on sockets this benchmark creates.
//!
//! Run: `cargo bench --bench scan` (sizes from `PRT_BENCH_SOCKETS`, default `20000,100000`;
//! runs per command from `PRT_BENCH_RUNS`, default 11). `PRT_BENCH_BASELINE=/path/to/prt`
//! adds another build of prt to the same interleaved runs: a before/after of a change.
//!
//! For each size it starts 20 holder processes (this same executable, re-run with
//! `PRT_BENCH_HOLDER` set). Each holder listens on 127.0.0.1 and opens loopback
//! connections to its own listener, so the machine gains `size` established sockets spread
//! over 20 processes — the shape of a busy server. It then runs each command in turn
//! (interleaved, so drift in machine load hits all alike), output to /dev/null, and prints
//! the median wall time and the ratio to `ss` measured in the same run.
//!
//! Then the cost of `--traffic` (issue 18): the sock_diag dump of TCP with and without
//! `INET_DIAG_INFO`, in this process (what the flag adds to the kernel's and the parser's
//! work), and the whole program with and without it next to `ss -tn` and `ss -tin` (which
//! prints the same counters), each with its peak RSS.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prt::config::Config;
use prt::enrich::Enricher;
use prt::scan::ScanOptions;
use support::Holders;

const HOLDERS: usize = 20;

fn main() {
    if support::hold_if_asked() || support::probe_if_asked() {
        return;
    }
    let sizes: Vec<usize> = std::env::var("PRT_BENCH_SOCKETS")
        .unwrap_or_else(|_| "20000,100000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("PRT_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(11);
    let prt = env!("CARGO_BIN_EXE_prt");
    let baseline = std::env::var("PRT_BENCH_BASELINE").ok();
    for size in sizes {
        let holders = Holders::start(HOLDERS, size);
        let total = count_lines(Command::new("ss").arg("-tunaH"));
        println!(
            "\n== {size} benchmark sockets ({total} on the machine), {runs} runs each, median =="
        );
        let mut commands: Vec<(&str, Vec<&str>, usize)> = vec![
            ("ss -tunapH", vec!["ss", "-tunapH"], runs),
            (
                "prt scan --format ndjson",
                vec![prt, "scan", "--format", "ndjson"],
                runs,
            ),
            (
                "prt scan --format csv",
                vec![prt, "scan", "--format", "csv"],
                runs,
            ),
            ("lsof -nP -i", vec!["lsof", "-nP", "-i"], runs.min(3)),
        ];
        if let Some(baseline) = baseline.as_deref() {
            commands.insert(
                2,
                (
                    "baseline scan --format ndjson",
                    vec![baseline, "scan", "--format", "ndjson"],
                    runs,
                ),
            );
        }
        let medians = measure(&commands);
        let ss = medians[0].unwrap_or(Duration::MAX);
        for ((label, _, _), median) in commands.iter().zip(&medians) {
            match median {
                Some(median) => println!(
                    "{label:<28} {:>9.1} ms   {:>5.2}x ss",
                    median.as_secs_f64() * 1e3,
                    median.as_secs_f64() / ss.as_secs_f64()
                ),
                None => println!("{label:<28} not available"),
            }
        }
        enrichment_cost(runs);
        traffic_cost(prt, runs);
        let prt_lines = count_lines(Command::new(prt).args(["scan", "--format", "ndjson"]));
        let ss_lines = count_lines(Command::new("ss").arg("-tunapH"));
        println!("records: prt {prt_lines}, ss {ss_lines}");
        holders.stop();
    }
}

/// The library's scan with and without enrichment (service names, suspicious reasons,
/// containers), interleaved in this process: what enrichment adds to a scan.
fn enrichment_cost(runs: usize) {
    let options = ScanOptions::default();
    let config = Config::default();
    let (mut bare, mut enriched, mut alone) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=runs {
        let start = Instant::now();
        let scan = prt::scan::scan(&options).expect("scan");
        let scanned = start.elapsed();
        let start = Instant::now();
        let mut entries = prt::scan::scan(&options).expect("scan").entries;
        let enrich_start = Instant::now();
        // A fresh enricher each time: a one-shot `prt scan` learns every process anew.
        Enricher::new(&config).enrich(&mut entries);
        let with_enrichment = start.elapsed();
        if round > 0 {
            bare.push(scanned);
            enriched.push(with_enrichment);
            alone.push(enrich_start.elapsed());
        }
        drop(scan);
    }
    let (bare, enriched, alone) = (median(bare), median(enriched), median(alone));
    println!(
        "library scan {:.1} ms, scan + enrich {:.1} ms (enrich alone {:.1} ms): enrichment adds {:+.1}%",
        bare.as_secs_f64() * 1e3,
        enriched.as_secs_f64() * 1e3,
        alone.as_secs_f64() * 1e3,
        (enriched.as_secs_f64() / bare.as_secs_f64() - 1.0) * 100.0
    );
}

/// What `--traffic` costs: the TCP dump with and without counters (library, interleaved),
/// then the programs, with peak RSS.
fn traffic_cost(prt: &str, runs: usize) {
    dump_cost(runs);
    programs_cost(prt, runs);
}

/// Without netlink (macOS) there is no dump to compare.
#[cfg(not(target_os = "linux"))]
fn dump_cost(_: usize) {}

/// The sock_diag dump of TCP with and without `tcp_info`, interleaved, in this process.
#[cfg(target_os = "linux")]
fn dump_cost(runs: usize) {
    use prt::model::Proto;
    use prt::scan::Family;
    use prt::scan::netlink::{Request, dump};
    let dump_all = |counters: bool| {
        let mut sockets = Vec::new();
        let start = Instant::now();
        for family in [Family::V4, Family::V6] {
            let request = Request {
                proto: Proto::Tcp,
                family,
                listening_only: false,
                counters,
            };
            dump(request, &mut sockets).expect("sock_diag dump");
        }
        (start.elapsed(), sockets.len())
    };
    let (mut plain, mut counted, mut sockets) = (Vec::new(), Vec::new(), 0);
    for round in 0..=runs * 3 {
        let (without, _) = dump_all(false);
        let (with, listed) = dump_all(true);
        if round > 0 {
            plain.push(without);
            counted.push(with);
            sockets = listed;
        }
    }
    let (plain, counted) = (median(plain), median(counted));
    println!(
        "TCP dump of {sockets} sockets: {:.2} ms plain, {:.2} ms with tcp_info: --traffic adds {:+.1}% to the dump",
        plain.as_secs_f64() * 1e3,
        counted.as_secs_f64() * 1e3,
        (counted.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
    );
}

/// `prt scan -t` with and without `--traffic` next to `ss -tn` and `ss -tin`, with peak RSS.
fn programs_cost(prt: &str, runs: usize) {
    let commands: [(&str, Vec<&str>); 4] = [
        ("ss -tnH", vec!["ss", "-tnH"]),
        ("ss -tinH (tcp_info)", vec!["ss", "-tinH"]),
        ("prt scan -t", vec![prt, "scan", "-t", "--format", "ndjson"]),
        (
            "prt scan -t --traffic",
            vec![prt, "scan", "-t", "--traffic", "--format", "ndjson"],
        ),
    ];
    let mut samples: Vec<Vec<(Duration, u64)>> = vec![Vec::new(); commands.len()];
    for round in 0..=runs {
        for (index, (_, argv)) in commands.iter().enumerate() {
            if let Some(sample) =
                support::run_measured(argv, None).map(|usage| (usage.wall, usage.max_rss_kib))
                && round > 0
            {
                samples[index].push(sample);
            }
        }
    }
    let medians: Vec<Option<(Duration, u64)>> = samples
        .into_iter()
        .map(|mut s| {
            s.sort();
            s.get(s.len() / 2).copied()
        })
        .collect();
    let reference = medians[1].map_or(Duration::MAX, |(time, _)| time);
    for ((label, _), median) in commands.iter().zip(&medians) {
        match median {
            Some((time, rss)) => println!(
                "{label:<28} {:>9.1} ms   {:>5.2}x ss -tin   peak RSS {:>6} KiB",
                time.as_secs_f64() * 1e3,
                time.as_secs_f64() / reference.as_secs_f64(),
                rss
            ),
            None => println!("{label:<28} not available"),
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Runs every command `runs` times, interleaved; the median per command, `None` if it
/// could not be run.
fn measure(commands: &[(&str, Vec<&str>, usize)]) -> Vec<Option<Duration>> {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); commands.len()];
    let most = commands.iter().map(|c| c.2).max().unwrap_or(0);
    for round in 0..=most {
        for (index, (_, argv, runs)) in commands.iter().enumerate() {
            if round > *runs {
                continue;
            }
            let start = Instant::now();
            let status = Command::new(argv[0])
                .args(&argv[1..])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let elapsed = start.elapsed();
            // Round 0 warms caches and is not counted.
            if round > 0 && status.is_ok_and(|s| s.success()) {
                samples[index].push(elapsed);
            }
        }
    }
    samples
        .into_iter()
        .map(|mut times| {
            times.sort();
            times.get(times.len() / 2).copied()
        })
        .collect()
}

fn count_lines(cmd: &mut Command) -> usize {
    cmd.output().map_or(0, |o| {
        o.stdout.split(|&b| b == b'\n').count().saturating_sub(1)
    })
}
