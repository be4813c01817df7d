//! `prt alert [--rules FILE | --when EXPR --action ACTION] [FILE...]`: rules over records.
//!
//! Input: NDJSON records (stdin or FILEs), from `prt scan` or a live `prt watch`. Output:
//! the records that fired, each with an `alerts` field naming the rules (`--pass`: every
//! record, `"alerts":[]` where none fired); a table on a terminal, fired rows highlighted.
//! A bell rule rings the terminal (never into the stream); `--exec CMD` runs CMD per fired
//! record. Exit: 0 when any rule fired, 1 when none did, 2 on error — like grep.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::common::{ConfigArgs, Ctx, Next, OutputArgs, RecordStream};
use super::exit::{Exit, Stage};
use crate::act::exec::{Job, QueueFull, Runner};
use crate::alert::{self, Action, Rule};
use crate::config::Config;
use crate::duration;
use crate::i18n::{self, Msg};
use crate::output::RecordSink;
use crate::raw::{Key, RawRecord};

const EXAMPLES: &str = "\
Examples:
  prt watch --ndjson | prt alert --when 'port=22 and status=new' --action bell
  prt scan | prt alert -q --rules ports.toml && mail -s 'ports' root < /dev/null
  prt watch --ndjson | prt alert --when 'state=listen' --exec 'logger -t prt \"$PRT_PORT\"'
  prt scan | prt alert --pass --format table      every socket, fired rows highlighted

Rules come from --when (one rule), --rules FILE (its [[alerts]]), or else the configuration's
[[alerts]]. A rule's conditions (port, process, state, connections_gt, when) must all hold.
--exec runs CMD with the record on stdin and PRT_RULE, PRT_PORT, PRT_PID, PRT_PROCESS set.";

/// Evaluate alert rules over records: pass on what fired, ring, or run a command.
#[derive(Debug, clap::Parser)]
#[command(name = "alert", version, after_help = EXAMPLES)]
pub struct Args {
    /// Read records from these files in turn instead of stdin ('-' is stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Rules from this TOML file (its alerts tables, as in the configuration file).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// One rule: a filter expression (see `prt filter --help`).
    #[arg(long, value_name = "EXPR")]
    pub when: Option<String>,
    /// The --when rule's action: bell (new sockets only) or highlight.
    #[arg(
        long,
        value_name = "ACTION",
        default_value = "highlight",
        requires = "when"
    )]
    pub action: String,
    /// The --when rule's name [default: the expression].
    #[arg(long, value_name = "NAME", requires = "when")]
    pub name: Option<String>,
    /// Pass every record on, with `"alerts":[]` where no rule fired.
    #[arg(long)]
    pub pass: bool,
    /// Print no records; the exit status says whether any rule fired.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Run CMD through the shell for each fired record, the record on its stdin.
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// How many --exec commands may run at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub exec_jobs: u16,
    /// Kill an --exec command, and everything it started, when it runs longer than this
    /// (counted from its start, feeding it the record included).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse)]
    pub exec_timeout: Duration,
    /// Report malformed lines on stderr and go on, instead of stopping with status 2.
    #[arg(long)]
    pub skip_invalid: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
}

/// Runs waiting for a free --exec worker before further ones are refused (and reported).
const EXEC_QUEUE: usize = 256;

/// The kind of note for an --exec run that failed or timed out.
const EXEC_FAILED: &str = "exec-failed";

impl Stage for Args {
    const NAME: &'static str = "alert";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        let rules = self.rules(ctx)?;
        if rules.is_empty() && ctx.stderr_tty {
            ctx.note(i18n::tr(Msg::NoRules));
        }
        let grouped = rules.iter().any(Rule::counts_per_pid);
        let mut stage = Alerting {
            rules,
            sink: (!self.quiet).then(|| ctx.sink(&self.output)),
            pass: self.pass,
            bell: Bell::for_terminal(ctx),
            runner: self.exec.as_deref().map(|command| {
                Runner::new(
                    command,
                    usize::from(self.exec_jobs),
                    EXEC_QUEUE,
                    self.exec_timeout,
                )
            }),
            fired_any: false,
            annotated: Vec::with_capacity(1024),
        };
        let mut input = RecordStream::new(self.files, self.skip_invalid);
        let mut group: Vec<Vec<u8>> = Vec::new();
        let mut group_key = None;
        // On a terminal, a table from a live stream is written row by row once it pauses.
        let mut streaming = !ctx.stdout_tty;
        loop {
            if input.would_wait() {
                // The producer paused: a watch has written its whole tick.
                stage.group(&std::mem::take(&mut group), ctx)?;
                stage.flush()?;
                if !streaming
                    && input.is_live()
                    && let Some(sink) = stage.sink.as_mut()
                {
                    streaming = sink.go_live()?;
                }
            }
            let record = match input.next(ctx)? {
                Next::Record(record) => record,
                Next::Skipped => continue,
                Next::End => break,
            };
            if grouped {
                // connections_gt counts within a scan: keep the scan's lines until it ends.
                let key = alert::group_key(&record);
                if !group.is_empty() && group_key != Some(key) {
                    stage.group(&std::mem::take(&mut group), ctx)?;
                }
                group_key = Some(key);
                group.push(record.line().to_vec());
            } else {
                stage.record(&record, ctx)?;
            }
            if self.quiet && stage.fired_any && stage.runner.is_none() {
                break; // like grep -q: the answer is known
            }
        }
        stage.group(&group, ctx)?;
        if let Some(sink) = stage.sink.as_mut() {
            sink.finish()?;
        }
        if let Some(runner) = stage.runner.take() {
            for failure in runner.finish() {
                ctx.error_capped(EXEC_FAILED, &failure);
            }
        }
        Ok(Exit::matched(stage.fired_any))
    }
}

