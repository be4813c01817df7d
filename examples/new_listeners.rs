//! Calls back for every listener that opens while it runs: the heart of
//! `prt watch --ndjson | prt filter 'new and state=listen'`, in a program.
//!
//! ```text
//! cargo run --example new_listeners -- [INTERVAL_MS] [REFRESHES]
//! ```
//!
//! The first refresh is the baseline (everything already open is not reported); each later
//! refresh reports what is new since the one before.

// An example is a program: printing what it found is its job.
#![allow(clippy::print_stdout)]

use std::time::Duration;

use prt::model::{Status, TrackedEntry};
use prt::session::{Options, Session};

/// Refreshes `session` `refreshes` times, `interval` apart, calling `on_new` for each new
/// listener after the first refresh.
fn watch_listeners(
    session: &mut Session,
    interval: Duration,
    refreshes: u64,
    mut on_new: impl FnMut(&TrackedEntry),
) -> Result<(), prt::scan::Error> {
    session.refresh()?;
    println!("watching");
    for _ in 1..refreshes {
        std::thread::sleep(interval);
        for change in session.refresh()?.changes {
            if change.record.status == Status::New {
                on_new(&change.record);
            }
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let interval = Duration::from_millis(args.next().map_or(Ok(1000), |a| a.parse())?);
    let refreshes = args.next().map_or(Ok(u64::MAX), |a| a.parse())?;

    let mut session = Session::new(Options::default().listening_only());
    watch_listeners(&mut session, interval, refreshes, |record| {
        let entry = &record.entry;
        println!(
            "new listener {} {} port {} pid {} {}",
            entry.proto,
            entry.local_addr,
            entry.local_port,
            entry.pid.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            entry.process.as_deref().unwrap_or("-"),
        );
    })?;
    Ok(())
}
