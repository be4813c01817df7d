//! `prt metrics [FILE...]`: records in, the Prometheus text exposition format out.
//!
//! Input: NDJSON records (a `prt scan`, or a live `prt watch --ndjson` changelog). Output:
//! the metrics of [`crate::output::metrics`] for each complete scan — on stdout, atomically
//! into `--output FILE` (node_exporter's textfile collector reads only whole files), and/or
//! served at `http://ADDR/metrics` with `--listen ADDR`. A scan is complete when the input
//! ends, or when a live producer pauses between ticks (as `prt kill --yes` batches a
//! stream). Exit: 0, or 2 on bad input, an address that cannot be listened on, or a file
//! that cannot be written. With `--listen`, finished input is served until a signal;
//! the end of a live stream ends the server too.
//!
//! The HTTP server is tiny_http: a small, synchronous, well-kept crate with no async runtime,
//! which is all one `GET /metrics` every few seconds needs.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use anyhow::Context as _;

use super::common::{ConfigArgs, Ctx, Next, RecordStream};
use super::exit::{Exit, Stage};
use crate::i18n::{self, Msg};
use crate::output::metrics::{CONTENT_TYPE, Inventory, ScanMeta};

const EXAMPLES: &str = "\
Examples:
  prt scan | prt metrics                                   the metrics, on stdout
  prt scan | prt metrics --output /var/lib/prometheus/node-exporter/prt.prom
  prt watch --ndjson --full | prt metrics --listen 127.0.0.1:9977   an exporter
  prt scan | prt metrics | promtool check metrics

Metrics (gauges): prt_listening, prt_sockets, prt_established_connections,
prt_suspicious_sockets, prt_processes, prt_scan_sockets, prt_scan_duration_seconds,
prt_last_scan_timestamp_seconds. Labels never name a remote address or an ephemeral port,
so the number of series does not grow with the number of connections.";

/// Turn records into Prometheus metrics: a textfile for node_exporter, or a /metrics endpoint.
#[derive(Debug, clap::Parser)]
#[command(name = "metrics", version, after_help = EXAMPLES)]
pub struct Args {
    /// Read records from these files in turn instead of stdin ('-' is stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write the metrics to FILE instead of stdout, atomically (a temporary file in the same
    /// directory, then renamed), rewritten after every complete scan of a live stream.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Serve the latest complete scan at http://ADDR/metrics (e.g. 127.0.0.1:9977) instead of
    /// writing to stdout. When a live stream (prt watch) ends, so does the server; after
    /// finished input (prt scan) it goes on serving until stopped.
    #[arg(short = 'l', long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Report malformed lines on stderr and go on, instead of stopping with status 2.
    #[arg(long)]
    pub skip_invalid: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
}

impl Stage for Args {
    const NAME: &'static str = "metrics";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        if self.files.is_empty() && std::io::stdin().is_terminal() {
            anyhow::bail!(i18n::trf(Msg::MetricsNoInput, &[&ctx.label]));
        }
        let exporter = self.listen.map(Exporter::start).transpose()?;
        let mut input = RecordStream::new(self.files.clone(), self.skip_invalid);
        let mut inventory = Inventory::new();
        // The first scan is timed from our own start: in `prt scan | prt metrics` both start
        // together, so that is the scan's time. Later ticks from their first record.
        let mut tick_start = Some(Instant::now());
        let mut pending = false;
        let mut live = false;
        loop {
            if pending && input.would_wait() && input.is_live() {
                self.publish(ctx, &mut inventory, tick_start.take(), exporter.as_ref())?;
                pending = false;
                live = true;
            }
            let record = match input.next(ctx)? {
                Next::Record(record) => record,
                Next::Skipped => continue,
                Next::End => break,
            };
            tick_start.get_or_insert_with(Instant::now);
            inventory.add(&record);
            pending = true;
        }
        if pending || tick_start.is_some() {
            self.publish(ctx, &mut inventory, tick_start.take(), exporter.as_ref())?;
        }
        // A live stream that ends means its producer stopped: serving its last tick on
        // would hide that, so the exporter stops too (and a service manager restarts the
        // pipeline). Finished input (`prt scan | prt metrics --listen`) is served on.
        if let Some(exporter) = exporter
            && !live
        {
            exporter.serve_forever();
        }
        Ok(Exit::Success)
    }
}

