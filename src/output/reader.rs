//! The NDJSON reader every record-consuming stage uses: stdin or files, one reused
//! buffer (constant memory however long the stream), line numbers for error messages,
//! and the raw line for pass-through.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;

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
    #[error("cannot open {name}: {source}")]
    Open {
        /// The file.
        name: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Reading failed.
    #[error("cannot read {name}: {source}")]
    Read {
        /// The input.
        name: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A line is not a record.
    #[error("{location}line {line}: {error}")]
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
    buffer: Vec<u8>,
    line: usize,
    name_inputs: bool,
}

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
            .is_none_or(|(_, reader)| reader.buffer().is_empty())
    }

    /// The next non-blank line, without its line ending; `None` at the end of all inputs.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, Error> {
        loop {
            if self.current.is_none() {
                let Some(input) = self.inputs.next() else {
                    return Ok(None);
                };
                let source: Box<dyn Read> = match &input {
                    Input::Stdin => Box::new(io::stdin()),
                    Input::File(path) => {
                        Box::new(File::open(path).map_err(|source| Error::Open {
                            name: input.name(),
                            source,
                        })?)
                    }
                };
                self.current = Some((input, BufReader::with_capacity(READ_BUFFER, source)));
                self.line = 0;
            }
            let Some((input, reader)) = self.current.as_mut() else {
                continue;
            };
            self.buffer.clear();
            let read = reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|source| Error::Read {
                    name: input.name(),
                    source,
                })?;
            if read == 0 {
                self.current = None;
                continue;
            }
            self.line += 1;
            let mut end = self.buffer.len();
            while end > 0 && matches!(self.buffer[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            if self.buffer[..end].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let location = if self.name_inputs {
                format!("{}: ", input.name())
            } else {
                String::new()
            };
            return Ok(Some(Line {
                bytes: &self.buffer[..end],
                number: self.line,
                location,
            }));
        }
    }
}

/// One line of input.
#[derive(Debug)]
pub struct Line<'a> {
    /// The line's bytes, without the line ending.
    pub bytes: &'a [u8],
    /// 1-based line number within its input.
    pub number: usize,
    location: String,
}

impl<'a> Line<'a> {
    /// Parses the line as a record; a malformed line becomes an error naming it.
    pub fn record(&self) -> Result<RawRecord<'a>, Error> {
        RawRecord::parse(self.bytes).map_err(|error| Error::Malformed {
            location: self.location.clone(),
            line: self.number,
            error,
        })
    }
}
