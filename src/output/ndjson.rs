//! NDJSON output: one record per line, `\n` terminated.

use std::io::{self, Write};

use super::{RecordSink, json_line};
use crate::model::PortEntry;

/// Writes each record as one JSON line.
pub struct NdjsonSink<W: Write> {
    out: W,
    buffer: Vec<u8>,
}

impl<W: Write> NdjsonSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        NdjsonSink {
            out,
            buffer: Vec::with_capacity(512),
        }
    }
}

impl<W: Write> RecordSink for NdjsonSink<W> {
    fn write_entry(&mut self, entry: &PortEntry) -> io::Result<()> {
        json_line(entry, &mut self.buffer)?;
        self.out.write_all(&self.buffer)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
