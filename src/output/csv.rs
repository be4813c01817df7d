//! CSV output: a header of the record's field names, one row per record.
//!
//! Arrays (`pids`, `suspicious`) are joined with `;`, null is an empty cell, and cells a
//! spreadsheet would run as a formula are neutralised ([`super::sanitize::csv_cell`]).
//!
//! The header is decided by the first record: one carrying `status` (a TrackedEntry from
//! `prt watch`) adds [`TRACKED`] columns after the PortEntry ones, one carrying `alerts`
//! (from `prt alert`) adds `alerts`; later records fill them or leave them empty. A later
//! record carrying such a field the header has no column for (a scan's records, then a
//! watch's) loses it in the CSV, never silently: the sink notes it once
//! ([`RecordSink::take_note`]). A stream of one kind — what `prt watch` and `prt alert`
//! write — never loses a field.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;

use super::RecordSink;
use super::sanitize;
use crate::i18n::{self, Msg};
use crate::model::PortEntry;
use crate::raw::{Key, RawRecord, RawValue};

/// The header row: the wire field names, in wire order.
pub const HEADER: [&str; 22] = [
    "proto",
    "local_addr",
    "local_port",
    "remote_addr",
    "remote_port",
    "state",
    "inode",
    "uid",
    "pid",
    "pids",
    "process",
    "cmdline",
    "user",
    "ppid",
    "started",
    "service",
    "suspicious",
    "container",
    "netns",
    "interface",
    "recv_q",
    "send_q",
];

/// The columns of the TCP counters (`--traffic`), after [`HEADER`] when the first record
/// has them.
pub const TRAFFIC: [&str; 4] = ["bytes_sent", "bytes_received", "retrans", "rtt_us"];

/// The columns a tracked record adds after [`HEADER`].
pub const TRACKED: [Key; 4] = [Key::Status, Key::FirstSeen, Key::Seq, Key::Ts];

/// Writes records as CSV rows under [`HEADER`], and the tracked and alert columns when the
/// first record has them.
pub struct CsvSink<W: Write> {
    out: csv::Writer<W>,
    header_written: bool,
    for_terminal: bool,
    /// Columns after [`HEADER`], decided by the first record.
    extra: Vec<Key>,
    /// The first record carried TCP counters: [`TRAFFIC`] columns follow [`HEADER`].
    traffic: bool,
    /// Rows written so far.
    rows: u64,
    /// Whether a record's field went without a column (noted once).
    lost: bool,
    /// The note about it, until taken.
    note: Option<String>,
}

impl<W: Write> CsvSink<W> {
    /// A sink writing to `out`; `for_terminal` also escapes control characters.
    pub fn new(out: W, for_terminal: bool) -> Self {
        CsvSink {
            out: csv::WriterBuilder::new().from_writer(out),
            header_written: false,
            for_terminal,
            extra: Vec::new(),
            traffic: false,
            rows: 0,
            lost: false,
            note: None,
        }
    }

    fn write_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            let traffic: &[&str] = if self.traffic { &TRAFFIC } else { &[] };
            let names = HEADER
                .iter()
                .chain(traffic)
                .copied()
                .chain(self.extra.iter().map(|key| key.name()));
            self.out.write_record(names).map_err(into_io)?;
        }
        Ok(())
    }
}

