//! `prt metrics` on a file of records, against a `jq` program that counts the listeners by
//! the same labels, in the same run (issue 19: 100k records in at most 0.2 s).
//!
//! Run: `cargo bench --bench metrics` (records from `PRT_BENCH_RECORDS`, default 100000;
//! runs from `PRT_BENCH_RUNS`, default 5).
//!
//! Records are made up but shaped like a busy server's scan: a few hundred listeners, and
//! connections of a handful of processes to many peers from many ephemeral ports. Both
//! programs run as a user would (`prt metrics FILE`, `jq ... FILE`), output to /dev/null;
//! it prints the median wall time, the peak RSS of each (from wait4), the ratio, and how
//! many series `prt metrics` wrote, which must not grow with the number of connections.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
#![allow(
    clippy::cast_precision_loss,
    reason = "rates and sizes are printed to a few digits"
)]

use std::io::{BufWriter, Write};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What jq does to match `prt_listening`: group the listeners by the label set and count.
const JQ: &str = r#"[inputs | select(.state=="LISTEN" or .state=="UNCONN")] | group_by([.proto, .local_port, .process, .user, .container]) | map({key: .[0], n: length}) | length"#;

fn main() {
    let records: usize = env_number("PRT_BENCH_RECORDS", 100_000);
    let runs: usize = env_number("PRT_BENCH_RUNS", 5);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("records.ndjson");
    let bytes = write_records(&file, records);
    let small = dir.path().join("small.ndjson");
    write_records(&small, records / 10);
    println!(
        "\n== prt metrics: {records} records, {:.1} MB, median of {runs} ==",
        bytes as f64 / 1e6
    );
    let prt = env!("CARGO_BIN_EXE_prt");
    let file_arg = file.to_string_lossy().into_owned();
    let prt_argv = [prt, "metrics", file_arg.as_str()];
    let jq_argv = ["jq", "-n", JQ, file_arg.as_str()];

    let series = |path: &Path| {
        let output = Command::new(prt)
            .arg("metrics")
            .arg(path)
            .output()
            .expect("prt metrics runs");
        assert!(output.status.success(), "prt metrics failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count()
    };
    let (many, few) = (series(&file), series(&small));
    println!(
        "series written: {many} for {records} records, {few} for {} records",
        records / 10
    );

    let Some(prt_run) = measure(&prt_argv, runs) else {
        println!("prt metrics did not run");
        return;
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "prt metrics FILE          wall {:>8.1} ms  cpu {:>8.1} ms  peak RSS {:>6.1} MB  {:>9.0} records/s",
        ms(prt_run.wall),
        ms(prt_run.cpu),
        prt_run.rss as f64 / 1024.0,
        records as f64 / prt_run.wall.as_secs_f64()
    );
    match measure(&jq_argv, runs.min(3)) {
        Some(jq_run) => {
            println!(
                "jq -n '<group_by>' FILE   wall {:>8.1} ms  cpu {:>8.1} ms  peak RSS {:>6.1} MB",
                ms(jq_run.wall),
                ms(jq_run.cpu),
                jq_run.rss as f64 / 1024.0
            );
            println!(
                "prt metrics is {:.1}x faster than jq (wall), with {:.2}x its peak RSS",
                jq_run.wall.as_secs_f64() / prt_run.wall.as_secs_f64(),
                prt_run.rss as f64 / jq_run.rss.max(1) as f64
            );
        }
        None => println!("jq is not installed: no comparison"),
    }
    let verdict = |d: Duration| {
        if d <= Duration::from_millis(200) {
            "within"
        } else {
            "OVER"
        }
    };
    println!(
        "target: {records} records in <= 200 ms: wall {}, cpu {} (a loaded machine stretches wall time)",
        verdict(prt_run.wall),
        verdict(prt_run.cpu)
    );
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
    let owners = [
        ("nginx", "www-data", 33, 80),
        ("postgres", "postgres", 114, 5432),
        ("redis-server", "redis", 110, 6379),
        ("java", "app", 1001, 8080),
        ("sshd", "root", 0, 22),
        ("node", "app", 1001, 3000),
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..count {
        // xorshift: the same records on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let (process, user, uid, service_port) = owners[(state % owners.len() as u64) as usize];
        let pid = 2000 + (state % owners.len() as u64) as u32;
        // A fixed set of listeners, then connections only: the series must stay the same
        // whether there are ten thousand connections or a hundred thousand.
        let listener = i < 300;
        let (local_port, remote, state_name) = if listener {
            (
                service_port + (i % 50) as u16,
                "null,\"remote_port\":null".to_owned(),
                "LISTEN",
            )
        } else {
            let peer = format!(
                "\"203.0.{}.{}\",\"remote_port\":{}",
                (state >> 8) % 256,
                (state >> 16) % 256,
                32768 + (state >> 24) % 28000
            );
            (service_port, peer, "ESTABLISHED")
        };
        writeln!(
            out,
            r#"{{"proto":"tcp","local_addr":"10.1.2.3","local_port":{local_port},"remote_addr":{remote},"state":"{state_name}","inode":{},"uid":{uid},"pid":{pid},"pids":[{pid}],"process":"{process}","cmdline":"{process} --serve","user":"{user}","ppid":1,"started":"2026-11-30T08:00:00.00Z","service":null,"suspicious":[],"container":null,"netns":4026531840,"interface":null,"recv_q":0,"send_q":0}}"#,
            500_000 + i
        )
        .expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// What [`measure`] found: medians of wall and CPU (user + system) time, the largest peak
/// RSS in KiB.
struct Measured {
    wall: Duration,
    cpu: Duration,
    rss: i64,
}

/// Runs `argv` `runs` times; `None` if it cannot run.
fn measure(argv: &[&str], runs: usize) -> Option<Measured> {
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut peak = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let child = Command::new(argv[0])
            .args(&argv[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut status = 0;
        // SAFETY: rusage is plain data that wait4 fills for our own child, reaped here.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let pid = unsafe { libc::wait4(child.id() as i32, &raw mut status, 0, &raw mut usage) };
        let elapsed = start.elapsed();
        if pid <= 0 || std::process::ExitStatus::from_raw(status).code() != Some(0) {
            return None;
        }
        times.push(elapsed);
        let time = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        cpus.push(time(usage.ru_utime) + time(usage.ru_stime));
        peak = peak.max(usage.ru_maxrss);
    }
    times.sort();
    cpus.sort();
    Some(Measured {
        wall: times[times.len() / 2],
        cpu: cpus[cpus.len() / 2],
        rss: peak,
    })
}
