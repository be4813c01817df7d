//! `prt watch [OPTIONS]`: scan every interval and report what changed.
//!
//! On a terminal: a live table, redrawn in place on the alternate screen and laid out for
//! the terminal's size on every frame (header pinned, rows fitted to the height with a
//! "+N more" line), new rows green and marked `+`, gone rows red and marked `-` for 5 s.
//! Keys steer it (`q` quit, `s`/`S` sort, `/` filter, `p` pause, arrows select, Enter
//! detail, `k` kill: see `cli::live`, which holds the view; this module feeds it rows).
//! Ctrl-C and SIGTERM give the terminal back as it was; Ctrl-Z gives it back before
//! stopping and `fg` redraws. Otherwise (or with `--ndjson`): a changelog of TrackedEntry
//! records — the first scan as `new`, then only `new`, `gone` and state changes (`--full`:
//! every socket every scan) — flushed after each scan so the next stage sees it at once.
//! Exit: 0, 2 on error, 128 + the signal's number when SIGINT (130) or SIGTERM (143) ended
//! it, as a shell expects. With `--traffic` records carry TCP counters and rates; `--by`
//! groups them per process or remote address (`watch::by`).
//!
//! On Linux the changelog and the live view also follow the kernel's event sources
//! (`watch::events`): a socket destroyed between two scans is its `gone` record at once,
//! written and flushed as it is read, with `source: "event"` (scan records then say
//! `source: "scan"`); as root a TCP connection or listener is its `new` record as it
//! begins, with its process (the tracepoint); `--no-events` keeps to the scans.

mod by;
#[cfg(target_os = "linux")]
mod events;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::ops::{ControlFlow, Range};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::KeyEvent;
use signal_hook::consts::{SIGCONT, SIGINT, SIGTERM, SIGTSTP, SIGWINCH};

use super::common::{ColorChoice, ConfigArgs, Ctx, HostArgs, SocketArgs, netns_note};
use super::exit::{Exit, Stage};
use super::live::{self, Flow, Input, Live, Rows};
use crate::bandwidth;
use crate::duration;
use crate::i18n::{self, Msg};
use crate::model::{PortEntry, Status, Timestamp, TrackedEntry};
use crate::output::{Style, TableOptions, ndjson, sanitize, table};
use crate::query::{self, Query};
use crate::scan::{self, ScanOptions, SortKey};
use crate::session::{Options, Session};
use crate::track::{Change, PortEvent, PortStatus, PortWatch, Tracker};
use crate::traffic::GroupBy;

const EXAMPLES: &str = "\
Examples:
  prt watch                                   live table, refreshed every 2s
  prt watch --ndjson | prt filter new         each new socket as it appears
  prt watch --ndjson --interval 500ms --count 10 > changes.ndjson
  prt watch -tl --where 'port<1024'           privileged listeners only
  prt watch 3000 8080                         UP/DOWN of two ports, a bell on each change
  prt watch --traffic --by process            which process uses the network, live
  prt watch --traffic --by remote --ndjson    bytes per remote host, one record each per scan
  prt watch --traffic --full --ndjson | jq 'select(.rate_sent > 1e6)'

Keys in the live view: q quits; s steps through the sort columns, S reverses the order;
/ edits the filter (the language of prt filter; Enter applies, Esc cancels); p pauses the
view while scans go on; the arrows, PgUp, PgDn, Home and End move the selection (marked >);
Enter shows the selected row's process as prt detail does (Esc goes back); k sends it TERM
after a y/N, with the checks of prt kill. Ctrl-C ends the watch (status 130); Ctrl-Z
suspends it and fg brings the view back.";

/// Seconds a gone socket stays in the live table.
const GONE_RETENTION_SECS: u64 = 5;

