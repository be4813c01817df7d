//! The table people read: one row per socket, fitted to the terminal width.

use std::borrow::Cow;
use std::io::{self, Write};

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Row, Table};

use super::{RecordSink, TableOptions, sanitize};
use crate::i18n::{self, Msg};
use crate::model::{PortEntry, Status, Timestamp, TrackedEntry};
pub use crate::model::{endpoint, short_duration};
use crate::raw::RawRecord;

/// Column headers (in the language in use).
pub const HEADERS: [Msg; 8] = [
    Msg::HeadProto,
    Msg::HeadLocal,
    Msg::HeadRemote,
    Msg::HeadState,
    Msg::HeadPid,
    Msg::HeadProcess,
    Msg::HeadUser,
    Msg::HeadService,
];

/// Collects records and renders them as one table on [`RecordSink::finish`]; or, once
/// the input is known to be a live stream ([`RecordSink::go_live`]), writes each row as it
/// comes in columns of fixed width, with the heading again once per screenful.
pub struct TableSink<W: Write> {
    out: W,
    options: TableOptions,
    rows: Vec<Row>,
    live: Option<Live>,
}

/// The layout of a table written row by row: rows still to come cannot be measured, so
/// the widths come from the screen's.
struct Live {
    widths: Vec<u16>,
    /// Rows written since the heading.
    since_heading: usize,
}

impl<W: Write> TableSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W, options: TableOptions) -> Self {
        TableSink {
            out,
            options,
            rows: Vec::new(),
            live: None,
        }
    }

    /// Keeps `row` for the table, or writes it at once when live.
    fn push(&mut self, row: Row) -> io::Result<()> {
        if self.live.is_none() {
            self.rows.push(row);
            return Ok(());
        }
        self.write_live(vec![row])
    }

    /// Writes `rows` in the fixed columns, the heading first when a screenful has passed.
    fn write_live(&mut self, rows: Vec<Row>) -> io::Result<()> {
        let Some(live) = self.live.as_mut() else {
            return Ok(());
        };
        let screenful = self.options.height.map_or(usize::MAX, |lines| {
            usize::from(lines).saturating_sub(1).max(1)
        });
        for row in rows {
            let heading = live.since_heading == 0 || live.since_heading >= screenful;
            let text = fixed(vec![row], &live.widths, &self.options).to_string();
            // The first line is the heading (kept to one line).
            let mut lines = text.lines();
            let head = lines.next().unwrap_or_default();
            if heading {
                writeln!(self.out, "{}", head.trim_end())?;
                live.since_heading = 0;
            }
            for line in lines {
                writeln!(self.out, "{}", line.trim_end())?;
            }
            live.since_heading += 1;
        }
        Ok(())
    }
}

impl<W: Write> RecordSink for TableSink<W> {
    fn write_entry(&mut self, entry: &PortEntry) -> io::Result<()> {
        let row = row(&super::csv::cells(entry), &self.options);
        self.push(row)
    }

    fn write_raw(&mut self, record: &RawRecord<'_>) -> io::Result<()> {
        let row = row(&super::csv::raw_cells(record), &self.options);
        self.push(row)
    }

    fn write_raw_marked(&mut self, record: &RawRecord<'_>, marked: bool) -> io::Result<()> {
        if !marked {
            return self.write_raw(record);
        }
        let style = self.options.style;
        let texts = row_texts(&super::csv::raw_cells(record), &self.options);
        let mut row = Row::from(
            texts
                .iter()
                .map(|text| style.reverse(text))
                .collect::<Vec<_>>(),
        );
        row.max_height(1);
        self.push(row)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.live.is_some() {
            self.out.flush()?;
        }
        Ok(())
    }

    fn go_live(&mut self) -> io::Result<bool> {
        if self.live.is_some() {
            return Ok(true);
        }
        if self.rows.is_empty() {
            return Ok(false);
        }
        let columns = HEADERS.len() + usize::from(self.options.netns_names.is_some());
        self.live = Some(Live {
            widths: live_widths(columns, self.options.width.unwrap_or(100)),
            since_heading: 0,
        });
        let rows = std::mem::take(&mut self.rows);
        self.write_live(rows)?;
        self.out.flush()?;
        Ok(true)
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.live.is_none() {
            let table = render(std::mem::take(&mut self.rows), &self.options);
            writeln!(self.out, "{table}")?;
        }
        self.out.flush()
    }
}

