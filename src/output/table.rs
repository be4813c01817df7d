//! The table people read: one row per socket, fitted to the terminal width.
//!
//! A table too wide for the screen loses whole columns, the least useful first (NETNS,
//! SERVICE, USER, then REMOTE when every row is a listener, then AGE), and shortens long
//! addresses in the middle (`[2001:db8…:1]:443`); the marker, PROTO, LOCAL, STATE, PID and
//! PROCESS stay, and a process name is never cut.

use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Row, Table};
use unicode_width::UnicodeWidthChar as _;

use super::{RecordSink, Style, TableOptions, sanitize};
pub use crate::duration::age as short_duration;
use crate::i18n::{self, Msg};
pub use crate::model::endpoint;
use crate::model::{PortEntry, Status, Timestamp, TrackedEntry};
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
        let mut texts = row_texts(&super::csv::raw_cells(record), &self.options);
        if self.options.traffic {
            // Records read back are shown without their counters (not yet known fields).
            texts.extend([self.options.style.dim("-"), self.options.style.dim("-")]);
        }
        let status = record.str(Key::Status);
        let alerts = record.get(Key::Alerts);
        let fired = marked
            || alerts.is_some_and(|value| {
                matches!(value, RawValue::Array(_)) && !value.cells().is_empty()
            });
        let mark = (status.is_some() || alerts.is_some()).then(|| {
            let status = match status.as_deref() {
                Some("new") => "+",
                Some("gone") => "-",
                _ => "",
            };
            format!("{status}{}", if fired { "*" } else { "" })
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
        let mut texts = row_texts(&super::csv::cells(entry), &self.options);
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

/// The columns kept and their content widths for a table written row by row on a screen
/// `width` columns wide. Rows still to come cannot be measured, so each column starts at
/// what typical rows need (`tcp`, `127.0.0.1:8080`, `ESTABLISHED`, a pid); a narrow screen
/// then takes the [`STEPS`] of whole tables (shorter addresses, then SERVICE, USER, REMOTE
/// dropped; never PROCESS or the port), short of cutting addresses to a stub; what still
/// does not fit is squeezed ([`live_widths`]), and room left over goes to the process and
/// the remote address.
fn live_layout(columns: &[Col], width: u16) -> (Vec<bool>, Vec<u16>) {
    let mut keep = vec![true; columns.len()];
    let mut cap: Option<u16> = None;
    let natural = |col: Col, cap: Option<u16>| match cap {
        Some(cap) if col.is_address() => col.live_width().min(cap),
        _ => col.live_width(),
    };
    let need = |keep: &[bool], cap: Option<u16>| -> u16 {
        let kept: Vec<Col> = columns
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| *c)
            .collect();
        let padding = (kept.len() * 2).saturating_sub(1) as u16;
        kept.iter().map(|&c| natural(c, cap)).sum::<u16>() + padding
    };
    for step in STEPS {
        if need(&keep, cap) <= width {
            break;
        }
        match step {
            // An address cut to a stub says nothing: squeezing does better.
            Step::Shorten(max) if max < 12 => break,
            Step::Shorten(max) => cap = Some(max as u16),
            Step::Drop(col) => {
                if let Some(index) = columns.iter().position(|&c| c == col) {
                    keep[index] = false;
                }
            }
            // Rows still to come may be connections: a stream keeps REMOTE this long.
            Step::DropListenersRemote => {}
        }
    }
    let kept: Vec<Col> = columns
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| *c)
        .collect();
    let starting: Vec<u16> = kept.iter().map(|&c| natural(c, cap)).collect();
    (keep, live_widths(&kept, starting, width))
}

/// Content widths of `columns`, starting from `widths`, on a screen `width` columns wide:
/// the remote, user and service squeezed first, then the state and the local address (the
/// process last), and the room left over given to the process and the remote address.
fn live_widths(columns: &[Col], mut widths: Vec<u16>, width: u16) -> Vec<u16> {
    // The first column is padded on its right only, the others on both sides.
    let padding = (columns.len() * 2).saturating_sub(1) as u16;
    let room = width.saturating_sub(padding);
    // Who gives room, in turn, and down to how many columns: the least useful first; a
    // state keeps `LISTEN`, an address its port; the process last of all.
    let phases: [(&[Col], u16); 5] = [
        (&[Col::Remote, Col::User, Col::Service, Col::Netns], 4),
        (&[Col::State], 8),
        (&[Col::Local], 9),
        (&[Col::State, Col::Local, Col::Pid, Col::Proto], 4),
        (&[Col::Process], 4),
    ];
    let position = |col: Col| columns.iter().position(|&c| c == col);
    for (givers, floor) in phases {
        while widths.iter().sum::<u16>() > room {
            // The widest that can still give room gives one column of it.
            let Some(index) = givers
                .iter()
                .filter_map(|&col| position(col))
                .filter(|&i| widths[i] > floor)
                .max_by_key(|&i| widths[i])
            else {
                break;
            };
            widths[index] -= 1;
        }
    }
    let spare = room.saturating_sub(widths.iter().sum());
    match (position(Col::Process), position(Col::Remote)) {
        (Some(process), Some(remote)) => {
            widths[process] += spare / 2;
            widths[remote] += spare - spare / 2;
        }
        (Some(only), None) | (None, Some(only)) => widths[only] += spare,
        (None, None) => {}
    }
    widths
}

