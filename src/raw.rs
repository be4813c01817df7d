//! A record as the bytes of one NDJSON line, with its top-level fields located but not
//! decoded: what the streaming stages (filter, alert, kill, ...) read.
//!
//! Sits beside [`crate::model`] at the bottom of the data flow. Building a full value tree
//! for every line would cost most of a filter's time when an expression needs three
//! fields; [`RawRecord::parse`] instead checks the whole line is one well-formed JSON
//! object (so a broken line is always reported, wherever the damage is) and remembers
//! where each known field's value is. Values are decoded on demand.
//!
//! It accepts exactly the lines serde_json accepts as an object (numbers that overflow an
//! f64, unpaired surrogates in `\u` escapes and nesting deeper than 127 are refused, as
//! there), so a record vetted with serde_json or jq reads the same here. Field names are
//! matched after their escapes are decoded (`"p\u0069d"` is `pid`), and a field given twice
//! keeps its last value, as in jq and serde_json.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use crate::i18n::{self, Msg};

/// Why a line is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based byte column where parsing stopped.
    pub column: usize,
    /// What was expected or found.
    pub what: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&i18n::trf(Msg::AtColumn, &[&self.what, &self.column]))
    }
}

impl std::error::Error for Malformed {}

/// A JSON value located in a line, not yet decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawValue<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number's text.
    Number(&'a str),
    /// A string's contents between the quotes, escapes not yet decoded.
    String(&'a str),
    /// An array's text, brackets included.
    Array(&'a str),
    /// An object's text, braces included.
    Object(&'a str),
}

impl<'a> RawValue<'a> {
    /// The value as an unsigned integer, if it is one.
    #[must_use]
    pub fn as_u64(self) -> Option<u64> {
        match self {
            RawValue::Number(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// The value as a decoded string, if it is a string.
    #[must_use]
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        match self {
            RawValue::String(raw) if !raw.contains('\\') => Some(Cow::Borrowed(raw)),
            RawValue::String(raw) => Some(Cow::Owned(unescape(raw))),
            _ => None,
        }
    }

    /// The value as an IP address, if it is a string holding one.
    #[must_use]
    pub fn as_ip(self) -> Option<IpAddr> {
        self.as_str()?.parse().ok()
    }

    /// The value as one CSV or table cell: null is empty, arrays are joined with `;`,
    /// strings are decoded, numbers and objects are their JSON text.
    #[must_use]
    pub fn cell(self) -> Cow<'a, str> {
        match self {
            RawValue::Null => Cow::Borrowed(""),
            RawValue::Bool(true) => Cow::Borrowed("true"),
            RawValue::Bool(false) => Cow::Borrowed("false"),
            RawValue::Number(text) | RawValue::Object(text) => Cow::Borrowed(text),
            RawValue::String(_) => self.as_str().unwrap_or_default(),
            RawValue::Array(text) => {
                let cells: Vec<Cow<'a, str>> =
                    elements(text).into_iter().map(RawValue::cell).collect();
                Cow::Owned(cells.join(";"))
            }
        }
    }

    /// The value as cells: an array's elements' cells, anything else its one [`cell`].
    ///
    /// [`cell`]: RawValue::cell
    #[must_use]
    pub fn cells(self) -> Vec<Cow<'a, str>> {
        match self {
            RawValue::Array(text) => elements(text).into_iter().map(RawValue::cell).collect(),
            other => vec![other.cell()],
        }
    }

    /// The decoded strings of an array of strings (other elements are skipped).
    #[must_use]
    pub fn strings(self) -> Vec<Cow<'a, str>> {
        let RawValue::Array(text) = self else {
            return Vec::new();
        };
        elements(text)
            .into_iter()
            .filter_map(RawValue::as_str)
            .collect()
    }
}

/// One NDJSON line and where its known fields are.
#[derive(Debug, Clone)]
pub struct RawRecord<'a> {
    line: &'a [u8],
    fields: [Field; Key::ALL.len()],
}

/// Where a known field's name and value are. The name is kept so that it can be confirmed
/// on first use rather than for every field of every line.
#[derive(Debug, Clone, Copy)]
struct Field {
    /// Offset of the name; its length is the key's.
    name: u32,
    value: Span,
}

impl Field {
    const ABSENT: Field = Field {
        name: 0,
        value: Span::ABSENT,
    };

    /// `name` of a field whose (escaped) name was decoded and matched already.
    const CONFIRMED: u32 = u32::MAX;
}

impl<'a> RawRecord<'a> {
    /// Checks `line` (without its newline) is one JSON object and locates its fields.
    /// Unknown fields are validated and skipped; a repeated field keeps its last value
    /// (as jq and serde_json do), whether or not its name is spelled with escapes.
    #[inline]
    pub fn parse(line: &'a [u8]) -> Result<RawRecord<'a>, Malformed> {
        // UTF-8 is checked inside strings as they are scanned: anywhere else a non-ASCII
        // byte is a syntax error anyway, and most lines are all ASCII.
        if u32::try_from(line.len()).is_err() {
            return Err(Malformed {
                column: 1,
                what: i18n::tr(Msg::JsonTooLong).to_owned(),
            });
        }
        let mut fields = [Field::ABSENT; Key::ALL.len()];
        let mut parser = Parser::new(line);
        parser.record(&mut fields).map_err(Fail::malformed)?;
        Ok(RawRecord { line, fields })
    }

    /// The value span of `key`, absent unless the field's name really is the key's.
    fn span(&self, key: Key) -> Span {
        let field = self.fields[key as usize];
        if field.name == Field::CONFIRMED {
            return field.value;
        }
        let start = field.name as usize;
        let name = self.line.get(start..start + key.name().len());
        if field.value.kind != Kind::Absent && name.is_some_and(|name| key.is(name)) {
            field.value
        } else {
            Span::ABSENT
        }
    }

    /// The line's bytes (valid UTF-8), for passing it on unchanged.
    #[must_use]
    pub fn line(&self) -> &'a [u8] {
        self.line
    }

    /// The value of `key`; `None` when absent, `Some(RawValue::Null)` when null.
    #[must_use]
    pub fn get(&self, key: Key) -> Option<RawValue<'a>> {
        self.span(key).value(self.line)
    }

    /// The value of `key` unless it is absent or null.
    #[must_use]
    pub fn value(&self, key: Key) -> Option<RawValue<'a>> {
        self.get(key).filter(|v| *v != RawValue::Null)
    }

    /// `key` as an unsigned integer (absent, null or another type: `None`).
    #[must_use]
    pub fn u64(&self, key: Key) -> Option<u64> {
        // Straight from the digits: this runs for every record a numeric filter sees.
        let span = self.span(key);
        if span.kind != Kind::Number {
            return None;
        }
        let digits = self.line.get(span.start as usize..span.end as usize)?;
        digits.iter().try_fold(0u64, |n, &d| {
            if d.is_ascii_digit() {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            } else {
                None // negative, fractional or exponent: not a u64
            }
        })
    }

    /// `key` as a string.
    #[must_use]
    pub fn str(&self, key: Key) -> Option<Cow<'a, str>> {
        self.value(key)?.as_str()
    }
}