/// Scan every interval and report what changed.
#[derive(Debug, clap::Parser)]
#[command(name = "watch", version, after_help = EXAMPLES)]
pub struct Args {
    /// Watch only these ports: one UP/DOWN line each (UP: something listens there).
    #[arg(value_name = "PORT")]
    pub ports: Vec<u16>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sockets: SocketArgs,
    /// Time between scans: 500ms, 2s, 1m [default: the configuration's interval, else 2s].
    #[arg(long, short = 'i', value_name = "DURATION", value_parser = duration::parse)]
    pub interval: Option<Duration>,
    /// Stop after this many scans.
    #[arg(long, short = 'c', value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Write the NDJSON changelog, even on a terminal.
    #[arg(long)]
    pub ndjson: bool,
    /// In the changelog, every socket on every scan, not only changes.
    #[arg(long)]
    pub full: bool,
    /// Only the sockets that match this filter expression (see `prt filter --help`).
    #[arg(long = "where", value_name = "EXPR")]
    pub where_: Option<String>,
    /// TCP counters in every record (bytes_sent, bytes_received, retrans, rtt_us) and bytes
    /// per second since the previous scan (rate_sent, rate_received). On a terminal it
    /// shows the per-process view (--by process) unless --ndjson is given.
    #[arg(long)]
    pub traffic: bool,
    /// Traffic per process (sockets whose owner is hidden: per uid) or per remote address,
    /// busiest first: a live table on a terminal, one record per group per scan otherwise.
    /// Implies --traffic.
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<GroupBy>,
    /// Scans only: no kernel event sources between them. Without this, on Linux, a socket
    /// closed between two scans is reported gone as it closes (socket destroy events, with
    /// its final byte counts), exited processes are forgotten at once (the proc
    /// connector), and as root each TCP connection and listener is reported new as it
    /// begins, with its process (the sock:inet_sock_set_state tracepoint); records then
    /// carry `source` ("scan" or "event").
    #[arg(long)]
    pub no_events: bool,
    /// When to colour the live table [default: auto].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub host: HostArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
}

/// The time between scans when neither the flag nor the configuration sets one.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

impl Stage for Args {
    const NAME: &'static str = "watch";

    fn run(mut self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        self.interval = self.interval.or(ctx.config.interval);
        let query = self.where_.as_deref().map(query::parse).transpose()?;
        let mut ticks = Ticks::new(self.interval(), self.count)?;
        if !self.ports.is_empty() {
            return self.monitor(ctx, query, &mut ticks);
        }
        let live = !self.ndjson && ctx.stdout_tty;
        let grouped = match self.by {
            Some(by) => Some(by),
            // The socket table has no rate columns: on a terminal, traffic is per process.
            None if self.traffic && live => Some(GroupBy::Process),
            None => None,
        };
        if let Some(grouped) = grouped {
            return by::run(&self, ctx, query, &mut ticks, grouped);
        }
        let mut options = self.sockets.options();
        options.traffic = self.traffic;
        // Only the live table shows the recently gone.
        let retention = if live { GONE_RETENTION_SECS } else { 0 };
        let mut source =
            Source::new(options, ctx, query, retention).with_events(ctx, !self.no_events);
        if !live {
            if !self.full && !self.traffic {
                source = source.settling();
            }
            let mut out = self.host.wrap(ctx.stdout())?;
            let mut buffer = Vec::with_capacity(512);
            loop {
                // Between scans, each event's record is written and flushed as it is read.
                let tick = ticks.next_with(|wait| {
                    source.wait(ctx, wait, |change| {
                        ndjson::write_line(&mut out, &change.record, &mut buffer)?;
                        out.flush()?;
                        Ok(())
                    })
                })?;
                if tick != Tick::Scan {
                    break;
                }
                if self.full {
                    for change in source.next(ctx, Timestamp::now())? {
                        ndjson::write_line(&mut out, &change.record, &mut buffer)?;
                    }
                } else {
                    source.next_each(ctx, Timestamp::now(), |change| {
                        ndjson::write_line(&mut out, &change.record, &mut buffer)?;
                        Ok(())
                    })?;
                }
                out.flush()?;
            }
            return Ok(Ticks::exit());
        }
        let mut options = ctx.table_options(self.color);
        ticks.follow_the_terminal()?;
        // Without /proc/net/dev the header simply shows no rate.
        let mut counters = bandwidth::Sample::read().ok();
        let style = options.style;
        run_live(&mut ticks, ctx, style, || {
            let now = Timestamp::now();
            let changes = source.next(ctx, now)?;
            options.netns_names = source.namespace_names();
            let latest = bandwidth::Sample::read().ok();
            let rates = counters
                .as_ref()
                .zip(latest.as_ref())
                .map(|(a, b)| bandwidth::rates(a, b));
            counters = latest;
            Ok(self.view(source.tracker(), changes, now, rates.as_ref(), &options))
        })
    }
}