/// What a table too wide for its screen gives up, in order, until it fits: a drop of a
/// column, or shortening the addresses to no less than so many columns.
#[derive(Debug, Clone, Copy)]
enum Step {
    Shorten(usize),
    Drop(Col),
    /// REMOTE, when every row is a listener (it says only `*`).
    DropListenersRemote,
}

const STEPS: [Step; 10] = [
    // Only IPv6 addresses are this long: they give room before any column goes.
    Step::Shorten(24),
    Step::Drop(Col::Netns),
    Step::Drop(Col::Service),
    Step::Shorten(18),
    Step::Drop(Col::User),
    Step::DropListenersRemote,
    Step::Drop(Col::Age),
    Step::Shorten(12),
    Step::Drop(Col::Remote),
    Step::Shorten(4),
];

/// Which columns a table keeps and how wide its addresses may be.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    keep: Vec<bool>,
    /// Addresses wider than this are shortened in the middle.
    address_cap: Option<usize>,
}

/// The layout of `rows` (cells of `columns`) on a screen `width` columns wide: every
/// column when it fits, else the [`STEPS`] taken one by one until it does.
fn layout(columns: &[Col], rows: &[Vec<String>], width: Option<u16>) -> Layout {
    let natural: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(index, col)| {
            rows.iter()
                .filter_map(|row| row.get(index))
                .map(|text| visible_width(text))
                .chain([visible_width(i18n::tr(col.header()))])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut keep = vec![true; columns.len()];
    let Some(width) = width.map(usize::from) else {
        return Layout {
            keep,
            address_cap: None,
        };
    };
    let listeners_only = columns
        .iter()
        .position(|&c| c == Col::Remote)
        .is_some_and(|remote| {
            rows.iter()
                .all(|row| row.get(remote).is_none_or(|t| t == "*"))
        });
    // The width with these columns and addresses no wider than `cap`.
    let total = |keep: &[bool], cap: usize| {
        let kept = keep.iter().filter(|&&k| k).count();
        let content: usize = columns
            .iter()
            .zip(&natural)
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|((col, &w), _)| if col.is_address() { w.min(cap) } else { w })
            .sum();
        content + (kept * 2).saturating_sub(1)
    };
    // The widest address cap, no less than `floor`, with which the table fits.
    let fit = |keep: &[bool], floor: usize| -> Option<Option<usize>> {
        if total(keep, usize::MAX) <= width {
            return Some(None);
        }
        let widest = columns
            .iter()
            .zip(&natural)
            .zip(keep)
            .filter(|((col, _), k)| **k && col.is_address())
            .map(|((_, &w), _)| w)
            .max()?;
        (floor..widest)
            .rev()
            .find(|&cap| total(keep, cap) <= width)
            .map(Some)
    };
    let mut floor = usize::MAX;
    let drop = |keep: &mut Vec<bool>, col: Col| {
        if let Some(index) = columns.iter().position(|&c| c == col) {
            keep[index] = false;
        }
    };
    for step in STEPS {
        if let Some(address_cap) = fit(&keep, floor) {
            return Layout { keep, address_cap };
        }
        match step {
            Step::Shorten(to) => floor = to,
            Step::Drop(col) => drop(&mut keep, col),
            Step::DropListenersRemote if listeners_only => drop(&mut keep, Col::Remote),
            Step::DropListenersRemote => {}
        }
    }
    let address_cap = fit(&keep, floor).unwrap_or(Some(floor));
    Layout { keep, address_cap }
}

