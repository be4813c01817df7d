//! `prt fw [ADDRESS|PORT/PROTO...]`: firewall commands that block what records name.
//!
//! Input: addresses or `PORT/tcp` arguments, or else NDJSON records (their remote address,
//! or with --local-port their local port). Output: an sh script on stdout; with --apply the
//! commands are run and one result record per target is written (table on a terminal).
//! Exit: 0; 1 when nothing was left to block or a command failed; 2 on bad input.

use std::io::Write as _;

use clap::ValueEnum;

use super::common::{ConfigArgs, Ctx, OutputArgs, RecordArgs, RecordEvent};
use super::exit::{Exit, Stage};
use crate::act::firewall::{self, Action, Backend, Block, Blocklist, Outcome};
use crate::i18n::{self, Msg};
use crate::output::results::Tone;

const EXAMPLES: &str = "\
Examples:
  prt scan | prt filter 'remote in 203.0.113.0/24' | prt fw | sudo sh
  prt scan | prt filter 'process=nc' | prt fw --backend iptables > block.sh
  prt scan | prt filter 'port=8080 and state=listen' | prt fw --local-port --apply
  prt fw --undo 203.0.113.5 | sudo sh          unblock one address
  prt fw --reset --apply                       remove every rule prt added

nft keeps prt's rules in table 'inet prt' (sets blocked_v4, blocked_v6, blocked_tcp,
blocked_udp); iptables in chains prt-in and prt-out; pf in anchor 'prt', table prt_blocked.
Blocking twice adds nothing. Loopback and unspecified addresses are never blocked, nor this
machine's own or private addresses unless --allow-private.";

/// `--backend` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// nftables (the default on Linux).
    Nft,
    /// iptables, and ip6tables for IPv6.
    Iptables,
    /// pf (the default on macOS).
    Pfctl,
}

/// Turn records into firewall commands that block their addresses or ports.
#[derive(Debug, clap::Parser)]
#[command(name = "fw", version, after_help = EXAMPLES)]
pub struct Args {
    /// Addresses, or PORT/tcp and PORT/udp, to block; without any, what the records on
    /// stdin name.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<Block>,
    /// The firewall [default: nft on Linux, pfctl on macOS].
    #[arg(long, value_enum, value_name = "BACKEND")]
    pub backend: Option<BackendArg>,
    /// Block each record's local port (incoming) instead of its remote address.
    #[arg(long)]
    pub local_port: bool,
    /// Give the commands that remove the blocks instead.
    #[arg(long)]
    pub undo: bool,
    /// Give the commands that remove everything prt added (reads no records).
    #[arg(long, conflicts_with_all = ["targets", "undo", "local_port"])]
    pub reset: bool,
    /// Run the commands now (as root) and report each result, instead of printing a script.
    #[arg(long)]
    pub apply: bool,
    /// Also block this machine's own and private (RFC 1918, ULA, link-local) addresses.
    #[arg(long)]
    pub allow_private: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub records: RecordArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
}

/// The kind of note for a record or argument that names nothing that may be blocked.
const FW_SKIPPED: &str = "fw-skipped";

impl Stage for Args {
    const NAME: &'static str = "fw";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        let backend = match self.backend {
            Some(BackendArg::Nft) => Backend::Nft,
            Some(BackendArg::Iptables) => Backend::Iptables,
            Some(BackendArg::Pfctl) => Backend::Pfctl,
            None => Backend::for_platform(),
        };
        let action = match (self.reset, self.undo) {
            (true, _) => Action::Reset,
            (false, true) => Action::Unblock,
            (false, false) => Action::Block,
        };
        let blocks = if self.reset {
            Vec::new()
        } else {
            self.blocklist(ctx)?.blocks()
        };
        if blocks.is_empty() && !self.reset {
            ctx.note(i18n::tr(Msg::NothingToBlock));
            return Ok(Exit::NoMatch);
        }
        let steps = firewall::plan(backend, action, &blocks);
        if !self.apply {
            let mut out = ctx.stdout();
            out.write_all(firewall::script(backend, action, &steps).as_bytes())?;
            out.flush()?;
            return Ok(Exit::Success);
        }
        let results = firewall::apply(backend, &steps);
        let mut sink = ctx.results(&self.output, &firewall::HEADERS);
        let mut failed = false;
        for result in &results {
            let tone = match result.outcome {
                Outcome::Applied => Tone::Good,
                Outcome::Unchanged => Tone::Plain,
                Outcome::Failed => Tone::Bad,
            };
            failed |= result.outcome == Outcome::Failed;
            sink.write(result, &result.cells(), tone)?;
        }
        sink.finish()?;
        Ok(Exit::matched(!failed))
    }
}

impl Args {
    /// What to block, from the arguments or the records; what is skipped is noted as it
    /// comes (the first few of each kind, then a count).
    fn blocklist(&self, ctx: &Ctx) -> anyhow::Result<Blocklist> {
        let mut list = Blocklist::new(
            self.local_port,
            self.allow_private,
            firewall::own_addresses(),
        );
        if !self.targets.is_empty() {
            for &block in &self.targets {
                if let Some(note) = list.add(block, "argument") {
                    ctx.note_capped(FW_SKIPPED, &note);
                }
            }
            return Ok(list);
        }
        self.records.read(ctx, Msg::NoBlockTargets, |event| {
            if let RecordEvent::Record(record, place) = event
                && let Some(note) = list.add_record(record, place)?
            {
                ctx.note_capped(FW_SKIPPED, &note);
            }
            Ok(())
        })?;
        Ok(list)
    }
}