impl Args {
    /// The time between scans: the flag, else the configuration, else 2 s.
    fn interval(&self) -> Duration {
        self.interval.unwrap_or(DEFAULT_INTERVAL)
    }

    /// `prt watch PORT...`: the UP/DOWN board on a terminal (BEL on a change), one NDJSON
    /// event per change otherwise.
    fn monitor(&self, ctx: &Ctx, query: Option<Query>, ticks: &mut Ticks) -> anyhow::Result<Exit> {
        let mut watch = PortWatch::new(self.ports.clone());
        // Only listeners decide UP or DOWN: the cheaper scan.
        let mut options = self.sockets.options();
        options.listening_only = true;
        let mut source = Source::new(options, ctx, query, 0);
        let board = !self.ndjson && ctx.stdout_tty;
        let mut out = if board {
            ctx.stdout()
        } else {
            self.host.wrap(ctx.stdout())?
        };
        let mut buffer = Vec::with_capacity(256);
        let style = Style {
            enabled: ctx.colour(self.color),
        };
        let mut drawn = 0;
        while ticks.next() == Tick::Scan {
            let now = Timestamp::now();
            let listeners: Vec<PortEntry> = source
                .next(ctx, now)?
                .into_iter()
                .filter(|change| change.record.status != Status::Gone)
                .map(|change| change.record.entry)
                .collect();
            let events = watch.observe(&listeners, now);
            if board {
                let mut text = String::new();
                if drawn > 0 {
                    // Back to the board's first line, to redraw it in place.
                    text = format!("\x1b[{drawn}F");
                    if !events.is_empty() {
                        text.push('\x07');
                    }
                }
                for port in watch.ports() {
                    text.push_str(&board_line(port, now, style));
                    text.push_str("\x1b[K\n");
                }
                drawn = watch.ports().len();
                out.write_all(text.as_bytes())?;
            } else {
                for event in &events {
                    ndjson::write_line(&mut out, event, &mut buffer)?;
                }
            }
            out.flush()?;
        }
        Ok(Ticks::exit())
    }

    /// What the live view shows after a scan: the header, then live sockets and the
    /// recently gone; laid out for the screen only when drawn, so a resize re-lays it out.
    fn view(
        &self,
        tracker: &Tracker,
        changes: Vec<Change>,
        now: Timestamp,
        rates: Option<&bandwidth::Rates>,
        options: &TableOptions,
    ) -> View {
        let mut rows: Vec<TrackedEntry> = changes
            .into_iter()
            .map(|c| c.record)
            .filter(|r| r.status != Status::Gone)
            .collect();
        merge_event_born(&mut rows);
        let live = rows.len();
        let new = rows.iter().filter(|r| r.status == Status::New).count();
        let gone = tracker.retained_gone(now);
        let gone_count = gone.len();
        rows.extend(gone.into_iter().cloned());
        let traffic = rates.map_or(String::new(), |r| {
            i18n::trf(
                Msg::WatchTraffic,
                &[&bandwidth::human_rate(r.rx), &bandwidth::human_rate(r.tx)],
            )
        });
        let header = i18n::trf(
            Msg::WatchHeader,
            &[
                &now,
                &tracker.seq(),
                &live,
                &new,
                &gone_count,
                &traffic,
                &duration::exact(self.interval()),
            ],
        );
        // For a narrow screen: the time of day, the counts and the rates, which a clipped
        // long header would lose.
        let clock = now.to_string();
        let short = i18n::trf(
            Msg::WatchHeaderShort,
            &[
                &clock.get(11..19).unwrap_or(&clock),
                &live,
                &new,
                &gone_count,
                &traffic,
            ],
        );
        View {
            headers: [header, short],
            rows,
            shown: Vec::new(),
            cells: None,
            now,
            options: options.clone(),
        }
    }
}

