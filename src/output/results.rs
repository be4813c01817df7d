//! Where the acting stages' result records go (`prt kill`, `prt fw --apply`, `prt detail`):
//! any serializable record, as NDJSON, a JSON array, CSV, or a table of the cells the
//! stage chose, coloured by how the action went.
//!
//! CSV columns are the record's own top-level field names, so `--format csv` and `jq`
//! agree on what a column is called; arrays are joined with `;`, objects kept as JSON.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::json::JsonArray;
use super::{Format, TableOptions, json_line, sanitize};
use crate::i18n::Msg;

/// How a row reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Done as asked.
    Good,
    /// Neither (a dry run, a note).
    Plain,
    /// Not done.
    Bad,
}

/// Writes result records in one format.
// Without the `table` feature, the table's headers, cells and tones are taken and unused.
#[cfg_attr(not(feature = "table"), allow(dead_code))]
pub struct ResultSink<W: Write> {
    format: Format,
    out: W,
    headers: Vec<Msg>,
    table: TableOptions,
    /// Table cells, kept for [`ResultSink::finish`].
    rows: Vec<Vec<String>>,
    csv_columns: Option<Vec<String>>,
    buffer: Vec<u8>,
    array: JsonArray,
}

impl<W: Write> ResultSink<W> {
    /// A sink for `format` over `out`; `headers` name the table's columns.
    pub fn new(format: Format, out: W, headers: &[Msg], table: TableOptions) -> Self {
        ResultSink {
            format,
            out,
            headers: headers.to_vec(),
            table,
            rows: Vec::new(),
            csv_columns: None,
            buffer: Vec::with_capacity(512),
            array: JsonArray::default(),
        }
    }

    /// Writes one record; `cells` are its table row (ignored by the other formats).
    #[cfg_attr(not(feature = "table"), allow(unused_variables))]
    pub fn write<T: Serialize>(
        &mut self,
        record: &T,
        cells: &[String],
        tone: Tone,
    ) -> io::Result<()> {
        match self.format {
            Format::Ndjson => {
                json_line(record, &mut self.buffer)?;
                self.out.write_all(&self.buffer)?;
            }
            Format::Json => {
                json_line(record, &mut self.buffer)?;
                self.buffer.pop(); // the separator comes before the next element
                self.array.element(&mut self.out)?;
                self.out.write_all(&self.buffer)?;
            }
            Format::Csv => self.write_csv(record)?,
            #[cfg(feature = "table")]
            Format::Table => {
                let style = self.table.style;
                let texts = cells.iter().map(|cell| {
                    let text = sanitize::terminal(cell).into_owned();
                    match tone {
                        Tone::Good => style.green(&text),
                        Tone::Bad => style.red(&text),
                        Tone::Plain => text,
                    }
                });
                self.rows.push(texts.collect());
            }
        }
        Ok(())
    }

    fn write_csv<T: Serialize>(&mut self, record: &T) -> io::Result<()> {
        let value = serde_json::to_value(record).map_err(io::Error::other)?;
        let Value::Object(fields) = value else {
            return Err(io::Error::other("a result record is not an object"));
        };
        let mut writer = csv::WriterBuilder::new().from_writer(&mut self.out);
        if self.csv_columns.is_none() {
            let columns: Vec<String> = fields.keys().cloned().collect();
            writer.write_record(&columns).map_err(io::Error::other)?;
            self.csv_columns = Some(columns);
        }
        let cells = self.csv_columns.iter().flatten().map(|column| {
            let text = fields.get(column).map_or_else(String::new, csv_text);
            sanitize::csv_cell(&text).into_owned()
        });
        writer.write_record(cells).map_err(io::Error::other)?;
        writer.flush()
    }

    /// Pushes out what is written so far (a table waits for [`ResultSink::finish`]).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Completes the output: closes the JSON array, renders the table.
    pub fn finish(&mut self) -> io::Result<()> {
        match self.format {
            Format::Json => self.array.close(&mut self.out)?,
            #[cfg(feature = "table")]
            Format::Table if !self.rows.is_empty() => {
                let table = self.render();
                writeln!(self.out, "{table}")?;
            }
            _ => {}
        }
        self.out.flush()
    }

    #[cfg(feature = "table")]
    fn render(&mut self) -> comfy_table::Table {
        let rows = std::mem::take(&mut self.rows).into_iter();
        super::table::plain(
            self.headers.iter().copied(),
            rows.map(comfy_table::Row::from).collect(),
            &self.table,
        )
    }
}

/// A JSON value as one CSV cell: strings bare, null empty, arrays joined by `;`.
fn csv_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(csv_text).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Result {
        pid: Option<u32>,
        ports: Vec<String>,
        message: String,
    }

    fn written(format: Format) -> String {
        let mut out = Vec::new();
        let mut sink = ResultSink::new(
            format,
            &mut out,
            &[Msg::HeadPid, Msg::HeadMessage],
            TableOptions::default(),
        );
        for (pid, message) in [(Some(7), "=cmd()"), (None, "gone")] {
            let record = Result {
                pid,
                ports: vec!["tcp/80".to_owned(), "udp/53".to_owned()],
                message: message.to_owned(),
            };
            let cells = [
                pid.map_or_else(String::new, |p| p.to_string()),
                message.to_owned(),
            ];
            sink.write(&record, &cells, Tone::Good).expect("written");
        }
        sink.finish().expect("finished");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn every_format_carries_every_record() {
        let ndjson = written(Format::Ndjson);
        assert_eq!(
            ndjson,
            "{\"pid\":7,\"ports\":[\"tcp/80\",\"udp/53\"],\"message\":\"=cmd()\"}\n\
             {\"pid\":null,\"ports\":[\"tcp/80\",\"udp/53\"],\"message\":\"gone\"}\n"
        );
        let json: Value = serde_json::from_str(&written(Format::Json)).expect("valid JSON");
        assert_eq!(json.as_array().map(Vec::len), Some(2));
        let csv = written(Format::Csv);
        assert_eq!(
            csv,
            "pid,ports,message\n7,tcp/80;udp/53,'=cmd()\n,tcp/80;udp/53,gone\n"
        );
        #[cfg(feature = "table")]
        {
            let table = written(Format::Table);
            assert!(table.contains("PID") && table.contains("gone"), "{table}");
        }
    }
}
