//! `prt scan [OPTIONS]`: one snapshot of every TCP and UDP socket with its owning process.
//!
//! Output: one record per socket (DESIGN section 2), a table on a terminal and NDJSON
//! otherwise. Exit: 0, or 2 when no socket source could be read.

use anyhow::Context as _;

use super::common::{ConfigArgs, Ctx, HostArgs, OutputArgs, SocketArgs};
use super::exit::{Exit, Stage};
use crate::output::{self, Format};
use std::sync::Arc;

use crate::i18n::{self, Msg};
use crate::query;
use crate::scan::{Family, SortKey};
use crate::session::{self, Options};
use std::ops::ControlFlow;

const EXAMPLES: &str = "\
Examples:
  prt scan                              every socket, as a table on a terminal
  prt scan -tl                          TCP listeners
  prt scan -6 --udp --sort process      IPv6 UDP sockets by process name
  prt scan --where 'port<1024 and not uid=0'    privileged ports held by others
  prt scan --format csv > ports.csv     for a spreadsheet
  prt scan -t --traffic | jq -c 'select(.bytes_sent > 1e9) | {pid, process, bytes_sent}'
  prt scan | jq -r 'select(.pid == null) | \"\\(.proto) \\(.local_port)\"'";

/// One snapshot of every TCP and UDP socket with its owning process.
///
/// Lists the same sockets as `ss -tunap`, each with its process, command line, user and
/// start time. Sockets whose owner cannot be seen (another user's, without root) are kept
/// with a null pid.
#[derive(Debug, clap::Parser)]
#[command(name = "scan", version, after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sockets: SocketArgs,
    /// Only the sockets that match this filter expression (see `prt filter --help`).
    #[arg(long = "where", value_name = "EXPR")]
    pub where_: Option<String>,
    /// Sort by this column (unknown values last) [default: port].
    #[arg(long, value_enum, value_name = "COLUMN")]
    pub sort: Option<SortKey>,
    /// Reverse the sort order.
    #[arg(long, short = 'r')]
    pub reverse: bool,
    /// TCP counters in every record: bytes_sent, bytes_received, retrans, rtt_us (null for
    /// UDP and sockets without them). The dump takes about 15% longer with them, so they
    /// are off unless asked.
    #[arg(long)]
    pub traffic: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub host: HostArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
}

impl Stage for Args {
    const NAME: &'static str = "scan";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        let mut scan = self.sockets.options();
        scan.traffic = self.traffic;
        let mut options = Options::default()
            .with_scan(scan)
            .with_config(ctx.config.clone())
            .sorted_by(self.sort.unwrap_or(SortKey::Port), self.reverse);
        if let Some(text) = self.where_.as_deref() {
            options = options.with_filter(query::parse(text)?);
        }
        let mut table = ctx.table_options(self.output.color);
        table.traffic = self.traffic;
        let format = ctx.format(&self.output);
        if !matches!(format, Format::Ndjson | Format::Json | Format::Csv) {
            // A table lays itself out once every row is in, with the names of the
            // namespaces the scan listed: made whole, then written.
            let result = session::snapshot(&options).context("cannot list sockets")?;
            if options.scan.all_netns {
                table.netns_names = Some(Arc::new(result.namespace_names.clone()));
            }
            let mut sink = ctx.sink_with(&self.output, table);
            sink.write_entries(&result.entries)?;
            sink.finish()?;
            return Ok(Self::notes(ctx, &result));
        }
        let mut sink = if format == Format::Ndjson && self.host.host.is_some() {
            output::sink(Format::Ndjson, self.host.wrap(ctx.stdout())?, table)
        } else {
            ctx.sink_with(&self.output, table)
        };
        // Records are written as they are made, a block at a time.
        let mut failed = None;
        let result = session::snapshot_each(&options, |block| match sink.write_entries(block) {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => {
                failed = Some(err);
                ControlFlow::Break(())
            }
        })
        .context("cannot list sockets")?;
        if let Some(err) = failed {
            return Err(err.into());
        }
        sink.finish()?;
        Ok(Self::notes(ctx, &result))
    }
}

impl Args {
    /// What the scan could not see, on stderr once the records are out.
    fn notes(ctx: &Ctx, result: &session::Snapshot) -> Exit {
        if let Some(note) = super::common::netns_note(&result.namespaces) {
            ctx.error_note(&note);
        }

        if ctx.stderr_tty {
            if result.hidden_owners > 0 {
                ctx.note(&i18n::trf(Msg::HiddenOwners, &[&result.hidden_owners]));
            }
            for (proto, family) in &result.fell_back {
                let family = match family {
                    Family::V4 => "IPv4",
                    Family::V6 => "IPv6",
                };
                ctx.note(&i18n::trf(Msg::FellBack, &[&proto, &family]));
            }
        }
        Exit::Success
    }
}
