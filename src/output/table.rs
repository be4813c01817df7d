//! The table people read: one row per socket, fitted to the terminal width.

use std::borrow::Cow;
use std::io::{self, Write};
use std::net::IpAddr;

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Row, Table};

use super::{RecordSink, TableOptions, sanitize};
use crate::model::PortEntry;
use crate::raw::RawRecord;

/// Column headers.
pub const HEADERS: [&str; 8] = [
    "PROTO", "LOCAL", "REMOTE", "STATE", "PID", "PROCESS", "USER", "SERVICE",
];

/// Collects records and renders them as one table on [`RecordSink::finish`].
pub struct TableSink<W: Write> {
    out: W,
    options: TableOptions,
    rows: Vec<Row>,
}

impl<W: Write> TableSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W, options: TableOptions) -> Self {
        TableSink {
            out,
            options,
            rows: Vec::new(),
        }
    }
}

impl<W: Write> RecordSink for TableSink<W> {
    fn write_entry(&mut self, entry: &PortEntry) -> io::Result<()> {
        self.rows.push(row(&super::csv::cells(entry), self.options));
        Ok(())
    }

    fn write_raw(&mut self, record: &RawRecord<'_>) -> io::Result<()> {
        self.rows
            .push(row(&super::csv::raw_cells(record), self.options));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let table = render(std::mem::take(&mut self.rows), self.options);
        writeln!(self.out, "{table}")?;
        self.out.flush()
    }
}

fn render(rows: Vec<Row>, options: TableOptions) -> Table {
    let style = options.style;
    let mut table = Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .force_no_tty()
        .set_truncation_indicator("…")
        .set_header(HEADERS.iter().map(|h| Cell::new(style.bold(h))));
    match options.width {
        Some(width) => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table.add_rows(rows);
    // Addresses, state and pid are what the table is for: never squeeze them.
    for index in [0, 1, 2, 3, 4] {
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    if let Some(first) = table.column_mut(0) {
        first.set_padding((0, 1));
    }
    table
}

/// A table row from a record's cells in CSV [`HEADER`](super::csv::HEADER) order, so typed
/// entries and records read from NDJSON look the same.
fn row(cells: &[Cow<'_, str>], options: TableOptions) -> Row {
    let style = options.style;
    let cell = |index: usize| cells.get(index).map_or("", |c| c.as_ref());
    let placeholder = style.dim("-");
    let text = |index: usize| match cell(index) {
        "" => placeholder.clone(),
        value => sanitize::terminal(value).into_owned(),
    };
    let remote = match (cell(3), cell(4)) {
        ("", _) | (_, "") => "*".to_owned(),
        (addr, port) => endpoint_text(addr, port),
    };
    let state = match cell(5) {
        "CLOSE_WAIT" => style.red("CLOSE_WAIT"),
        other => sanitize::terminal(other).into_owned(),
    };
    let mut process = text(10);
    if !cell(16).is_empty() {
        process = format!("{} {process}", style.red("[!]"));
    }
    let mut row = Row::from(vec![
        sanitize::terminal(cell(0)).into_owned(),
        endpoint_text(cell(1), cell(2)),
        remote,
        state,
        text(8),
        process,
        text(12),
        text(15),
    ]);
    row.max_height(1);
    row
}

/// `addr:port` from their text, IPv6 in brackets, made terminal-safe.
fn endpoint_text(addr: &str, port: &str) -> String {
    let joined = if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    };
    sanitize::terminal(&joined).into_owned()
}

/// `127.0.0.1:80` or `[::1]:80`.
#[must_use]
pub fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}
