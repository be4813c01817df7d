//! The per-process (or per-remote) traffic table of `prt watch --traffic --by`: one row per
//! [`Group`], highest current rate first, byte counts in binary units (KiB/s, MiB).
//!
//! Output stage: it lays out groups the library computed ([`crate::traffic`]) for a screen
//! of a given width; machine formats write the [`Group`] records themselves, with plain
//! numbers.

use unicode_width::UnicodeWidthStr as _;

use super::{Style, sanitize, table};
use crate::i18n::{self, Msg};
use crate::traffic::{Group, GroupBy};

/// `512 B`, `1.5 KiB`, `23.4 MiB`, `1.2 GiB`: binary units, one decimal below 100.
#[must_use]
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    #[allow(
        clippy::cast_precision_loss,
        reason = "a display with three significant digits"
    )]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1.5 MiB/s`; `-` when there is no rate yet.
#[must_use]
pub fn human_rate(rate: Option<u64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{}/s", human_bytes(r)))
}

/// A column of the traffic table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Pid,
    Process,
    User,
    Container,
    Remote,
    Conns,
    RateIn,
    RateOut,
    TotalIn,
    TotalOut,
}

impl Col {
    fn header(self) -> Msg {
        match self {
            Col::Pid => Msg::HeadPid,
            Col::Process => Msg::HeadProcess,
            Col::User => Msg::HeadUser,
            Col::Container => Msg::HeadContainer,
            Col::Remote => Msg::HeadRemote,
            Col::Conns => Msg::HeadConns,
            Col::RateIn => Msg::HeadRateIn,
            Col::RateOut => Msg::HeadRateOut,
            Col::TotalIn => Msg::HeadTotalIn,
            Col::TotalOut => Msg::HeadTotalOut,
        }
    }

    /// Numbers are right-aligned so their units line up.
    fn right(self) -> bool {
        !matches!(
            self,
            Col::Process | Col::User | Col::Container | Col::Remote
        )
    }

    /// The widest a text column grows; longer names are clipped.
    fn max_width(self) -> usize {
        match self {
            Col::Process | Col::Remote => 39,
            Col::User | Col::Container => 16,
            _ => usize::MAX,
        }
    }

    fn text(self, group: &Group) -> String {
        match self {
            Col::Pid => group.pid.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            Col::Process => match (&group.process, group.pid, group.uid) {
                (Some(name), _, _) => sanitize::terminal(name).into_owned(),
                (None, None, Some(uid)) => i18n::trf(Msg::HiddenOwner, &[&uid]),
                _ => "-".to_owned(),
            },
            Col::User => group
                .user
                .as_deref()
                .map_or_else(|| "-".to_owned(), |u| sanitize::terminal(u).into_owned()),
            Col::Container => group
                .container
                .as_deref()
                .map_or_else(|| "-".to_owned(), |c| sanitize::terminal(c).into_owned()),
            Col::Remote => group
                .remote_addr
                .map_or_else(|| "-".to_owned(), |a| a.to_string()),
            Col::Conns => group.connections.to_string(),
            Col::RateIn => human_rate(group.rate_received),
            Col::RateOut => human_rate(group.rate_sent),
            Col::TotalIn => human_bytes(group.bytes_received),
            Col::TotalOut => human_bytes(group.bytes_sent),
        }
    }
}

/// The columns for `by`, most important first; the ones after the first
/// [`KEPT`] go first when the screen is narrow (containers, then users, then totals).
fn columns(by: GroupBy) -> Vec<Col> {
    match by {
        GroupBy::Process => vec![
            Col::Pid,
            Col::Process,
            Col::RateIn,
            Col::RateOut,
            Col::Conns,
            Col::TotalIn,
            Col::TotalOut,
            Col::User,
            Col::Container,
        ],
        GroupBy::Remote => vec![
            Col::Remote,
            Col::RateIn,
            Col::RateOut,
            Col::Conns,
            Col::TotalIn,
            Col::TotalOut,
        ],
    }
}

/// Columns never dropped for width.
const KEPT: usize = 4;

/// Where each column appears on screen, whatever order they are dropped in.
fn screen_order(col: Col) -> u8 {
    match col {
        Col::Pid | Col::Remote => 0,
        Col::Process => 1,
        Col::User => 2,
        Col::Container => 3,
        Col::Conns => 4,
        Col::RateIn => 5,
        Col::RateOut => 6,
        Col::TotalIn => 7,
        Col::TotalOut => 8,
    }
}

/// The table of `groups` for a screen `width` columns wide (`None`: no limit): a heading
/// line and one line per group, columns separated by two spaces. Columns are dropped,
/// least useful first, until it fits; the container column only appears when some group
/// has a container.
#[must_use]
pub fn render(groups: &[Group], by: GroupBy, width: Option<u16>, style: Style) -> String {
    let mut cols = columns(by);
    if groups.iter().all(|g| g.container.is_none()) {
        cols.retain(|&c| c != Col::Container);
    }
    let texts: Vec<Vec<String>> = groups
        .iter()
        .map(|g| cols.iter().map(|c| c.text(g)).collect())
        .collect();
    let mut widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(at, col)| {
            let heading = i18n::tr(col.header()).width();
            let widest = texts.iter().map(|row| row[at].width()).max().unwrap_or(0);
            heading.max(widest).min(col.max_width().max(heading))
        })
        .collect();
    let total =
        |widths: &[usize]| widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    let limit = width.map_or(usize::MAX, usize::from);
    let mut shown: Vec<usize> = (0..cols.len()).collect();
    while total(&shown.iter().map(|&at| widths[at]).collect::<Vec<_>>()) > limit
        && shown.len() > KEPT
    {
        shown.pop();
    }
    shown.sort_by_key(|&at| screen_order(cols[at]));
    // A name column takes what room is left rather than pushing numbers off the screen.
    if let Some(&name) = shown
        .iter()
        .find(|&&at| matches!(cols[at], Col::Process | Col::Remote))
    {
        let others: usize = shown
            .iter()
            .filter(|&&at| at != name)
            .map(|&at| widths[at])
            .sum();
        let room = limit.saturating_sub(others + 2 * shown.len().saturating_sub(1));
        widths[name] = widths[name].min(room.max(8));
    }
    let line = |cells: Vec<String>| -> String {
        let mut text = String::new();
        for (index, (&at, cell)) in shown.iter().zip(cells).enumerate() {
            if index > 0 {
                text.push_str("  ");
            }
            let cell = table::clip(&cell, widths[at]);
            let pad = widths[at].saturating_sub(cell.width());
            if cols[at].right() {
                text.push_str(&" ".repeat(pad));
                text.push_str(&cell);
            } else if index + 1 < shown.len() {
                text.push_str(&i18n::pad(&cell, widths[at]));
            } else {
                text.push_str(&cell);
            }
        }
        text.trim_end().to_owned()
    };
    let mut out = String::new();
    let heading = line(
        shown
            .iter()
            .map(|&at| i18n::tr(cols[at].header()).to_owned())
            .collect(),
    );
    out.push_str(&style.bold(&heading));
    out.push('\n');
    for (group, row) in groups.iter().zip(&texts) {
        let text = line(shown.iter().map(|&at| row[at].clone()).collect());
        // The busiest rows stand out; idle ones (no rate now) are dimmed.
        let text = if group.rate() > 0 {
            text
        } else {
            style.dim(&text)
        };
        out.push_str(&text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn group(pid: Option<u32>, name: Option<&str>, rate: Option<u64>, total: u64) -> Group {
        Group {
            by: GroupBy::Process,
            pid,
            process: name.map(Into::into),
            user: Some("root".into()),
            uid: Some(0),
            container: None,
            remote_addr: None,
            pids: pid.into_iter().collect(),
            connections: 2,
            rate_sent: rate,
            rate_received: rate.map(|r| r / 2),
            bytes_sent: total,
            bytes_received: total / 2,
            seq: 1,
            ts: Timestamp::from_unix(0),
        }
    }

    #[test]
    fn binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(50 * 1024 * 1024), "50.0 MiB");
        assert_eq!(human_bytes(300 * 1024 * 1024), "300 MiB");
        assert_eq!(human_rate(Some(2 * 1024 * 1024)), "2.0 MiB/s");
        assert_eq!(human_rate(None), "-");
    }

    #[test]
    fn rows_in_order_with_hidden_owners_named_by_uid() {
        let groups = [
            group(Some(42), Some("curl"), Some(1_048_576), 10_485_760),
            group(None, None, Some(0), 100),
        ];
        let text = render(&groups, GroupBy::Process, None, Style::default());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("PID"), "{text}");
        assert!(lines[0].contains("RATE OUT"), "{text}");
        assert!(
            lines[1].contains("curl") && lines[1].contains("1.0 MiB/s"),
            "{text}"
        );
        assert!(lines[1].contains("10.0 MiB"), "{text}");
        assert!(lines[2].contains("(hidden, uid 0)"), "{text}");
    }

    #[test]
    fn narrow_screens_drop_totals_and_users_but_keep_the_rates() {
        let groups = [group(Some(42), Some("a-long-process-name"), Some(10), 10)];
        let text = render(&groups, GroupBy::Process, Some(50), Style::default());
        for line in text.lines() {
            assert!(line.width() <= 50, "{line:?}");
        }
        assert!(
            text.contains("RATE IN") && text.contains("RATE OUT"),
            "{text}"
        );
        assert!(!text.contains("USER"), "{text}");
    }
}
