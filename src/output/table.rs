//! The table people read: one row per socket, fitted to the terminal width.

use std::io::{self, Write};
use std::net::IpAddr;

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Row, Table};

use super::{RecordSink, TableOptions, sanitize};
use crate::model::{PortEntry, State};

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
        self.rows.push(row(entry, self.options));
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

fn row(entry: &PortEntry, options: TableOptions) -> Row {
    let style = options.style;
    let remote = match (entry.remote_addr, entry.remote_port) {
        (Some(addr), Some(port)) => endpoint(addr, port),
        _ => "*".to_owned(),
    };
    let state = if entry.state == State::CloseWait {
        style.red(entry.state.as_str())
    } else {
        entry.state.as_str().to_owned()
    };
    let placeholder = style.dim("-");
    let text = |value: Option<&String>| {
        value.map_or_else(
            || placeholder.clone(),
            |v| sanitize::terminal(v).into_owned(),
        )
    };
    let mut process = text(entry.process.as_ref());
    if !entry.suspicious.is_empty() {
        process = format!("{} {process}", style.red("[!]"));
    }
    let mut row = Row::from(vec![
        entry.proto.as_str().to_owned(),
        endpoint(entry.local_addr, entry.local_port),
        remote,
        state,
        entry
            .pid
            .map_or_else(|| placeholder.clone(), |pid| pid.to_string()),
        process,
        text(entry.user.as_ref()),
        text(entry.service.as_ref()),
    ]);
    row.max_height(1);
    row
}

/// `127.0.0.1:80` or `[::1]:80`.
#[must_use]
pub fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}
