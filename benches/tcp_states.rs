//! Short-lived connections against the TCP state tracepoint (`prt::events::tcp_state`):
//! how many of them the source reports from beginning to end with the right pid, what
//! the reader costs, and what `ss -tnap` polled every 2 s sees of the same connections.
//!
//! Run as root: `cargo bench --bench tcp_states` (connections from
//! `PRT_BENCH_CONNECTIONS`, default 1000). Without root it says so and ends.
//!
//! The benchmark runs itself as the reader (`--subscribe SECONDS`), which feeds every
//! change to `Connections` and prints one line per beginning or end. Meanwhile two threads
//! of this process open loopback TCP connections at 100 per second each (200 in all), each
//! living about 5 ms and moving 100 bytes each way, and a third runs `ss -tnapH` every
//! 2 s. Counted per connection: the client's `Began` (from its SYN_SENT) and `Ended` (its
//! CLOSE) with this process's pid, and the same for the server side; then the reader's
//! CPU time and peak RSS.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark reports its figures on stdout"
)]
#![allow(
    clippy::cast_precision_loss,
    reason = "counts and rates are printed to a few digits"
)]

#[allow(
    dead_code,
    reason = "only the process figures of support are used here"
)]
mod support;

/// The tracepoint is Linux only; elsewhere there is nothing to measure.
fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::{HashMap, HashSet};
    use std::io::{BufRead, BufReader, Write};
    use std::net::{SocketAddr, TcpListener};
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use prt::events::tcp_state::{Connections, Lifecycle, TcpStateEvent, TcpStateEvents};

    const PAYLOAD: usize = 100;

    pub fn main() {
        let args: Vec<String> = std::env::args().collect();
        if let Some(at) = args.iter().position(|a| a == "--subscribe") {
            let seconds = args.get(at + 1).and_then(|s| s.parse().ok()).unwrap_or(60);
            subscribe(Duration::from_secs(seconds));
            return;
        }
        if !prt::sys::is_root() {
            println!("the TCP state tracepoint needs root: nothing measured");
            return;
        }
        let connections: usize = std::env::var("PRT_BENCH_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        let exe = std::env::current_exe().expect("own path");
        let budget = connections / 200 + 30;
        let (mut reader, lines) = start_reader(&exe, budget);
        let reader_started = Instant::now();

        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").expect("bind"));
        let server = listener.local_addr().expect("addr");
        let done = Arc::new(AtomicBool::new(false));
        let ss_seen = Arc::new(Mutex::new(HashSet::new()));
        let poller = {
            let (done, ss_seen) = (Arc::clone(&done), Arc::clone(&ss_seen));
            std::thread::spawn(move || poll_ss(server, &done, &ss_seen))
        };
        let started = Instant::now();
        let makers: Vec<_> = (0..2)
            .map(|_| {
                let listener = Arc::clone(&listener);
                std::thread::spawn(move || {
                    crate::support::short_connections(&listener, connections / 2, PAYLOAD)
                })
            })
            .collect();
        let mut made: HashMap<SocketAddr, usize> = HashMap::new();
        for maker in makers {
            for client in maker.join().expect("connection maker") {
                *made.entry(client).or_insert(0) += 1;
            }
        }
        let churn = started.elapsed();
        std::thread::sleep(Duration::from_millis(500));
        done.store(true, Ordering::Relaxed);
        poller.join().expect("ss poller");

        let (cpu, rss) = usage(reader.id());
        let reader_time = reader_started.elapsed();
        let _ = reader.kill();
        let _ = reader.wait();
        let lines = lines.join().expect("line reader");
        let total: usize = made.values().sum();
        println!(
            "\n== {total} loopback TCP connections, ~5 ms each, {:.0}/s, 100 bytes each way ==",
            total as f64 / churn.as_secs_f64()
        );
        let tally = Tally::count(&lines, server, &made, std::process::id());
        let share = |n: usize| 100.0 * n as f64 / total as f64;
        println!(
            "client began (SYN_SENT) and ended (CLOSE), right pid: {:>5} of {total} ({:.2}%)",
            tally.client,
            share(tally.client)
        );
        println!(
            "server side began and ended, right pid              : {:>5} of {total} ({:.2}%)",
            tally.server,
            share(tally.server)
        );
        println!(
            "reported twice: {}; lost notices: {} ({} changes)",
            tally.twice, tally.lost_notices, tally.lost
        );
        let ss_count = ss_seen
            .lock()
            .map_or(0, |s| s.iter().filter(|a| made.contains_key(a)).count());
        println!(
            "ss -tnap every 2 s, with a pid: {ss_count:>5} of {total} ({:.2}%)",
            share(ss_count)
        );
        println!(
            "reader: CPU {cpu:.3} s over {:.1} s ({:.2}% of a core), peak RSS {rss} kB",
            reader_time.as_secs_f64(),
            100.0 * cpu / reader_time.as_secs_f64()
        );
    }

    /// The reader: every beginning and end, one line each, until `budget` passes.
    fn subscribe(budget: Duration) {
        let mut events = TcpStateEvents::open().expect("opens the tracepoint");
        let mut connections = Connections::default();
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready").expect("stdout");
        out.flush().expect("stdout");
        let deadline = Instant::now() + budget;
        let mut lives = Vec::new();
        while Instant::now() < deadline {
            match events.next_within(Duration::from_millis(100)) {
                Ok(Some(TcpStateEvent::StateChange(change))) => {
                    connections.observe(&change, |life| lives.push(life));
                }
                Ok(Some(TcpStateEvent::Lost { count })) => {
                    let _ = writeln!(out, "lost {count}");
                }
                Ok(_) => {}
                Err(err) => panic!("reading events: {err}"),
            }
            for life in lives.drain(..) {
                let (word, c) = match life {
                    Lifecycle::Began(c) => ("began", c),
                    Lifecycle::Ended(c) => ("ended", c),
                    _ => continue,
                };
                let pid = c.pid.unwrap_or(0);
                let role = format!("{:?}", c.role).to_lowercase();
                if writeln!(out, "{word} {role} {} {} {pid}", c.local, c.remote).is_err() {
                    return;
                }
            }
            let _ = out.flush();
        }
    }

    /// Starts the reader and waits for its "ready"; its lines are collected by a thread
    /// as they come (a full pipe would stall it).
    fn start_reader(exe: &std::path::Path, budget: usize) -> (Child, JoinHandle<Vec<String>>) {
        let mut child = Command::new(exe)
            .args(["--subscribe", &budget.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("reader starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().and_then(Result::ok);
        assert_eq!(first.as_deref(), Some("ready"), "the reader did not start");
        (
            child,
            std::thread::spawn(move || lines.map_while(Result::ok).collect()),
        )
    }

    /// What the reader's lines say about the connections made.
    struct Tally {
        /// Connections whose client both began and ended with the right pid.
        client: usize,
        /// Connections whose server side both began and ended with the right pid.
        server: usize,
        /// Beginnings or ends reported more often than the connection was made.
        twice: usize,
        lost_notices: usize,
        lost: u64,
    }

    impl Tally {
        fn count(
            lines: &[String],
            server: SocketAddr,
            made: &HashMap<SocketAddr, usize>,
            pid: u32,
        ) -> Tally {
            // (word, role, client address) -> how often with the right pid.
            let mut seen: HashMap<(String, String, SocketAddr), usize> = HashMap::new();
            let (mut lost_notices, mut lost) = (0, 0);
            for line in lines {
                let words: Vec<&str> = line.split(' ').collect();
                if let ["lost", count] = words[..] {
                    lost_notices += 1;
                    lost += count.parse::<u64>().unwrap_or(0);
                    continue;
                }
                let [word, role, local, remote, who] = words[..] else {
                    continue;
                };
                let (Ok(local), Ok(remote)) =
                    (local.parse::<SocketAddr>(), remote.parse::<SocketAddr>())
                else {
                    continue;
                };
                let client = match role {
                    "client" if remote == server => local,
                    "server" if local == server => remote,
                    _ => continue,
                };
                if made.contains_key(&client) && who == pid.to_string() {
                    *seen
                        .entry((word.to_owned(), role.to_owned(), client))
                        .or_insert(0) += 1;
                }
            }
            let both = |role: &str| -> usize {
                made.iter()
                    .map(|(client, &count)| {
                        let of = |word: &str| {
                            seen.get(&(word.to_owned(), role.to_owned(), *client))
                                .copied()
                                .unwrap_or(0)
                        };
                        of("began").min(of("ended")).min(count)
                    })
                    .sum()
            };
            if std::env::var_os("PRT_BENCH_DEBUG").is_some() {
                for client in made.keys() {
                    let has = |word: &str, role: &str| {
                        seen.contains_key(&(word.to_owned(), role.to_owned(), *client))
                    };
                    if !(has("began", "client") && has("ended", "client")) {
                        println!("missed {client} (made {}):", made[client]);
                        let text = client.to_string();
                        for line in lines.iter().filter(|l| l.contains(&text)) {
                            println!("  {line}");
                        }
                    }
                }
            }
            let twice = seen
                .iter()
                .map(|((_, _, client), &n)| n.saturating_sub(made[client]))
                .sum();
            Tally {
                client: both("client"),
                server: both("server"),
                twice,
                lost_notices,
                lost,
            }
        }
    }

    /// CPU seconds (user + system) and peak RSS in kB of a running process.
    fn usage(pid: u32) -> (f64, u64) {
        let (cpu, peak) = crate::support::process_usage(pid);
        (cpu.as_secs_f64(), peak)
    }

    /// `ss -tnapH` every 2 s until `done`: the local addresses of connections to `server`
    /// that ss shows with a process.
    fn poll_ss(server: SocketAddr, done: &AtomicBool, seen: &Mutex<HashSet<SocketAddr>>) {
        let peer = server.to_string();
        while !done.load(Ordering::Relaxed) {
            if let Ok(output) = Command::new("ss").arg("-tnapH").output() {
                for line in String::from_utf8_lossy(&output.stdout).lines() {
                    let columns: Vec<&str> = line.split_whitespace().collect();
                    // Owned sockets only: a TIME-WAIT remnant (no process) lingers 60 s
                    // after the connection, without a pid.
                    if columns.get(4) == Some(&peer.as_str())
                        && line.contains("users:")
                        && let Some(local) = columns.get(3).and_then(|c| c.parse().ok())
                        && let Ok(mut seen) = seen.lock()
                    {
                        seen.insert(local);
                    }
                }
            }
            let next = Instant::now() + Duration::from_secs(2);
            while Instant::now() < next && !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}
