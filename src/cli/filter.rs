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
  prt scan | prt filter 'port>=1024 && state=listen'  unprivileged listeners
  prt scan | prt filter 'remote in 10.0.0.0/8' -c     how many connections to 10/8
  prt scan | prt filter 'process~^python' -v          everything but Python
  prt scan | prt filter 'recv_q>0 and !state=listen'  connections with unread data
  prt watch | prt filter new                          sockets as they appear

Expressions: port=22, port!=22, port>=1024, port=8000..8999, process~'^py', user=root,
state=listen, proto=udp, status=new, suspicious=proxy_listening, remote in 10.0.0.0/8,
local in ::1/128, interface=eth0, send_q>=128, field:text (substring); and (&&), or (||),
not, ( ); '!' glued to a term negates it (!port=22); bare words; '!' alone = suspicious
(so '! port=22' is suspicious and on port 22); connected, synchronized, bucket, big (ss
state groups); new, gone, unchanged, active. Numbers and states, protocols, statuses and
reason codes are checked: a mistake is an error, never an empty result.

Fields: port (local_port), rport (remote_port), laddr (local), raddr (remote), pid, ppid,
uid, inode, netns, recv_q, send_q, interface (dev), user, process (comm), cmdline, state,
proto, service, container, status, suspicious. A field a record lacks is null.";

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
        // On a terminal, a table from a live stream is written row by row once it pauses.
        let mut streaming = !ctx.stdout_tty;
        // When the first line came: a live stream is one still going a while after.
        let mut first_line = None;
        loop {
            if input.would_wait()
                && let Some(sink) = sink.as_mut()
            {
                sink.flush()?;
                if !streaming && first_line.is_some_and(|since| input.is_live(since)) {
                    streaming = sink.go_live()?;
                }
            }
            let line = match input.next_line() {
                Ok(Some(line)) => {
                    first_line.get_or_insert_with(std::time::Instant::now);
                    line
                }
                Ok(None) => break,
                // Like grep: say so, go on with the next file, exit 2 at the end.
                Err(err @ reader::Error::Open { .. }) => {
                    ctx.error(&err.into());
                    continue;
                }
                Err(err) => return Err(err.into()),
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

#[cfg(test)]
mod tests {
    use super::EXAMPLES;
    use crate::query::{self, Field};

    #[test]
    fn every_example_expression_parses() {
        let mut seen = 0;
        for line in EXAMPLES.lines() {
            if let Some((_, rest)) = line.split_once("prt filter '")
                && let Some((expr, _)) = rest.split_once('\'')
            {
                query::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
                seen += 1;
            }
        }
        assert!(seen >= 5, "{seen}");
    }

    #[test]
    fn the_help_lists_every_field() {
        let fields = EXAMPLES.split("Fields:").nth(1).expect("a field list");
        for field in Field::all() {
            assert!(fields.contains(field.name()), "{field} is missing");
        }
    }
}
