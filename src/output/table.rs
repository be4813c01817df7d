//! The table people read: one row per socket, fitted to the terminal width.
//!
//! A table too wide for the screen loses whole columns, the least useful first (NETNS,
//! SERVICE, USER, then REMOTE when every row is a listener, then AGE), and shortens long
//! addresses in the middle (`[2001:db8…:1]:443`); the marker, PROTO, LOCAL, STATE, PID and
//! PROCESS stay, and a process name is never cut.

use std::borrow::Cow;
use std::io::{self, Write};

use comfy_table::{ColumnConstraint, Row, Table};
use unicode_width::UnicodeWidthChar as _;

use super::{RecordSink, Style, TableOptions, sanitize};
pub use crate::duration::age as short_duration;
use crate::i18n::Msg;
use crate::model::PortEntry;
pub use crate::model::endpoint;
use crate::raw::{Key, RawRecord, RawValue};

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

/// A column of a socket table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Mark,
    Proto,
    Local,
    Remote,
    State,
    Pid,
    Process,
    User,
    Service,
    Age,
    Netns,
    /// `bytes_sent` with `--traffic`.
    Sent,
    /// `bytes_received` with `--traffic`.
    Received,
}

impl Col {
    /// The columns of [`HEADERS`], in order.
    const BASE: [Col; 8] = [
        Col::Proto,
        Col::Local,
        Col::Remote,
        Col::State,
        Col::Pid,
        Col::Process,
        Col::User,
        Col::Service,
    ];

    fn header(self) -> Msg {
        match self {
            Col::Mark => Msg::HeadMark,
            Col::Proto => Msg::HeadProto,
            Col::Local => Msg::HeadLocal,
            Col::Remote => Msg::HeadRemote,
            Col::State => Msg::HeadState,
            Col::Pid => Msg::HeadPid,
            Col::Process => Msg::HeadProcess,
            Col::User => Msg::HeadUser,
            Col::Service => Msg::HeadService,
            Col::Age => Msg::HeadAge,
            Col::Netns => Msg::HeadNetns,
            Col::Sent => Msg::HeadTotalOut,
            Col::Received => Msg::HeadTotalIn,
        }
    }

    /// An address column, shortened in the middle when the screen is narrow.
    fn is_address(self) -> bool {
        matches!(self, Col::Local | Col::Remote)
    }

    /// Content width of the column in a table written row by row, before fitting.
    fn live_width(self) -> u16 {
        match self {
            Col::Mark => 2,
            Col::Proto | Col::Age => 5,
            Col::Local | Col::Remote => 21,
            Col::State => 11,
            Col::Pid => 7,
            Col::Process => 15,
            Col::User | Col::Service => 8,
            Col::Netns | Col::Sent | Col::Received => 10,
        }
    }
}

/// How a whole row is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paint {
    Plain,
    Green,
    Yellow,
    Red,
    Reverse,
}

impl Paint {
    fn apply(self, style: Style, text: &str) -> String {
        match self {
            Paint::Plain => text.to_owned(),
            Paint::Green => style.green(text),
            Paint::Yellow => style.yellow(text),
            Paint::Red => style.red(text),
            Paint::Reverse => style.reverse(text),
        }
    }
}

/// A row's texts, not yet fitted to a layout.
struct Pending {
    /// The marker (`+` new, `-` gone, `*` an alert fired), `None` for a record that is
    /// neither tracked nor alerted.
    mark: Option<String>,
    /// The cells of [`Col::BASE`], then NETNS when shown.
    texts: Vec<String>,
    paint: Paint,
}

/// Collects records and renders them as one table on [`RecordSink::finish`]; or, once
/// the input is known to be a live stream ([`RecordSink::go_live`]), writes each row as it
/// comes in columns of fixed width, with the heading again once per screenful.
///
/// Records carrying `status` (from `prt watch`) or `alerts` (from `prt alert`) get a first
/// column marking them: `+` new, `-` gone, `*` an alert fired.
pub struct TableSink<W: Write> {
    out: W,
    options: TableOptions,
    rows: Vec<Pending>,
    live: Option<Live>,
}

/// The layout of a table written row by row: rows still to come cannot be measured, so
/// the widths come from the screen's.
struct Live {
    /// Every column a row has cells for.
    all: Vec<Col>,
    /// Which of them the screen keeps (the others are dropped by [`STEPS`]).
    keep: Vec<bool>,
    /// The kept columns and their content widths.
    columns: Vec<Col>,
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

