//! Shared by the benchmarks: holder processes that keep loopback connections open.
//!
//! A benchmark re-runs its own executable with `PRT_BENCH_HOLDER=N` set; [`hold_if_asked`]
//! then turns that process into a holder: a listener on 127.0.0.1 and N connections to it
//! (2N sockets), kept until stdin closes. A line `more K` on its stdin opens K more
//! connections and answers `ok`; `churn K` closes its K oldest connections, opens K new
//! ones and answers `ok`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const HOLDER_ENV: &str = "PRT_BENCH_HOLDER";

/// Holder processes and the pipes to talk to them.
pub struct Holders {
    children: Vec<(Child, BufReader<std::process::ChildStdout>)>,
}

/// If this process was started as a holder, holds until told to stop and returns true.
pub fn hold_if_asked() -> bool {
    let Some(connections) = std::env::var_os(HOLDER_ENV) else {
        return false;
    };
    let connections = connections.to_string_lossy().parse().unwrap_or(0);
    hold(connections);
    true
}

impl Holders {
    /// Starts `count` holders with `sockets` established sockets in all (two per connection).
    pub fn start(count: usize, sockets: usize) -> Holders {
        let per_holder = sockets / 2 / count;
        let exe = std::env::current_exe().expect("own path");
        let mut children = Vec::new();
        for _ in 0..count {
            let mut child = Command::new(&exe)
                .env(HOLDER_ENV, per_holder.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a holder");
            let mut stdout = BufReader::new(child.stdout.take().expect("holder stdout"));
            let mut ready = String::new();
            stdout.read_line(&mut ready).expect("holder reports");
            assert_eq!(ready.trim(), "ready", "holder failed: {ready}");
            children.push((child, stdout));
        }
        Holders { children }
    }

    /// Asks every holder for `each` more connections and waits until they are open.
    #[allow(dead_code, reason = "not every benchmark adds connections")]
    pub fn more(&mut self, each: usize) {
        self.ask(&format!("more {each}"));
    }

    /// Asks every holder to replace its `each` oldest connections with new ones and waits
    /// until they have.
    #[allow(dead_code, reason = "not every benchmark churns")]
    pub fn churn(&mut self, each: usize) {
        self.ask(&format!("churn {each}"));
    }

    fn ask(&mut self, line: &str) {
        for (child, _) in &mut self.children {
            let stdin = child.stdin.as_mut().expect("holder stdin");
            writeln!(stdin, "{line}").expect("ask holder");
            stdin.flush().expect("flush");
        }
        for (_, stdout) in &mut self.children {
            let mut answer = String::new();
            stdout.read_line(&mut answer).expect("holder answers");
            assert_eq!(answer.trim(), "ok");
        }
    }

    /// Closes every holder's stdin and waits for it to exit.
    pub fn stop(self) {
        for (mut child, _) in self.children {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
}

fn connect(address: SocketAddr, listener: &TcpListener, keep: &mut Vec<TcpStream>, count: usize) {
    for _ in 0..count {
        keep.push(TcpStream::connect(address).expect("connect"));
        keep.push(listener.accept().expect("accept").0);
    }
}

fn hold(connections: usize) {
    raise_fd_limit();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let mut keep = Vec::with_capacity(connections * 2);
    connect(address, &listener, &mut keep, connections);
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "ready");
    let _ = stdout.flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if let Some(count) = line
            .strip_prefix("more ")
            .and_then(|n| n.trim().parse().ok())
        {
            connect(address, &listener, &mut keep, count);
            let _ = writeln!(stdout, "ok");
            let _ = stdout.flush();
        } else if let Some(count) = line
            .strip_prefix("churn ")
            .and_then(|n| n.trim().parse::<usize>().ok())
        {
            // Both ends of the oldest connections sit at the front, in pairs.
            keep.drain(..(count * 2).min(keep.len()));
            connect(address, &listener, &mut keep, count);
            let _ = writeln!(stdout, "ok");
            let _ = stdout.flush();
        }
    }
    // Told to stop: reset every connection rather than close it, so that none is left in
    // TIME-WAIT for a minute to swell the next stage's socket count.
    for stream in &keep {
        let _ = rustix::net::sockopt::set_socket_linger(stream, Some(Duration::ZERO));
    }
}

fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit);
        }
    }
}

/// Set (to a file's path, or empty for none) to run this executable as the probe of
/// [`run_measured`].
const PROBE_ENV: &str = "PRT_BENCH_PROBE_STDIN";

/// What one run of a whole program cost, from its rusage.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code, reason = "not every benchmark reads every figure")]
pub struct Usage {
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// User plus system time, all threads.
    pub cpu: Duration,
    /// Peak resident set size, KiB.
    pub max_rss_kib: u64,
}

