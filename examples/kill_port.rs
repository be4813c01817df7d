//! Finds what listens on a port and ends it — a dry run unless `--really` is given.
//! Each process is checked by pid, name and start time through a pidfd before it is
//! signalled, so a pid reused meanwhile is never hit; every holder of the socket (a
//! pre-forked server's workers too) is a target.
//!
//! ```text
//! cargo run --example kill_port -- 8080            # what would be signalled
//! cargo run --example kill_port -- 8080 --really   # TERM, then KILL after 3 s
//! ```

// An example is a program: printing what it found is its job.
#![allow(clippy::print_stdout)]

use std::time::Duration;

use prt::act::kill::{self, KillOptions, Signal};
use prt::act::target::{TargetSpec, Targets};
use prt::session::{self, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let spec: TargetSpec = format!(":{}", args.next().ok_or("usage: kill_port PORT")?).parse()?;
    let really = args.next().as_deref() == Some("--really");

    let listeners = session::snapshot(&Options::default().listening_only())?;
    let mut targets = Targets::new();
    targets.add_spec(spec, &listeners.entries);
    targets.find_holders();
    if targets.is_empty() {
        println!("nothing listens on {spec}");
        return Ok(());
    }

    let mut options = KillOptions::new(Signal::TERM).escalating(Duration::from_secs(3));
    if !really {
        options = options.dry_run();
    }
    for result in kill::kill_and_verify(&targets, &options)? {
        println!(
            "{} {} {:?}: {}",
            result.pid.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            result.process.as_deref().unwrap_or("-"),
            result.outcome,
            result.message,
        );
    }
    Ok(())
}
