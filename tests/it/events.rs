//! Socket destroy events (`prt::events::destroy`): connections too short for any scan,
//! reported as the kernel destroys them, as root, as `nobody`, and per network namespace.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use prt::events::destroy::{DestroyEvents, SocketEvent};
use prt::events::process::{ProcessEvent, ProcessEvents};
use prt::model::{Proto, Traffic};
use prt::scan::Socket;

use crate::common::{TestNetns, world_runnable_copy};
use crate::require_root;

/// Bytes the client sends and the server answers with.
pub(crate) const REQUEST: usize = 5000;
pub(crate) const REPLY: usize = 100;

/// A loopback connection between two sockets of this test that lives about 5 ms and moves
/// `REQUEST` bytes one way and `REPLY` back; its (client, server) addresses, once both
/// ends are closed.
pub(crate) fn five_millisecond_connection(listener: &TcpListener) -> (SocketAddr, SocketAddr) {
    let server_addr = listener.local_addr().expect("addr");
    let mut client = TcpStream::connect(server_addr).expect("connect");
    let (mut server, _) = listener.accept().expect("accept");
    let client_addr = client.local_addr().expect("addr");
    client.write_all(&[7; REQUEST]).expect("send");
    let mut request = vec![0u8; REQUEST];
    server.read_exact(&mut request).expect("receive");
    server.write_all(&[9; REPLY]).expect("reply");
    let mut reply = vec![0u8; REPLY];
    client.read_exact(&mut reply).expect("receive reply");
    std::thread::sleep(Duration::from_millis(5));
    drop(client);
    drop(server);
    (client_addr, server_addr)
}

/// The destroy events of the sockets at `wanted` local addresses, waiting up to 10 s.
fn destroyed(events: &mut DestroyEvents, wanted: &[SocketAddr]) -> Vec<Socket> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut found: Vec<Socket> = Vec::new();
    while found.len() < wanted.len() && Instant::now() < deadline {
        match events.next_within(Duration::from_millis(200)) {
            Ok(Some(SocketEvent::Destroyed(socket)))
                if wanted.contains(&socket.local)
                    && found.iter().all(|f| f.local != socket.local) =>
            {
                found.push(socket);
            }
            Ok(_) => {}
            Err(err) => panic!("reading events: {err}"),
        }
    }
    assert_eq!(
        found.len(),
        wanted.len(),
        "events for {wanted:?}: {found:?}"
    );
    wanted
        .iter()
        .map(|w| {
            found
                .iter()
                .find(|f| f.local == *w)
                .cloned()
                .expect("found")
        })
        .collect()
}

/// Final counters are sequence-number spans: a FIN (and the SYN) may count one each.
fn assert_moved(traffic: Option<&Traffic>, sent: u64, received: u64) {
    let traffic = traffic.expect("a TCP socket has counters");
    let (s, r) = (
        traffic.bytes_sent.expect("bytes_sent"),
        traffic.bytes_received.expect("bytes_received"),
    );
    assert!((sent..=sent + 2).contains(&s), "sent {s}, wanted {sent}");
    assert!(
        (received..=received + 1).contains(&r),
        "received {r}, wanted {received}"
    );
}

#[test]
fn a_five_millisecond_connection_is_reported_at_both_ends_with_its_bytes() {
    let mut events = DestroyEvents::open().expect("subscribes to destroy events");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let (client, server) = five_millisecond_connection(&listener);
    let sockets = destroyed(&mut events, &[client, server]);
    assert!(sockets.iter().all(|s| s.proto == Proto::Tcp));
    assert_eq!(sockets[0].remote, server);
    assert_eq!(sockets[1].remote, client);
    assert_moved(sockets[0].traffic.as_deref(), REQUEST as u64, REPLY as u64);
    assert_moved(sockets[1].traffic.as_deref(), REPLY as u64, REQUEST as u64);
    assert_eq!(sockets[0].uid, prt::sys::euid());

    // The listener too, IPv6 as well, once it closes.
    let v6 = TcpListener::bind("[::1]:0").expect("bind ::1");
    let v6_addr = v6.local_addr().expect("addr");
    drop(v6);
    let listener_addr = listener.local_addr().expect("addr");
    drop(listener);
    let closed = destroyed(&mut events, &[v6_addr, listener_addr]);
    assert!(closed.iter().all(|s| s.remote.port() == 0), "{closed:?}");
}

