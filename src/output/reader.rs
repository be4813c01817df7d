//! The NDJSON reader every record-consuming stage uses: stdin or files, one reused
//! buffer (constant memory however long the stream), line numbers for error messages,
//! and the raw line for pass-through.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};

use crate::i18n::{self, Msg};
use crate::raw::{Malformed, RawRecord};

/// Where records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Input {
    /// `-` is stdin; anything else a file.
    #[must_use]
    pub fn from_arg(arg: PathBuf) -> Input {
        if arg.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(arg)
        }
    }

    fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_owned(),
            Input::File(path) => path.display().to_string(),
        }
    }
}

/// Errors reading records.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened.
    #[error("{}", i18n::trf(Msg::CannotOpen, &[name, source]))]
    Open {
        /// The file.
        name: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Reading failed.
    #[error("{}", i18n::trf(Msg::CannotRead, &[name, source]))]
    Read {
        /// The input.
        name: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A line is not a record.
    #[error("{}", i18n::trf(Msg::AtLine, &[location, line, error]))]
    Malformed {
        /// `FILE: ` when reading named files, empty for stdin alone.
        location: String,
        /// 1-based line number within its input.
        line: usize,
        /// What is wrong.
        error: Malformed,
    },
}

/// Reads lines from a list of inputs in turn.
pub struct Reader {
    inputs: std::vec::IntoIter<Input>,
    current: Option<(Input, BufReader<Box<dyn Read>>)>,
    /// Bytes of the current line still in the read buffer, consumed on the next read.
    pending: usize,
    /// `FILE: ` for error messages when reading named files, else empty.
    location: Arc<str>,
    /// The start of a line a block read ended in ([`Reader::next_block`]).
    carry: Vec<u8>,
    /// No block of the current input has been read yet.
    fresh: bool,
    buffer: Vec<u8>,
    line: usize,
    name_inputs: bool,
}

/// Input still coming after this long is a live stream ([`Reader::is_live`]).
pub const LIVE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
/// A pause this long in standard input makes it a live stream ([`Reader::is_live`]).
pub const LIVE_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// Size of each read: big enough that a fast producer's output comes in few syscalls.
const READ_BUFFER: usize = 256 * 1024;
/// Size of each read of [`par_lines`]: few blocks for a thread to take, and a few of them
/// in flight per core are still a few MiB.
const BLOCK: usize = 1024 * 1024;

impl Reader {
    /// A reader over `inputs`; stdin when empty.
    #[must_use]
    pub fn new(mut inputs: Vec<Input>) -> Reader {
        if inputs.is_empty() {
            inputs.push(Input::Stdin);
        }
        let name_inputs = inputs.iter().any(|i| matches!(i, Input::File(_)));
        Reader {
            inputs: inputs.into_iter(),
            current: None,
            location: Arc::from(""),
            carry: Vec::new(),
            fresh: false,
            pending: 0,
            buffer: Vec::with_capacity(4096),
            line: 0,
            name_inputs,
        }
    }

    /// Whether nothing is left in the read buffer, so the next line has to come from the
    /// producer and may take a while: the moment to flush output, so that a live stream
    /// (`prt watch | prt filter ... | prt alert`) is passed on at once.
    #[must_use]
    pub fn would_wait(&self) -> bool {
        self.current
            .as_ref()
            .is_none_or(|(_, reader)| reader.buffer().len() <= self.pending)
    }

    /// Whether standard input, the input being read (or next to be), is a live stream (a
    /// `prt watch`) rather than a finished one still being read: it has been going since
    /// `since` for longer than a finished scan takes to pass on ([`LIVE_AFTER`]), or it has
    /// had nothing to read for [`LIVE_PAUSE`]. Files are never live. Call it when the
    /// input [would wait](Reader::would_wait): it may wait up to [`LIVE_PAUSE`] itself.
    #[must_use]
    pub fn is_live(&self, since: std::time::Instant) -> bool {
        let on_stdin = match &self.current {
            Some((input, _)) => *input == Input::Stdin,
            None => self.inputs.as_slice().first() == Some(&Input::Stdin),
        };
        if !on_stdin {
            return false;
        }
        if since.elapsed() >= LIVE_AFTER {
            return true;
        }
        let stdin = std::io::stdin();
        crate::sys::readable_within(&[stdin.as_fd()], LIVE_PAUSE) == 0
    }

    /// The next non-blank line, without its line ending; `None` at the end of all inputs.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, Error> {
        // First find the next non-blank line, noting only where it is; then lend it out.
        let in_read_buffer = loop {
            if !self.open_next()? {
                return Ok(None);
            }
            let Some((input, reader)) = self.current.as_mut() else {
                continue;
            };
            reader.consume(std::mem::take(&mut self.pending));
            let read_error = |source| Error::Read {
                name: input.name(),
                source,
            };
            let available = reader.fill_buf().map_err(read_error)?;
            if available.is_empty() {
                self.current = None;
                continue;
            }
            // Most lines lie whole in the read buffer and are lent from there, no copy.
            // A line that runs past the buffer's end is gathered into `buffer`.
            let (whole, text) = if let Some(newline) = memchr::memchr(b'\n', available) {
                self.pending = newline + 1;
                (true, &available[..newline])
            } else {
                self.buffer.clear();
                reader
                    .read_until(b'\n', &mut self.buffer)
                    .map_err(read_error)?;
                (false, self.buffer.as_slice())
            };
            self.line += 1;
            if content(text).is_some() {
                break whole;
            }
        };
        let text: &[u8] = match (&self.current, in_read_buffer) {
            (Some((_, reader)), true) => &reader.buffer()[..self.pending - 1],
            _ => &self.buffer,
        };
        Ok(Some(Line {
            bytes: content(text).unwrap_or_default(),
            number: self.line,
            location: &self.location,
        }))
    }

    /// Whether every input is a regular file (standard input too, when redirected from
    /// one): input that is all there, never live, worth reading in blocks on every core
    /// ([`par_lines`]).
    #[must_use]
    pub fn all_regular_files(&self) -> bool {
        self.current.is_none()
            && self.inputs.as_slice().iter().all(|input| match input {
                Input::Stdin => crate::sys::is_regular_file(io::stdin().as_fd()),
                Input::File(path) => std::fs::metadata(path).is_ok_and(|m| m.is_file()),
            })
    }

    /// The next run of whole lines of one input, into `block` (which keeps its allocation
    /// from block to block); `None` at the end of all inputs. A block holds at least one
    /// line, however long; its last line may lack its newline only at the end of its input.
    /// The line numbers are the caller's to count ([`content`] says which lines are blank).
    fn next_block(&mut self, block: &mut Vec<u8>) -> Result<Option<Origin>, Error> {
        loop {
            if !self.open_next()? {
                return Ok(None);
            }
            let Some((input, reader)) = self.current.as_mut() else {
                continue;
            };
            block.clear();
            block.append(&mut self.carry);
            // Whatever a line-by-line read left buffered comes first.
            reader.consume(std::mem::take(&mut self.pending));
            block.extend_from_slice(reader.buffer());
            let buffered = reader.buffer().len();
            reader.consume(buffered);
            loop {
                let filled = block.len();
                // Into the block's spare room, which is not zeroed first as `read` would need.
                let mut limited = reader.get_mut().take(BLOCK as u64);
                let read = limited.read_to_end(block).map_err(|source| Error::Read {
                    name: input.name(),
                    source,
                })?;
                if read == 0 {
                    // The input's end: what is left is its last line, if anything.
                    self.current = None;
                    break;
                }
                if let Some(newline) = memchr::memrchr(b'\n', &block[filled..]) {
                    self.carry.extend_from_slice(&block[filled + newline + 1..]);
                    block.truncate(filled + newline + 1);
                    break;
                }
            }
            if !block.is_empty() {
                return Ok(Some(Origin {
                    location: Arc::clone(&self.location),
                    first: std::mem::take(&mut self.fresh),
                }));
            }
        }
    }

    /// Opens the next input unless one is open; false when every input has been read.
    fn open_next(&mut self) -> Result<bool, Error> {
        if self.current.is_none() {
            let Some(input) = self.inputs.next() else {
                return Ok(false);
            };
            self.open(input)?;
        }
        Ok(true)
    }

    fn open(&mut self, input: Input) -> Result<(), Error> {
        let source: Box<dyn Read> = match &input {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(path) => Box::new(File::open(path).map_err(|source| Error::Open {
                name: input.name(),
                source,
            })?),
        };
        self.location = if self.name_inputs {
            Arc::from(format!("{}: ", input.name()))
        } else {
            Arc::from("")
        };
        self.current = Some((input, BufReader::with_capacity(READ_BUFFER, source)));
        self.line = 0;
        self.pending = 0;
        self.fresh = true;
        Ok(())
    }
}