/// Folds the `new` records events made since the last tick into the scan's rows: the scan
/// lists those sockets too, adopted as `unchanged` (a watch never reports a socket new
/// twice), so each would otherwise show twice, once without its `new` mark. A socket the
/// scan did not list keeps its event row.
fn merge_event_born(rows: &mut Vec<TrackedEntry>) {
    let key = |r: &TrackedEntry| {
        (
            r.entry.proto,
            r.entry.local_port,
            r.entry.remote_port,
            r.first_seen,
        )
    };
    let born: HashSet<_> = rows
        .iter()
        .filter(|r| r.source == Some(crate::model::Source::Event) && r.status == Status::New)
        .map(key)
        .collect();
    if born.is_empty() {
        return;
    }
    let mut adopted = HashSet::new();
    for row in rows.iter_mut() {
        if row.source != Some(crate::model::Source::Event)
            && row.status == Status::Unchanged
            && born.contains(&key(row))
        {
            row.status = Status::New;
            adopted.insert(key(row));
        }
    }
    rows.retain(|r| r.source != Some(crate::model::Source::Event) || !adopted.contains(&key(r)));
}

/// One scan's live view: its header and rows, laid out for the screen only when drawn, so
/// a resize re-lays it out; the live view sorts and filters it.
struct View {
    /// The header, and a shorter one for narrow screens.
    headers: [String; 2],
    rows: Vec<TrackedEntry>,
    /// Indexes into `rows` of those shown, in the order shown.
    shown: Vec<usize>,
    /// The cells of the shown rows, in order, made by `arrange`.
    cells: Option<table::TrackedTable>,
    now: Timestamp,
    options: TableOptions,
}

/// The columns the live view sorts by (`s` steps through them): a scan sort key, or the
/// age (first seen, then port) for `None`.
const SORTS: [(Msg, Option<SortKey>); 8] = [
    (Msg::HeadLocal, Some(SortKey::Port)),
    (Msg::HeadProto, Some(SortKey::Proto)),
    (Msg::HeadState, Some(SortKey::State)),
    (Msg::HeadPid, Some(SortKey::Pid)),
    (Msg::HeadProcess, Some(SortKey::Process)),
    (Msg::HeadUser, Some(SortKey::User)),
    (Msg::HeadService, Some(SortKey::Service)),
    (Msg::HeadAge, None),
];

impl Rows for View {
    fn header(&self, width: usize) -> String {
        let [long, short] = &self.headers;
        if unicode_width::UnicodeWidthStr::width(long.as_str()) <= width {
            long.clone()
        } else {
            short.clone()
        }
    }

    fn sort_names(&self) -> Vec<&'static str> {
        SORTS.iter().map(|(name, _)| i18n::tr(*name)).collect()
    }

    fn arrange(&mut self, column: usize, reverse: bool, filter: Option<&Query>) {
        let rows = &self.rows;
        self.shown = (0..rows.len())
            .filter(|&i| filter.is_none_or(|q| q.matches(&rows[i])))
            .collect();
        let key = SORTS.get(column).and_then(|(_, key)| *key);
        self.shown.sort_by(|&a, &b| {
            let (a, b) = (&rows[a], &rows[b]);
            let order = match key {
                Some(key) => scan::compare(&a.entry, &b.entry, key),
                // Oldest first: the longest-lived sockets lead, as AGE counts down; those of
                // unknown age (known only from their destroy event) come last.
                None => a
                    .first_seen
                    .is_none()
                    .cmp(&b.first_seen.is_none())
                    .then_with(|| a.first_seen.cmp(&b.first_seen))
                    .then_with(|| scan::compare(&a.entry, &b.entry, SortKey::Port)),
            };
            if reverse { order.reverse() } else { order }
        });
        // The cells once per arrangement; each frame lays out only its window of them.
        let shown: Vec<&TrackedEntry> = self.shown.iter().map(|&i| &self.rows[i]).collect();
        self.cells = Some(table::TrackedTable::new(&shown, self.now, &self.options));
    }

    fn len(&self) -> usize {
        self.shown.len()
    }

    fn table(&self, width: u16, window: Range<usize>) -> String {
        let mut options = self.options.clone();
        options.width = Some(width);
        self.cells
            .as_ref()
            .map(|cells| cells.window(window, &options))
            .unwrap_or_default()
    }

    fn entry(&self, index: usize) -> Option<&PortEntry> {
        self.shown.get(index).map(|&i| &self.rows[i].entry)
    }

    fn id(&self, index: usize) -> Option<u64> {
        // A TIME_WAIT socket has no inode: it has no identity to follow.
        self.entry(index)
            .map(|entry| entry.inode)
            .filter(|&inode| inode != 0)
    }
}

