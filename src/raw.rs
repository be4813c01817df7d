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

/// The top-level fields prt knows, by their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Key {
    Proto,
    LocalAddr,
    LocalPort,
    RemoteAddr,
    RemotePort,
    State,
    Inode,
    Uid,
    Pid,
    Pids,
    Process,
    Cmdline,
    User,
    Ppid,
    Started,
    Service,
    Suspicious,
    Container,
    Netns,
    Interface,
    RecvQ,
    SendQ,
    Status,
    FirstSeen,
    Seq,
    Ts,
    Alerts,
    // The TCP counters of `--traffic` (issue 18): on the wire after `send_q` (and a watch's
    // rates after `ts`), listed last here so the slots of the older keys stay where they were.
    BytesSent,
    BytesReceived,
    Retrans,
    RttUs,
    RateSent,
    RateReceived,
}

impl Key {
    /// Every key, in wire order (the traffic counters last: see [`Key::BytesSent`]).
    pub const ALL: [Key; 33] = [
        Key::Proto,
        Key::LocalAddr,
        Key::LocalPort,
        Key::RemoteAddr,
        Key::RemotePort,
        Key::State,
        Key::Inode,
        Key::Uid,
        Key::Pid,
        Key::Pids,
        Key::Process,
        Key::Cmdline,
        Key::User,
        Key::Ppid,
        Key::Started,
        Key::Service,
        Key::Suspicious,
        Key::Container,
        Key::Netns,
        Key::Interface,
        Key::RecvQ,
        Key::SendQ,
        Key::Status,
        Key::FirstSeen,
        Key::Seq,
        Key::Ts,
        Key::Alerts,
        Key::BytesSent,
        Key::BytesReceived,
        Key::Retrans,
        Key::RttUs,
        Key::RateSent,
        Key::RateReceived,
    ];

    /// The wire name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Key::Proto => "proto",
            Key::LocalAddr => "local_addr",
            Key::LocalPort => "local_port",
            Key::RemoteAddr => "remote_addr",
            Key::RemotePort => "remote_port",
            Key::State => "state",
            Key::Inode => "inode",
            Key::Uid => "uid",
            Key::Pid => "pid",
            Key::Pids => "pids",
            Key::Process => "process",
            Key::Cmdline => "cmdline",
            Key::User => "user",
            Key::Ppid => "ppid",
            Key::Started => "started",
            Key::Service => "service",
            Key::Suspicious => "suspicious",
            Key::Container => "container",
            Key::Netns => "netns",
            Key::Interface => "interface",
            Key::RecvQ => "recv_q",
            Key::SendQ => "send_q",
            Key::Status => "status",
            Key::FirstSeen => "first_seen",
            Key::Seq => "seq",
            Key::Ts => "ts",
            Key::Alerts => "alerts",
            Key::BytesSent => "bytes_sent",
            Key::BytesReceived => "bytes_received",
            Key::Retrans => "retrans",
            Key::RttUs => "rtt_us",
            Key::RateSent => "rate_sent",
            Key::RateReceived => "rate_received",
        }
    }

    /// The key a field name may be: its length and first and last bytes pick the one
    /// candidate. Runs for every field of every line, so it stops there; whether the name
    /// really is the candidate's is checked only when it matters ([`Key::is`]).
    fn candidate(name: &[u8]) -> Option<Key> {
        let (&first, &last) = (name.first()?, name.last()?);
        let candidate = match (name.len(), first, last) {
            (2, b't', _) => Key::Ts,
            (3, b'u', _) => Key::Uid,
            (3, b'p', _) => Key::Pid,
            (3, b's', _) => Key::Seq,
            (4, b'p', b's') => Key::Pids,
            (4, b'p', _) => Key::Ppid,
            (4, b'u', _) => Key::User,
            (5, b'p', _) => Key::Proto,
            (5, b's', _) => Key::State,
            (5, b'i', _) => Key::Inode,
            (5, b'n', _) => Key::Netns,
            (6, b's', b'q') => Key::SendQ,
            (6, b's', _) => Key::Status,
            (6, b'r', b's') => Key::RttUs,
            (6, b'r', _) => Key::RecvQ,
            (6, b'a', _) => Key::Alerts,
            (7, b'p', _) => Key::Process,
            (7, b'c', _) => Key::Cmdline,
            (7, b's', b'd') => Key::Started,
            (7, b's', _) => Key::Service,
            (7, b'r', _) => Key::Retrans,
            (9, b'r', _) => Key::RateSent,
            (10, b'b', _) => Key::BytesSent,
            (13, b'r', _) => Key::RateReceived,
            (14, b'b', _) => Key::BytesReceived,
            (9, b'c', _) => Key::Container,
            (9, b'i', _) => Key::Interface,
            (10, b'l', b'r') => Key::LocalAddr,
            (10, b'l', _) => Key::LocalPort,
            (10, b's', _) => Key::Suspicious,
            (10, b'f', _) => Key::FirstSeen,
            (11, b'r', b'r') => Key::RemoteAddr,
            (11, b'r', _) => Key::RemotePort,
            _ => return None,
        };
        Some(candidate)
    }

    /// Whether `name` is this key's name.
    fn is(self, name: &[u8]) -> bool {
        self.name().as_bytes() == name
    }
}

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