#[test]
#[allow(clippy::print_stderr, reason = "says why the test is skipped")]
fn nobody_sees_a_closed_connection_with_its_addresses_and_bytes() {
    require_root!();
    let (_dir, binary) = world_runnable_copy(&crate::examples::built("closed_sockets"));
    let mut child = {
        use std::os::unix::process::CommandExt;
        std::process::Command::new(&binary)
            .arg("30")
            .uid(65534)
            .gid(65534)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs as nobody")
    };
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    match lines.next() {
        Some(Ok(line)) if line == "watching" => {}
        other => {
            let _ = child.kill();
            let output = child.wait_with_output().expect("ends");
            let stderr = String::from_utf8_lossy(&output.stderr);
            eprintln!(
                "skipped: this kernel keeps destroy events from nobody ({other:?}, {stderr})"
            );
            return;
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let (client, server) = five_millisecond_connection(&listener);
    let wanted = format!("tcp {client} -> {server} sent ");
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut line = None;
    for next in lines.by_ref() {
        let next = next.expect("text");
        if next.starts_with(&wanted) {
            line = Some(next);
            break;
        }
        seen.push(next);
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let line = line.unwrap_or_else(|| panic!("no event for {client}: {seen:?}"));
    // "tcp C -> S sent N received N uid N": another user's socket, counters and all.
    let words: Vec<&str> = line.split(' ').collect();
    let number = |at: usize| words[at].parse::<u64>().expect("a counter");
    assert_moved(
        Some(&Traffic {
            bytes_sent: Some(number(5)),
            bytes_received: Some(number(7)),
            ..Traffic::default()
        }),
        REQUEST as u64,
        REPLY as u64,
    );
    assert_eq!(words[9], "0", "the socket is root's: {line}");
}

/// Runs `work` on a thread that joined `netns`; sockets it opens live there.
fn in_netns<T: Send + 'static>(netns: &TestNetns, work: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{}", netns.name);
    std::thread::spawn(move || {
        let file = std::fs::File::open(path).expect("open namespace");
        prt::sys::enter_net_namespace(&file).expect("setns");
        work()
    })
    .join()
    .expect("thread")
}

#[test]
fn a_subscription_sees_its_own_network_namespace_only() {
    require_root!();
    let netns = TestNetns::create();
    let file = std::fs::File::open(format!("/run/netns/{}", netns.name)).expect("namespace");
    let mut inside = DestroyEvents::open_in(&file).expect("subscribes inside");
    let mut outside = DestroyEvents::open().expect("subscribes outside");
    let (client, server) = in_netns(&netns, || {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind inside");
        five_millisecond_connection(&listener)
    });
    let sockets = destroyed(&mut inside, &[client, server]);
    assert_moved(sockets[0].traffic.as_deref(), REQUEST as u64, REPLY as u64);
    // The host's subscriber sees none of it (the same ports may close on the host
    // meanwhile, so only an exact pair of ends would be wrong).
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        if let Ok(Some(SocketEvent::Destroyed(socket))) =
            outside.next_within(Duration::from_millis(100))
        {
            assert!(
                !(socket.local == client && socket.remote == server && socket.uid == 0),
                "the host saw the namespace's socket: {socket:?}"
            );
        }
    }
}

#[test]
fn a_burst_of_a_thousand_connections_is_reported_once_each() {
    let mut events = DestroyEvents::open().expect("subscribes to destroy events");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = listener.local_addr().expect("addr");
    // The reader drains while the connections churn, as a watch would.
    let reader = std::thread::spawn(move || {
        let mut ours: Vec<(SocketAddr, SocketAddr)> = Vec::new();
        let mut lost = false;
        let deadline = Instant::now() + Duration::from_secs(60);
        while ours.len() < 2000 && Instant::now() < deadline {
            match events.next_within(Duration::from_millis(200)) {
                Ok(Some(SocketEvent::Destroyed(socket)))
                    if socket.local == server || socket.remote == server =>
                {
                    ours.push((socket.local, socket.remote));
                }
                Ok(Some(SocketEvent::Lost)) => lost = true,
                Ok(_) => {}
                Err(err) => panic!("reading events: {err}"),
            }
        }
        (ours, lost)
    });
    let mut clients = Vec::new();
    for _ in 0..1000 {
        let mut client = TcpStream::connect(server).expect("connect");
        let (mut accepted, _) = listener.accept().expect("accept");
        client.write_all(b"ping").expect("send");
        let mut request = [0u8; 4];
        accepted.read_exact(&mut request).expect("receive");
        clients.push(client.local_addr().expect("addr"));
    }
    let (ours, lost) = reader.join().expect("reader");
    let mut unique = ours.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ours.len(), "an event was reported twice");
    // Both ends of every connection: the client's, and the server's accepted socket.
    let missing = clients
        .iter()
        .filter(|c| !ours.contains(&(**c, server)) || !ours.contains(&(server, **c)))
        .count();
    assert!(
        missing <= 1,
        "{missing} of 1000 connections unreported (lost reported: {lost})"
    );
}