/// A table of `rows` in columns of these content widths, its heading on one line.
fn fixed(rows: Vec<Row>, widths: &[u16], options: &TableOptions) -> Table {
    let netns = options.netns_names.is_some().then_some(Msg::HeadNetns);
    let mut table = plain(HEADERS.iter().copied().chain(netns), rows, options);
    if let Some(header) = table.header() {
        let mut header = header.clone();
        header.max_height(1);
        table.set_header(header);
    }
    // A constraint's width includes the column's padding: one for the first, two after.
    table.set_constraints(widths.iter().enumerate().map(|(index, &w)| {
        let padding = if index == 0 { 1 } else { 2 };
        ColumnConstraint::Absolute(comfy_table::Width::Fixed(w + padding))
    }));
    table
}

/// Content widths of a table written row by row on a screen `width` columns wide: what
/// typical rows need (`tcp`, `127.0.0.1:8080`, `ESTABLISHED`, a pid), the process,
/// remote, user and service squeezed first when the screen is narrow and given the room
/// left over when it is wide.
fn live_widths(columns: usize, width: u16) -> Vec<u16> {
    // proto, local, remote, state, pid, process, user, service, netns
    let mut widths: Vec<u16> = [5, 21, 21, 11, 7, 15, 8, 8, 10]
        .into_iter()
        .take(columns)
        .collect();
    // The first column is padded on its right only, the others on both sides.
    let padding = (columns * 2).saturating_sub(1) as u16;
    let room = width.saturating_sub(padding);
    let squeezable = [5, 2, 6, 7, 8, 1];
    while widths.iter().sum::<u16>() > room {
        let Some(&index) = squeezable
            .iter()
            .filter(|&&i| i < columns && widths[i] > 4)
            .max_by_key(|&&i| widths[i])
        else {
            break;
        };
        widths[index] -= 1;
    }
    let spare = room.saturating_sub(widths.iter().sum());
    if let Some(process) = widths.get_mut(5) {
        *process += spare / 2;
    }
    if let Some(remote) = widths.get_mut(2) {
        *remote += spare - spare / 2;
    }
    widths
}

fn render(rows: Vec<Row>, options: &TableOptions) -> Table {
    render_with(&HEADERS, rows, options)
}