/// Runs `argv` (stdin from `stdin` or /dev/null, output to /dev/null) and returns its
/// cost; `None` when it could not run or did not exit 0.
///
/// Measured by a probe — this executable re-run, small when it starts — that spawns the
/// command and reads its rusage: a child forked straight from a benchmark holding many
/// records would count the benchmark's pages in its own peak RSS until it execs.
#[allow(dead_code, reason = "not every benchmark runs programs")]
pub fn run_measured(argv: &[&str], stdin: Option<&std::path::Path>) -> Option<Usage> {
    let stdin = stdin.map(|p| p.display().to_string()).unwrap_or_default();
    let output = Command::new(std::env::current_exe().ok()?)
        .env(PROBE_ENV, stdin)
        .args(argv)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let (Some(Ok(wall)), Some(Ok(cpu)), Some(Ok(rss))) =
        (fields.next(), fields.next(), fields.next())
    else {
        return None;
    };
    Some(Usage {
        wall: Duration::from_nanos(wall),
        cpu: Duration::from_nanos(cpu),
        max_rss_kib: rss,
    })
}

/// As the probe of [`run_measured`]: runs the command given as arguments and prints its
/// wall and CPU time in nanoseconds and its peak RSS in KiB; prints nothing when it failed.
/// Returns whether this process was the probe.
#[allow(dead_code, reason = "not every benchmark runs programs")]
pub fn probe_if_asked() -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    let Some(stdin) = std::env::var_os(PROBE_ENV) else {
        return false;
    };
    let command: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, args)) = command.split_first() else {
        return true;
    };
    let input = if stdin.is_empty() {
        Stdio::null()
    } else {
        match std::fs::File::open(&stdin) {
            Ok(file) => Stdio::from(file),
            Err(_) => return true,
        }
    };
    let start = std::time::Instant::now();
    let Ok(child) = Command::new(program)
        .args(args)
        .stdin(input)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return true;
    };
    let mut status = 0;
    // SAFETY: wait4 on our own child, filling a local rusage; the child is reaped here and
    // its `Child` handle is not waited on again.
    let (reaped, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let reaped = libc::wait4(child.id() as i32, &raw mut status, 0, &raw mut usage);
        (reaped, usage)
    };
    let wall = start.elapsed();
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    if reaped > 0 && std::process::ExitStatus::from_raw(status).success() {
        let cpu = time(usage.ru_utime) + time(usage.ru_stime);
        let mut stdout = std::io::stdout();
        let _ = writeln!(
            stdout,
            "{} {} {}",
            wall.as_nanos(),
            cpu.as_nanos(),
            usage.ru_maxrss
        );
    }
    true
}

/// CPU time (user + system, all threads) process `pid` has used so far, and its peak
/// resident size in KiB (`VmHWM`); zeros once it has exited.
#[allow(dead_code, reason = "not every benchmark watches a running process")]
pub fn process_usage(pid: u32) -> (Duration, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or("", |(_, rest)| rest)
        .split(' ')
        .collect();
    // utime and stime: fields 14 and 15 of stat, 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    let hz = prt::sys::clock_ticks_per_second().max(1);
    let cpu = Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / hz);
    (cpu, status_kib(pid, "VmHWM:"))
}

/// A size line of `/proc/PID/status` (`VmRSS:`, `VmHWM:`) in KiB; 0 when absent.
#[allow(dead_code, reason = "not every benchmark watches a running process")]
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `count` loopback connections to `listener` at 100 per second, each living about 5 ms
/// and moving `payload` bytes each way; their client addresses. Several threads may share
/// one listener: whichever accepts, the pair is a connection of the caller's.
#[allow(dead_code, reason = "only the event benchmarks make short connections")]
pub fn short_connections(listener: &TcpListener, count: usize, payload: usize) -> Vec<SocketAddr> {
    use std::io::Read as _;
    use std::time::{Duration, Instant};
    let server = listener.local_addr().expect("addr");
    let start = Instant::now();
    let request = vec![1u8; payload];
    let answer = vec![2u8; payload];
    let mut buffer = vec![0u8; payload];
    (0..count)
        .map(|n| {
            let due = start + Duration::from_millis(10 * n as u64);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let mut client = TcpStream::connect(server).expect("connect");
            let (mut accepted, _) = listener.accept().expect("accept");
            let opened = Instant::now();
            client.write_all(&request).expect("send");
            accepted.read_exact(&mut buffer).expect("receive");
            accepted.write_all(&answer).expect("answer");
            client.read_exact(&mut buffer).expect("receive the answer");
            std::thread::sleep(Duration::from_millis(5).saturating_sub(opened.elapsed()));
            client.local_addr().expect("addr")
        })
        .collect()
}