/// Ctrl-Z in the live view: the terminal is given back, the process stops, and on `fg`
/// the view takes the terminal again; the SIGCONT that woke it needs no second redraw.
fn suspend<R: Rows>(screen: &mut Live<R>) -> std::io::Result<()> {
    screen.suspend()?;
    CONTINUED.store(false, Ordering::SeqCst);
    Ok(())
}

/// The live view on the terminal until the count, `q`, Ctrl-C or SIGTERM: `scan` gives the
/// rows of each tick; keys, Ctrl-Z and resizes are handled between ticks. Shared by the
/// socket view and the traffic groups (`watch::by`).
fn run_live<R: Rows>(
    ticks: &mut Ticks,
    ctx: &Ctx,
    style: Style,
    mut scan: impl FnMut() -> anyhow::Result<R>,
) -> anyhow::Result<Exit> {
    let mut screen = Live::enter(ctx.stdout(), style)?;
    loop {
        match ticks.next() {
            Tick::End => break,
            Tick::Suspend => suspend(&mut screen)?,
            Tick::Redraw => {}
            Tick::Key(key) => match screen.key(key, ctx) {
                Flow::Go => {}
                Flow::Quit => break,
                Flow::Interrupt => {
                    STOPPED_BY.store(SIGINT as usize, Ordering::SeqCst);
                    break;
                }
                Flow::Suspend => suspend(&mut screen)?,
            },
            Tick::Scan => screen.update(scan()?),
        }
        screen.draw(screen_size(ctx))?;
    }
    screen.leave()?;
    Ok(Ticks::exit())
}

/// The terminal's size now, read on every frame; the width the context saw at start and
/// 24 lines if the terminal cannot tell (a pty nobody sized).
fn screen_size(ctx: &Ctx) -> (u16, u16) {
    match crossterm::terminal::size() {
        Ok((columns, lines)) if columns > 0 && lines > 0 => (columns, lines),
        _ => (ctx.width.unwrap_or(80), 24),
    }
}

/// `8080  UP    tcp  4242 python3      since 12m` (or `DOWN  since 3s`).
fn board_line(port: &PortEvent, now: Timestamp, style: Style) -> String {
    let since = i18n::trf(Msg::Since, &[&table::short_duration(port.since.until(now))]);
    let width = i18n::widest(&[Msg::Up, Msg::Down]);
    match port.status {
        PortStatus::Up => {
            let proto = port.proto.map_or("", |p| p.as_str());
            let pid = port.pid.map_or_else(|| "-".to_owned(), |p| p.to_string());
            let process = port
                .process
                .as_deref()
                .map_or_else(|| "-".into(), sanitize::terminal);
            format!(
                "{:>5}  {}  {proto:<3}  {pid:>7} {process:<16} {since}",
                port.port,
                style.green(&i18n::pad(i18n::tr(Msg::Up), width))
            )
        }
        PortStatus::Down => format!(
            "{:>5}  {}  {since}",
            port.port,
            style.red(&i18n::pad(i18n::tr(Msg::Down), width))
        ),
    }
}

