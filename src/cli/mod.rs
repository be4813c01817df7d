//! The command line: argument parsing, terminal decisions, and one module per subcommand.
//!
//! Only this layer knows clap, argv, the environment and the terminal. Each subcommand
//! module holds its clap `Args` and a `run` that reads, calls the library, and writes;
//! [`exit`] turns the outcome into an exit status and is the only place that prints errors.

pub mod alert;
pub mod args;
pub mod common;
pub mod completions;
pub mod config;
pub mod ctx;
pub mod detail;
pub mod exit;
pub mod filter;
pub mod fw;
pub mod kill;
pub(crate) mod live;
pub mod messages;
pub mod metrics;
pub mod prompt;
pub mod records;
pub mod scan;
pub mod watch;

use std::ffi::OsString;

use clap::{CommandFactory, Parser, Subcommand};

pub use exit::{Exit, Stage, main, main_for};

const EXAMPLES: &str = "\
Examples:
  prt scan                                  every socket and its process, as a table
  prt scan --listen --tcp                   what listens on TCP
  prt scan --format csv > ports.csv         for a spreadsheet
  prt scan | jq -r 'select(.pid == null) | .local_port'
  prt scan | prt filter 'port>=1024 and state=listen'

Any other `prt NAME ...` runs `prt-NAME ...` from PATH.";

/// Which processes hold which network ports: scan, track, filter and act, as NDJSON stages.
#[derive(Debug, Parser)]
#[command(name = "prt", version, after_help = EXAMPLES, propagate_version = true)]
pub struct Prt {
    /// The stage to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `prt`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One snapshot of every TCP and UDP socket with its owning process.
    Scan(scan::Args),
    /// Keep the records that match an expression, like grep for port records.
    Filter(filter::Args),
    /// Scan every interval and report what changed: a live table, or an NDJSON changelog.
    Watch(watch::Args),
    /// Evaluate alert rules over records: pass on what fired, ring, or run a command.
    Alert(alert::Args),
    /// Signal the processes that hold ports (records on stdin, PIDs or :PORT), safely.
    Kill(kill::Args),
    /// Turn records into firewall commands that block their addresses or ports.
    Fw(fw::Args),
    /// Everything about the processes behind records or PIDs: files, parents, cgroup, env.
    Detail(detail::Args),
    /// Turn records into Prometheus metrics: a textfile for node_exporter, or /metrics.
    Metrics(metrics::Args),
    /// Show where the configuration file is, or check one.
    Config(config::Args),
    /// Print the shell completion script for prt.
    Completions(completions::Args),
    /// `prt NAME ARGS...` runs `prt-NAME ARGS...` from PATH.
    #[command(external_subcommand)]
    External(Vec<OsString>),
}

/// The whole clap definition of `prt`, for man pages and completions.
#[must_use]
pub fn command() -> clap::Command {
    Prt::command()
}

/// The names of the built-in subcommands.
#[must_use]
pub fn builtin_names() -> Vec<String> {
    command()
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        Prt::command().debug_assert();
        scan::Args::command().debug_assert();
        filter::Args::command().debug_assert();
        watch::Args::command().debug_assert();
        config::Args::command().debug_assert();
        alert::Args::command().debug_assert();
        kill::Args::command().debug_assert();
        fw::Args::command().debug_assert();
        detail::Args::command().debug_assert();
        metrics::Args::command().debug_assert();
        completions::Args::command().debug_assert();
    }
}
