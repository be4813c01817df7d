//! `prt watch [OPTIONS]`: scan every interval and report what changed.
//!
//! On a terminal: a live table, redrawn in place on the alternate screen, new rows green,
//! gone rows red for 5 s; Ctrl-C leaves the terminal as it was. Otherwise (or with
//! `--ndjson`): a changelog of TrackedEntry records — the first scan as `new`, then only
//! `new`, `gone` and state changes (`--full`: every socket every scan) — flushed after each
//! scan so the next stage sees it at once. Exit: 0, or 2 on error.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::common::{ColorChoice, ConfigArgs, Ctx, SocketArgs, netns_note, parse_duration};
use super::exit::{Exit, Stage};
use crate::bandwidth;
use crate::enrich::Enricher;
use crate::i18n::{self, Msg};
use crate::model::{PortEntry, Status, Timestamp};
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
        let mut ticks = Ticks::new(self.interval(), self.count);
        if !self.ports.is_empty() {
            return self.monitor(ctx, query, &mut ticks);
        }
        let mut tracker = Tracker::new(GONE_RETENTION_SECS);
        let mut source = Source::new(self.sockets.options(), ctx, query);
        if self.ndjson || !ctx.stdout_tty {
            let mut out = ctx.stdout();
            let mut buffer = Vec::with_capacity(512);
            while ticks.next() {
                let changes = tracker.observe(source.next(ctx)?, Timestamp::now());
                for change in changes.iter().filter(|c| self.full || c.is_reportable()) {
                    ndjson::write_line(&mut out, &change.record, &mut buffer)?;
                }
                out.flush()?;
            }
            return Ok(Exit::Success);
        }
        let mut options = ctx.table_options(self.color);
        let mut screen = LiveScreen::enter(ctx.stdout())?;
        // Without /proc/net/dev the header simply shows no rate.
        let mut counters = bandwidth::Sample::read().ok();
        while ticks.next() {
            let now = Timestamp::now();
            let changes = tracker.observe(source.next(ctx)?, now);
            options.netns_names = source.namespace_names();
            let latest = bandwidth::Sample::read().ok();
            let rates = counters
                .as_ref()
                .zip(latest.as_ref())
                .map(|(a, b)| bandwidth::rates(a, b));
            counters = latest;
            screen.draw(&self.frame(&tracker, &changes, now, rates.as_ref(), &options))?;
        }
        screen.leave()?;
        Ok(Exit::Success)
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
        let mut out = ctx.stdout();
        let mut buffer = Vec::with_capacity(256);
        let board = !self.ndjson && ctx.stdout_tty;
        let style = Style {
            enabled: ctx.colour(self.color),
        };
        let mut drawn = 0;
        while ticks.next() {
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
        Ok(Exit::Success)
    }

    /// One screenful: a header line, then live sockets and the recently gone.
    fn frame(
        &self,
        tracker: &Tracker,
        changes: &[Change],
        now: Timestamp,
        rates: Option<&bandwidth::Rates>,
        options: &TableOptions,
    ) -> String {
        let live: Vec<_> = changes
            .iter()
            .map(|c| &c.record)
            .filter(|r| r.status != Status::Gone)
            .collect();
        let new = live.iter().filter(|r| r.status == Status::New).count();
        let gone = tracker.retained_gone(now);
        let mut rows = live.clone();
        rows.extend(gone.iter().copied());
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
                &live.len(),
                &new,
                &gone.len(),
                &traffic,
                &interval_text(self.interval()),
            ],
        );
        format!(
            "{}\n{}\n",
            options.style.bold(&header),
            table::render_tracked(&rows, now, options)
        )
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

/// Paces the scans: the first at once, then one per interval, until the count is reached
/// or Ctrl-C (SIGINT) or SIGTERM arrives.
struct Ticks {
    interval: Duration,
    left: Option<u64>,
    next_at: Instant,
}

impl Ticks {
    fn new(interval: Duration, count: Option<u64>) -> Ticks {
        install_signal_handlers();
        Ticks {
            interval,
            left: count,
            next_at: Instant::now(),
        }
    }

    /// Waits for the next scan; false when it is time to stop.
    fn next(&mut self) -> bool {
        if self.left == Some(0) {
            return false;
        }
        // Sleep in short steps so a signal ends the wait promptly.
        while Instant::now() < self.next_at {
            if STOP.load(Ordering::Relaxed) {
                return false;
            }
            let left = self.next_at.saturating_duration_since(Instant::now());
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        if STOP.load(Ordering::Relaxed) {
            return false;
        }
        self.next_at = Instant::now() + self.interval;
        if let Some(left) = self.left.as_mut() {
            *left -= 1;
        }
        true
    }
}

/// Set by SIGINT and SIGTERM. The one piece of global state here: a signal handler can do
/// nothing but set a flag.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn install_signal_handlers() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_stop_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(signal, &raw const action, std::ptr::null_mut());
        }
    }
}

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
        for line in frame.lines() {
            text.push_str(line);
            text.push_str("\x1b[K\r\n");
        }
        text.push_str("\x1b[J");
        self.out.write_all(text.as_bytes())?;
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
