//! Shared by the benchmarks: holder processes that keep loopback connections open.
//!
//! A benchmark re-runs its own executable with `PRT_BENCH_HOLDER=N` set; [`hold_if_asked`]
//! then turns that process into a holder: a listener on 127.0.0.1 and N connections to it
//! (2N sockets), kept until stdin closes. A line `more K` on its stdin opens K more
//! connections and answers `ok`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

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
        for (child, _) in &mut self.children {
            let stdin = child.stdin.as_mut().expect("holder stdin");
            writeln!(stdin, "more {each}").expect("ask holder");
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
        }
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