impl Args {
    /// The rules: `--rules FILE` and `--when`, or else the configuration's.
    fn rules(&self, ctx: &Ctx) -> anyhow::Result<Vec<Rule>> {
        let mut rules = Vec::new();
        if let Some(path) = &self.rules {
            let Some(file) = Config::load(path)? else {
                anyhow::bail!("rules file {} does not exist", path.display());
            };
            for rule in &file.alerts {
                rules.push(Rule::from_config(rule, Some(path))?);
            }
        }
        if let Some(when) = &self.when {
            let name = self.name.as_deref().unwrap_or(when);
            rules.push(Rule::from_expression(name, &self.action, when)?);
        }
        if self.rules.is_none() && self.when.is_none() {
            for rule in &ctx.config.alerts {
                rules.push(Rule::from_config(rule, ctx.config.path.as_deref())?);
            }
        }
        Ok(rules)
    }
}

/// The state of one alert run: where fired records go and what they set off.
struct Alerting {
    rules: Vec<Rule>,
    sink: Option<Box<dyn RecordSink>>,
    pass: bool,
    bell: Bell,
    runner: Option<Runner>,
    fired_any: bool,
    annotated: Vec<u8>,
}

impl Alerting {
    /// Evaluates one whole group of lines (already validated).
    fn group(&mut self, lines: &[Vec<u8>], ctx: &Ctx) -> anyhow::Result<()> {
        let records: Vec<RawRecord<'_>> = lines
            .iter()
            .filter_map(|line| RawRecord::parse(line).ok())
            .collect();
        let fired = alert::evaluate_group(&self.rules, &records);
        for (record, fired) in records.iter().zip(fired) {
            self.act(record, &fired, ctx)?;
        }
        Ok(())
    }

    /// Evaluates one record on its own (no rule counts per pid).
    fn record(&mut self, record: &RawRecord<'_>, ctx: &Ctx) -> anyhow::Result<()> {
        let fired = alert::evaluate_group(&self.rules, std::slice::from_ref(record));
        self.act(record, fired.first().map_or(&[][..], Vec::as_slice), ctx)
    }

    /// Passes on, rings and runs for one record whose firing rules are `fired`.
    fn act(&mut self, record: &RawRecord<'_>, fired: &[usize], ctx: &Ctx) -> anyhow::Result<()> {
        if fired.is_empty() && !self.pass {
            return Ok(());
        }
        let names: Vec<&str> = fired.iter().map(|&i| self.rules[i].name.as_str()).collect();
        alert::annotate(record, &names, &mut self.annotated);
        if let Some(sink) = self.sink.as_mut() {
            let annotated = RawRecord::parse(&self.annotated)
                .map_err(|e| anyhow::anyhow!("annotating a record: {e}"))?;
            sink.write_raw_marked(&annotated, !fired.is_empty())?;
            if let Some(note) = sink.take_note() {
                ctx.note(&note);
            }
        }
        if fired.is_empty() {
            return Ok(());
        }
        self.fired_any = true;
        if fired.iter().any(|&i| self.rules[i].action == Action::Bell) {
            self.bell.ring()?;
        }
        if let Some(runner) = &self.runner {
            let job = exec_job(record, &names, &self.annotated);
            if let Err(QueueFull(job)) = runner.submit(job) {
                let note = format!(
                    "{}: --exec not run, {EXEC_QUEUE} runs already waiting",
                    job.label
                );
                ctx.error_capped("exec-queue-full", &note);
            }
            for failure in runner.failures() {
                ctx.error_capped(EXEC_FAILED, &failure);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(sink) = self.sink.as_mut() {
            sink.flush()?;
        }
        Ok(())
    }
}

/// One --exec run for a fired record: the annotated record on stdin, its key fields in the
/// environment (empty when the record has none).
fn exec_job(record: &RawRecord<'_>, names: &[&str], annotated: &[u8]) -> Job {
    let number = |key| record.u64(key).map_or(String::new(), |n| n.to_string());
    let port = number(Key::LocalPort);
    let mut stdin = annotated.to_vec();
    stdin.push(b'\n');
    Job {
        stdin,
        label: format!("rule {}, port {port}", names.join(",")),
        env: vec![
            ("PRT_RULE".to_owned(), names.join(",")),
            ("PRT_PORT".to_owned(), port),
            ("PRT_PID".to_owned(), number(Key::Pid)),
            (
                "PRT_PROCESS".to_owned(),
                record
                    .str(Key::Process)
                    .map_or(String::new(), std::borrow::Cow::into_owned),
            ),
        ],
    }
}

/// Where the bell goes: the terminal on stdout, else the one on stderr (stdout being the
/// record stream), else nowhere — a cron job has no bell.
enum Bell {
    Stdout,
    Stderr,
    Silent,
}

impl Bell {
    fn for_terminal(ctx: &Ctx) -> Bell {
        if ctx.stdout_tty {
            Bell::Stdout
        } else if ctx.stderr_tty {
            Bell::Stderr
        } else {
            Bell::Silent
        }
    }

    fn ring(&self) -> std::io::Result<()> {
        match self {
            Bell::Stdout => {
                let mut out = std::io::stdout();
                out.write_all(b"\x07")?;
                out.flush()
            }
            Bell::Stderr => {
                let mut err = std::io::stderr();
                err.write_all(b"\x07")?;
                err.flush()
            }
            Bell::Silent => Ok(()),
        }
    }
}
