//! Which sockets match a filter expression — the language of `prt filter` — parsed once,
//! then matched against each record of a scan.
//!
//! ```text
//! cargo run --example match_filter -- 'state=listen and port<1024'
//! ```

// An example is a program: printing what it found is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use prt::query;
use prt::session::{self, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "state=listen".to_owned());
    // A bad expression is an error that says where it went wrong, for the person typing it.
    let filter = match query::parse(&text) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("{text}: {error}");
            std::process::exit(2);
        }
    };
    let snapshot = session::snapshot(&Options::default())?;
    let matching = snapshot
        .entries
        .iter()
        .filter(|entry| filter.matches(*entry));
    for entry in matching {
        println!(
            "{} {}:{} {} pid {}",
            entry.proto,
            entry.local_addr,
            entry.local_port,
            entry.state,
            entry.pid.map_or_else(|| "-".to_owned(), |p| p.to_string()),
        );
    }
    Ok(())
}
