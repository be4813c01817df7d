//! How a table fits a width: which columns go first, how wide each is, for whole tables
//! and for tables written row by row.

use super::*;
use crate::i18n::{self, Msg};
use crate::output::TableOptions;
use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Row, Table};

/// The columns kept and their content widths for a table written row by row on a screen
/// `width` columns wide. Rows still to come cannot be measured, so each column starts at
/// what typical rows need (`tcp`, `127.0.0.1:8080`, `ESTABLISHED`, a pid); a narrow screen
/// then takes the [`STEPS`] of whole tables (shorter addresses, then SERVICE, USER, REMOTE
/// dropped; never PROCESS or the port), short of cutting addresses to a stub; what still
/// does not fit is squeezed ([`live_widths`]), and room left over goes to the process and
/// the remote address.
pub(super) fn live_layout(columns: &[Col], width: u16) -> (Vec<bool>, Vec<u16>) {
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
pub(super) fn live_widths(columns: &[Col], mut widths: Vec<u16>, width: u16) -> Vec<u16> {
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
pub(super) enum Step {
    Shorten(usize),
    Drop(Col),
    /// REMOTE, when every row is a listener (it says only `*`).
    DropListenersRemote,
}

pub(super) const STEPS: [Step; 10] = [
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
pub(super) struct Layout {
    keep: Vec<bool>,
    /// Addresses wider than this are shortened in the middle.
    address_cap: Option<usize>,
}

/// The layout of `rows` (cells of `columns`) on a screen `width` columns wide: every
/// column when it fits, else the [`STEPS`] taken one by one until it does.
pub(super) fn layout(columns: &[Col], rows: &[Vec<String>], width: Option<u16>) -> Layout {
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
pub(super) fn fitted(
    columns: &[Col],
    rows: Vec<(Vec<String>, Paint)>,
    options: &TableOptions,
) -> Table {
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
pub(crate) fn plain(
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
