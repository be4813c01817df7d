//! Integration tests: the real binaries against real sockets, processes and tools.
//!
//! One test binary (ripgrep's habit), one module per subcommand. They need Linux: /proc,
//! ss, network namespaces, and netlink to compare the other backends with.
#![cfg(target_os = "linux")]

mod alert;
mod architecture;
mod cli;
mod common;
mod daemons;
mod detail;
mod enrich;
mod events;
mod examples;
mod filter;
mod fw;
mod generated;
mod i18n;
mod kill;
mod live;
mod metrics;
mod pipeline;
mod scan;
mod traffic;
mod watch;
mod watch_events;