/// Where a watch's records come from: the library's session (scanner, enricher, filter and
/// tracker, carried between ticks), the kernel's event sources when open, and whether the
/// namespace note was said.
struct Source {
    session: Session,
    noted: bool,
    /// Whether a tick may skip its scan when the events show nothing changed: a changelog
    /// (not a table showing queues every tick, nor rates), with the tracepoint open.
    settle: bool,
    #[cfg(target_os = "linux")]
    events: Option<events::Events>,
}

impl Source {
    /// A source of the sockets `scan` finds that `query` matches. Gone sockets are kept
    /// `gone_retention_secs` seconds for a view that shows them (the live table); 0 keeps
    /// none, for one that does not (a changelog writes each when it goes): a mass close
    /// would otherwise hold a copy of every record it wrote for nothing.
    fn new(scan: ScanOptions, ctx: &Ctx, query: Option<Query>, gone_retention_secs: u64) -> Source {
        let mut options = Options::default()
            .with_scan(scan)
            .with_config(ctx.config.clone());
        options.filter = query;
        options.gone_retention_secs = gone_retention_secs;
        Source {
            session: Session::new(options),
            noted: false,
            settle: false,
            #[cfg(target_os = "linux")]
            events: None,
        }
    }

    /// The same, following the kernel's event sources when `on` (Linux; elsewhere there
    /// are none).
    #[cfg_attr(not(target_os = "linux"), allow(unused_variables, unused_mut))]
    fn with_events(mut self, ctx: &Ctx, on: bool) -> Source {
        #[cfg(target_os = "linux")]
        if on {
            // Not scanned yet: the session is made again, told it will be fed events.
            let mut options = self.session.options().clone();
            options.events = true;
            self.events = Some(events::Events::open(ctx, options.scan.all_netns));
            self.session = Session::new(options);
        }
        self
    }

    #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
    /// The same, a changelog: a tick may skip its scan when the events show nothing
    /// changed (see [`Session::refresh_unless_settled`]).
    fn settling(mut self) -> Source {
        #[cfg(target_os = "linux")]
        {
            self.settle = self
                .events
                .as_ref()
                .is_some_and(events::Events::tells_every_tcp_change);
        }
        self
    }

    /// One tick: the events waiting (their records first), then every socket scanned,
    /// enriched, filtered, in port order, then the gone. A tick that skipped its scan
    /// (see [`Source::settling`]) has only the events' records.
    fn next(&mut self, ctx: &Ctx, now: Timestamp) -> anyhow::Result<Vec<Change>> {
        let mut changes = Vec::new();
        // Before the first scan there is nothing to reconcile with: events wait for it.
        if self.session.tracker().seq() > 0 {
            self.wait(ctx, Duration::ZERO, |change| {
                changes.push(change);
                Ok(())
            })?;
        }
        let refresh = if self.settle {
            match self.session.refresh_unless_settled(now) {
                Ok(Some(refresh)) => refresh,
                Ok(None) => return Ok(changes),
                Err(err) => return Err(err).context("cannot list sockets"),
            }
        } else {
            self.session
                .refresh_at(now)
                .context("cannot list sockets")?
        };
        if !self.noted {
            // Once per watch, not every tick.
            self.noted = true;
            if let Some(note) = netns_note(&refresh.namespaces) {
                ctx.error_note(&note);
            }
        }
        let tagged = self.follow(ctx, &refresh.namespaces.listed);
        #[cfg(target_os = "linux")]
        if let Some(events) = self.events.as_mut() {
            for (local, pid) in refresh.changes.iter().filter_map(new_listener) {
                events.note_listener(local, pid);
            }
        }
        changes.extend(refresh.changes.into_iter().map(|mut change| {
            if tagged && change.record.source.is_none() {
                change.record.source = Some(crate::model::Source::Scan);
            }
            change
        }));
        Ok(changes)
    }