/// Decodes JSON string escapes in `raw` (validated already, so surrogates come in pairs;
/// anything else would become U+FFFD).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex = |chars: &mut std::str::Chars<'_>| {
                    let digits: String = chars.by_ref().take(4).collect();
                    u32::from_str_radix(&digits, 16).unwrap_or(0xfffd)
                };
                let first = hex(&mut chars);
                let code = if (0xd800..0xdc00).contains(&first) && chars.as_str().starts_with("\\u")
                {
                    chars.nth(1);
                    let second = hex(&mut chars);
                    0x10000 + ((first - 0xd800) << 10) + (second.wrapping_sub(0xdc00) & 0x3ff)
                } else {
                    first
                };
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other), // \" \\ \/
            None => {}
        }
    }
    out
}

/// The elements of an array's text (validated when its line was parsed).
fn elements(text: &str) -> Vec<RawValue<'_>> {
    let mut spans = Vec::new();
    let mut parser = Parser::new(text.as_bytes());
    // The text was validated with its line, so this walk cannot fail.
    let _ = parser.array(|span| spans.push(span));
    spans
        .into_iter()
        .filter_map(|span| span.value(text.as_bytes()))
        .collect()
}

mod key;
mod parser;
#[cfg(test)]
mod tests;

pub use key::Key;
use parser::{Fail, Kind, Parser, Span};
