//! `prt watch --traffic --by process|remote`: traffic per process (or per remote address)
//! instead of per socket.
//!
//! A child of the watch command so it shares its pacing, signals and full-screen handling
//! (`Ticks`, `Source`, the live view of [`crate::cli::live`]) without widening their
//! visibility. The grouping is the
//! library's ([`crate::traffic`]); the table is [`crate::output::traffic`]. On a terminal:
//! a live table, busiest group first, redrawn every scan, with the live view's keys. Otherwise (or with `--ndjson`):
//! one [`crate::traffic::Group`] record per group per scan, flushed after each scan.

use std::io::Write as _;

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

use super::{Args, Source, Tick, Ticks, run_live};
use crate::cli::common::Ctx;
use crate::cli::exit::Exit;
use crate::cli::live::Rows;
use crate::i18n::{self, Msg};
use crate::model::{PortEntry, Proto, State, Timestamp};
use crate::output::{Style, ndjson, table, traffic as traffic_table};
use crate::query::Query;
use crate::traffic::{Aggregator, Group, GroupBy};

/// Runs the grouped watch until the count is reached or a signal ends it.
pub(super) fn run(
    args: &Args,
    ctx: &Ctx,
    query: Option<Query>,
    ticks: &mut Ticks,
    by: GroupBy,
) -> anyhow::Result<Exit> {
    let mut options = args.sockets.options();
    options.traffic = true;
    let mut source = Source::new(options, ctx, query, 0);
    let mut aggregator = Aggregator::new(by);
    // One scan: the groups, when, and the scan's number.
    let mut observe = |source: &mut Source| -> anyhow::Result<(Vec<Group>, Timestamp, u64)> {
        let now = Timestamp::now();
        let changes = source.next(ctx, now)?;
        let seq = source.tracker().seq();
        Ok((aggregator.observe(&changes, seq, now), now, seq))
    };
    if args.ndjson || !ctx.stdout_tty {
        let mut out = args.host.wrap(ctx.stdout())?;
        let mut buffer = Vec::with_capacity(256);
        while ticks.next() == Tick::Scan {
            let (groups, _, _) = observe(&mut source)?;
            for group in &groups {
                ndjson::write_line(&mut out, group, &mut buffer)?;
            }
            out.flush()?;
        }
        return Ok(Ticks::exit());
    }
    let style = Style {
        enabled: ctx.colour(args.color),
    };
    ticks.follow_the_terminal()?;
    run_live(ticks, ctx, style, || {
        let (groups, now, seq) = observe(&mut source)?;
        let interval = crate::duration::exact(args.interval());
        let header = i18n::trf(Msg::TrafficHeader, &[&now, &seq, &groups.len(), &interval]);
        Ok(GroupRows::new(groups, by, header, style))
    })
}

/// The sort columns of the grouped view, its first the default. Unreversed, each puts the
/// most first: the busiest group leads, as in bandwhich.
const SORTS: [Msg; 5] = [
    Msg::HeadRateOut,
    Msg::HeadRateIn,
    Msg::HeadTotalOut,
    Msg::HeadTotalIn,
    Msg::HeadConns,
];

/// One scan's groups as rows of the live view: sorted, filtered, selected like sockets.
/// Each group stands for a record of its process (or remote address), so the filter
/// language, Enter (detail) and `k` (kill) work on it as on a socket's row.
struct GroupRows {
    groups: Vec<Group>,
    /// A record per group: its pid, process, user, container and remote address.
    records: Vec<PortEntry>,
    shown: Vec<usize>,
    by: GroupBy,
    header: String,
    style: Style,
}

impl GroupRows {
    fn new(groups: Vec<Group>, by: GroupBy, header: String, style: Style) -> GroupRows {
        let records = groups.iter().map(record_of).collect();
        GroupRows {
            shown: (0..groups.len()).collect(),
            groups,
            records,
            by,
            header,
            style,
        }
    }
}

/// What a group is, as a record the filter language and the acting keys understand.
fn record_of(group: &Group) -> PortEntry {
    let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
    let mut record = PortEntry::new(Proto::Tcp, unspecified, State::Established);
    record.pid = group.pid;
    record.pids.clone_from(&group.pids);
    record.process.clone_from(&group.process);
    record.user.clone_from(&group.user);
    record.uid = group.uid;
    record.container.clone_from(&group.container);
    record.remote_addr = group.remote_addr;
    record
}

impl Rows for GroupRows {
    fn header(&self, width: usize) -> String {
        table::clip(&self.header, width)
    }

    fn sort_names(&self) -> Vec<&'static str> {
        SORTS.iter().map(|&name| i18n::tr(name)).collect()
    }

    fn arrange(&mut self, column: usize, reverse: bool, filter: Option<&Query>) {
        let records = &self.records;
        self.shown = (0..records.len())
            .filter(|&i| filter.is_none_or(|q| q.matches(&records[i])))
            .collect();
        let key = |g: &Group| match SORTS.get(column) {
            Some(Msg::HeadRateIn) => g.rate_received.unwrap_or(0),
            Some(Msg::HeadTotalOut) => g.bytes_sent,
            Some(Msg::HeadTotalIn) => g.bytes_received,
            Some(Msg::HeadConns) => g.connections as u64,
            _ => g.rate_sent.unwrap_or(0),
        };
        let groups = &self.groups;
        // The most first; ties in the order the library gave (busiest overall first).
        self.shown
            .sort_by(|&a, &b| key(&groups[b]).cmp(&key(&groups[a])));
        if reverse {
            self.shown.reverse();
        }
    }

    fn len(&self) -> usize {
        self.shown.len()
    }

    fn table(&self, width: u16, window: Range<usize>) -> String {
        let rows: Vec<Group> = self.shown[window]
            .iter()
            .map(|&i| self.groups[i].clone())
            .collect();
        let text = traffic_table::render(&rows, self.by, Some(width), self.style);
        if rows.is_empty() {
            // The heading alone: a window with no rows still has one.
            text.lines().next().unwrap_or_default().to_owned()
        } else {
            text
        }
    }

    fn entry(&self, index: usize) -> Option<&PortEntry> {
        self.shown.get(index).map(|&i| &self.records[i])
    }

    fn id(&self, index: usize) -> Option<u64> {
        let group = &self.groups[*self.shown.get(index)?];
        match (group.pid, group.remote_addr, group.uid) {
            (Some(pid), _, _) => Some(u64::from(pid)),
            (None, Some(IpAddr::V4(v4)), _) => Some(u64::from(v4.to_bits())),
            // Folded to 64 bits: an identity for the selection to follow, nothing more.
            (None, Some(IpAddr::V6(v6)), _) => {
                let bits = v6.to_bits();
                Some((bits >> 64) as u64 ^ bits as u64)
            }
            (None, None, uid) => uid.map(|uid| u64::from(uid) | 1 << 63),
        }
    }
}