fn render_with(headers: &[Msg], rows: Vec<Row>, options: &TableOptions) -> Table {
    let netns = options.netns_names.is_some().then_some(Msg::HeadNetns);
    let mut table = plain(headers.iter().copied().chain(netns), rows, options);
    // Addresses, state and pid are what the table is for: never squeeze them.
    for index in [0, 1, 2, 3, 4] {
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    table
}

/// A borderless table with bold translated headers, fitted to the width `options` give
/// (or unlimited), its first column flush left: the look of every prt table.
pub(super) fn plain(
    headers: impl Iterator<Item = Msg>,
    rows: Vec<Row>,
    options: &TableOptions,
) -> Table {
    let style = options.style;
    let mut table = Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .force_no_tty()
        .set_truncation_indicator("…")
        .set_header(headers.map(|h| Cell::new(style.bold(i18n::tr(h)))));
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
    if let Some(first) = table.column_mut(0) {
        first.set_padding((0, 1));
    }
    table
}

/// A table row from a record's cells in CSV [`HEADER`](super::csv::HEADER) order, so typed
/// entries and records read from NDJSON look the same.
fn row(cells: &[Cow<'_, str>], options: &TableOptions) -> Row {
    let mut row = Row::from(row_texts(cells, options));
    row.max_height(1);
    row
}

fn row_texts(cells: &[Cow<'_, str>], options: &TableOptions) -> Vec<String> {
    let style = options.style;
    let cell = |index: usize| cells.get(index).map_or("", |c| c.as_ref());
    let placeholder = style.dim("-");
    let text = |index: usize| match cell(index) {
        "" => placeholder.clone(),
        value => sanitize::terminal(value).into_owned(),
    };
    let remote = match (cell(3), cell(4)) {
        ("", _) | (_, "") => "*".to_owned(),
        (addr, port) => endpoint_text(addr, port, ""),
    };
    let state = match cell(5) {
        "CLOSE_WAIT" => style.red("CLOSE_WAIT"),
        other => sanitize::terminal(other).into_owned(),
    };
    let mut process = text(10);
    if !cell(16).is_empty() {
        process = format!("{} {process}", style.red("[!]"));
    }
    let mut texts = vec![
        sanitize::terminal(cell(0)).into_owned(),
        endpoint_text(cell(1), cell(2), cell(19)),
        remote,
        state,
        text(8),
        process,
        text(12),
        text(15),
    ];
    if let Some(names) = &options.netns_names {
        let named = cell(18).parse().ok().and_then(|inode| names.get(&inode));
        texts.push(named.map_or_else(|| text(18), |name| sanitize::terminal(name).into_owned()));
    }
    texts
}

/// Headers of the live view: the scan columns and the age of each socket.
pub const TRACKED_HEADERS: [Msg; 10] = [
    Msg::HeadMark,
    Msg::HeadProto,
    Msg::HeadLocal,
    Msg::HeadRemote,
    Msg::HeadState,
    Msg::HeadPid,
    Msg::HeadProcess,
    Msg::HeadUser,
    Msg::HeadService,
    Msg::HeadAge,
];

/// The live view of tracked sockets: new rows green, gone rows red, sockets older than an
/// hour yellow and older than a day red, CLOSE_WAIT red. A first column says in text what
/// the colours say, so a view without colour (`NO_COLOR`) still tells them apart: `+` new,
/// `-` gone, `!` suspicious (`+!` both).
#[must_use]
pub fn render_tracked(records: &[&TrackedEntry], now: Timestamp, options: &TableOptions) -> String {
    let style = options.style;
    let rows = records
        .iter()
        .map(|record| {
            let age = record.first_seen.until(now);
            let mut texts = row_texts(&super::csv::cells(&record.entry), options);
            texts.insert(TRACKED_HEADERS.len() - 2, short_duration(age));
            texts.insert(0, marker(record));
            let paint = |text: &String| match record.status {
                Status::New => style.green(text),
                Status::Gone => style.red(text),
                Status::Unchanged if age.as_secs() >= 86_400 => style.red(text),
                Status::Unchanged if age.as_secs() >= 3_600 => style.yellow(text),
                Status::Unchanged => text.clone(),
            };
            let mut row = Row::from(texts.iter().map(paint).collect::<Vec<_>>());
            row.max_height(1);
            row
        })
        .collect();
    let mut table = render_with(&TRACKED_HEADERS, rows, options);
    // A narrow screen cuts headings rather than stacking them letter by letter: the live
    // view's rows are what the screen is for.
    if let Some(header) = table.header() {
        let mut header = header.clone();
        header.max_height(1);
        table.set_header(header);
    }
    // The marker column moved the pid one place to the right; keep it whole too.
    if let Some(column) = table.column_mut(5) {
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
    table.to_string()
}

/// The marker cell of a tracked row: `+` new, `-` gone, then `!` when suspicious.
fn marker(record: &TrackedEntry) -> String {
    let status = match record.status {
        Status::New => "+",
        Status::Gone => "-",
        Status::Unchanged => "",
    };
    let suspicious = if record.entry.suspicious.is_empty() {
        ""
    } else {
        "!"
    };
    format!("{status}{suspicious}")
}

/// `addr:port` from their text, IPv6 in brackets, the interface after a `%` as `ss`
/// writes it (`0.0.0.0%eth0:80`, `[fe80::1]%eth0:80`), made terminal-safe.
fn endpoint_text(addr: &str, port: &str, interface: &str) -> String {
    let addr = if addr.contains(':') {
        format!("[{addr}]")
    } else {
        addr.to_owned()
    };
    let joined = if interface.is_empty() {
        format!("{addr}:{port}")
    } else {
        format!("{addr}%{interface}:{port}")
    };
    sanitize::terminal(&joined).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_table_writes_rows_as_they_come_with_a_heading_per_screenful() {
        let options = TableOptions {
            width: Some(80),
            height: Some(4),
            ..TableOptions::default()
        };
        let mut out = Vec::new();
        let mut sink = TableSink::new(&mut out, options);
        let line =
            br#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":8080,"state":"LISTEN"}"#;
        let record = RawRecord::parse(line).expect("valid");
        assert!(
            !sink.go_live().expect("writes"),
            "no rows yet: keep collecting"
        );
        sink.write_raw(&record).expect("writes");
        assert!(sink.go_live().expect("writes"));
        let after_first = sink.out.len();
        assert!(after_first > 0, "the kept rows are written at once");
        for _ in 0..4 {
            sink.write_raw(&record).expect("writes");
        }
        sink.finish().expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5 + 2, "{text}");
        assert!(
            lines[0].starts_with("PROTO") && lines[4].starts_with("PROTO"),
            "{text}"
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{text}");
        let columns = |l: &str| l.find("LISTEN");
        assert_eq!(
            columns(lines[1]),
            columns(lines[5]),
            "fixed columns: {text}"
        );
    }

    #[test]
    fn endpoints_are_written_as_ss_writes_them() {
        assert_eq!(endpoint_text("0.0.0.0", "80", ""), "0.0.0.0:80");
        assert_eq!(endpoint_text("::1", "80", ""), "[::1]:80");
        assert_eq!(endpoint_text("0.0.0.0", "9444", "v0"), "0.0.0.0%v0:9444");
        assert_eq!(endpoint_text("fe80::1", "9444", "v0"), "[fe80::1]%v0:9444");
        assert_eq!(endpoint_text("::", "1", "e\x1b[0m"), "[::]%e\\x1b[0m:1");
    }
}
