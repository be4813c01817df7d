//! prt: which processes hold which network ports, as composable NDJSON stages.
//!
//! The library does the work; the binaries (`prt`, `prt-scan`, ...) are thin shells over
//! [`cli`]. Data flows one way: [`scan`] -> track -> enrich -> query -> act -> [`output`],
//! and every stage reads and writes the records of [`model`].

pub mod act;
pub mod alert;
pub mod bandwidth;
pub mod cli;
pub mod config;
pub mod detail;
pub mod enrich;
pub mod i18n;
pub mod model;
pub mod output;
pub mod query;
pub mod raw;
pub mod scan;
pub mod suggest;
pub mod track;
pub mod traffic;