/// Bytes that end the fast scan through a string: quote, backslash, control characters,
/// and the start of a multi-byte character (checked as UTF-8 there).
const STRING_SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    let mut high = 0x80;
    while high < 256 {
        table[high] = true;
        high += 1;
    }
    table
};

/// The first position at or after `at` holding a quote, a backslash or a control
/// character (or the end). Eight bytes at a time: for each byte of a word, the top bit of
/// `(b - x) & !b & 0x80` is set when `b < x`, and a byte equal to `c` is one where `b ^ c`
/// is zero. The lowest flagged byte is always a true hit, which is the one we want.
#[inline]
fn skip_plain(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH;
        let hits = (word & HIGH)
            | below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1);
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while bytes
        .get(at)
        .is_some_and(|&b| !STRING_SPECIAL[usize::from(b)])
    {
        at += 1;
    }
    at
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

/// What a located value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Absent,
    Null,
    True,
    False,
    Number,
    String,
    /// A string with at least one escape in it.
    EscapedString,
    Array,
    Object,
}

/// Where a value lies in its line: byte offsets, a string's without its quotes. Kept small
/// and plain so the hot parse loop passes it in registers.
#[derive(Debug, Clone, Copy)]
struct Span {
    kind: Kind,
    start: u32,
    end: u32,
}

impl Span {
    const ABSENT: Span = Span {
        kind: Kind::Absent,
        start: 0,
        end: 0,
    };

    fn value(self, line: &[u8]) -> Option<RawValue<'_>> {
        // The parser checked the line is UTF-8 and spans end on ASCII delimiters.
        let text = || {
            line.get(self.start as usize..self.end as usize)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or_default()
        };
        Some(match self.kind {
            Kind::Absent => return None,
            Kind::Null => RawValue::Null,
            Kind::True => RawValue::Bool(true),
            Kind::False => RawValue::Bool(false),
            Kind::Number => RawValue::Number(text()),
            Kind::String | Kind::EscapedString => RawValue::String(text()),
            Kind::Array => RawValue::Array(text()),
            Kind::Object => RawValue::Object(text()),
        })
    }
}

/// Why parsing stopped, as a code: cheap to return through every level of the parser.
#[derive(Debug, Clone, Copy)]
enum What {
    EmptyLine,
    NotAnObject,
    FieldName,
    Colon,
    AfterMember,
    AfterElement,
    Value,
    EndInValue,
    Number,
    Escape,
    UnicodeEscape,
    Control,
    Unterminated,
    Trailing,
    TooDeep,
    Utf8,
    NumberRange,
    Surrogate,
}

/// A parse failure at a byte offset.
#[derive(Debug, Clone, Copy)]
struct Fail {
    at: u32,
    what: What,
}

