//! `prt watch --traffic --by process|remote`: traffic per process (or per remote address)
//! instead of per socket.
//!
//! A child of the watch command so it shares its pacing, signals and full-screen handling
//! (`Ticks`, `LiveScreen`, `Source`) without widening their visibility. The grouping is the
//! library's ([`crate::traffic`]); the table is [`crate::output::traffic`]. On a terminal:
//! a live table, busiest group first, redrawn every scan. Otherwise (or with `--ndjson`):
//! one [`crate::traffic::Group`] record per group per scan, flushed after each scan.

use std::io::Write as _;

use super::{Args, LiveScreen, Source, Tick, Ticks, screen_size};
use crate::cli::common::Ctx;
use crate::cli::exit::Exit;
use crate::i18n::{self, Msg};
use crate::model::Timestamp;
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
    let mut source = Source::new(options, ctx, query);
    let mut aggregator = Aggregator::new(by);
    // One scan: the groups, when, and the scan's number.
    let mut observe = |source: &mut Source| -> anyhow::Result<(Vec<Group>, Timestamp, u64)> {
        let now = Timestamp::now();
        let changes = source.next(ctx, now)?;
        let seq = source.tracker().seq();
        Ok((aggregator.observe(&changes, seq, now), now, seq))
    };
    if args.ndjson || !ctx.stdout_tty {
        let mut out = ctx.stdout();
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
    let mut screen = LiveScreen::enter(ctx.stdout())?;
    let mut last: Option<(Vec<Group>, Timestamp, u64)> = None;
    loop {
        match ticks.next() {
            Tick::End => break,
            Tick::Suspend => screen.suspend()?,
            Tick::Redraw => {}
            Tick::Scan => last = Some(observe(&mut source)?),
        }
        if let Some((groups, now, seq)) = &last {
            let header = i18n::trf(
                Msg::TrafficHeader,
                &[
                    now,
                    seq,
                    &groups.len(),
                    &crate::duration::exact(args.interval()),
                ],
            );
            screen.draw(&frame(&header, groups, by, screen_size(ctx), style))?;
        }
    }
    screen.leave()?;
    Ok(Ticks::exit())
}

/// One screenful: the header, the table's heading and as many groups as fit, then a
/// "+N more" line for the rest.
fn frame(
    header: &str,
    groups: &[Group],
    by: GroupBy,
    (columns, lines): (u16, u16),
    style: Style,
) -> String {
    let lines = usize::from(lines.max(3));
    let width = usize::from(columns);
    // The header, the heading, and a line kept for "+N more" when not all fit.
    let shown = if groups.len() + 2 <= lines {
        groups.len()
    } else {
        lines - 3
    };
    let mut frame = style.bold(&table::clip(header, width));
    frame.push('\n');
    for line in traffic_table::render(&groups[..shown], by, Some(columns), style).lines() {
        frame.push_str(&table::cut(line, width));
        frame.push('\n');
    }
    if shown < groups.len() {
        let more = i18n::trf(Msg::MoreRows, &[&(groups.len() - shown)]);
        frame.push_str(&style.dim(&table::clip(&more, width)));
        frame.push('\n');
    }
    frame
}