    /// One tick of a changelog: the events waiting, then what the scan found changed, each
    /// handed to `emit` as it is made ([`Session::refresh_each`]: the records of unchanged
    /// sockets are never all held). A tick that skipped its scan (see
    /// [`Source::settling`]) hands over only the events'.
    fn next_each(
        &mut self,
        ctx: &Ctx,
        now: Timestamp,
        mut emit: impl FnMut(&Change) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if self.session.tracker().seq() > 0 {
            self.wait(ctx, Duration::ZERO, |change| emit(&change))?;
        }
        if self.settle && self.session.settled() {
            return Ok(());
        }
        let tagged = self.any_events();
        let mut failed = None;
        let mut listeners = Vec::new();
        let session = &mut self.session;
        #[cfg(target_os = "linux")]
        let events = &mut self.events;
        // Subscribed in the namespaces listed before their records go out: a consumer
        // acting on one (connecting there, say) is not ahead of the destroy events.
        #[cfg(target_os = "linux")]
        let listed = |listed: &[crate::scan::netns::Namespace]| {
            if let Some(events) = events.as_mut() {
                events.follow(ctx, listed);
            }
        };
        #[cfg(not(target_os = "linux"))]
        let listed = |_: &[crate::scan::netns::Namespace]| {};
        let refresh = session
            .refresh_each(now, listed, |changes| {
                for change in changes {
                    listeners.extend(new_listener(change));
                    if tagged && change.record.source.is_none() {
                        change.record.source = Some(crate::model::Source::Scan);
                    }
                    if let Err(err) = emit(change) {
                        failed = Some(err);
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            })
            .context("cannot list sockets")?;
        if let Some(err) = failed {
            return Err(err);
        }
        #[cfg(target_os = "linux")]
        if let Some(events) = self.events.as_mut() {
            for (local, pid) in listeners {
                events.note_listener(local, pid);
            }
        }
        #[cfg(not(target_os = "linux"))]
        drop(listeners);
        if !self.noted {
            self.noted = true;
            if let Some(note) = netns_note(&refresh.namespaces) {
                ctx.error_note(&note);
            }
        }
        Ok(())
    }

    /// Whether any event source is open: scan records then say where they came from.
    fn any_events(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(events) = self.events.as_ref() {
            return events.any();
        }
        false
    }

    /// Subscribes in namespaces new since the last tick; whether any event source is open.
    #[cfg_attr(not(target_os = "linux"), allow(unused_variables, clippy::unused_self))]
    fn follow(&mut self, ctx: &Ctx, listed: &[crate::scan::netns::Namespace]) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(events) = self.events.as_mut() {
            events.follow(ctx, listed);
            return events.any();
        }
        false
    }

    /// Waits up to `wait` for kernel events, handing the record each gives to `emit` as it
    /// is read (before the first scan, and without sources, it only sleeps).
    #[cfg_attr(not(target_os = "linux"), allow(unused_variables, unused_mut))]
    fn wait(
        &mut self,
        ctx: &Ctx,
        wait: Duration,
        mut emit: impl FnMut(Change) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        #[cfg(target_os = "linux")]
        if let Some(events) = self.events.as_mut()
            && self.session.tracker().seq() > 0
        {
            return events.pump(ctx, &mut self.session, wait, &mut emit);
        }
        std::thread::sleep(wait);
        Ok(())
    }

    fn tracker(&self) -> &Tracker {
        self.session.tracker()
    }

    /// With `--all-netns`, names for the namespaces of the last tick.
    fn namespace_names(&mut self) -> Option<Arc<BTreeMap<u64, String>>> {
        self.session
            .options()
            .scan
            .all_netns
            .then(|| Arc::new(self.session.namespace_names()))
    }
}

/// The address and pid of a listener a scan found new: the tracepoint's connection helper
/// is told of it (listeners older than the tracepoint's stream), for the pids of the
/// connections it accepts.
fn new_listener(change: &Change) -> Option<(std::net::SocketAddr, u32)> {
    let entry = &change.record.entry;
    (change.record.status == Status::New && entry.state == crate::model::State::Listen)
        .then_some(())?;
    Some((
        std::net::SocketAddr::new(entry.local_addr, entry.local_port),
        entry.pid?,
    ))
}

/// What the wait between scans ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tick {
    /// Time for the next scan.
    Scan,
    /// Ctrl-Z (SIGTSTP): give the terminal back, then stop.
    Suspend,
    /// Continued (SIGCONT) or resized (SIGWINCH): draw the last view again.
    Redraw,
    /// A key pressed in the live view.
    Key(KeyEvent),
    /// The count is reached, or SIGINT / SIGTERM arrived.
    End,
}

