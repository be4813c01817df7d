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
                .copied()
                .expect("found")
        })
        .collect()
}

/// Final counters are sequence-number spans: a FIN (and the SYN) may count one each.
fn assert_moved(traffic: Option<Traffic>, sent: u64, received: u64) {
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
    assert_moved(sockets[0].traffic, REQUEST as u64, REPLY as u64);
    assert_moved(sockets[1].traffic, REPLY as u64, REQUEST as u64);
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
        Some(Traffic {
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
    assert_moved(sockets[0].traffic, REQUEST as u64, REPLY as u64);
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
