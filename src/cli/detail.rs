//! `prt detail [TARGET...]`: everything about the processes behind records or PIDs.
//!
//! Input: TARGET arguments (`1234`, `:8080`, `8080/tcp`), or else NDJSON records (their
//! owners). Output: one record per process — NDJSON in a pipe, a labelled view on a
//! terminal. Exit: 0 when every process was described, 1 when one was gone (or none was
//! named), 2 on bad input.

use std::io::Write as _;
use std::time::Duration;

use super::common::{ConfigArgs, Ctx, OutputArgs, RecordArgs, SocketArgs, TargetInput};
use super::exit::{Exit, Stage};
use crate::act::target::{Target, TargetSpec};
use crate::detail::{self, DetailOptions};
use crate::duration;
use crate::enrich::Enricher;
use crate::enrich::containers::Containers;
use crate::i18n::{self, Msg};
use crate::output::results::Tone;
use crate::output::{Format, detail_view, key_values};

const EXAMPLES: &str = "\
Examples:
  prt detail :8080                          who listens on 8080, in full
  prt detail --files 1234                   with every open file
  prt scan | prt filter '!' | prt detail    the processes behind suspicious sockets
  prt detail 1234 | jq '.parents[].process' its ancestry
  sudo prt detail --env-values 1234         environment with values (they hold secrets)

What cannot be read (another user's cwd, environment, fds) is null with a note; run as root
to see it. A record's process is described only while its pid still holds that process.";

/// Everything about the processes behind records or PIDs: files, parents, cgroup, env.
#[derive(Debug, clap::Parser)]
#[command(name = "detail", version, after_help = EXAMPLES)]
pub struct Args {
    /// PIDs, :PORT, PORT/tcp or PORT/udp; without any, the owners of the records on stdin.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<TargetSpec>,
    /// List every open file, not only count them.
    #[arg(long)]
    pub files: bool,
    /// Show environment variable values, not only names (they often hold secrets).
    #[arg(long)]
    pub env_values: bool,
    /// How long to measure CPU use over (0 skips it).
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = sample_duration)]
    pub sample: Duration,
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

/// A duration, or `0` for none.
fn sample_duration(text: &str) -> Result<Duration, String> {
    if text.trim_end_matches(['m', 's']) == "0" {
        return Ok(Duration::ZERO);
    }
    duration::parse(text)
}

impl Stage for Args {
    const NAME: &'static str = "detail";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        let options = DetailOptions {
            files: self.files,
            env_values: self.env_values,
            sample: self.sample,
        };
        let table = (ctx.format(&self.output) == Format::Table)
            .then(|| ctx.table_options(self.output.color));
        let mut out = ctx.stdout();
        let mut sink = ctx.results(&self.output, &[]);
        let mut containers = Containers::new();
        // Service names for the sockets listed; container names come per process.
        let mut services = Enricher::new(&ctx.config).with_containers(None);
        let mut done: Vec<Target> = Vec::new();
        let (mut described, mut missing) = (0usize, 0usize);
        let input = TargetInput {
            specs: &self.targets,
            records: &self.records,
            skip_gone: false,
        };
        // Batch by batch, so `prt watch --ndjson | prt detail` describes each tick's
        // processes as they appear.
        input.for_each_batch(ctx, true, |mut found| {
            found.remove_done(&done);
            for unowned in &found.unowned {
                ctx.note(&i18n::trf(
                    Msg::NoPid,
                    &[&unowned.source, &unowned.socket, &unowned.reason],
                ));
            }
            if found.targets.is_empty() {
                return Ok(());
            }
            let mut sockets = crate::scan::scan(&SocketArgs::default().options())?.entries;
            services.enrich(&mut sockets);
            let details = detail::describe(&found.targets, &sockets, &options, &mut containers);
            done.extend(found.targets);
            for result in &details {
                let detail = match result {
                    Ok(detail) => detail,
                    Err(gone) => {
                        missing += 1;
                        ctx.note(&gone.reason);
                        continue;
                    }
                };
                match &table {
                    Some(table) => {
                        if described > 0 {
                            writeln!(out)?;
                        }
                        out.write_all(
                            key_values::key_values(&detail_view::sections(detail), table)
                                .as_bytes(),
                        )?;
                    }
                    None => sink.write(detail, &[], Tone::Plain)?,
                }
                described += 1;
            }
            out.flush()?;
            sink.flush()?;
            Ok(())
        })?;
        sink.finish()?;
        Ok(Exit::matched(described > 0 && missing == 0))
    }
}