/// Paces the scans: the first at once, then one per interval, until the count is reached
/// or Ctrl-C (SIGINT) or SIGTERM arrives.
struct Ticks {
    interval: Duration,
    left: Option<u64>,
    next_at: Instant,
    live: bool,
}

impl Ticks {
    fn new(interval: Duration, count: Option<u64>) -> anyhow::Result<Ticks> {
        for signal in [SIGINT, SIGTERM] {
            signal_hook::flag::register_usize(signal, &STOPPED_BY, signal as usize)
                .context("cannot handle signals")?;
        }
        Ok(Ticks {
            interval,
            left: count,
            next_at: Instant::now(),
            live: false,
        })
    }

    /// For the live view: Ctrl-Z, `fg` and resizes are reported too.
    fn follow_the_terminal(&mut self) -> anyhow::Result<()> {
        for (signal, flag) in [
            (SIGTSTP, &SUSPENDED),
            (SIGCONT, &CONTINUED),
            (SIGWINCH, &RESIZED),
        ] {
            signal_hook::flag::register(signal, flag).context("cannot handle signals")?;
        }
        self.live = true;
        Ok(())
    }

    /// Waits for the next scan, or for a signal that needs the screen.
    fn next(&mut self) -> Tick {
        let sleep = |step| {
            std::thread::sleep(step);
            Ok(())
        };
        self.next_with(sleep).unwrap_or(Tick::End)
    }

    /// [`Ticks::next`], spending the waits outside the live view in `idle` (given at most
    /// the time to the next check of the signals): a watch's event sources are read there.
    fn next_with(
        &mut self,
        mut idle: impl FnMut(Duration) -> anyhow::Result<()>,
    ) -> anyhow::Result<Tick> {
        Ok(loop {
            if self.left == Some(0) || STOPPED_BY.load(Ordering::SeqCst) != 0 {
                break Tick::End;
            }
            if self.live {
                if SUSPENDED.swap(false, Ordering::SeqCst) {
                    break Tick::Suspend;
                }
                // Both flags are cleared: one redraw serves both.
                let continued = CONTINUED.swap(false, Ordering::SeqCst);
                if RESIZED.swap(false, Ordering::SeqCst) || continued {
                    break Tick::Redraw;
                }
            }
            let now = Instant::now();
            if now >= self.next_at {
                self.next_at = now + self.interval;
                if let Some(left) = self.left.as_mut() {
                    *left -= 1;
                }
                break Tick::Scan;
            }
            // Wait in short steps so a signal is seen promptly; the live view waits for keys.
            let step = (self.next_at - now).min(Duration::from_millis(50));
            if !self.live {
                idle(step)?;
                continue;
            }
            match live::next_input(step) {
                Some(Input::Key(key)) => break Tick::Key(key),
                Some(Input::Resize) => break Tick::Redraw,
                None => {}
            }
        })
    }

    /// How the watch ended: by the signal that stopped it, or normally.
    fn exit() -> Exit {
        match STOPPED_BY.load(Ordering::SeqCst) {
            0 => Exit::Success,
            signal => Exit::Signal(u8::try_from(signal).unwrap_or(u8::MAX)),
        }
    }
}

/// The signal (SIGINT or SIGTERM) that asked the watch to end, 0 for none. Signal
/// handlers can do no more than set a flag, so these few flags are the global state here.
static STOPPED_BY: AtomicUsize = AtomicUsize::new(0);
/// Set by Ctrl-Z (SIGTSTP).
static SUSPENDED: AtomicBool = AtomicBool::new(false);
/// Set by SIGCONT (`fg`, `bg`, `kill -CONT`).
static CONTINUED: AtomicBool = AtomicBool::new(false);
/// Set when the terminal changes size (SIGWINCH).
static RESIZED: AtomicBool = AtomicBool::new(false);