/// One line of input.
#[derive(Debug)]
pub struct Line<'a> {
    /// The line's bytes, without the line ending.
    pub bytes: &'a [u8],
    /// 1-based line number within its input.
    pub number: usize,
    location: &'a str,
}

impl<'a> Line<'a> {
    /// Parses the line as a record; a malformed line becomes an error naming it.
    pub fn record(&self) -> Result<RawRecord<'a>, Error> {
        RawRecord::parse(self.bytes).map_err(|error| Error::Malformed {
            location: self.location.to_owned(),
            line: self.number,
            error,
        })
    }
}

/// A line's content: without its line ending, `None` when blank. Blank lines are passed
/// over (but counted) by every reader.
fn content(line: &[u8]) -> Option<&[u8]> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    Some(&line[..end])
}

/// Where a block of [`Reader::next_block`] comes from.
struct Origin {
    /// `FILE: ` for messages, as [`Line`] has it.
    location: Arc<str>,
    /// The block is its input's first: line numbers start again.
    first: bool,
}

/// A block of lines on its way through [`par_lines`], in reading order.
struct Job {
    order: u64,
    bytes: Vec<u8>,
    origin: Origin,
}

/// A block's lines that `pick` chose, as (index within the block, start, end), and how many
/// lines it has.
struct Picked {
    job: Job,
    lines: usize,
    chosen: Vec<(usize, usize, usize)>,
}