impl Args {
    /// Completes the scan read so far and hands its metrics to every destination.
    fn publish(
        &self,
        ctx: &Ctx,
        inventory: &mut Inventory,
        started: Option<Instant>,
        exporter: Option<&Exporter>,
    ) -> anyhow::Result<()> {
        inventory.complete();
        let meta = ScanMeta {
            duration: started.map(|s| s.elapsed()).unwrap_or_default(),
            finished: SystemTime::now(),
        };
        let text = inventory.render(&meta);
        if let Some(path) = &self.output {
            write_atomically(path, text.as_bytes()).map_err(|err| {
                anyhow::anyhow!(i18n::trf(Msg::MetricsWrite, &[&path.display(), &err]))
            })?;
        }
        if let Some(exporter) = exporter {
            exporter.set(text);
        } else if self.output.is_none() {
            let mut out = ctx.stdout();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Ok(())
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, so a reader
/// (node_exporter) sees the old file or the new one, never half of one. The temporary name
/// starts with a dot and does not end in `.prom`, which the textfile collector skips.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = dir.join(temporary);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        // The write already failed; a leftover temporary file is the lesser problem.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The `--listen` server: a thread answering `GET /metrics` with the latest exposition.
struct Exporter {
    latest: Arc<Mutex<Option<Arc<str>>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Exporter {
    /// Binds `addr` (an error names it) and starts answering on a thread of its own.
    fn start(addr: SocketAddr) -> anyhow::Result<Exporter> {
        let server = tiny_http::Server::http(addr)
            .map_err(|err| anyhow::anyhow!(i18n::trf(Msg::MetricsListen, &[&addr, &err])))?;
        let latest: Arc<Mutex<Option<Arc<str>>>> = Arc::default();
        let shared = Arc::clone(&latest);
        let thread = std::thread::Builder::new()
            .name("metrics-http".to_owned())
            .spawn(move || answer(&server, &shared))
            .context("starting the HTTP server thread")?;
        Ok(Exporter { latest, thread })
    }

    /// Makes `text` what `/metrics` answers from now on.
    fn set(&self, text: String) {
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::from(text));
    }

    /// Goes on serving the last scan until the process is stopped.
    fn serve_forever(self) {
        // The server thread only ends if the listening socket fails; then so do we.
        let _ = self.thread.join();
    }
}

/// Answers requests until the server fails: `GET` or `HEAD /metrics` (a query string is
/// ignored) with the latest exposition, or 503 before the first complete scan; anything
/// else 404.
fn answer(server: &tiny_http::Server, latest: &Mutex<Option<Arc<str>>>) {
    for request in server.incoming_requests() {
        let path = request.url().split('?').next().unwrap_or_default();
        let method = request.method();
        let wanted = path == "/metrics"
            && matches!(method, tiny_http::Method::Get | tiny_http::Method::Head);
        let current = latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let response = match (wanted, current) {
            (true, Some(text)) => tiny_http::Response::from_data(text.as_bytes().to_vec())
                .with_header(header("Content-Type", CONTENT_TYPE)),
            (true, None) => {
                tiny_http::Response::from_string("no complete scan yet\n").with_status_code(503)
            }
            (false, _) => {
                tiny_http::Response::from_string("not found: try /metrics\n").with_status_code(404)
            }
        };
        // A scraper that hangs up mid-answer is its own concern; the next scrape is
        // answered as usual.
        let _ = request.respond(response);
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    // Both are constants known to be valid header text.
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("a constant header is valid"))
}
