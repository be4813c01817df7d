//! The one-pass JSON validator behind [`super::RawRecord::parse`]: it accepts exactly what
//! serde_json accepts as an object and notes where each top-level value lies, decoding
//! nothing.

use super::{Field, Key, Malformed, RawValue, unescape};
use crate::i18n::{self, Msg};

/// Bytes that end the fast scan through a string: quote, backslash, control characters,
/// and the start of a multi-byte character (checked as UTF-8 there).
pub(super) const STRING_SPECIAL: [bool; 256] = {
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
pub(super) fn skip_plain(bytes: &[u8], mut at: usize) -> usize {
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

/// What a located value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
pub(super) struct Span {
    pub(super) kind: Kind,
    pub(super) start: u32,
    pub(super) end: u32,
}

impl Span {
    pub(super) const ABSENT: Span = Span {
        kind: Kind::Absent,
        start: 0,
        end: 0,
    };

    pub(super) fn value(self, line: &[u8]) -> Option<RawValue<'_>> {
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
pub(super) struct Fail {
    at: u32,
    what: What,
}

impl Fail {
    pub(super) fn malformed(self) -> Malformed {
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
pub(super) struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
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
    pub(super) fn record(&mut self, fields: &mut [Field; Key::ALL.len()]) -> Result<(), Fail> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => {}
            None => return Err(self.fail(What::EmptyLine)),
            Some(_) => return Err(self.fail(What::NotAnObject)),
        }
        self.at += 1;
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            self.members(fields)?;
        }
        self.skip_ws();
        if self.peek().is_some() {
            return Err(self.fail(What::Trailing));
        }
        Ok(())
    }

    /// The members of the record's object, up to and including its closing brace. This is
    /// most of a filter's time, so it first tries the field prt writes next, quoted and
    /// with its colon, as one comparison; a field name that is not the guess is taken apart
    /// the long way ([`Parser::field_name`]).
    fn members(&mut self, fields: &mut [Field; Key::ALL.len()]) -> Result<(), Fail> {
        let mut guess = Some(Key::Proto);
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.fail(What::FieldName));
            }
            let known = match guess {
                Some(key) if key.starts(&self.bytes[self.at..]) => {
                    self.at += key.quoted().len();
                    Some((key, Field::CONFIRMED))
                }
                _ => self.field_name()?,
            };
            let value = self.value()?;
            if let Some((key, name)) = known {
                let slot = &mut fields[key as usize];
                // Another name of the same shape may hold the slot (`"piz"` for `pid`);
                // only then is it worth checking which of the two is the real one.
                let name_is_key = || {
                    let start = name as usize;
                    key.is(&self.bytes[start..start + key.name().len()])
                };
                if name == Field::CONFIRMED || slot.value.kind == Kind::Absent || name_is_key() {
                    *slot = Field { name, value };
                }
                guess = key.next_on_the_wire();
            }
            if !self.another_member()? {
                return Ok(());
            }
        }
    }

    /// After a member's value: true past a comma, false past the object's closing brace.
    #[inline]
    fn another_member(&mut self) -> Result<bool, Fail> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b'}') => {
                self.at += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => Err(self.fail(What::AfterMember)),
        }
    }

    /// A field name and its colon, the cursor on its opening quote: the key it may be, with
    /// where its name starts (to confirm it is the key's when it matters) or
    /// [`Field::CONFIRMED`] for a name with escapes, decoded and matched now.
    fn field_name(&mut self) -> Result<Option<(Key, u32)>, Fail> {
        let name = self.string()?;
        if self.peek() != Some(b':') {
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.fail(What::Colon));
            }
        }
        self.at += 1;
        let text = &self.bytes[name.start as usize..name.end as usize];
        if name.kind == Kind::EscapedString {
            // Rare: decode the name and match it exactly.
            let decoded = std::str::from_utf8(text).map(unescape).unwrap_or_default();
            let decoded = decoded.as_bytes();
            let key = Key::candidate(decoded).filter(|key| key.is(decoded));
            return Ok(key.map(|key| (key, Field::CONFIRMED)));
        }
        Ok(Key::candidate(text).map(|key| (key, name.start)))
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
            if !self.another_member()? {
                return Ok(());
            }
        }
    }

    /// Parses `[ value, ... ]` at the cursor, calling `each` per element.
    pub(super) fn array(&mut self, mut each: impl FnMut(Span)) -> Result<(), Fail> {
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
