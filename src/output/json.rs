//! JSON output: one array, one record per line inside it, so it is valid JSON and still
//! diffable line by line.

use std::io::{self, Write};

use super::RecordSink;
use crate::model::PortEntry;
use crate::raw::RawRecord;

/// The framing of a JSON array written one element per line — `[`, a `,` between elements,
/// `]` — for every writer of JSON arrays (records, result records).
#[derive(Debug, Default)]
pub(crate) struct JsonArray {
    written: usize,
}

impl JsonArray {
    /// Writes what goes before an element: the opening bracket or a separator.
    pub(crate) fn element(&mut self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
        self.written += 1;
        Ok(())
    }

    /// Closes the array (an empty one when no element was written).
    pub(crate) fn close(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })
    }
}

/// Writes records as the elements of one JSON array.
pub struct JsonSink<W: Write> {
    out: W,
    buffer: Vec<u8>,
    array: JsonArray,
}

impl<W: Write> JsonSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonSink {
            out,
            buffer: Vec::with_capacity(512),
            array: JsonArray::default(),
        }
    }
}

impl<W: Write> RecordSink for JsonSink<W> {
    fn write_entry(&mut self, entry: &PortEntry) -> io::Result<()> {
        self.buffer.clear();
        super::record_line::write(entry, &mut self.buffer);
        self.buffer.pop(); // the separator comes before the next element
        self.array.element(&mut self.out)?;
        self.out.write_all(&self.buffer)
    }

    fn write_raw(&mut self, record: &RawRecord<'_>) -> io::Result<()> {
        self.array.element(&mut self.out)?;
        self.out.write_all(record.line().trim_ascii())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.array.close(&mut self.out)?;
        self.out.flush()
    }
}
