//! The table of tracked records (`prt watch`, and `prt filter` of a changelog): status
//! markers, AGE, laid out whole or a window at a time for the live view.

use super::*;
use crate::i18n::Msg;
use crate::model::{Status, Timestamp, TrackedEntry};
use crate::output::{TableOptions, sanitize};
use std::ops::Range;

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
                let mut texts =
                    row_texts(&crate::output::csv::cells(&record.entry), options, false);
                // A socket known only from its destroy event has no age.
                let age = record.first_seen.map(|seen| seen.until(now));
                texts.insert(
                    Col::BASE.len(),
                    age.map_or_else(|| "-".to_owned(), short_duration),
                );
                let age = age.unwrap_or_default();
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
pub(super) fn marker(record: &TrackedEntry) -> String {
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
pub(super) fn endpoint_text(addr: &str, port: &str, interface: &str) -> String {
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
