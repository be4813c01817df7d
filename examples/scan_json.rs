//! One scan of every TCP and UDP socket with its owner, written as a JSON array: what
//! `prt scan --format json` prints.
//!
//! ```text
//! cargo run --example scan_json > sockets.json
//! ```

// An example is a program: printing what it found is its job.
#![allow(clippy::print_stdout)]

use std::io;

use prt::output::{self, Format, TableOptions};
use prt::session::{self, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let snapshot = session::snapshot(&Options::default())?;
    let mut sink = output::sink(Format::Json, io::stdout().lock(), TableOptions::default());
    sink.write_entries(&snapshot.entries)?;
    sink.finish()?;
    Ok(())
}