/// Blocks a thread may have read ahead of the one being written, per core: enough that no
/// core waits for the reader, few enough that memory stays a few MiB.
const IN_FLIGHT_PER_THREAD: usize = 2;

/// Reads every input of `reader` in blocks, runs `pick` over each non-blank line on every
/// core, and hands the lines it picked to `emit` in input order, with their numbers, as
/// [`Reader::next_line`] would have; an input that cannot be opened comes to `emit` as its
/// error, in its place. `emit` breaks to stop early (`grep -q`). A read error ends it,
/// after every line before it has been emitted.
///
/// For inputs that are all there ([`Reader::all_regular_files`]); `pick` should be the
/// costly part (parsing, matching), `emit` the cheap one (writing), which runs on the
/// calling thread. The picked lines are lent to `emit` from blocks of about a MiB, a few
/// per core, so memory does not grow with the input.
pub fn par_lines(
    reader: &mut Reader,
    pick: impl Fn(&[u8]) -> bool + Sync,
    mut emit: impl FnMut(Result<Line<'_>, Error>) -> ControlFlow<()>,
) -> Result<(), Error> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let (to_workers, jobs) = mpsc::sync_channel::<Job>(threads * IN_FLIGHT_PER_THREAD);
    let jobs = Mutex::new(jobs);
    let (done, results) = mpsc::channel::<Picked>();
    let pick = &pick;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done = done.clone();
            let jobs = &jobs;
            scope.spawn(move || {
                loop {
                    // A poisoned lock means another worker panicked: stop too.
                    let next = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = next else { return };
                    let mut chosen = Vec::new();
                    let mut lines = 0;
                    let mut start = 0;
                    while start < job.bytes.len() {
                        let end = memchr::memchr(b'\n', &job.bytes[start..])
                            .map_or(job.bytes.len(), |at| start + at + 1);
                        if let Some(line) = content(&job.bytes[start..end])
                            && pick(line)
                        {
                            chosen.push((lines, start, start + line.len()));
                        }
                        lines += 1;
                        start = end;
                    }
                    if done.send(Picked { job, lines, chosen }).is_err() {
                        return; // the caller stopped early
                    }
                }
            });
        }
        drop(done);
        let mut feeder = Feeder {
            to_workers,
            in_flight: 0,
            limit: threads * IN_FLIGHT_PER_THREAD,
            read: 0,
            spare: Vec::new(),
            failure: None,
            ended: false,
        };
        let mut waiting = std::collections::BTreeMap::new();
        let mut written = 0u64;
        let mut line_base = 0;
        loop {
            feeder.fill(reader);
            if feeder.in_flight == 0 {
                match feeder.failure.take() {
                    None => return Ok(()),
                    Some(err @ Error::Open { .. }) => {
                        if emit(Err(err)).is_break() {
                            return Ok(());
                        }
                        continue;
                    }
                    Some(err) => return Err(err),
                }
            }
            let Ok(block) = results.recv() else {
                return Ok(()); // every worker is gone: one panicked, which the scope re-raises
            };
            feeder.in_flight -= 1;
            waiting.insert(block.job.order, block);
            while let Some(block) = waiting.remove(&written) {
                written += 1;
                if block.job.origin.first {
                    line_base = 0;
                }
                for &(index, start, end) in &block.chosen {
                    let line = Line {
                        bytes: &block.job.bytes[start..end],
                        number: line_base + index + 1,
                        location: &block.job.origin.location,
                    };
                    if emit(Ok(line)).is_break() {
                        return Ok(());
                    }
                }
                line_base += block.lines;
                feeder.spare.push(block.job.bytes);
            }
        }
    })
}

/// The reading side of [`par_lines`]: keeps the workers supplied with blocks, stopping at
/// the end or at an error, which waits until every block before it has been emitted.
struct Feeder {
    to_workers: mpsc::SyncSender<Job>,
    in_flight: usize,
    limit: usize,
    read: u64,
    /// Buffers of blocks already emitted, for reuse.
    spare: Vec<Vec<u8>>,
    failure: Option<Error>,
    ended: bool,
}

impl Feeder {
    fn fill(&mut self, reader: &mut Reader) {
        while !self.ended && self.failure.is_none() && self.in_flight < self.limit {
            let mut bytes = self.spare.pop().unwrap_or_default();
            match reader.next_block(&mut bytes) {
                Ok(Some(origin)) => {
                    let job = Job {
                        order: self.read,
                        bytes,
                        origin,
                    };
                    if self.to_workers.send(job).is_err() {
                        self.ended = true; // no worker left
                        return;
                    }
                    self.read += 1;
                    self.in_flight += 1;
                }
                Ok(None) => self.ended = true,
                Err(err) => self.failure = Some(err),
            }
        }
    }
}