/// The proc connector's events about `pid` until `done` says enough, waiting up to 10 s.
fn process_events_about(
    events: &mut ProcessEvents,
    pid: u32,
    mut done: impl FnMut(&[ProcessEvent]) -> bool,
) -> Vec<ProcessEvent> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while !done(&seen) && Instant::now() < deadline {
        match events.next_within(Duration::from_millis(200)) {
            Ok(Some(event)) => {
                let about = match event {
                    ProcessEvent::Fork {
                        child_tgid: tgid, ..
                    }
                    | ProcessEvent::Exec { tgid }
                    | ProcessEvent::Exit { tgid, .. } => tgid == pid,
                    _ => false,
                };
                if about {
                    seen.push(event);
                }
            }
            Ok(None) => {}
            Err(err) => panic!("reading process events: {err}"),
        }
    }
    seen
}

#[test]
fn a_child_and_its_thread_are_told_apart_from_fork_to_exit() {
    let mut events = ProcessEvents::open().expect("subscribes to the proc connector");
    // A child that starts a thread, which ends before the process does.
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import threading; t = threading.Thread(target=lambda: None); t.start(); t.join()",
        ])
        .spawn()
        .expect("python3 runs");
    let pid = child.id();
    assert!(child.wait().expect("waits").success());
    let seen = process_events_about(&mut events, pid, |seen| {
        seen.iter().any(|e| e.ends_process() == Some(pid))
    });
    let starts = seen
        .iter()
        .filter(|e| e.starts_process() == Some(pid))
        .count();
    let execs = seen
        .iter()
        .filter(|e| matches!(e, ProcessEvent::Exec { tgid } if *tgid == pid))
        .count();
    let threads = seen
        .iter()
        .filter(|e| matches!(e, ProcessEvent::Fork { child_pid, child_tgid, .. } if child_pid != child_tgid))
        .count();
    let ends = seen
        .iter()
        .filter(|e| e.ends_process() == Some(pid))
        .count();
    assert_eq!((starts, ends), (1, 1), "{seen:?}");
    // A launcher (a pyenv shim, env) may exec more than once in the same process.
    assert!(execs >= 1, "{seen:?}");
    assert!(
        threads >= 1,
        "the thread is a fork within the process: {seen:?}"
    );
    // Exactly once each, and in the order they happened.
    let order: Vec<usize> = [
        seen.iter().position(|e| e.starts_process() == Some(pid)),
        seen.iter()
            .position(|e| matches!(e, ProcessEvent::Exec { .. })),
        seen.iter().position(|e| e.ends_process() == Some(pid)),
    ]
    .into_iter()
    .map(|p| p.expect("seen"))
    .collect();
    assert!(order.is_sorted(), "{seen:?}");
}