impl<W: Write> RecordSink for CsvSink<W> {
    fn write_entry(&mut self, entry: &PortEntry) -> io::Result<()> {
        if !self.header_written {
            self.traffic = entry.traffic.is_some();
        }
        let mut cells = cells(entry);
        if self.traffic {
            let traffic = entry.traffic.unwrap_or_default();
            let number =
                |n: Option<u64>| n.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string()));
            cells.extend([
                number(traffic.bytes_sent),
                number(traffic.bytes_received),
                number(traffic.retrans),
                number(traffic.rtt_us),
            ]);
        }
        let traffic = if self.traffic { TRAFFIC.len() } else { 0 };
        cells.resize(HEADER.len() + traffic + self.extra.len(), Cow::Borrowed(""));
        self.write_row(&cells)
    }

    fn write_raw(&mut self, record: &RawRecord<'_>) -> io::Result<()> {
        if !self.header_written {
            if record.get(Key::Status).is_some() {
                self.extra.extend(TRACKED);
            }
            if record.get(Key::Alerts).is_some() {
                self.extra.push(Key::Alerts);
            }
        }
        if !self.lost {
            let missing: Vec<&str> = [Key::Status, Key::Alerts]
                .into_iter()
                .filter(|&key| record.get(key).is_some() && !self.extra.contains(&key))
                .map(Key::name)
                .collect();
            if !missing.is_empty() {
                self.lost = true;
                self.note = Some(i18n::trf(
                    Msg::CsvNoColumn,
                    &[&(self.rows + 1), &missing.join(", ")],
                ));
            }
        }
        let mut cells = raw_cells(record);
        cells.extend(
            self.extra
                .iter()
                .map(|&key| record.get(key).map_or(Cow::Borrowed(""), RawValue::cell)),
        );
        // An array's elements are neutralised one by one: a spreadsheet that splits the
        // cell on `;` must not find a formula in any part.
        let keys = Key::ALL[..HEADER.len()].iter().chain(&self.extra);
        for (cell, key) in cells.iter_mut().zip(keys) {
            if let Some(value @ RawValue::Array(_)) = record.get(*key) {
                *cell = Cow::Owned(neutralised_list(value.cells().iter()));
            }
        }
        self.write_row(&cells)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.write_header()?;
        self.out.flush()
    }

    fn take_note(&mut self) -> Option<String> {
        self.note.take()
    }
}

impl<W: Write> CsvSink<W> {
    fn write_row(&mut self, cells: &[Cow<'_, str>]) -> io::Result<()> {
        self.write_header()?;
        self.rows += 1;
        let for_terminal = self.for_terminal;
        let record = cells.iter().map(|cell| {
            let cell = if for_terminal {
                sanitize::terminal(cell)
            } else {
                Cow::Borrowed(cell.as_ref())
            };
            sanitize::csv_cell(&cell).into_owned()
        });
        self.out.write_record(record).map_err(into_io)
    }
}

/// `items` joined with `;`, each made inert for spreadsheets.
fn neutralised_list<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    let parts: Vec<String> = items
        .map(|item| sanitize::csv_cell(item.as_ref()).into_owned())
        .collect();
    parts.join(";")
}

/// A raw record's cells in [`HEADER`] order; absent fields are empty.
#[must_use]
pub fn raw_cells<'a>(record: &RawRecord<'a>) -> Vec<Cow<'a, str>> {
    Key::ALL[..HEADER.len()]
        .iter()
        .map(|&key| {
            record
                .get(key)
                .map_or(Cow::Borrowed(""), crate::raw::RawValue::cell)
        })
        .collect()
}

/// The record's cells in [`HEADER`] order.
#[must_use]
pub fn cells(entry: &PortEntry) -> Vec<Cow<'_, str>> {
    fn opt<T: ToString>(value: Option<&T>) -> Cow<'static, str> {
        value.map_or(Cow::Borrowed(""), |v| Cow::Owned(v.to_string()))
    }
    fn text(value: Option<&Arc<str>>) -> Cow<'_, str> {
        value.map_or(Cow::Borrowed(""), |v| Cow::Borrowed(&**v))
    }
    let pids: Vec<String> = entry.pids.iter().map(u32::to_string).collect();
    vec![
        Cow::Borrowed(entry.proto.as_str()),
        Cow::Owned(entry.local_addr.to_string()),
        Cow::Owned(entry.local_port.to_string()),
        opt(entry.remote_addr.as_ref()),
        opt(entry.remote_port.as_ref()),
        Cow::Borrowed(entry.state.as_str()),
        Cow::Owned(entry.inode.to_string()),
        opt(entry.uid.as_ref()),
        opt(entry.pid.as_ref()),
        Cow::Owned(pids.join(";")),
        text(entry.process.as_ref()),
        text(entry.cmdline.as_ref()),
        text(entry.user.as_ref()),
        opt(entry.ppid.as_ref()),
        opt(entry.started.as_ref()),
        text(entry.service.as_ref()),
        Cow::Owned(neutralised_list(entry.suspicious.iter())),
        text(entry.container.as_ref()),
        opt(entry.netns.as_ref()),
        text(entry.interface.as_ref()),
        opt(entry.recv_q.as_ref()),
        opt(entry.send_q.as_ref()),
    ]
}

/// Gives back the `io::Error` inside a csv error, so a closed pipe stays recognisable.
fn into_io(err: csv::Error) -> io::Error {
    let message = err.to_string();
    match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        _ => io::Error::other(message),
    }
}
