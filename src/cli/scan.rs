//! `prt scan [OPTIONS]`: one snapshot of every TCP and UDP socket with its owning process.
//!
//! Output: one record per socket (DESIGN section 2), a table on a terminal and NDJSON
//! otherwise. Exit: 0, or 2 when no socket source could be read.

use anyhow::Context as _;
use clap::ValueEnum;

use super::common::{ConfigArgs, Ctx, HostArgs, OutputArgs, SocketArgs};
use super::exit::{Exit, Stage};
use crate::output::{self, Format};
use std::sync::Arc;

use crate::enrich::Enricher;
use crate::i18n::{self, Msg};
use crate::query;
use crate::scan::{self, Family, SortKey};

const EXAMPLES: &str = "\
Examples:
  prt scan                              every socket, as a table on a terminal
  prt scan -tl                          TCP listeners
  prt scan -6 --udp --sort process      IPv6 UDP sockets by process name
  prt scan --where 'port<1024 and not uid=0'    privileged ports held by others
  prt scan --format csv > ports.csv     for a spreadsheet
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
    pub sort: Option<SortArg>,
    /// Reverse the sort order.
    #[arg(long, short = 'r')]
    pub reverse: bool,
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

/// `--sort` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(missing_docs)]
pub enum SortArg {
    Port,
    Proto,
    State,
    Pid,
    Process,
    User,
    Service,
}

impl Stage for Args {
    const NAME: &'static str = "scan";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        let query = self.where_.as_deref().map(query::parse).transpose()?;
        let options = self.sockets.options();
        let result = scan::scan(&options).context("cannot list sockets")?;
        let mut entries = result.entries;
        let mut enricher = Enricher::new(&ctx.config);
        enricher.enrich(&mut entries);
        if let Some(query) = &query {
            entries.retain(|entry| query.matches(entry));
        }
        scan::sort(&mut entries, self.sort_key(), self.reverse);

        let mut table = ctx.table_options(self.output.color);
        if options.all_netns {
            let names = enricher.namespace_names(&result.namespaces.listed);
            table.netns_names = Some(Arc::new(names));
        }
        let mut sink = if ctx.format(&self.output) == Format::Ndjson && self.host.host.is_some() {
            output::sink(Format::Ndjson, self.host.wrap(ctx.stdout())?, table)
        } else {
            ctx.sink_with(&self.output, table)
        };
        sink.write_entries(&entries)?;
        sink.finish()?;

        if let Some(note) = super::common::netns_note(&result.namespaces) {
            ctx.note(&note);
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
        Ok(Exit::Success)
    }
}

impl Args {
    fn sort_key(&self) -> SortKey {
        match self.sort.unwrap_or(SortArg::Port) {
            SortArg::Port => SortKey::Port,
            SortArg::Proto => SortKey::Proto,
            SortArg::State => SortKey::State,
            SortArg::Pid => SortKey::Pid,
            SortArg::Process => SortKey::Process,
            SortArg::User => SortKey::User,
            SortArg::Service => SortKey::Service,
        }
    }
}