#[test]
#[allow(clippy::print_stderr, reason = "says why the test is skipped")]
fn nobody_sees_another_users_process_start_and_end() {
    require_root!();
    let (_dir, binary) = world_runnable_copy(&crate::examples::built("process_events"));
    let mut watcher = {
        use std::os::unix::process::CommandExt;
        std::process::Command::new(&binary)
            .arg("30")
            .uid(65534)
            .gid(65534)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs as nobody")
    };
    let mut lines = BufReader::new(watcher.stdout.take().expect("stdout")).lines();
    match lines.next() {
        Some(Ok(line)) if line == "watching" => {}
        other => {
            let _ = watcher.kill();
            let output = watcher.wait_with_output().expect("ends");
            let stderr = String::from_utf8_lossy(&output.stderr);
            eprintln!(
                "skipped: this kernel keeps the proc connector from nobody ({other:?}, {stderr})"
            );
            return;
        }
    }
    let mut child = std::process::Command::new("sh")
        .args(["-c", "exit 3"])
        .spawn()
        .expect("sh runs");
    let pid = child.id();
    assert_eq!(child.wait().expect("waits").code(), Some(3));
    let wanted = [
        format!("fork {} {pid}", std::process::id()),
        format!("exec {pid}"),
        // exit_code is the wait status: 3 << 8.
        format!("exit {pid} {}", 3 << 8),
    ];
    let started = Instant::now();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("text");
        if wanted.contains(&line) {
            seen.push(line);
            if seen.len() == wanted.len() {
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert_eq!(seen, wanted);
}

/// A change of a TCP socket and when the reader thread got it.
type Received = (Instant, prt::events::tcp_state::StateChange);

/// The TCP state source read on a thread of its own, as a watch would, while the test
/// makes the changes.
struct StateReader {
    received: std::sync::mpsc::Receiver<Received>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    reader: std::thread::JoinHandle<()>,
    /// The changes of sockets on the test's port so far.
    seen: Vec<Received>,
}

impl StateReader {
    fn start() -> StateReader {
        use prt::events::tcp_state::{TcpStateEvent, TcpStateEvents};
        use std::sync::atomic::Ordering;
        let mut events = TcpStateEvents::open().expect("opens the tracepoint");
        let (sender, received) = std::sync::mpsc::channel();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match events.next_within(Duration::from_millis(100)) {
                        Ok(Some(TcpStateEvent::StateChange(change))) => {
                            let _ = sender.send((Instant::now(), change));
                        }
                        Ok(_) => {}
                        Err(err) => panic!("reading events: {err}"),
                    }
                }
            })
        };
        StateReader {
            received,
            stop,
            reader,
            seen: Vec::new(),
        }
    }

    /// Keeps the changes of sockets on `port` (ours: we bound it) until `done` says they
    /// are enough; when the last one came. Fails after 10 s.
    fn wait_for(&mut self, port: u16, done: impl Fn(&[Received]) -> bool) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let Ok((at, change)) = self.received.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            if change.local.port() == port || change.remote.port() == port {
                self.seen.push((at, change));
                if done(&self.seen) {
                    return at;
                }
            }
        }
        panic!("not all changes on port {port} came: {:?}", self.seen);
    }

    /// Stops the reader; the changes kept.
    fn finish(self) -> Vec<prt::events::tcp_state::StateChange> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.reader.join().expect("reader");
        self.seen.into_iter().map(|(_, change)| change).collect()
    }
}

