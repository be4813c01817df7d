//! `prt filter EXPR [FILE...]`: keep the records that match EXPR, like grep for records.
//!
//! Input: NDJSON records (stdin, or FILEs in turn; `-` is stdin). Output: the matching
//! records byte for byte (unknown fields kept), or a table on a terminal. Exit: 0 if any
//! record matched, 1 if none, 2 on error (a bad expression, a malformed line).

use std::path::PathBuf;

use std::ops::ControlFlow;

use anyhow::Context as _;

use super::common::{ConfigArgs, Ctx, Next, OutputArgs, RecordStream};
use super::exit::{Exit, Stage};
use crate::output::RecordSink;
use crate::query;
use crate::raw::RawRecord;

const EXAMPLES: &str = "\
Examples:
  prt scan | prt filter '!'                           suspicious sockets
  prt scan | prt filter 'port>=1024 && state=listen'  unprivileged listeners
  prt scan | prt filter 'remote in 10.0.0.0/8' -c     how many connections to 10/8
  prt scan | prt filter 'process~^python' -v          everything but Python
  prt scan | prt filter 'recv_q>0 and !state=listen'  connections with unread data
  prt watch | prt filter new                          sockets as they appear";

/// The filter language, form by form: what `prt filter --help` prints after the examples
/// and what prt-filter(1) has as its LANGUAGE section. Each meaning is wrapped with `\n` for
/// the help (indented under its form); the man page fills it.
pub const LANGUAGE: &[(&str, &str)] = &[
    (
        "!",
        "suspicious: any reason code; suspicious=CODE for one (suspicious=proxy_listening)",
    ),
    (
        "22   nginx",
        "a bare number is the local port or the pid; a bare word is a substring of the\n\
         process, user, service, state, protocol, remote address or container",
    ),
    (
        "port=22   port!=22   port>=1024   port<1024",
        "numbers: port (local), rport, pid, ppid, uid, inode, netns, recv_q, send_q\n\
         (recv_q>0: unread data; on a listener, connections waiting to be accepted);\n\
         with --traffic: bytes_sent, bytes_received, retrans, rtt_us, rate_sent, rate_received",
    ),
    ("port=8000..8999   8000..8999", "a range, inclusive"),
    (
        "user=root   process=nginx   interface=eth0",
        "text equality, ignoring case; also service, container, cmdline",
    ),
    (
        "process~'^py'   cmdline!~'--debug'",
        "regular expression (Rust regex syntax); !~ is \"does not match\"",
    ),
    (
        "process:ngin   cmdline:http.server",
        "substring, ignoring case",
    ),
    (
        "state=listen   state=time-wait   state=estab",
        "a state, as prt or ss spells it",
    ),
    (
        "connected   synchronized   bucket   big",
        "ss's state groups (also as state=connected)",
    ),
    (
        "proto=udp   status=new",
        "protocol; change status (new, gone, unchanged, active)",
    ),
    (
        "new   gone   unchanged   active",
        "the same, short (records from prt watch)",
    ),
    (
        "remote in 10.0.0.0/8   local in fe80::/10   raddr=10.1.2.3",
        "addresses (laddr/local, raddr/remote); IPv4-mapped IPv6 addresses count as IPv4",
    ),
    (
        "a and b   a && b   a b",
        "both; and binds tighter than or (unlike ss, where they are equal)",
    ),
    ("a or b   a || b", "either"),
    (
        "not a   !a   !(a or b)",
        "negation; ! glued to the term after it negates that term, while ! followed\n\
         by a space is the quick form above: '! port=22' is suspicious and on port 22",
    ),
    ("( ... )", "grouping"),
];

