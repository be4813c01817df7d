//! Records in: the input of filter and alert (files or stdin, live or finished), and the
//! targets of the acting stages (records or arguments, `:PORT` resolved by a scan).

use std::io::{self, IsTerminal};
use std::ops::ControlFlow;
use std::path::PathBuf;

use super::args::SocketArgs;
use super::ctx::Ctx;
use crate::act::target::{TargetSpec, Targets};
use crate::i18n::{self, Msg};
use crate::output::reader::{self, Input, Reader};
use crate::raw::RawRecord;

/// Where an acting stage (kill, fw, detail) reads records when no TARGET is given:
/// `--input FILE` (else stdin) and `--skip-invalid`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RecordArgs {
    /// Read records from this file instead of stdin ('-' is stdin).
    #[arg(long, value_name = "FILE", conflicts_with = "targets")]
    pub input: Vec<PathBuf>,
    /// Report malformed lines and bad values on stderr and go on, instead of exit status 2.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// The kind of note for a malformed line skipped with `--skip-invalid`.
pub const SKIPPED_LINE: &str = "skipped-line";

/// The records `filter` and `alert` read from their FILEs (or stdin), one at a time: a file
/// that cannot be opened is said and passed over like grep does (exit 2 at the end), a
/// malformed line is an error unless `--skip-invalid` (then a capped note), and it tells a
/// live stream (a producer still writing a while after its first line) from finished input.
pub struct RecordStream {
    input: Reader,
    skip_invalid: bool,
    first_line: Option<std::time::Instant>,
}

/// What [`RecordStream::next`] found.
#[allow(
    clippy::large_enum_variant,
    reason = "one per record, moved out at once: boxing would allocate on the hot path"
)]
pub enum Next<'a> {
    /// A record.
    Record(RawRecord<'a>),
    /// A line or a file passed over (already said on stderr).
    Skipped,
    /// The end of every input.
    End,
}

impl RecordStream {
    /// The records of `files`, or of stdin when there are none.
    #[must_use]
    pub fn new(files: Vec<PathBuf>, skip_invalid: bool) -> RecordStream {
        RecordStream {
            input: Reader::new(files.into_iter().map(Input::from_arg).collect()),
            skip_invalid,
            first_line: None,
        }
    }

    /// Whether the next record has to come from the producer: the moment to flush.
    #[must_use]
    pub fn would_wait(&self) -> bool {
        self.input.would_wait()
    }

