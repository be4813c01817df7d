//! Prints every TCP state change on this machine as it happens, and the connections they
//! make: the `sock:inet_sock_set_state` tracepoint as a library call. Linux only; root.
//!
//! ```text
//! sudo cargo run --example tcp_states -- [SECONDS]
//! ```
//!
//! One line per change, `change OLD NEW LOCAL REMOTE PID` (PID `-` where the change was
//! not made by the owner's own call), and for each connection or listener that begins or
//! ends, `began ROLE LOCAL REMOTE PID` or `ended ROLE LOCAL REMOTE PID`; `lost N` when the
//! kernel dropped N changes because this program fell behind.

// An example is a program: printing what it found is its job.
#![allow(clippy::print_stdout)]

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use prt::events::tcp_state::{Connections, Lifecycle, TcpStateEvent, TcpStateEvents};

    let seconds: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 10,
    };
    let mut events = TcpStateEvents::open()?;
    let mut connections = Connections::default();
    let mut out = std::io::stdout().lock();
    writeln!(out, "watching")?;
    out.flush()?;
    let pid = |pid: Option<u32>| pid.map_or_else(|| "-".to_owned(), |pid| pid.to_string());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        let Some(event) = events.next_within(left)? else {
            continue;
        };
        let change = match event {
            TcpStateEvent::StateChange(change) => change,
            TcpStateEvent::Lost { count } => {
                writeln!(out, "lost {count}")?;
                continue;
            }
            _ => continue,
        };
        writeln!(
            out,
            "change {} {} {} {} {}",
            change.old.as_str(),
            change.new.as_str(),
            change.local,
            change.remote,
            pid(change.pid)
        )?;
        let mut lives = Vec::new();
        connections.observe(&change, |life| lives.push(life));
        for life in lives {
            let (word, connection) = match life {
                Lifecycle::Began(connection) => ("began", connection),
                Lifecycle::Ended(connection) => ("ended", connection),
                _ => continue,
            };
            writeln!(
                out,
                "{word} {} {} {} {}",
                format!("{:?}", connection.role).to_lowercase(),
                connection.local,
                connection.remote,
                pid(connection.pid)
            )?;
        }
        out.flush()?;
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("TCP state events are Linux only");
}