/// A table of `rows` (cells of `columns`, each with its paint) laid out for the width
/// `options` give: columns dropped and addresses shortened as [`layout`] says, the
/// columns a row is read by never squeezed.
fn fitted(columns: &[Col], rows: Vec<(Vec<String>, Paint)>, options: &TableOptions) -> Table {
    let texts: Vec<Vec<String>> = rows.iter().map(|(texts, _)| texts.clone()).collect();
    let Layout { keep, address_cap } = layout(columns, &texts, options.width);
    let kept: Vec<Col> = columns
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| *c)
        .collect();
    let style = options.style;
    let rows = rows
        .into_iter()
        .map(|(texts, paint)| {
            let cells: Vec<String> = texts
                .into_iter()
                .zip(columns.iter().zip(&keep))
                .filter(|(_, (_, k))| **k)
                .map(|(text, (col, _))| match address_cap {
                    Some(cap) if col.is_address() => shorten_middle(&text, cap),
                    _ => text,
                })
                .collect();
            painted_row(&cells, paint, style)
        })
        .collect();
    let mut table = plain(kept.iter().map(|c| c.header()), rows, options);
    // A narrow screen cuts headings rather than stacking them letter by letter.
    if let Some(header) = table.header() {
        let mut header = header.clone();
        header.max_height(1);
        table.set_header(header);
    }
    for (index, col) in kept.iter().enumerate() {
        let whole = matches!(
            col,
            Col::Mark | Col::Proto | Col::State | Col::Pid | Col::Process
        ) || (col.is_address() && address_cap.is_none());
        if whole && let Some(column) = table.column_mut(index) {
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
    TrackedTable::new(records, now, options).window(0..records.len(), options)
}

/// The cells of [`render_tracked`]'s table, made once, from which any window of rows can
/// be laid out as the whole table would be ([`TrackedTable::window`]).
pub struct TrackedTable {
    columns: Vec<Col>,
    rows: Vec<(Vec<String>, Paint)>,
    /// The rows the layout depends on: the widest cell of each column, and a row with a
    /// remote end (whether every row is a listener).
    deciding: Vec<usize>,
}

impl TrackedTable {
    /// The cells of `records` as of `now`.
    #[must_use]
    pub fn new(records: &[&TrackedEntry], now: Timestamp, options: &TableOptions) -> Self {
        let mut columns = vec![Col::Mark];
        columns.extend(Col::BASE);
        columns.push(Col::Age);
        if options.netns_names.is_some() {
            columns.push(Col::Netns);
        }
        let rows: Vec<(Vec<String>, Paint)> = records
            .iter()
            .map(|record| {
                let age = record.first_seen.until(now);
                let mut texts = row_texts(&super::csv::cells(&record.entry), options);
                texts.insert(Col::BASE.len(), short_duration(age));
                texts.insert(0, marker(record));
                let paint = match record.status {
                    Status::New => Paint::Green,
                    Status::Gone => Paint::Red,
                    Status::Unchanged if age.as_secs() >= 86_400 => Paint::Red,
                    Status::Unchanged if age.as_secs() >= 3_600 => Paint::Yellow,
                    Status::Unchanged => Paint::Plain,
                };
                (texts, paint)
            })
            .collect();
        let width_of =
            |row: usize, col: usize| rows[row].0.get(col).map_or(0, |t| visible_width(t));
        let mut deciding: Vec<usize> = (0..columns.len())
            .filter_map(|col| (0..rows.len()).max_by_key(|&row| width_of(row, col)))
            .collect();
        if let Some(remote) = columns.iter().position(|&c| c == Col::Remote)
            && let Some(row) = rows
                .iter()
                .position(|(texts, _)| texts.get(remote).is_some_and(|t| t != "*"))
        {
            deciding.push(row);
        }
        deciding.sort_unstable();
        deciding.dedup();
        TrackedTable {
            columns,
            rows,
            deciding,
        }
    }

    /// Rows `window` laid out for `options`' width as the whole table would be (the same
    /// columns kept, addresses cut alike, the same widths), its heading first. Only those
    /// rows are rendered, and the deciding ones unseen after them: a screenful of 20 000
    /// sockets costs about what one of 20 does.
    #[must_use]
    pub fn window(&self, window: Range<usize>, options: &TableOptions) -> String {
        let window = window.start.min(self.rows.len())..window.end.min(self.rows.len());
        let unseen: Vec<usize> = self
            .deciding
            .iter()
            .copied()
            .filter(|row| !window.contains(row))
            .collect();
        let picked: Vec<(Vec<String>, Paint)> = window
            .clone()
            .chain(unseen.iter().copied())
            .map(|row| self.rows[row].clone())
            .collect();
        let text = fitted(&self.columns, picked, options).to_string();
        // Every row is one line: the unseen ones are the last lines.
        let lines: Vec<&str> = text.lines().collect();
        lines[..lines.len().saturating_sub(unseen.len())].join("\n")
    }
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
mod tests;