    /// Whether the input is a live stream (stdin still sending a while after its first line).
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.first_line
            .is_some_and(|since| self.input.is_live(since))
    }

    /// Whether every input is all there (regular files, stdin too when redirected from
    /// one), so that [`RecordStream::par_for_each`] can read it.
    #[must_use]
    pub fn all_there(&self) -> bool {
        self.input.all_regular_files()
    }

    /// Hands `each` every record `pick` chooses, in input order, with `pick` (parsing and
    /// matching) running on every core; errors are what [`RecordStream::next`] makes of
    /// them. `each` breaks to stop early. For input that is [all there]; a live stream
    /// reads a record at a time with [`RecordStream::next`].
    ///
    /// [all there]: RecordStream::all_there
    pub fn par_for_each(
        &mut self,
        ctx: &Ctx,
        pick: impl Fn(&RawRecord<'_>) -> bool + Sync,
        mut each: impl FnMut(&RawRecord<'_>) -> anyhow::Result<ControlFlow<()>>,
    ) -> anyhow::Result<()> {
        let skip_invalid = self.skip_invalid;
        let mut failed = None;
        // A malformed line is always picked, so that it is reported in its place.
        let choose = |line: &[u8]| RawRecord::parse(line).map_or(true, |record| pick(&record));
        reader::par_lines(&mut self.input, choose, |line| {
            let outcome = match line.and_then(|line| line.record()) {
                Ok(record) => each(&record),
                Err(err @ reader::Error::Open { .. }) => {
                    ctx.error(&err.into());
                    Ok(ControlFlow::Continue(()))
                }
                Err(err @ reader::Error::Malformed { .. }) if skip_invalid => {
                    ctx.note_capped(SKIPPED_LINE, &i18n::trf(Msg::SkippedLine, &[&err]));
                    Ok(ControlFlow::Continue(()))
                }
                Err(err) => Err(err.into()),
            };
            outcome.unwrap_or_else(|err| {
                failed = Some(err);
                ControlFlow::Break(())
            })
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// The next record, or why there is none this time.
    pub fn next(&mut self, ctx: &Ctx) -> anyhow::Result<Next<'_>> {
        let line = match self.input.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(Next::End),
            Err(err @ reader::Error::Open { .. }) => {
                ctx.error(&err.into());
                return Ok(Next::Skipped);
            }
            Err(err) => return Err(err.into()),
        };
        self.first_line.get_or_insert_with(std::time::Instant::now);
        match line.record() {
            Ok(record) => Ok(Next::Record(record)),
            Err(err @ reader::Error::Malformed { .. }) if self.skip_invalid => {
                ctx.note_capped(SKIPPED_LINE, &i18n::trf(Msg::SkippedLine, &[&err]));
                Ok(Next::Skipped)
            }
            Err(err) => Err(err.into()),
        }
    }
}

/// What [`RecordArgs::read`] hands on.
pub enum RecordEvent<'a> {
    /// A record, and where it is (`line 3`).
    Record(&'a RawRecord<'a>, &'a str),
    /// The producer paused: what came so far is a whole tick of a live stream.
    Pause,
}

impl RecordArgs {
    /// Reads every record and hands it to `each`. Stdin left on a terminal is an error that
    /// says what to give instead (`no_input`, which names the stage with `{0}`). An error
    /// from `each` for one record (a bad pid, a bad address) counts as bad input: reported
    /// and skipped with `--skip-invalid`, fatal otherwise.
    pub fn read(
        &self,
        ctx: &Ctx,
        no_input: Msg,
        mut each: impl FnMut(RecordEvent<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if self.input.is_empty() && io::stdin().is_terminal() {
            anyhow::bail!(i18n::trf(no_input, &[&ctx.label]));
        }
        let mut reader = Reader::new(self.input.iter().cloned().map(Input::from_arg).collect());
        loop {
            if reader.would_wait() {
                each(RecordEvent::Pause)?;
            }
            let Some(line) = reader.next_line()? else {
                return Ok(());
            };
            let place = format!("line {}", line.number);
            let handled = line
                .record()
                .map_err(anyhow::Error::from)
                .and_then(|record| each(RecordEvent::Record(&record, &place)));
            match handled {
                Ok(()) => {}
                Err(err) if self.skip_invalid => {
                    let note = i18n::trf(Msg::SkippedLine, &[&format!("{err:#}")]);
                    ctx.note_capped(SKIPPED_LINE, &note);
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// Where an acting stage (kill, detail) finds its processes: its arguments, or else the
/// records [`RecordArgs`] reads.
pub struct TargetInput<'a> {
    /// `PID`, `:PORT`, `PORT/tcp`, `PORT/udp` arguments.
    pub specs: &'a [TargetSpec],
    /// Where records come from otherwise.
    pub records: &'a RecordArgs,
    /// Whether a `gone` record names no process (kill: its socket is closed).
    pub skip_gone: bool,
}

impl TargetInput<'_> {
    /// Hands the processes named to `act` in batches. With `streaming`, a batch ends whenever
    /// the producer pauses (a `prt watch` has written its tick), so a stream is acted on
    /// as it comes instead of at an end that never comes; otherwise there is one batch.
    /// `act` is called at least once, with an empty batch if nothing was named.
    pub fn for_each_batch(
        &self,
        ctx: &Ctx,
        streaming: bool,
        mut act: impl FnMut(Targets) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if !self.specs.is_empty() {
            return act(self.resolve_specs(ctx)?);
        }
        let fresh = || {
            if self.skip_gone {
                Targets::new().closed_sockets_name_nothing()
            } else {
                Targets::new()
            }
        };
        let mut batch = fresh();
        let mut acted = false;
        self.records
            .read(ctx, Msg::NoTargets, |event| match event {
                RecordEvent::Record(record, place) => Ok(batch.add_record(record, place)?),
                RecordEvent::Pause if streaming && !batch.is_empty() => {
                    acted = true;
                    act(std::mem::replace(&mut batch, fresh()))
                }
                RecordEvent::Pause => Ok(()),
            })?;
        if !acted || !batch.is_empty() {
            act(batch)?;
        }
        Ok(())
    }

    /// The processes the arguments name.
    fn resolve_specs(&self, ctx: &Ctx) -> anyhow::Result<Targets> {
        let mut targets = Targets::new();
        let needs_scan = self.specs.iter().any(|s| matches!(s, TargetSpec::Port(..)));
        let entries = if needs_scan {
            let options = SocketArgs {
                listen: true,
                ..SocketArgs::default()
            }
            .options();
            crate::scan::scan(&options)?.entries
        } else {
            Vec::new()
        };
        for &spec in self.specs {
            if targets.add_spec(spec, &entries) == 0
                && let TargetSpec::Port(..) = spec
            {
                ctx.note(&i18n::trf(Msg::NothingListens, &[&spec]));
            }
        }
        Ok(targets)
    }
}
