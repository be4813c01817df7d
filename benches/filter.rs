//! `prt filter` against `jq` on the same file of records, in the same run.
//!
//! Run: `cargo bench --bench filter` (records from `PRT_BENCH_RECORDS`, default 1000000;
//! runs from `PRT_BENCH_RUNS`, default 5 for prt and 3 for jq).
//!
//! It writes a file of realistic scan records (every field present, a mix of states,
//! protocols, addresses, processes and command lines), then times
//! `prt filter 'port>=1024 and state=established'` and
//! `jq -c 'select(.local_port>=1024 and .state=="ESTABLISHED")'` on it, both pinned to
//! one core with taskset, output to /dev/null. It checks both select the same number of
//! records and prints medians, records per second and the ratio.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
#![allow(
    clippy::cast_precision_loss,
    reason = "rates and sizes are printed to a few digits"
)]

use std::io::{BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prt::model::{PortEntry, Proto, State, Timestamp};

const EXPR: &str = "port>=1024 and state=established";
const JQ: &str = r#"select(.local_port>=1024 and .state=="ESTABLISHED")"#;

fn main() {
    let records: usize = env_number("PRT_BENCH_RECORDS", 1_000_000);
    let runs: usize = env_number("PRT_BENCH_RUNS", 5);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("records.ndjson");
    let bytes = write_records(&file, records);
    println!(
        "\n== {records} records, {:.0} MB, one core (taskset -c 0), median ==",
        bytes as f64 / 1e6
    );
    let prt = env!("CARGO_BIN_EXE_prt");
    let file_arg = file.to_string_lossy().into_owned();
    let prt_argv = [prt, "filter", EXPR, file_arg.as_str()];
    let jq_argv = ["jq", "-c", JQ, file_arg.as_str()];

    let prt_selected = count_output(&prt_argv).expect("prt filter runs");
    let jq_selected = count_output(&jq_argv);
    match jq_selected {
        Some(jq) => {
            println!("selected: prt {prt_selected}, jq {jq}");
            assert_eq!(prt_selected, jq, "prt and jq disagree");
        }
        None => println!("selected: prt {prt_selected}; jq is not installed"),
    }

    let prt_time = median_time(&prt_argv, runs);
    let jq_time = if jq_selected.is_some() {
        median_time(&jq_argv, runs.min(3))
    } else {
        None
    };
    let rate = |time: Duration| records as f64 / time.as_secs_f64();
    if let Some(prt_time) = prt_time {
        println!(
            "prt filter '{EXPR}'   {:>9.1} ms  {:>12.0} records/s",
            prt_time.as_secs_f64() * 1e3,
            rate(prt_time)
        );
        if let Some(jq_time) = jq_time {
            println!(
                "jq -c '{JQ}'   {:>9.1} ms  {:>12.0} records/s",
                jq_time.as_secs_f64() * 1e3,
                rate(jq_time)
            );
            println!(
                "prt is {:.1}x jq's throughput",
                jq_time.as_secs_f64() / prt_time.as_secs_f64()
            );
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes `count` records; returns the file size.
fn write_records(path: &Path, count: usize) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create"));
    let processes = [
        ("sshd", "/usr/sbin/sshd -D", "root", 0),
        ("nginx", "nginx: worker process", "www-data", 33),
        ("postgres", "postgres: 15/main: walwriter", "postgres", 114),
        ("python3", "python3 -m http.server 8000", "alice", 1000),
        (
            "firefox",
            "/usr/lib/firefox/firefox -contentproc -childID 12",
            "alice",
            1000,
        ),
        ("chronyd", "/usr/sbin/chronyd -F 1", "_chrony", 106),
    ];
    let states = [
        State::Established,
        State::Established,
        State::Established,
        State::Listen,
        State::TimeWait,
        State::CloseWait,
        State::SynSent,
    ];
    let mut seed: u64 = 0x5eed_cafe_f00d_beef;
    for i in 0..count {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (process, cmdline, user, uid) = processes[(seed % processes.len() as u64) as usize];
        let state = states[((seed >> 8) % states.len() as u64) as usize];
        let proto = if (seed >> 16).is_multiple_of(10) {
            Proto::Udp
        } else {
            Proto::Tcp
        };
        let state = if proto == Proto::Udp {
            State::Unconn
        } else {
            state
        };
        let v6 = (seed >> 20).is_multiple_of(4);
        let local: IpAddr = if v6 {
            format!("2001:db8::{:x}", (seed >> 24) % 0xffff)
                .parse()
                .expect("v6")
        } else {
            format!("10.0.{}.{}", (seed >> 24) % 256, (seed >> 32) % 256)
                .parse()
                .expect("v4")
        };
        let connected = !matches!(state, State::Listen | State::Unconn);
        let pid = 1000 + (seed >> 40) as u32 % 30000;
        let mut entry = PortEntry::new(
            proto,
            SocketAddr::new(local, ((seed >> 12) % 65535) as u16 + 1),
            state,
        );
        entry.remote_addr = connected.then(|| "192.0.2.7".parse().expect("v4"));
        entry.remote_port = connected.then_some(443);
        entry.inode = 100_000 + i as u64;
        entry.uid = Some(uid);
        entry.pid = Some(pid);
        entry.pids = vec![pid];
        entry.process = Some(process.into());
        entry.cmdline = Some(cmdline.into());
        entry.user = Some(user.into());
        entry.ppid = Some(1);
        entry.started = Some(Timestamp::from_unix(1_795_000_000 + (seed % 86_400) as i64));
        entry.netns = Some(4_026_531_840);
        entry.recv_q = Some(0);
        entry.send_q = Some(0);
        serde_json::to_writer(&mut out, &entry).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn pinned(argv: &[&str]) -> Command {
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0"]).args(argv);
    cmd
}

/// How many lines the command prints; `None` if it cannot run (no jq installed).
fn count_output(argv: &[&str]) -> Option<usize> {
    let output = pinned(argv).stderr(Stdio::null()).output().ok()?;
    output.status.code().filter(|&c| c <= 1)?;
    Some(
        output
            .stdout
            .split(|&b| b == b'\n')
            .count()
            .saturating_sub(1),
    )
}

fn median_time(argv: &[&str], runs: usize) -> Option<Duration> {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .filter_map(|_| {
            let start = Instant::now();
            let status = pinned(argv)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .ok()?;
            status.code().filter(|&c| c <= 1)?;
            Some(start.elapsed())
        })
        .collect();
    times.sort();
    times.get(times.len() / 2).copied()
}
