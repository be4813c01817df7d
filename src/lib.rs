//! prt: which processes hold which network ports, as composable NDJSON stages — and the
//! library that does all of it, for programs that want the answers without a shell.
//!
//! Data flows one way: [`scan`] -> [`track`] -> [`enrich`] -> [`query`] -> [`act`] ->
//! [`output`], and every stage reads and writes the records of [`model`]. [`session`] runs
//! the first four in one call; it is what `prt scan` and `prt watch` run. The command line
//! (`prt::cli`, the `prt` binaries, the argument parser and the terminal crates) is the
//! `cli` feature, on by default; `default-features = false` leaves the library alone.
//!
//! # Quick start
//!
//! Which process listens on a port:
//!
//! ```
//! use prt::session::{self, Options};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let port = listener.local_addr()?.port();
//!
//! let listeners = session::snapshot(&Options::default().listening_only())?;
//! let ours = listeners.entries.iter().find(|e| e.local_port == port).expect("listed");
//! assert!(ours.pids.contains(&std::process::id()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Tell when a listener appears — a [`session::Session`] keeps its caches between
//! refreshes, so each costs a fraction of a full scan:
//!
//! ```
//! use prt::model::Status;
//! use prt::session::{Options, Session};
//!
//! let mut session = Session::new(Options::default().listening_only());
//! session.refresh()?; // the baseline: every socket open now is `new`
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let port = listener.local_addr()?.port();
//! let changes = session.refresh()?.changes;
//! let new = changes.iter().find(|c| c.record.entry.local_port == port).expect("seen");
//! assert_eq!(new.record.status, Status::New);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Match records against a filter expression (the language of `prt filter`), and write
//! them in any format to any writer:
//!
//! ```
//! use prt::model::{PortEntry, Proto, State};
//! use prt::output::{self, Format, TableOptions};
//!
//! let filter = prt::query::parse("state=listen and port<1024")?;
//! let ssh = PortEntry::new(Proto::Tcp, "0.0.0.0:22".parse()?, State::Listen);
//! let web = PortEntry::new(Proto::Tcp, "0.0.0.0:8080".parse()?, State::Listen);
//! assert!(filter.matches(&ssh) && !filter.matches(&web));
//!
//! let mut csv = Vec::new();
//! let mut sink = output::sink(Format::Csv, &mut csv, TableOptions::default());
//! sink.write_entry(&ssh)?;
//! sink.finish()?;
//! drop(sink);
//! assert!(String::from_utf8(csv)?.starts_with("proto,local_addr,local_port"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Acting stages return results and never print: [`act::kill::kill_and_verify`] checks
//! each process by pid, name and start time through a pidfd before signalling it;
//! [`act::firewall::plan`] and [`act::firewall::apply`] block addresses; [`detail::describe`]
//! reads a process in full. Errors are typed ([`scan::Error`], [`query::ParseError`],
//! [`config::Error`]); nothing in the library writes to stdout or stderr, reads the
//! environment or decides colours. `examples/` has programs to copy.

pub mod act;
pub mod alert;
pub mod bandwidth;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod detail;
pub mod duration;
pub mod enrich;
#[cfg(target_os = "linux")]
pub mod events;
mod hashing;
pub mod i18n;
pub mod model;
pub mod output;
pub mod query;
pub mod raw;
pub mod scan;
pub mod session;
pub mod suggest;
pub mod sys;
pub mod track;
pub mod traffic;
