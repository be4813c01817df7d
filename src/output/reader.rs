//! The NDJSON reader every record-consuming stage uses: stdin or files, one reused
//! buffer (constant memory however long the stream), line numbers for error messages,
//! and the raw line for pass-through.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::AsFd;
use std::path::PathBuf;

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
    location: String,
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
            location: String::new(),
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
            if self.current.is_none() {
                let Some(input) = self.inputs.next() else {
                    return Ok(None);
                };
                self.open(input)?;
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
            if !text.iter().all(u8::is_ascii_whitespace) {
                break whole;
            }
        };
        let text: &[u8] = match (&self.current, in_read_buffer) {
            (Some((_, reader)), true) => &reader.buffer()[..self.pending - 1],
            _ => &self.buffer,
        };
        let mut end = text.len();
        while end > 0 && matches!(text[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Ok(Some(Line {
            bytes: &text[..end],
            number: self.line,
            location: &self.location,
        }))
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
            format!("{}: ", input.name())
        } else {
            String::new()
        };
        self.current = Some((input, BufReader::with_capacity(READ_BUFFER, source)));
        self.line = 0;
        self.pending = 0;
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
