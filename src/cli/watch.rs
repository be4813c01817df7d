//! `prt watch [OPTIONS]`: scan every interval and report what changed.
//!
//! On a terminal: a live table, redrawn in place on the alternate screen and laid out for
//! the terminal's size on every frame (header pinned, rows fitted to the height with a
//! "+N more" line), new rows green and marked `+`, gone rows red and marked `-` for 5 s.
//! Ctrl-C and SIGTERM give the terminal back as it was; Ctrl-Z gives it back before
//! stopping and `fg` redraws. Otherwise (or with `--ndjson`): a changelog of TrackedEntry
//! records — the first scan as `new`, then only `new`, `gone` and state changes (`--full`:
//! every socket every scan) — flushed after each scan so the next stage sees it at once.
//! Exit: 0, 2 on error, 128 + the signal's number when SIGINT (130) or SIGTERM (143) ended
//! it, as a shell expects.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use signal_hook::consts::{SIGCONT, SIGINT, SIGTERM, SIGTSTP, SIGWINCH};

use super::common::{
    ColorChoice, ConfigArgs, Ctx, HostArgs, SocketArgs, netns_note, parse_duration,
};
use super::exit::{Exit, Stage};
use crate::bandwidth;
use crate::enrich::Enricher;
use crate::i18n::{self, Msg};
use crate::model::{PortEntry, Status, Timestamp, TrackedEntry};
use crate::output::{Style, TableOptions, ndjson, sanitize, table};
use crate::query::{self, Query};
use crate::scan::netns::Namespace;
use crate::scan::{self, ScanOptions, incremental::Scanner};
use crate::track::{Change, PortEvent, PortStatus, PortWatch, Tracker};

const EXAMPLES: &str = "\
Examples:
  prt watch                                   live table, refreshed every 2s
  prt watch --ndjson | prt filter new         each new socket as it appears
  prt watch --ndjson --interval 500ms --count 10 > changes.ndjson
  prt watch -tl --where 'port<1024'           privileged listeners only
  prt watch 3000 8080                         UP/DOWN of two ports, a bell on each change";

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
    #[arg(long, short = 'i', value_name = "DURATION", value_parser = parse_duration)]
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
        let mut tracker = Tracker::new(GONE_RETENTION_SECS);
        let mut source = Source::new(self.sockets.options(), ctx, query);
        if self.ndjson || !ctx.stdout_tty {
            let mut out = self.host.wrap(ctx.stdout())?;
            let mut buffer = Vec::with_capacity(512);
            while ticks.next() == Tick::Scan {
                let changes = tracker.observe(source.next(ctx)?, Timestamp::now());
                for change in changes.iter().filter(|c| self.full || c.is_reportable()) {
                    ndjson::write_line(&mut out, &change.record, &mut buffer)?;
                }
                out.flush()?;
            }
            return Ok(Ticks::exit());
        }
        let mut options = ctx.table_options(self.color);
        ticks.follow_the_terminal()?;
        let mut screen = LiveScreen::enter(ctx.stdout())?;
        // Without /proc/net/dev the header simply shows no rate.
        let mut counters = bandwidth::Sample::read().ok();
        let mut view = None;
        loop {
            match ticks.next() {
                Tick::End => break,
                Tick::Suspend => screen.suspend()?,
                Tick::Redraw => {}
                Tick::Scan => {
                    let now = Timestamp::now();
                    let changes = tracker.observe(source.next(ctx)?, now);
                    options.netns_names = source.namespace_names();
                    let latest = bandwidth::Sample::read().ok();
                    let rates = counters
                        .as_ref()
                        .zip(latest.as_ref())
                        .map(|(a, b)| bandwidth::rates(a, b));
                    counters = latest;
                    view = Some(self.view(&tracker, changes, now, rates.as_ref(), &options));
                }
            }
            if let Some(view) = &view {
                screen.draw(&view.frame(screen_size(ctx)))?;
            }
        }
        screen.leave()?;
        Ok(Ticks::exit())
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
        let mut source = Source::new(options, ctx, query);
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
            let events = watch.observe(&source.next(ctx)?, now);
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
                &interval_text(self.interval()),
            ],
        );
        View {
            header,
            rows,
            now,
            options: options.clone(),
        }
    }
}

/// One scan's live view, ready to be laid out for a screen of any size.
struct View {
    header: String,
    rows: Vec<TrackedEntry>,
    now: Timestamp,
    options: TableOptions,
}