/// The TCP state tracepoint (`prt::events::tcp_state`), as root: a listener is reported
/// within 50 ms of `listen()`, and a loopback connection from `connect` to CLOSE with this
/// process's pid on the changes it made itself and the right addresses.
#[test]
#[allow(clippy::print_stderr, reason = "says why the test is skipped")]
fn tcp_states_show_a_listener_at_once_and_a_connection_from_connect_to_close() {
    use prt::events::tcp_state::StateChange;
    use prt::model::State;

    require_root!();
    let pid = std::process::id();
    let mut reader = StateReader::start();
    let before_listen = Instant::now();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = listener.local_addr().expect("addr");
    let listen_seen = reader.wait_for(server.port(), |seen| {
        seen.iter().any(|(_, c)| c.new == State::Listen)
    });
    let latency = listen_seen.duration_since(before_listen);
    assert!(
        latency < Duration::from_millis(50),
        "LISTEN arrived {latency:?} after listen()"
    );

    let (client, server_side) = five_millisecond_connection(&listener);
    assert_eq!(server_side, server);
    drop(listener);
    // The listener, the client and the server side all reach CLOSE.
    let closed = |seen: &[Received], local: SocketAddr, remote: SocketAddr| {
        seen.iter().any(|(_, c)| {
            c.new == State::Close && c.local == local && c.remote.port() == remote.port()
        })
    };
    let no_peer: SocketAddr = "0.0.0.0:0".parse().expect("address");
    reader.wait_for(server.port(), |seen| {
        closed(seen, server, no_peer)
            && closed(seen, client, server)
            && closed(seen, server, client)
    });
    let changes = reader.finish();

    let listen = changes
        .iter()
        .find(|c| c.new == State::Listen)
        .expect("LISTEN");
    assert_eq!((listen.local, listen.pid), (server, Some(pid)));
    // The client: SYN_SENT with our pid (its port not chosen yet), then its socket's
    // changes to CLOSE under the same sk.
    let syn = changes
        .iter()
        .find(|c| c.new == State::SynSent && c.remote == server)
        .expect("SYN_SENT");
    assert_eq!(syn.pid, Some(pid));
    let client_changes: Vec<&StateChange> = changes.iter().filter(|c| c.sk == syn.sk).collect();
    let path: Vec<State> = client_changes.iter().map(|c| c.new).collect();
    assert_eq!(path.first(), Some(&State::SynSent), "{path:?}");
    assert_eq!(path.last(), Some(&State::Close), "{path:?}");
    assert!(path.contains(&State::Established), "{path:?}");
    assert!(
        client_changes[1..]
            .iter()
            .all(|c| c.local == client && c.remote == server)
    );
    let fin = client_changes
        .iter()
        .find(|c| c.new == State::FinWait1)
        .expect("our close");
    assert_eq!(fin.pid, Some(pid));

    lifecycles_have_our_pid(&changes, server, client);
    eprintln!("LISTEN reached the reader {latency:?} after listen()");
}

