//! NDJSON output: one record per line, `\n` terminated.

use std::io::{self, Write};

use super::{RecordSink, json_line, record_line};
use crate::model::PortEntry;
use crate::raw::RawRecord;

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
        self.buffer.clear();
        record_line::write(entry, &mut self.buffer);
        self.out.write_all(&self.buffer)
    }

    /// Large batches are serialized on several threads, each into its own buffer, and
    /// written in order: formatting is most of a big scan's user time.
    fn write_entries(&mut self, entries: &[PortEntry]) -> io::Result<()> {
        const PARALLEL_FROM: usize = 4096;
        // Records each thread formats at a time: what is held before it is written stays
        // a few MiB however many sockets there are (100,000 records are 48 MiB of text).
        const BLOCK: usize = 2048;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if entries.len() < PARALLEL_FROM || threads == 1 {
            return entries.iter().try_for_each(|entry| self.write_entry(entry));
        }
        for round in entries.chunks(BLOCK * threads) {
            let buffers: Vec<Vec<u8>> = std::thread::scope(|scope| {
                let workers: Vec<_> = round
                    .chunks(BLOCK)
                    .map(|part| scope.spawn(move || serialize_all(part)))
                    .collect();
                workers
                    .into_iter()
                    .map(|worker| match worker.join() {
                        Ok(buffer) => buffer,
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .collect()
            });
            for buffer in buffers {
                self.out.write_all(&buffer)?;
            }
        }
        Ok(())
    }

    fn write_raw(&mut self, record: &RawRecord<'_>) -> io::Result<()> {
        self.out.write_all(record.line())?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The NDJSON lines of `entries`, in one buffer.
fn serialize_all(entries: &[PortEntry]) -> Vec<u8> {
    let mut all = Vec::with_capacity(entries.len() * 512);
    for entry in entries {
        record_line::write(entry, &mut all);
    }
    all
}

/// Writes any record (a [`crate::model::TrackedEntry`], say) as one NDJSON line, through
/// `buffer` so a write error reaches the caller as the `io::Error` it is.
pub fn write_line<W: Write, T: serde::Serialize>(
    out: &mut W,
    value: &T,
    buffer: &mut Vec<u8>,
) -> io::Result<()> {
    json_line(value, buffer)?;
    out.write_all(buffer)
}

/// Adds a `"host"` field at the end of every NDJSON line written through it (`--host`),
/// so records that leave the machine say where they come from. Lines pass otherwise
/// byte for byte. A raw line feed ends a line only outside JSON strings (inside, it is
/// escaped), so a `}` just before one is a record's last byte.
pub struct WithHost<W: Write> {
    out: W,
    /// `,"host":"NAME"`, ready to splice in.
    field: Vec<u8>,
    /// A `}` that ended the last write, held back until we know whether a line ends there.
    held: bool,
}

impl<W: Write> WithHost<W> {
    /// A writer adding `"host":host` to each line before passing it to `out`.
    pub fn new(out: W, host: &str) -> Self {
        let mut field = b",\"host\":".to_vec();
        // A string always serializes.
        field.extend_from_slice(serde_json::to_string(host).unwrap_or_default().as_bytes());
        WithHost {
            out,
            field,
            held: false,
        }
    }

    fn release(&mut self, line_ends: bool) -> io::Result<()> {
        if std::mem::take(&mut self.held) {
            if line_ends {
                self.out.write_all(&self.field)?;
            }
            self.out.write_all(b"}")?;
        }
        Ok(())
    }
}

impl<W: Write> Write for WithHost<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.release(buf.first() == Some(&b'\n'))?;
        let mut rest = buf;
        while let Some(end) = memchr::memmem::find(rest, b"}\n") {
            self.out.write_all(&rest[..end])?;
            self.out.write_all(&self.field)?;
            self.out.write_all(b"}\n")?;
            rest = &rest[end + 2..];
        }
        if let Some(before) = rest.strip_suffix(b"}") {
            self.out.write_all(before)?;
            self.held = true;
        } else {
            self.out.write_all(rest)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // prt's writers end every line before flushing: a `}` held now is not a line's end.
        self.release(false)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_goes_at_the_end_of_each_line_however_the_writes_fall() {
        let input = b"{\"a\":\"}\"}\n{\"b\":{\"c\":1}}\n";
        let want = "{\"a\":\"}\",\"host\":\"web\\\"1\"}\n{\"b\":{\"c\":1},\"host\":\"web\\\"1\"}\n";
        for split in 0..=input.len() {
            let mut out = WithHost::new(Vec::new(), "web\"1");
            out.write_all(&input[..split]).expect("write");
            out.write_all(&input[split..]).expect("write");
            out.flush().expect("flush");
            assert_eq!(String::from_utf8_lossy(&out.out), want, "split at {split}");
        }
    }
}
