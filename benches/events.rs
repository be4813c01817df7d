//! Short-lived connections against `prt watch --ndjson --interval 2s` (the whole program:
//! its event sources, tracker and output), or against the socket destroy events alone
//! (`prt::events::destroy`), and against `ss -tunap` polled every 2 s, on connections this
//! benchmark makes.
//!
//! Run: `cargo bench --bench events` (connections from `PRT_BENCH_CONNECTIONS`, default
//! 1000; `PRT_BENCH_EVENTS=library` measures the library's source instead of the watch;
//! needs root to run the `nobody` subscriber, else it runs this user's only).
//!
//! The subscribers: `prt watch --ndjson --interval 2s` as this user and, as root, as
//! `nobody` from a world-runnable copy, each counted by its `gone` records from events; or,
//! for the library, the benchmark itself (`--subscribe SECONDS`), which prints one line per
//! destroyed socket. Meanwhile two threads open loopback TCP connections at 100 per second each (200
//! in all), each living about 5 ms and moving 100 bytes each way, while a third runs
//! `ss -tunap` every 2 s. It then counts the client ends each one saw with the right
//! addresses and both byte counters, and prints the subscribers' CPU time and peak RSS.

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

/// Socket destroy events are Linux only; elsewhere there is nothing to measure.
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
    use std::time::{Duration, Instant};

    use prt::events::destroy::{DestroyEvents, SocketEvent};

    const PAYLOAD: usize = 100;

    pub fn main() {
        let args: Vec<String> = std::env::args().collect();
        if let Some(at) = args.iter().position(|a| a == "--subscribe") {
            let seconds = args.get(at + 1).and_then(|s| s.parse().ok()).unwrap_or(60);
            subscribe(Duration::from_secs(seconds));
            return;
        }
        let connections: usize = std::env::var("PRT_BENCH_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        let exe = std::env::current_exe().expect("own path");
        let root = prt::sys::is_root();
        let copy = root.then(|| runnable_copy(&exe));
        let budget = (connections / 200 + 30).to_string();
        let library = std::env::var("PRT_BENCH_EVENTS").is_ok_and(|v| v == "library");
        let prt = std::path::PathBuf::from(env!("CARGO_BIN_EXE_prt"));
        let watch_copy = (root && !library).then(|| runnable_copy(&prt));
        let mut subscribers = Vec::new();
        if library {
            subscribers.push(("this user", start(Command::new(&exe), &budget)));
            if let Some((_, copy)) = &copy {
                use std::os::unix::process::CommandExt;
                let mut nobody = Command::new(copy);
                nobody.uid(65534).gid(65534);
                subscribers.push(("nobody", start(nobody, &budget)));
            }
        } else {
            subscribers.push(("this user", start_watch(Command::new(&prt))));
            if let Some((_, copy)) = &watch_copy {
                use std::os::unix::process::CommandExt;
                let mut nobody = Command::new(copy);
                // Its own home: root's configuration is not nobody's to read.
                nobody
                    .uid(65534)
                    .gid(65534)
                    .current_dir("/")
                    .env("HOME", std::env::temp_dir())
                    .env_remove("XDG_CONFIG_HOME");
                subscribers.push(("nobody", start_watch(nobody)));
            }
        }
        let what = if library {
            "destroy events"
        } else {
            "prt watch --ndjson"
        };

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
        let mut clients = Vec::new();
        for maker in makers {
            clients.extend(maker.join().expect("connection maker"));
        }
        let churn_time = started.elapsed();
        std::thread::sleep(Duration::from_millis(500));
        done.store(true, Ordering::Relaxed);
        poller.join().expect("ss poller");

        println!(
            "\n== {} loopback TCP connections, ~5 ms each, {:.0}/s, 100 bytes each way ==",
            clients.len(),
            clients.len() as f64 / churn_time.as_secs_f64()
        );
        let mut made: HashMap<SocketAddr, usize> = HashMap::new();
        for client in &clients {
            *made.entry(*client).or_insert(0) += 1;
        }
        for (who, child) in subscribers {
            report(what, who, finish(child, server, &made), clients.len());
        }
        let ss_count = ss_seen
            .lock()
            .map_or(0, |s| s.iter().filter(|a| made.contains_key(a)).count());
        println!(
            "ss -tunap every 2 s      : {ss_count:>5} of {} ({:.2}%)",
            clients.len(),
            100.0 * ss_count as f64 / clients.len() as f64
        );
    }

    /// One subscriber's line.
    fn report(what: &str, who: &str, tally: Tally, total: usize) {
        let Tally {
            seen,
            began,
            duplicates,
            lost,
            cpu,
            rss,
        } = tally;
        println!(
            "{what} as {who:<9}: {seen:>5} of {} ({:.2}%) gone with addresses and bytes; \
             {began:>5} ({:.2}%) new with the right pid; {duplicates} twice; \
             lost notices {lost}; CPU {cpu:.3} s; peak RSS {rss} kB",
            total,
            100.0 * seen as f64 / total as f64,
            100.0 * began as f64 / total as f64
        );
    }

    /// The subscriber: one line per destroyed socket until `budget` passes or stdin closes.
    fn subscribe(budget: Duration) {
        let mut events = DestroyEvents::open().expect("subscribes");
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready").expect("stdout");
        out.flush().expect("stdout");
        let deadline = Instant::now() + budget;
        while Instant::now() < deadline {
            match events.next_within(Duration::from_millis(100)) {
                Ok(Some(SocketEvent::Destroyed(socket))) => {
                    let traffic = socket.traffic.unwrap_or_default();
                    let line = format!(
                        "{} {} {} {}",
                        socket.local,
                        socket.remote,
                        traffic.bytes_sent.unwrap_or(0),
                        traffic.bytes_received.unwrap_or(0)
                    );
                    if writeln!(out, "{line}").is_err() {
                        return;
                    }
                }
                Ok(Some(SocketEvent::Lost)) => {
                    let _ = writeln!(out, "lost");
                }
                Ok(_) => {}
                Err(err) => panic!("reading events: {err}"),
            }
            let _ = out.flush();
        }
    }

    /// A running subscriber and the thread that collects its lines as they come (a full pipe
    /// would stall it).
    type Subscriber = (Child, std::thread::JoinHandle<Vec<String>>);

    /// Starts a subscriber and waits for its "ready".
    fn start(mut command: Command, budget: &str) -> Subscriber {
        let mut child = command
            .args(["--subscribe", budget])
            .stdout(Stdio::piped())
            .spawn()
            .expect("subscriber starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().and_then(Result::ok);
        assert_eq!(first.as_deref(), Some("ready"), "subscriber did not start");
        (
            child,
            std::thread::spawn(move || lines.map_while(Result::ok).collect()),
        )
    }

    /// Starts `prt watch --ndjson --interval 2s` and waits for its first record (the first
    /// scan is written); a thread turns each `gone` record from an event into the line the
    /// library's subscriber would write.
    fn start_watch(mut command: Command) -> Subscriber {
        let mut child = command
            .args(["watch", "--ndjson", "--interval", "2s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("prt watch starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        assert!(
            lines.next().is_some_and(|l| l.is_ok()),
            "prt watch wrote nothing"
        );
        let reader = std::thread::spawn(move || {
            lines
                .map_while(Result::ok)
                .filter_map(|line| {
                    let record: serde_json::Value = serde_json::from_str(&line).ok()?;
                    if record["source"] != "event" {
                        return None;
                    }
                    let address = |addr: &str, port: &str| {
                        let ip: std::net::IpAddr = record[addr].as_str()?.parse().ok()?;
                        let port = u16::try_from(record[port].as_u64()?).ok()?;
                        Some(SocketAddr::new(ip, port))
                    };
                    if record["status"] == "new" {
                        // From the tracepoint (root): the connection as it began.
                        return Some(format!(
                            "new {} {} {}",
                            address("local_addr", "local_port")?,
                            address("remote_addr", "remote_port")?,
                            record["pid"].as_u64()?
                        ));
                    }
                    if record["status"] != "gone" {
                        return None;
                    }
                    Some(format!(
                        "{} {} {} {}",
                        address("local_addr", "local_port")?,
                        address("remote_addr", "remote_port")?,
                        record["bytes_sent"].as_u64()?,
                        record["bytes_received"].as_u64()?
                    ))
                })
                .collect()
        });
        (child, reader)
    }

    /// Ends a subscriber and reads what it wrote: how many of the connections `made` (counted
    /// per client address) it saw with the server's address and both counters; how many it
    /// reported more often than they were made; its lost notices, CPU seconds, peak RSS (kB).
    fn finish(
        (mut child, lines): Subscriber,
        server: SocketAddr,
        made: &HashMap<SocketAddr, usize>,
    ) -> Tally {
        let (cpu, rss) = usage(child.id());
        let _ = child.kill();
        let (mut seen, mut lost) = (HashMap::new(), 0);
        let mut began: HashMap<SocketAddr, usize> = HashMap::new();
        let lines = lines.join().expect("line reader");
        for line in lines {
            if line == "lost" {
                lost += 1;
                continue;
            }
            if let Some(rest) = line.strip_prefix("new ") {
                let words: Vec<&str> = rest.split(' ').collect();
                let local = words.first().and_then(|w| w.parse::<SocketAddr>().ok());
                let remote = words.get(1).and_then(|w| w.parse::<SocketAddr>().ok());
                let pid = words.get(2).and_then(|w| w.parse::<u32>().ok());
                if let Some(local) = local
                    && made.contains_key(&local)
                    && remote == Some(server)
                    && pid == Some(std::process::id())
                {
                    *began.entry(local).or_insert(0) += 1;
                }
                continue;
            }
            let words: Vec<&str> = line.split(' ').collect();
            let (Some(local), Some(remote), Some(sent), Some(received)) = (
                words.first().and_then(|w| w.parse::<SocketAddr>().ok()),
                words.get(1).and_then(|w| w.parse::<SocketAddr>().ok()),
                words.get(2).and_then(|w| w.parse::<u64>().ok()),
                words.get(3).and_then(|w| w.parse::<u64>().ok()),
            ) else {
                continue;
            };
            let complete = remote == server && sent >= PAYLOAD as u64 && received >= PAYLOAD as u64;
            if made.contains_key(&local) && complete {
                *seen.entry(local).or_insert(0) += 1;
            }
        }
        let _ = child.wait();
        // A client port is reused after its connection ends: compare counts per address.
        let (mut matched, mut extra, mut began_right) = (0, 0, 0);
        for (address, &count) in made {
            let got = seen.get(address).copied().unwrap_or(0);
            matched += got.min(count);
            extra += got.saturating_sub(count);
            let new = began.get(address).copied().unwrap_or(0);
            began_right += new.min(count);
            extra += new.saturating_sub(count);
        }
        Tally {
            seen: matched,
            began: began_right,
            duplicates: extra,
            lost,
            cpu,
            rss,
        }
    }

    /// What one subscriber reported of the connections made.
    #[derive(Clone, Copy)]
    struct Tally {
        /// Gone with addresses and both counters.
        seen: usize,
        /// New (from the tracepoint) with the right addresses and this benchmark's pid.
        began: usize,
        /// Records beyond one `new` and one `gone` per connection.
        duplicates: usize,
        lost: usize,
        cpu: f64,
        rss: u64,
    }

    /// CPU seconds (user + system) and peak RSS in kB of a running process.
    fn usage(pid: u32) -> (f64, u64) {
        let (cpu, peak) = crate::support::process_usage(pid);
        (cpu.as_secs_f64(), peak)
    }

    /// `ss -tunap` every 2 s until `done`: the local addresses of connections to `server`.
    fn poll_ss(server: SocketAddr, done: &AtomicBool, seen: &Mutex<HashSet<SocketAddr>>) {
        let peer = server.to_string();
        while !done.load(Ordering::Relaxed) {
            if let Ok(output) = Command::new("ss").args(["-tunapH"]).output() {
                let text = String::from_utf8_lossy(&output.stdout);
                for line in text.lines() {
                    let columns: Vec<&str> = line.split_whitespace().collect();
                    if columns.get(5) == Some(&peer.as_str())
                        && let Some(local) = columns.get(4).and_then(|c| c.parse().ok())
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

    /// A copy of `exe` in a world-readable temporary directory, so `nobody` can run it.
    fn runnable_copy(exe: &std::path::Path) -> (tempfile::TempDir, std::path::PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let copy = dir.path().join("events-bench");
        std::fs::copy(exe, &copy).expect("copy");
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        (dir, copy)
    }
}
