//! Prints every process that starts, runs a program or ends while it runs: the kernel's
//! proc connector, as a library call. Linux only; any user on Linux 6.6 and later.
//!
//! ```text
//! cargo run --example process_events -- [SECONDS]
//! ```
//!
//! One line per event: `fork PARENT CHILD`, `exec PID`, `exit PID CODE`, or `lost` when the
//! kernel dropped events because this program fell behind. New threads and the exits of
//! threads other than a process's first are left out.

// An example is a program: printing what it found is its job.
#![allow(clippy::print_stdout)]

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use prt::events::process::{ProcessEvent, ProcessEvents};

    let seconds: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 10,
    };
    let mut events = ProcessEvents::open()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "watching")?;
    out.flush()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        let Some(event) = events.next_within(left)? else {
            continue;
        };
        match event {
            ProcessEvent::Fork {
                parent_tgid,
                child_tgid,
                ..
            } if event.starts_process().is_some() => {
                writeln!(out, "fork {parent_tgid} {child_tgid}")?;
            }
            ProcessEvent::Exec { tgid } => writeln!(out, "exec {tgid}")?,
            ProcessEvent::Exit {
                tgid, exit_code, ..
            } if event.ends_process().is_some() => writeln!(out, "exit {tgid} {exit_code}")?,
            ProcessEvent::Lost => writeln!(out, "lost")?,
            _ => {}
        }
        out.flush()?;
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("process events are Linux only");
}
