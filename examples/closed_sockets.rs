//! Prints every TCP and UDP socket the kernel destroys while it runs, with its final byte
//! counters: the connections too short-lived for any scan to see (`ss -E`, as a library
//! call). Linux only; any user may run it on current kernels.
//!
//! ```text
//! cargo run --example closed_sockets -- [SECONDS]
//! ```
//!
//! One line per socket: `tcp LOCAL -> REMOTE sent N received N uid N`, where a counter the
//! kernel did not give is `-`. A line `lost` means the kernel dropped events because this
//! program fell behind.

// An example is a program: printing what it found is its job.
#![allow(clippy::print_stdout)]

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use prt::events::destroy::{DestroyEvents, SocketEvent};

    let seconds: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 10,
    };
    let mut events = DestroyEvents::open()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "watching")?;
    out.flush()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counter = |value: Option<u64>| value.map_or_else(|| "-".to_owned(), |v| v.to_string());
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        match events.next_within(left)? {
            Some(SocketEvent::Destroyed(socket)) => {
                let traffic = socket.traffic.unwrap_or_default();
                writeln!(
                    out,
                    "{} {} -> {} sent {} received {} uid {}",
                    socket.proto,
                    socket.local,
                    socket.remote,
                    counter(traffic.bytes_sent),
                    counter(traffic.bytes_received),
                    socket.uid,
                )?;
            }
            Some(SocketEvent::Lost) => writeln!(out, "lost")?,
            // A later kernel's event kind, or the deadline: the loop decides.
            Some(_) | None => {}
        }
        // As it happens: a reader in a pipe sees each socket at once.
        out.flush()?;
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("socket destroy events are Linux only");
}