/// `Connections` over one listener's and one connection's changes: a listener, a client
/// and a server side, each begun and ended with this process's pid.
fn lifecycles_have_our_pid(
    changes: &[prt::events::tcp_state::StateChange],
    server: SocketAddr,
    client: SocketAddr,
) {
    use prt::events::tcp_state::{Connection, Connections, Lifecycle, PidSource, Role};
    let pid = Some(std::process::id());
    let mut connections = Connections::default();
    let mut lives = Vec::new();
    for change in changes {
        connections.observe(change, |life| lives.push(life));
    }
    let began = |role: Role| -> Connection {
        lives
            .iter()
            .find_map(|l| match l {
                Lifecycle::Began(c) if c.role == role => Some(*c),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {role:?} began: {lives:?}"))
    };
    let ended = |sk: u64| -> Connection {
        lives
            .iter()
            .find_map(|l| match l {
                Lifecycle::Ended(c) if c.sk == sk => Some(*c),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{sk:x} did not end: {lives:?}"))
    };
    let client_life = began(Role::Client);
    assert_eq!(
        (client_life.local, client_life.remote, client_life.pid),
        (client, server, pid)
    );
    let client_end = ended(client_life.sk);
    assert_eq!(
        (client_end.pid, client_end.pid_source),
        (pid, PidSource::Owner)
    );
    let server_life = began(Role::Server);
    assert_eq!((server_life.local, server_life.remote), (server, client));
    assert_eq!(
        (server_life.pid, server_life.pid_source),
        (pid, PidSource::Listener)
    );
    let server_end = ended(server_life.sk);
    assert_eq!(
        (server_end.pid, server_end.pid_source),
        (pid, PidSource::Owner)
    );
    let listener_end = ended(began(Role::Listener).sk);
    assert_eq!(
        (listener_end.pid, listener_end.pid_source),
        (pid, PidSource::Owner)
    );
}

// The TCP state source's ring buffers, as root: records that wrap around the end of a
// small ring, and the kernel's loss notice when it overflows.
use prt::events::tcp_state::{TcpStateEvent, TcpStateEvents};
use prt::model::State as TcpState;

/// Reads the TCP state `events` until `done` says so or 5 s pass; every change, in order.
fn collect_states(
    events: &mut TcpStateEvents,
    mut done: impl FnMut(&[TcpStateEvent]) -> bool,
) -> Vec<TcpStateEvent> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while !done(&seen) && Instant::now() < deadline {
        if let Some(event) = events
            .next_within(Duration::from_millis(100))
            .expect("reads")
        {
            seen.push(event);
        }
    }
    seen
}

#[test]
#[allow(clippy::print_stderr, reason = "says why the test is skipped")]
fn tcp_states_a_one_page_ring_wraps_and_a_full_one_reports_its_losses() {
    require_root!();
    // 4 KiB rings: 104-byte records straddle the end again and again.
    let mut events = TcpStateEvents::open_with_pages(1).expect("opens");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = listener.local_addr().expect("addr");
    let mut clients = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..200 {
        let client = std::net::TcpStream::connect(server).expect("connect");
        clients.push(client.local_addr().expect("addr"));
        drop(listener.accept().expect("accept"));
        drop(client);
        while let Some(event) = events.next_within(Duration::ZERO).expect("reads") {
            seen.push(event);
        }
    }
    // The last few are held for the reorder window; other tests' traffic may go on.
    let deadline = Instant::now() + Duration::from_millis(200);
    while Instant::now() < deadline {
        if let Some(event) = events
            .next_within(Duration::from_millis(20))
            .expect("reads")
        {
            seen.push(event);
        }
    }
    let established = |seen: &[TcpStateEvent]| {
        seen.iter()
            .filter(|e| {
                matches!(e, TcpStateEvent::StateChange(c)
                if c.new == TcpState::Established && c.old == TcpState::SynSent
                    && c.remote == server && clients.contains(&c.local))
            })
            .count()
    };
    let lost: u64 = seen
        .iter()
        .map(|e| match e {
            TcpStateEvent::Lost { count } => *count,
            _ => 0,
        })
        .sum();
    // Read after each connection, nothing is lost, unless other tests' traffic on
    // this shared machine filled a ring meanwhile.
    if lost == 0 {
        assert_eq!(established(&seen), clients.len());
    } else {
        assert!(established(&seen) > 0, "lost {lost}, nothing parsed");
    }

    // Unread, a burst overflows the ring. The kernel writes its loss notice with the
    // next record it has room for: one more connection after the reader caught up.
    for _ in 0..100 {
        let client = std::net::TcpStream::connect(server).expect("connect");
        drop(listener.accept().expect("accept"));
        drop(client);
    }
    let mut nudged = false;
    let after = collect_states(&mut events, |seen| {
        if !nudged && seen.len() > 20 {
            nudged = true;
            let client = std::net::TcpStream::connect(server).expect("connect");
            drop(listener.accept().expect("accept"));
            drop(client);
        }
        seen.iter().any(|e| matches!(e, TcpStateEvent::Lost { .. }))
    });
    assert!(
        after
            .iter()
            .any(|e| matches!(e, TcpStateEvent::Lost { count } if *count > 0)),
        "{} events, no loss",
        after.len()
    );
}