/// What follows [`LANGUAGE`], paragraph by paragraph, wrapped with `\n` for the help.
pub const LANGUAGE_NOTES: &[&str] = &[
    "Fields and their other names: port (local_port, lport), rport (remote_port),\n\
     laddr (local, local_addr), raddr (remote, remote_addr), pid, ppid, uid, inode, netns,\n\
     recv_q, send_q, interface (iface, dev), user, process (comm), cmdline (cmd), state,\n\
     proto (protocol), service, container, status, suspicious, bytes_sent, bytes_received,\n\
     retrans, rtt_us (rtt), rate_sent, rate_received.",
    "A field that is null or missing fails every test except != and !~.",
    "Numbers, states, protocols, statuses and reason codes are checked: a mistake is an\n\
     error (exit status 2) that says where it is, never a filter that quietly matches\n\
     nothing. Bare words are searches, not checked.",
];

/// `prt filter --help` after the options: the examples, then the language.
fn long_after_help() -> String {
    let mut text = format!("{EXAMPLES}\n\nLanguage:\n");
    for (form, meaning) in LANGUAGE {
        text.push_str("  ");
        text.push_str(form);
        text.push('\n');
        for line in meaning.lines() {
            text.push_str("      ");
            text.push_str(line);
            text.push('\n');
        }
    }
    for note in LANGUAGE_NOTES {
        text.push('\n');
        text.push_str(note);
        text.push('\n');
    }
    text.truncate(text.trim_end().len());
    text
}

/// Keep the records that match an expression, like grep for port records.
#[derive(Debug, clap::Parser)]
#[command(
    name = "filter",
    version,
    after_help = EXAMPLES,
    after_long_help = long_after_help()
)]
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
        let mut input = RecordStream::new(self.files, self.skip_invalid);
        let mut out = Matches {
            sink: (!self.count && !self.quiet).then(|| ctx.sink(&self.output)),
            count: 0,
            quiet: self.quiet,
        };
        if input.all_there() {
            // Files: parsed and matched on every core, written in order.
            let pick = |record: &RawRecord<'_>| query.matches(record) != self.invert;
            input.par_for_each(ctx, pick, |record| out.take(ctx, record))?;
        } else {
            // On a terminal, a table from a live stream is written row by row once it
            // pauses.
            let mut streaming = !ctx.stdout_tty;
            loop {
                if input.would_wait()
                    && let Some(sink) = out.sink.as_mut()
                {
                    sink.flush()?;
                    if !streaming && input.is_live() {
                        streaming = sink.go_live()?;
                    }
                }
                let record = match input.next(ctx)? {
                    Next::Record(record) => record,
                    Next::Skipped => continue,
                    Next::End => break,
                };
                if query.matches(&record) != self.invert && out.take(ctx, &record)?.is_break() {
                    break;
                }
            }
        }
        let matched = out.count;
        if let Some(sink) = out.sink.as_mut() {
            sink.finish()?;
        }
        if self.count {
            let mut out = ctx.stdout();
            writeln!(out, "{matched}").context("writing the count")?;
            out.flush()?;
        }
        Ok(Exit::matched(matched > 0))
    }
}

/// Where the matching records go: the sink (none with `-c` or `-q`), and how many came.
struct Matches {
    sink: Option<Box<dyn RecordSink>>,
    count: u64,
    quiet: bool,
}

impl Matches {
    /// Takes one matching record; breaks once the answer is known (`-q`, like grep's).
    fn take(&mut self, ctx: &Ctx, record: &RawRecord<'_>) -> anyhow::Result<ControlFlow<()>> {
        self.count += 1;
        if self.quiet {
            return Ok(ControlFlow::Break(()));
        }
        if let Some(sink) = self.sink.as_mut() {
            sink.write_raw(record)?;
            if let Some(note) = sink.take_note() {
                ctx.note(&note);
            }
        }
        Ok(ControlFlow::Continue(()))
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
        let help = super::long_after_help();
        let fields = help
            .split("Fields and their other names:")
            .nth(1)
            .expect("a field list");
        for field in Field::all() {
            assert!(fields.contains(field.name()), "{field} is missing");
        }
    }
}