impl View {
    /// The screenful for a terminal of `columns` x `lines`: the header pinned on the first
    /// line, then as many rows as fit, and a "+N more" line for the rest.
    fn frame(&self, (columns, lines): (u16, u16)) -> String {
        let lines = usize::from(lines.max(3));
        let mut options = self.options.clone();
        options.width = Some(columns);
        let header = table::clip(&self.header, usize::from(columns));
        // The header line, the table's heading, and a line kept for "+N more".
        let room = lines.saturating_sub(3);
        let shown = if self.rows.len() + 2 <= lines {
            self.rows.len()
        } else {
            room
        };
        let rows: Vec<&TrackedEntry> = self.rows.iter().take(shown).collect();
        let table = table::render_tracked(&rows, self.now, &options);
        let mut table_lines: Vec<&str> = table.lines().collect();
        // A heading that wrapped takes rows' places: each row is one line, the rest is heading.
        let heading = table_lines.len().saturating_sub(rows.len());
        let mut hidden = self.rows.len() - rows.len();
        let fit = if hidden > 0 { lines - 2 } else { lines - 1 };
        if table_lines.len() > fit {
            hidden += table_lines.len() - fit.max(heading);
            table_lines.truncate(fit.max(heading));
        }
        let mut frame = options.style.bold(&header);
        frame.push('\n');
        for line in table_lines {
            // A table squeezed below its narrowest layout overflows: cut it at the edge.
            frame.push_str(&table::cut(line, usize::from(columns)));
            frame.push('\n');
        }
        if hidden > 0 {
            let more = i18n::trf(Msg::MoreRows, &[&hidden]);
            frame.push_str(&options.style.dim(&table::clip(&more, usize::from(columns))));
            frame.push('\n');
        }
        frame
    }
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

/// `500ms`, `2s`, `1m` for the header.
fn interval_text(interval: Duration) -> String {
    if interval.subsec_millis() != 0 || interval.as_secs() == 0 {
        format!("{}ms", interval.as_millis())
    } else {
        table::short_duration(interval)
    }
}

/// Where a watch's sockets come from: the scanner that carries the owner map between
/// ticks, the enricher that remembers processes and container names, and the filter.
struct Source {
    scanner: Scanner,
    enricher: Enricher,
    query: Option<Query>,
    all_netns: bool,
    namespaces: Vec<Namespace>,
    noted: bool,
}

impl Source {
    fn new(options: ScanOptions, ctx: &Ctx, query: Option<Query>) -> Source {
        Source {
            all_netns: options.all_netns,
            scanner: Scanner::new(options),
            enricher: Enricher::new(&ctx.config),
            query,
            namespaces: Vec::new(),
            noted: false,
        }
    }

    /// One tick's sockets: scanned, enriched, filtered, in port order.
    fn next(&mut self, ctx: &Ctx) -> anyhow::Result<Vec<PortEntry>> {
        let scan = self.scanner.scan().context("cannot list sockets")?;
        if !self.noted {
            // Once per watch, not every tick.
            self.noted = true;
            if let Some(note) = netns_note(&scan.namespaces) {
                ctx.note(&note);
            }
        }
        self.namespaces = scan.namespaces.listed;
        let mut entries = scan.entries;
        self.enricher.enrich(&mut entries);
        if let Some(query) = &self.query {
            entries.retain(|entry| query.matches(entry));
        }
        scan::sort(&mut entries, scan::SortKey::Port, false);
        Ok(entries)
    }

    /// With `--all-netns`, names for the namespaces of the last tick.
    fn namespace_names(&mut self) -> Option<Arc<BTreeMap<u64, String>>> {
        self.all_netns
            .then(|| Arc::new(self.enricher.namespace_names(&self.namespaces)))
    }
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
        loop {
            if self.left == Some(0) || STOPPED_BY.load(Ordering::SeqCst) != 0 {
                return Tick::End;
            }
            if self.live {
                if SUSPENDED.swap(false, Ordering::SeqCst) {
                    return Tick::Suspend;
                }
                // Both flags are cleared: one redraw serves both.
                let continued = CONTINUED.swap(false, Ordering::SeqCst);
                if RESIZED.swap(false, Ordering::SeqCst) || continued {
                    return Tick::Redraw;
                }
            }
            let now = Instant::now();
            if now >= self.next_at {
                self.next_at = now + self.interval;
                if let Some(left) = self.left.as_mut() {
                    *left -= 1;
                }
                return Tick::Scan;
            }
            // Sleep in short steps so a signal is seen promptly.
            std::thread::sleep((self.next_at - now).min(Duration::from_millis(50)));
        }
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

/// The alternate screen with the cursor hidden; left again on [`LiveScreen::leave`], or on
/// drop if an error cuts the watch short, so the terminal is always given back.
struct LiveScreen {
    out: Box<dyn Write>,
    active: bool,
}

const ENTER: &str = "\x1b[?1049h\x1b[?25l";
const LEAVE: &str = "\x1b[?25h\x1b[?1049l";

impl LiveScreen {
    fn enter(mut out: Box<dyn Write>) -> std::io::Result<LiveScreen> {
        out.write_all(ENTER.as_bytes())?;
        out.flush()?;
        Ok(LiveScreen { out, active: true })
    }

    /// Replaces the screen's contents in one write: home, the frame line by line with each
    /// line's rest cleared, then everything below cleared. No blank flash between frames.
    fn draw(&mut self, frame: &str) -> std::io::Result<()> {
        let mut text = String::with_capacity(frame.len() + 256);
        text.push_str("\x1b[H");
        for (index, line) in frame.lines().enumerate() {
            if index > 0 {
                // No line break after the last line: on the bottom line it would scroll.
                text.push_str("\r\n");
            }
            text.push_str(line);
            text.push_str("\x1b[K");
        }
        text.push_str("\x1b[J");
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }

    /// Ctrl-Z: leaves the alternate screen and shows the cursor, stops the process as
    /// SIGTSTP would have, and when continued (`fg`) comes back to the alternate screen;
    /// the caller then redraws.
    fn suspend(&mut self) -> std::io::Result<()> {
        self.out.write_all(LEAVE.as_bytes())?;
        self.out.flush()?;
        self.active = false;
        signal_hook::low_level::emulate_default_handler(SIGTSTP)?;
        CONTINUED.store(false, Ordering::SeqCst);
        self.out.write_all(ENTER.as_bytes())?;
        self.active = true;
        self.out.flush()
    }

    fn leave(mut self) -> std::io::Result<()> {
        self.active = false;
        self.out.write_all(LEAVE.as_bytes())?;
        self.out.flush()
    }
}

impl Drop for LiveScreen {
    fn drop(&mut self) {
        if self.active {
            // Best effort: the terminal may be gone already.
            let _ = self.out.write_all(LEAVE.as_bytes());
            let _ = self.out.flush();
        }
    }
}