impl Fail {
    fn malformed(self) -> Malformed {
        let what = match self.what {
            What::EmptyLine => Msg::JsonEmptyLine,
            What::NotAnObject => Msg::JsonNotObject,
            What::FieldName => Msg::JsonFieldName,
            What::Colon => Msg::JsonColon,
            What::AfterMember => Msg::JsonAfterMember,
            What::AfterElement => Msg::JsonAfterElement,
            What::Value => Msg::JsonValue,
            What::EndInValue => Msg::JsonEndInValue,
            What::Number => Msg::JsonNumber,
            What::Escape => Msg::JsonEscape,
            What::UnicodeEscape => Msg::JsonUnicodeEscape,
            What::Control => Msg::JsonControl,
            What::Unterminated => Msg::JsonUnterminated,
            What::Trailing => Msg::JsonTrailing,
            What::TooDeep => Msg::JsonTooDeep,
            What::Utf8 => Msg::JsonUtf8,
            What::NumberRange => Msg::JsonNumberRange,
            What::Surrogate => Msg::JsonSurrogate,
        };
        Malformed {
            column: self.at as usize + 1,
            what: i18n::tr(what).to_owned(),
        }
    }
}

/// Nesting deeper than this is refused rather than risking the stack: serde_json's limit
/// (it refuses the 128th level).
const MAX_DEPTH: usize = 127;

