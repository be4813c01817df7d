//! `prt filter EXPR [FILE...]`: keep the records that match EXPR, like grep for records.
//!
//! Input: NDJSON records (stdin, or FILEs in turn; `-` is stdin). Output: the matching
//! records byte for byte (unknown fields kept), or a table on a terminal. Exit: 0 if any
//! record matched, 1 if none, 2 on error (a bad expression, a malformed line).

use std::path::PathBuf;

use anyhow::Context as _;

use super::common::{ConfigArgs, Ctx, NOTE_CAP, OutputArgs, SKIPPED_LINE};
use super::exit::{Exit, Stage};
use crate::i18n::{self, Msg};
use crate::output::reader::{self, Input, Reader};
use crate::query;

const EXAMPLES: &str = "\
Examples:
  prt scan | prt filter '!'                           suspicious sockets
  prt scan | prt filter 'port>=1024 and state=listen' unprivileged listeners
  prt scan | prt filter 'remote in 10.0.0.0/8' -c     how many connections to 10/8
  prt scan | prt filter 'process~^python' -v          everything but Python
  prt watch | prt filter new                          sockets as they appear

Expressions: port=22, port!=22, port>=1024, port=8000..8999, process~'^py', user=root,
state=listen, proto=udp, status=new, remote in 10.0.0.0/8, local in ::1/128,
field:text (substring); and, or, not, ( ); bare words; '!' = suspicious;
connected, synchronized, bucket, big (ss state groups); new, gone, unchanged, active.";

/// Keep the records that match an expression, like grep for port records.
#[derive(Debug, clap::Parser)]
#[command(name = "filter", version, after_help = EXAMPLES)]
pub struct Args {
    /// Filter expression, e.g. 'port=22 and state=listen'; '!' selects suspicious sockets.
    #[arg(value_name = "EXPR")]
    pub expr: String,
    /// Read records from these files in turn instead of stdin ('-' is stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Keep the records that do not match.
    #[arg(short = 'v', long)]
    pub invert: bool,
    /// Print only the number of matching records.
    #[arg(short = 'c', long)]
    pub count: bool,
    /// Print nothing; the exit status says whether anything matched.
    #[arg(short = 'q', long)]
    pub quiet: bool,
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

impl Stage for Args {
    const NAME: &'static str = "filter";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        ctx.load_config(&self.config)?;
        let query = query::parse(&self.expr)?;
        let mut input = Reader::new(self.files.into_iter().map(Input::from_arg).collect());
        let mut sink = (!self.count && !self.quiet).then(|| ctx.sink(&self.output));
        let mut matched: u64 = 0;
        let mut invalid: usize = 0;
        loop {
            if input.would_wait()
                && let Some(sink) = sink.as_mut()
            {
                sink.flush()?;
            }
            let Some(line) = input.next_line()? else {
                break;
            };
            let record = match line.record() {
                Ok(record) => record,
                Err(err @ reader::Error::Malformed { .. }) if self.skip_invalid => {
                    invalid += 1;
                    ctx.note_capped(SKIPPED_LINE, &i18n::trf(Msg::SkippedLine, &[&err]));
                    continue;
                }
                Err(err) => return Err(err.into()),
            };
            if query.matches(&record) == self.invert {
                continue;
            }
            matched += 1;
            if self.quiet {
                break; // like grep -q: the answer is known
            }
            if let Some(sink) = sink.as_mut() {
                sink.write_raw(&record)?;
            }
        }
        if let Some(sink) = sink.as_mut() {
            sink.finish()?;
        }
        if self.count {
            let mut out = ctx.stdout();
            writeln!(out, "{matched}").context("writing the count")?;
            out.flush()?;
        }
        if invalid > NOTE_CAP {
            ctx.note(&i18n::trf(Msg::SkippedLines, &[&invalid]));
        }
        Ok(Exit::matched(matched > 0))
    }
}

use std::io::Write as _;
