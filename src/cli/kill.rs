//! `prt kill [TARGET...]`: signal the owners of records (stdin) or of PIDs / ports.
//!
//! Input: TARGET arguments (`1234`, `:8080`, `8080/tcp`, `53/udp`), or else NDJSON records.
//! Output: one result record per process (table on a terminal). Exit: 0 when every target
//! ended up as asked, 1 otherwise (or nothing to signal), 2 on bad input.

use std::time::Duration;

use super::common::{
    Answer, ConfigArgs, Ctx, OutputArgs, RecordArgs, TargetInput, ask_on_terminal,
};
use super::exit::{Exit, Stage};
use crate::act::kill::{self, KillOptions, KillResult, Outcome, Signal};
use crate::act::target::{Target, TargetSpec, Targets};
use crate::duration;
use crate::i18n::{self, Msg};
use crate::output::results::Tone;
use crate::scan;

const EXAMPLES: &str = "\
Examples:
  prt kill :8080                            whatever listens on port 8080 (asks first)
  prt kill --yes --escalate 5s 8080/tcp     TERM, then KILL if still there after 5 s
  prt scan | prt filter 'port=8080' | prt kill --escalate 5s
  prt scan | prt filter '!' | prt kill --dry-run     what would be signalled, and why not
  prt kill -s HUP 1234                      reload one process

A port means the processes listening on it (TCP) or bound to it (UDP), never a client whose
own port has that number. A record's process is signalled only while its pid still holds
the process the record names (name and start time), through a pidfd. pid 0, 1 and prt itself
are never signalled. On a terminal prt lists the targets and asks; without one, --yes is
needed.";

/// Signal the processes that hold ports: safe to run from a script.
#[derive(Debug, clap::Parser)]
#[command(name = "kill", version, after_help = EXAMPLES)]
pub struct Args {
    /// PIDs, :PORT (listeners on both protocols), PORT/tcp or PORT/udp; without any, the
    /// owners of the records on stdin.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<TargetSpec>,
    /// The signal to send: a name (TERM, HUP, SIGKILL) or a number.
    #[arg(short, long, value_name = "SIGNAL", default_value = "TERM")]
    pub signal: Signal,
    /// Wait this long after the signal, then send KILL to what is still alive.
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub escalate: Option<Duration>,
    /// Check and list every target; signal nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(short, long)]
    pub yes: bool,
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

impl Stage for Args {
    const NAME: &'static str = "kill";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        let options = KillOptions {
            signal: self.signal,
            escalate: self.escalate,
            dry_run: self.dry_run,
        };
        // Without a question to ask, a stream (`prt watch --ndjson | ... | prt kill --yes`)
        // is acted on tick by tick; a question is asked once, about everything.
        let live = self.yes || self.dry_run;
        let mut sink = ctx.results(&self.output, &kill::HEADERS);
        let mut done: Vec<Target> = Vec::new();
        let mut written = 0usize;
        let mut all_as_asked = true;
        let input = TargetInput {
            specs: &self.targets,
            records: &self.records,
            skip_gone: true,
        };
        input.for_each_batch(ctx, live, |mut found| {
            // Every process holding an aimed socket, not only the one a record names.
            found.find_holders();
            found.remove_done(&done);
            let results = self.act_on(&found, &options, ctx)?;
            for result in &results {
                let as_asked = options.result_as_asked(result);
                all_as_asked &= as_asked;
                let tone = match result.outcome {
                    Outcome::SkippedDryRun => Tone::Plain,
                    _ if as_asked => Tone::Good,
                    _ => Tone::Bad,
                };
                sink.write(result, &result.cells(), tone)?;
            }
            done.extend(found.targets);
            written += results.len();
            sink.flush()?;
            Ok(())
        })?;
        sink.finish()?;
        if written == 0 && ctx.stderr_tty {
            ctx.note(i18n::tr(Msg::NothingToSignal));
        }
        Ok(Exit::matched(all_as_asked && written > 0))
    }
}

impl Args {
    /// Confirms (unless --yes or --dry-run) and signals one batch of targets.
    fn act_on(
        &self,
        found: &Targets,
        options: &KillOptions,
        ctx: &Ctx,
    ) -> Result<Vec<KillResult>, scan::Error> {
        if !(self.dry_run || self.yes || found.targets.is_empty()) {
            let refusal = match Self::confirm(found, options, ctx) {
                Answer::Yes => None,
                Answer::No => Some(i18n::tr(Msg::NotConfirmed)),
                Answer::NoTerminal => {
                    ctx.note(i18n::tr(Msg::NoTerminalNote));
                    Some(i18n::tr(Msg::NoTerminal))
                }
            };
            if let Some(why) = refusal {
                let unowned = found.unowned.iter();
                let mut results: Vec<KillResult> = unowned
                    .map(|u| KillResult::unowned(&u.socket, &u.reason, &u.source))
                    .collect();
                results.extend(found.targets.iter().map(|t| KillResult::refused(t, why)));
                return Ok(results);
            }
        }
        kill::kill_and_verify(found, options)
    }

    /// Lists the targets on the terminal and asks whether to go on.
    fn confirm(found: &Targets, options: &KillOptions, ctx: &Ctx) -> Answer {
        let count = found.targets.len();
        let wait = options.escalate.map(duration::exact).unwrap_or_default();
        let question = match (count, options.escalate.is_some()) {
            (1, false) => Msg::AskOne,
            (_, false) => Msg::AskMany,
            (1, true) => Msg::AskOneEscalate,
            (_, true) => Msg::AskManyEscalate,
        };
        let question = i18n::trf(question, &[&options.signal, &count, &wait]);
        let lines: Vec<String> = found.targets.iter().map(Target::describe).collect();
        ask_on_terminal(ctx, &lines, &question)
    }
}