/// A validating JSON scanner over one line, working in byte offsets.
struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Parser {
            bytes,
            at: 0,
            depth: 0,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn fail(&self, what: What) -> Fail {
        Fail {
            at: self.at as u32,
            what,
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    /// The whole line: one object, known fields recorded in `fields`, nothing after it.
    fn record(&mut self, fields: &mut [Field; Key::ALL.len()]) -> Result<(), Fail> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => {}
            None => return Err(self.fail(What::EmptyLine)),
            Some(_) => return Err(self.fail(What::NotAnObject)),
        }
        let bytes = self.bytes;
        self.object(|name: Span, value: Span| {
            let text = &bytes[name.start as usize..name.end as usize];
            if name.kind == Kind::EscapedString {
                // Rare: decode the name and match it exactly, now.
                let decoded = std::str::from_utf8(text).map(unescape).unwrap_or_default();
                let decoded = decoded.as_bytes();
                if let Some(key) = Key::candidate(decoded).filter(|key| key.is(decoded)) {
                    fields[key as usize] = Field {
                        name: Field::CONFIRMED,
                        value,
                    };
                }
            } else if let Some(key) = Key::candidate(text) {
                let slot = &mut fields[key as usize];
                // Another name of the same shape may hold the slot (`"piz"` for `pid`);
                // only then is it worth checking which of the two is the real one.
                if slot.value.kind == Kind::Absent || key.is(text) {
                    *slot = Field {
                        name: name.start,
                        value,
                    };
                }
            }
        })?;
        self.skip_ws();
        if self.peek().is_some() {
            return Err(self.fail(What::Trailing));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), Fail> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail(What::TooDeep));
        }
        Ok(())
    }

    /// Parses `{ "key": value, ... }` at the cursor, calling `each` per member.
    fn object(&mut self, mut each: impl FnMut(Span, Span)) -> Result<(), Fail> {
        self.at += 1; // the caller saw '{'
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.fail(What::FieldName));
            }
            let key = self.string()?;
            if self.peek() != Some(b':') {
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(self.fail(What::Colon));
                }
            }
            self.at += 1;
            let value = self.value()?;
            each(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.fail(What::AfterMember)),
            }
        }
    }

    /// Parses `[ value, ... ]` at the cursor, calling `each` per element.
    fn array(&mut self, mut each: impl FnMut(Span)) -> Result<(), Fail> {
        self.skip_ws();
        self.at += 1; // the caller saw '['
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let value = self.value()?;
            each(value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.fail(What::AfterElement)),
            }
        }
    }

    #[inline]
    fn span(&self, kind: Kind, start: usize) -> Span {
        Span {
            kind,
            start: start as u32,
            end: self.at as u32,
        }
    }

    #[inline]
    fn value(&mut self) -> Result<Span, Fail> {
        self.skip_ws();
        let start = self.at;
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'{') => {
                self.object(|_, _| {})?;
                Ok(self.span(Kind::Object, start))
            }
            Some(b'[') => {
                self.array(|_| {})?;
                Ok(self.span(Kind::Array, start))
            }
            Some(b't') => self.literal(b"true", Kind::True),
            Some(b'f') => self.literal(b"false", Kind::False),
            Some(b'n') => self.literal(b"null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.fail(What::Value)),
            None => Err(self.fail(What::EndInValue)),
        }
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<Span, Fail> {
        let start = self.at;
        if self.bytes[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(self.span(kind, start))
        } else {
            Err(self.fail(What::Value))
        }
    }

    #[inline]
    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    #[inline]
    fn number(&mut self) -> Result<Span, Fail> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        let integer = self.digits();
        if integer == 0 || (leading_zero && integer > 1) {
            return Err(self.fail(What::Number));
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.fail(What::Number));
            }
        }
        let mut exponent = false;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail(What::Number));
            }
            exponent = true;
        }
        // Only an exponent or more than 308 integer digits can overflow an f64; then let
        // serde_json itself judge, so the two never disagree on where the range ends.
        if (exponent || integer > 308) && !self.number_in_range(start) {
            self.at = start;
            return Err(self.fail(What::NumberRange));
        }
        Ok(self.span(Kind::Number, start))
    }

    #[cold]
    fn number_in_range(&self, start: usize) -> bool {
        let text = &self.bytes[start..self.at];
        serde_json::from_slice::<f64>(text).is_ok_and(f64::is_finite)
    }

    /// The four hex digits after `\u` (the cursor on the `u`) as a number.
    fn hex4(&self) -> Result<u16, Fail> {
        let digits = self.bytes.get(self.at + 1..self.at + 5);
        digits
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u16::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.fail(What::UnicodeEscape))
    }

    /// A `\uXXXX` escape (the cursor on the `u`): a leading surrogate must be followed at
    /// once by an escaped trailing one, and a trailing one cannot stand alone, as in
    /// serde_json (a lone surrogate is no character).
    fn unicode_escape(&mut self) -> Result<(), Fail> {
        let code = self.hex4()?;
        self.at += 5;
        match code {
            0xdc00..=0xdfff => {
                self.at -= 6;
                Err(self.fail(What::Surrogate))
            }
            0xd800..=0xdbff => {
                if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                    return Err(self.fail(What::Surrogate));
                }
                self.at += 1;
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    self.at -= 1;
                    return Err(self.fail(What::Surrogate));
                }
                self.at += 5;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Parses a string at the cursor (on its opening quote); the span is its contents.
    #[inline]
    fn string(&mut self) -> Result<Span, Fail> {
        self.at += 1;
        let start = self.at;
        let mut kind = Kind::String;
        loop {
            self.at = skip_plain(self.bytes, self.at);
            let Some(&special) = self.bytes.get(self.at) else {
                return Err(self.fail(What::Unterminated));
            };
            match special {
                b'"' => {
                    let span = self.span(kind, start);
                    self.at += 1;
                    return Ok(span);
                }
                b'\\' => {
                    kind = Kind::EscapedString;
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1;
                        }
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.fail(What::Escape)),
                    }
                }
                0x80.. => {
                    // A multi-byte character: its width from the lead byte, then let the
                    // standard library judge the sequence (overlongs, surrogates).
                    let width = match special {
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => return Err(self.fail(What::Utf8)),
                    };
                    let character = self.bytes.get(self.at..self.at + width);
                    if character.is_none_or(|c| std::str::from_utf8(c).is_err()) {
                        return Err(self.fail(What::Utf8));
                    }
                    self.at += width;
                }
                _ => return Err(self.fail(What::Control)),
            }
        }
    }
}

#[cfg(test)]
mod tests;
