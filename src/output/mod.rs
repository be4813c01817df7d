//! Where records go: NDJSON, JSON, CSV and table writers behind one [`RecordSink`] trait.
//!
//! Last stage of the data flow (scan -> track -> enrich -> query -> act -> output); it uses
//! only [`crate::model`]. Every terminal decision (colour, width) arrives as plain values
//! in [`TableOptions`] from the command line layer; nothing here looks at the environment.
//!
//! Writers serialize each record into a reused buffer and hand it to `write_all`, so an
//! `io::Error` such as a closed pipe reaches the caller unwrapped.

pub mod csv;
pub mod detail_view;
pub mod json;
#[cfg(feature = "table")]
pub mod key_values;
pub mod metrics;
pub mod ndjson;
pub mod reader;
mod record_line;
pub mod results;
pub mod sanitize;
pub mod style;
#[cfg(feature = "table")]
pub mod table;
#[cfg(feature = "table")]
pub mod traffic;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use crate::model::PortEntry;
use crate::raw::RawRecord;
pub use style::Style;

/// An output format: `--format` and the configuration's `format` (one enum for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Aligned columns for people (the default on a terminal).
    #[cfg(feature = "table")]
    Table,
    /// One JSON object per line (the default in a pipe).
    Ndjson,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

/// How a table looks: decided once by the caller from the terminal and the flags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableOptions {
    /// Width to fit, in columns; `None` for no limit.
    pub width: Option<u16>,
    /// Lines of the screen, when known: a table written row by row repeats its heading
    /// once per screenful.
    pub height: Option<u16>,
    /// Colours on or off.
    pub style: Style,
    /// With a scan of every namespace: a NETNS column, showing these names for namespace
    /// inodes (others as their number).
    pub netns_names: Option<Arc<BTreeMap<u64, String>>>,
    /// Records carry TCP counters (`--traffic`): TOTAL OUT and TOTAL IN columns, in binary
    /// units.
    pub traffic: bool,
}

/// A destination for records.
pub trait RecordSink {
    /// Writes one record (a table keeps it until [`RecordSink::finish`]).
    fn write_entry(&mut self, entry: &PortEntry) -> io::Result<()>;
    /// Writes a batch of records, in order; a writer may do this faster than one by one.
    fn write_entries(&mut self, entries: &[PortEntry]) -> io::Result<()> {
        entries.iter().try_for_each(|entry| self.write_entry(entry))
    }
    /// Writes a record read from NDJSON. Machine formats keep its original text (unknown
    /// fields included); CSV and tables show its known fields.
    fn write_raw(&mut self, record: &RawRecord<'_>) -> io::Result<()>;
    /// Writes a record read from NDJSON, `marked` for people's attention (an alert fired):
    /// a table highlights the row; other formats carry the mark in the record itself.
    fn write_raw_marked(&mut self, record: &RawRecord<'_>, marked: bool) -> io::Result<()> {
        let _ = marked;
        self.write_raw(record)
    }
    /// Pushes out what is buffered, for live streams (a table waits for `finish`, unless
    /// it went live).
    fn flush(&mut self) -> io::Result<()>;
    /// The input is a live stream that paused: a table stops collecting and from now on
    /// writes its rows as they come, in columns of fixed width. True once it has (a table
    /// with no rows yet waits for some); other formats already stream and say true.
    fn go_live(&mut self) -> io::Result<bool> {
        Ok(true)
    }
    /// Completes the output (closing bracket, table rendering) and flushes.
    fn finish(&mut self) -> io::Result<()>;
    /// A note for the person running the stage, given once when it arises: data the
    /// format could not carry (a CSV header decided before a record with more fields).
    fn take_note(&mut self) -> Option<String> {
        None
    }
}

/// The writer for `format` over `out`.
// Without the `table` feature only CSV reads the options, by reference.
#[cfg_attr(not(feature = "table"), allow(clippy::needless_pass_by_value))]
pub fn sink<'a, W: Write + 'a>(
    format: Format,
    out: W,
    table: TableOptions,
) -> Box<dyn RecordSink + 'a> {
    match format {
        #[cfg(feature = "table")]
        Format::Table => Box::new(table::TableSink::new(out, table)),
        Format::Ndjson => Box::new(ndjson::NdjsonSink::new(out)),
        Format::Json => Box::new(json::JsonSink::new(out)),
        // Sanitize CSV for the terminal only when the caller chose a terminal layout: a
        // width is the sign that a person reads it.
        Format::Csv => Box::new(csv::CsvSink::new(out, table.width.is_some())),
    }
}

/// Serializes `value` as one JSON line into `buffer` (cleared first).
pub(crate) fn json_line<T: serde::Serialize>(value: &T, buffer: &mut Vec<u8>) -> io::Result<()> {
    buffer.clear();
    serde_json::to_writer(&mut *buffer, value).map_err(io::Error::other)?;
    buffer.push(b'\n');
    Ok(())
}