    /// The columns for these rows: the marker when any row has one, NETNS when asked for.
    fn columns(&self, rows: &[Pending]) -> Vec<Col> {
        let mark = rows.iter().any(|row| row.mark.is_some());
        let netns = self.options.netns_names.is_some();
        let mut columns: Vec<Col> = Vec::new();
        if mark {
            columns.push(Col::Mark);
        }
        columns.extend(Col::BASE);
        if netns {
            columns.push(Col::Netns);
        }
        if self.options.traffic {
            columns.extend([Col::Sent, Col::Received]);
        }
        columns
    }

    /// Keeps `row` for the table, or writes it at once when live.
    fn push(&mut self, row: Pending) -> io::Result<()> {
        if self.live.is_none() {
            self.rows.push(row);
            return Ok(());
        }
        self.write_live(vec![row])
    }

    /// Writes `rows` in the fixed columns, the heading first when a screenful has passed.
    fn write_live(&mut self, rows: Vec<Pending>) -> io::Result<()> {
        let Some(live) = self.live.as_mut() else {
            return Ok(());
        };
        let screenful = self.options.height.map_or(usize::MAX, |lines| {
            usize::from(lines).saturating_sub(1).max(1)
        });
        for pending in rows {
            let heading = live.since_heading == 0 || live.since_heading >= screenful;
            let (texts, paint) = cells_for(&live.all, pending);
            let cells: Vec<String> = texts
                .into_iter()
                .zip(live.all.iter().zip(&live.keep))
                .filter(|(_, (_, keep))| **keep)
                .zip(&live.widths)
                .map(|((text, (col, _)), &width)| {
                    // An address is shortened in the middle, keeping its port; other
                    // cells are cut at their end by the table.
                    if col.is_address() {
                        shorten_middle(&text, usize::from(width))
                    } else {
                        text
                    }
                })
                .collect();
            let row = painted_row(&cells, paint, self.options.style);
            let text = fixed(vec![row], &live.columns, &live.widths, &self.options).to_string();
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

    /// A pending row from a record read from NDJSON.
    fn raw_row(&self, record: &RawRecord<'_>, marked: bool) -> Pending {
        let cells = super::csv::raw_cells(record);
        let status = record.str(Key::Status);
        let alerts = record.get(Key::Alerts);
        let has_mark = status.is_some() || alerts.is_some();
        let suspicious = !cells.get(16).is_none_or(|cell| cell.is_empty());
        let mut texts = row_texts(&cells, &self.options, !has_mark);
        if self.options.traffic {
            // Records read back are shown without their counters (not yet known fields).
            texts.extend([self.options.style.dim("-"), self.options.style.dim("-")]);
        }
        let fired = marked
            || alerts.is_some_and(|value| {
                matches!(value, RawValue::Array(_)) && !value.cells().is_empty()
            });
        let mark = has_mark.then(|| {
            let status = match status.as_deref() {
                Some("new") => "+",
                Some("gone") => "-",
                _ => "",
            };
            let flag = if suspicious { "!" } else { "" };
            format!("{status}{flag}{}", if fired { "*" } else { "" })
        });
        let paint = if marked {
            Paint::Reverse
        } else {
            match status.as_deref() {
                Some("new") => Paint::Green,
                Some("gone") => Paint::Red,
                _ => Paint::Plain,
            }
        };
        Pending { mark, texts, paint }
    }
}

/// A pending row's cells for `columns` (the marker first when there is one) and its paint.
fn cells_for(columns: &[Col], pending: Pending) -> (Vec<String>, Paint) {
    let mut texts = pending.texts;
    if columns.first() == Some(&Col::Mark) {
        texts.insert(0, pending.mark.unwrap_or_default());
    }
    (texts, pending.paint)
}

fn painted_row(texts: &[String], paint: Paint, style: Style) -> Row {
    let mut row = Row::from(
        texts
            .iter()
            .map(|text| paint.apply(style, text))
            .collect::<Vec<_>>(),
    );
    row.max_height(1);
    row
}

impl<W: Write> RecordSink for TableSink<W> {
    fn write_entry(&mut self, entry: &PortEntry) -> io::Result<()> {
        let mut texts = row_texts(&super::csv::cells(entry), &self.options, true);
        if self.options.traffic {
            let traffic = entry.traffic.unwrap_or_default();
            for bytes in [traffic.bytes_sent, traffic.bytes_received] {
                texts.push(
                    bytes.map_or_else(|| self.options.style.dim("-"), super::traffic::human_bytes),
                );
            }
        }
        self.push(Pending {
            mark: None,
            texts,
            paint: Paint::Plain,
        })
    }

    fn write_raw(&mut self, record: &RawRecord<'_>) -> io::Result<()> {
        let row = self.raw_row(record, false);
        self.push(row)
    }

    fn write_raw_marked(&mut self, record: &RawRecord<'_>, marked: bool) -> io::Result<()> {
        let row = self.raw_row(record, marked);
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
        let all = self.columns(&self.rows);
        let (keep, widths) = live_layout(&all, self.options.width.unwrap_or(100));
        let columns = all
            .iter()
            .zip(&keep)
            .filter(|(_, keep)| **keep)
            .map(|(col, _)| *col)
            .collect();
        self.live = Some(Live {
            all,
            keep,
            columns,
            widths,
            since_heading: 0,
        });
        let rows = std::mem::take(&mut self.rows);
        self.write_live(rows)?;
        self.out.flush()?;
        Ok(true)
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.live.is_none() {
            let rows = std::mem::take(&mut self.rows);
            let columns = self.columns(&rows);
            let rows = rows
                .into_iter()
                .map(|pending| cells_for(&columns, pending))
                .collect();
            let table = fitted(&columns, rows, &self.options);
            writeln!(self.out, "{table}")?;
        }
        self.out.flush()
    }
}

/// A table of `rows` in columns of these content widths, its heading on one line.
fn fixed(rows: Vec<Row>, columns: &[Col], widths: &[u16], options: &TableOptions) -> Table {
    let mut table = plain(columns.iter().map(|c| c.header()), rows, options);
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

/// The terminal columns `text` takes, colour sequences not counted.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        width += c.width().unwrap_or(0);
    }
    width
}

/// `text` cut to `columns` terminal columns (with an ellipsis when cut): a header line.
#[must_use]
pub fn clip(text: &str, columns: usize) -> String {
    if unicode_width::UnicodeWidthStr::width(text) <= columns {
        return text.to_owned();
    }
    let mut clipped = String::new();
    let mut used = 0;
    for c in text.chars() {
        let width = c.width().unwrap_or(0);
        if used + width + 1 > columns {
            break;
        }
        used += width;
        clipped.push(c);
    }
    clipped.push('…');
    clipped
}

/// `line` cut after `columns` terminal columns (a table line at the screen edge); colour escapes are kept and take no room,
/// and the colour is reset after a cut.
#[must_use]
pub fn cut(line: &str, columns: usize) -> String {
    let mut out = String::with_capacity(line.len());
    let mut used = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            out.push(c);
            for c in chars.by_ref() {
                out.push(c);
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        let width = c.width().unwrap_or(0);
        if used + width > columns {
            out.push_str("\x1b[0m");
            break;
        }
        used += width;
        out.push(c);
    }
    out
}

/// An `addr:port` shortened in the middle to `max` columns, the port kept whole:
/// `[2001:db8:0:0:0:0:0:1]:443` -> `[2001:db…0:1]:443`.
fn shorten_middle(text: &str, max: usize) -> String {
    if visible_width(text) <= max {
        return text.to_owned();
    }
    let (body, port) = text.rfind(':').map_or((text, ""), |at| text.split_at(at));
    let port_width = visible_width(port);
    let (body, port) = if port_width + 3 <= max {
        (body, port)
    } else {
        (text, "")
    };
    let room = max.saturating_sub(visible_width(port) + 1);
    let head_room = room.div_ceil(2);
    let tail_room = room - head_room;
    let mut head = String::new();
    let mut used = 0;
    for c in body.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_room {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in body.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_room {
            break;
        }
        used += w;
        tail.push(c);
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{head}…{tail}{port}")
}

/// A record's cells in CSV [`HEADER`](super::csv::HEADER) order as the texts of the
/// [`HEADERS`] columns (and NETNS when asked for), so typed entries and records read from
/// NDJSON look the same.
fn row_texts(cells: &[Cow<'_, str>], options: &TableOptions, flag: bool) -> Vec<String> {
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
    // Without a marker column, PROCESS carries the suspicious flag; with one, the marker
    // says `!` and PROCESS keeps its width for the name.
    if flag && !cell(16).is_empty() {
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

mod layout;
#[cfg(test)]
mod tests;
mod tracked;

pub(crate) use layout::plain;
use layout::{fitted, live_layout};
use tracked::endpoint_text;
pub use tracked::{TRACKED_HEADERS, TrackedTable, render_tracked};
