//! Tokens to an expression tree, with errors that point at a column.

use crate::i18n::{self, Msg};
use std::net::IpAddr;

use regex::Regex;

use super::ParseError;
use super::eval::{Cmp, Expr, Field, Kind, StateGroup, Value};
use super::lexer::{Op, Tok, Token};
use crate::model::{Proto, State, Status, reasons};

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    /// Column just past the input, for "expected ... at the end" errors.
    end: usize,
    /// How many parentheses and negations enclose the term being read.
    depth: usize,
}

/// The deepest nesting of parentheses and negations an expression may have. Parsing,
/// evaluating and dropping the tree recurse once per level; past this many an expression
/// is an error pointing at the level too many, never a stack overflow. Chains of `and` and
/// `or` cost no depth, however long.
pub const MAX_DEPTH: usize = 256;

pub fn parse(text: &str, tokens: &[Token]) -> Result<Expr, ParseError> {
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.chars().count(),
        depth: 0,
    };
    if tokens.is_empty() {
        return Err(ParseError::new(0, i18n::tr(Msg::QEmpty)));
    }
    let expr = parser.or()?;
    if let Some(token) = parser.peek() {
        let message = if token.tok == Tok::Close {
            i18n::tr(Msg::QUnmatchedClose).to_owned()
        } else {
            i18n::trf(Msg::QUnexpected, &[&describe(&token.tok)])
        };
        return Err(ParseError::new(token.start, message));
    }
    Ok(expr)
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Word(w) => format!("'{w}'"),
        Tok::Quoted(q) => format!("\"{q}\""),
        Tok::Op(op) => format!("'{}'", op.as_str()),
        Tok::Open => "'('".to_owned(),
        Tok::Close => "')'".to_owned(),
        Tok::Bang => "'!'".to_owned(),
        Tok::And => "'&&'".to_owned(),
        Tok::Or => "'||'".to_owned(),
    }
}

fn is_keyword(tok: &Tok, keyword: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
}

/// `and` or `&&`.
fn is_and(tok: &Tok) -> bool {
    *tok == Tok::And || is_keyword(tok, "and")
}

/// `or` or `||`.
fn is_or(tok: &Tok) -> bool {
    *tok == Tok::Or || is_keyword(tok, "or")
}

/// A token that joins expressions or ends a group: never the start of a term.
fn is_operator(tok: &Tok) -> bool {
    is_and(tok) || is_or(tok) || *tok == Tok::Close
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&'a Token> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        token
    }

    /// Column of the next token, or the end of the input.
    fn column(&self) -> usize {
        self.peek().map_or(self.end, |t| t.start)
    }

    /// After `op` (`and`, `or`, `not`, ...) an expression must follow: not the end of the
    /// input, a `)` or another operator.
    fn expect_operand(&self, op: &Token) -> Result<(), ParseError> {
        let column = match self.peek() {
            None => op.end,
            Some(next) if is_operator(&next.tok) => next.start,
            Some(_) => return Ok(()),
        };
        Err(ParseError::new(
            column,
            i18n::trf(Msg::QAfter, &[&describe(&op.tok)]),
        ))
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut any = vec![self.and()?];
        while let Some(op) = self.peek().filter(|t| is_or(&t.tok)) {
            self.at += 1;
            self.expect_operand(op)?;
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 {
            any.swap_remove(0)
        } else {
            Expr::Or(any)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut all = vec![self.unary()?];
        while let Some(token) = self.peek() {
            if is_and(&token.tok) {
                self.at += 1;
                self.expect_operand(token)?;
            } else if is_or(&token.tok) || token.tok == Tok::Close {
                break;
            }
            // Anything else starts another term: juxtaposition means "and".
            all.push(self.unary()?);
        }
        Ok(if all.len() == 1 {
            all.swap_remove(0)
        } else {
            Expr::And(all)
        })
    }

    /// Reads what follows a `(`, `not` or `!` at `token`: one level deeper.
    fn nested<T>(
        &mut self,
        token: &Token,
        read: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::new(
                token.start,
                i18n::trf(Msg::QTooDeep, &[&MAX_DEPTH]),
            ));
        }
        self.depth += 1;
        let read = read(self);
        self.depth -= 1;
        read
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.next() else {
            return Err(ParseError::new(self.end, i18n::tr(Msg::QExpression)));
        };
        let before = || {
            ParseError::new(
                token.start,
                i18n::trf(Msg::QBefore, &[&describe(&token.tok)]),
            )
        };
        match &token.tok {
            Tok::And | Tok::Or => Err(before()),
            Tok::Word(w) if w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or") => {
                Err(before())
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("not") => {
                self.expect_operand(token)?;
                let inner = self.nested(token, Self::unary)?;
                Ok(Expr::Not(Box::new(inner)))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("in") => {
                Err(ParseError::new(token.start, i18n::tr(Msg::QInStart)))
            }
            Tok::Open => {
                if self.peek().is_some_and(|t| t.tok == Tok::Close) {
                    return Err(ParseError::new(self.column(), i18n::tr(Msg::QInsideParens)));
                }
                let inner = self.nested(token, Self::or)?;
                match self.next() {
                    Some(t) if t.tok == Tok::Close => Ok(inner),
                    _ => Err(ParseError::new(token.start, i18n::tr(Msg::QUnclosed))),
                }
            }
            Tok::Bang => self.bang(token),
            Tok::Word(word) => self.term(token, word),
            Tok::Quoted(text) => bare_word(text, token.start),
            Tok::Close => Err(ParseError::new(token.start, i18n::tr(Msg::QUnmatchedClose))),
            Tok::Op(op) => Err(ParseError::new(
                token.start,
                i18n::trf(Msg::QFieldBefore, &[&op.as_str()]),
            )),
        }
    }

    /// `!` (just taken): glued to the term after it (`!port=22`, `!(a or b)`), it negates
    /// that term like `not`; standing alone it is the quick form for "suspicious", so
    /// `! port=22` is "suspicious, and on port 22". A `!` glued to the end of a value
    /// (`port=22!`) or doubled (`!!`) is a mistake.
    fn bang(&mut self, bang: &Token) -> Result<Expr, ParseError> {
        let unexpected = || ParseError::new(bang.start, i18n::trf(Msg::QUnexpected, &[&"'!'"]));
        let before = self.at.checked_sub(2).map(|i| &self.tokens[i]);
        if before.is_some_and(|b| {
            b.end == bang.start
                && match &b.tok {
                    Tok::Word(w) => !["not", "and", "or"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k)),
                    Tok::Quoted(_) | Tok::Close | Tok::Bang => true,
                    _ => false,
                }
        }) {
            return Err(unexpected());
        }
        match self.peek() {
            Some(next) if next.start == bang.end => match next.tok {
                Tok::Word(_) | Tok::Quoted(_) | Tok::Open => {
                    let inner = self.nested(bang, Self::unary)?;
                    Ok(Expr::Not(Box::new(inner)))
                }
                Tok::Bang => Err(ParseError::new(
                    next.start,
                    i18n::trf(Msg::QUnexpected, &[&"'!'"]),
                )),
                _ => Ok(Expr::Suspicious),
            },
            _ => Ok(Expr::Suspicious),
        }
    }

    /// A term that starts with a word: a comparison, `in`, `field:value`, a keyword or a
    /// bare word.
    fn term(&mut self, token: &Token, word: &str) -> Result<Expr, ParseError> {
        if let Some(Tok::Op(op)) = self.peek().map(|t| &t.tok) {
            let op_token = self.next().map_or(self.end, |t| t.end);
            let field = field_named(word, token.start)?;
            let (value, column) = self.value(*op, op_token)?;
            return comparison(field, *op, &value, column);
        }
        if self.peek().is_some_and(|t| is_keyword(&t.tok, "in")) {
            let in_end = self.next().map_or(self.end, |t| t.end);
            let field = field_named(word, token.start)?;
            if field.kind() != Kind::Address {
                return Err(ParseError::new(
                    token.start,
                    i18n::trf(Msg::QInField, &[&field]),
                ));
            }
            let (value, column) = self.value_after("in", in_end)?;
            let (net, prefix) = network(&value, column)?;
            return Ok(Expr::InNet(field, net, prefix));
        }
        // `field:value`, when the part before the first ':' names a field. IPv6 addresses
        // (`fe80::1`) and other words with colons fall through to bare words.
        if let Some((name, needle)) = word.split_once(':')
            && let Some(field) = Field::from_name(name)
        {
            let needle = if needle.is_empty() {
                // `process: "two words"` or `process:'x'`: the value is the next token.
                match self.peek().map(|t| &t.tok) {
                    Some(Tok::Quoted(q)) if self.peek().is_some_and(|t| t.start == token.end) => {
                        self.at += 1;
                        q.clone()
                    }
                    _ => {
                        return Err(ParseError::new(
                            token.end,
                            i18n::trf(Msg::QValueAfterColon, &[&name]),
                        ));
                    }
                }
            } else {
                needle.to_owned()
            };
            return Ok(Expr::Contains(field, needle.to_lowercase()));
        }
        match keyword(word) {
            Some(expr) => Ok(expr),
            None => bare_word(word, token.start),
        }
    }

    fn value(&mut self, op: Op, after: usize) -> Result<(String, usize), ParseError> {
        self.value_after(op.as_str(), after)
    }

    /// The value token after an operator, and the column where its text starts; an error
    /// at the column where it should be.
    fn value_after(&mut self, what: &str, after: usize) -> Result<(String, usize), ParseError> {
        let Some(token) = self.peek() else {
            return Err(ParseError::new(
                after,
                i18n::trf(Msg::QValueAfter, &[&what]),
            ));
        };
        let value = match &token.tok {
            tok if is_and(tok) || is_or(tok) => None,
            Tok::Word(w) => Some((w.clone(), token.start)),
            Tok::Quoted(q) => Some((q.clone(), token.start + 1)),
            _ => None,
        };
        match value {
            Some(value) => {
                self.at += 1;
                Ok(value)
            }
            None => Err(ParseError::new(
                token.start,
                i18n::trf(Msg::QValueAfterFound, &[&what, &describe(&token.tok)]),
            )),
        }
    }
}

/// The field called `word`, or an error suggesting the closest name.
fn field_named(word: &str, column: usize) -> Result<Field, ParseError> {
    Field::from_name(word).ok_or_else(|| {
        let mut message = i18n::trf(Msg::QUnknownField, &[&word]);
        if let Some(close) = closest_field(word) {
            message = i18n::trf(Msg::QDidYouMean, &[&message, &close]);
        }
        ParseError::new(column, message)
    })
}

fn closest_field(word: &str) -> Option<&'static str> {
    crate::suggest::closest(
        word,
        Field::NAMES
            .iter()
            .flat_map(|(_, names)| names.iter().copied()),
    )
}

/// The quick forms that are single words: statuses and ss's state groups.
fn keyword(word: &str) -> Option<Expr> {
    let lower = word.to_ascii_lowercase();
    if let Some(status) = status_value(&lower) {
        return Some(Expr::Compare(Field::Status, Cmp::Eq, status));
    }
    let group = StateGroup::from_name(&lower)?;
    Some(Expr::Compare(Field::State, Cmp::Eq, Value::Group(group)))
}

/// The value of `new`, `unchanged`, `gone`, or `active` (new or unchanged), given in lower
/// case.
fn status_value(lower: &str) -> Option<Value> {
    match Status::ALL.into_iter().find(|s| s.as_str() == lower) {
        Some(status) => Some(Value::Status(Some(status))),
        None => (lower == ACTIVE).then_some(Value::Status(None)),
    }
}

/// The status word that means new or unchanged.
const ACTIVE: &str = "active";

/// A bare word (or quoted text) at `column`: `A..B` of two numbers is a local port range,
/// checked like `port=A..B`; anything else searches several fields.
fn bare_word(word: &str, column: usize) -> Result<Expr, ParseError> {
    let integer = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if let Some((low, high)) = word.split_once("..")
        && integer(low)
        && integer(high)
    {
        let (low, high) = range(Field::Port, word, low, high, column)?;
        return Ok(Expr::Compare(Field::Port, Cmp::Eq, Value::Range(low, high)));
    }
    Ok(Expr::Bare(word.to_lowercase(), word.parse().ok()))
}

/// The bounds of `text` (`low..high`, starting at `column`) for `field`: each a number the
/// field can hold, the first not above the second.
fn range(
    field: Field,
    text: &str,
    low: &str,
    high: &str,
    column: usize,
) -> Result<(u64, u64), ParseError> {
    if low.is_empty() || high.is_empty() {
        return Err(ParseError::new(
            column,
            i18n::trf(Msg::QNumber, &[&field, &text]),
        ));
    }
    let low = number(field, low, column)?;
    let high_column = column + text.chars().count() - high.chars().count();
    let high = number(field, high, high_column)?;
    if low > high {
        return Err(ParseError::new(
            column,
            i18n::trf(Msg::QEmptyRange, &[&text]),
        ));
    }
    Ok((low, high))
}

/// `text` (at `column`) as a value of the numeric `field`: an integer from 0 to the largest
/// the field holds on the wire (65535 for ports), so a typo fails instead of matching
/// nothing.
fn number(field: Field, text: &str, column: usize) -> Result<u64, ParseError> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new(
            column,
            i18n::trf(Msg::QNumber, &[&field, &text]),
        ));
    }
    let max = field.max().unwrap_or(u64::MAX);
    match text.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ParseError::new(
            column,
            i18n::trf(Msg::QOutOfRange, &[&field, &max, &text]),
        )),
    }
}

/// An error for `value`, which is not one of `field`'s `names`: "did you mean" the closest
/// when one is close, else `listed` (which names them all).
fn not_one_of<'a>(
    field: Field,
    value: &str,
    column: usize,
    names: impl IntoIterator<Item = &'a str>,
    listed: String,
) -> ParseError {
    let message = match crate::suggest::closest(value, names) {
        Some(close) => i18n::trf(
            Msg::QDidYouMean,
            &[&i18n::trf(Msg::QUnknownValue, &[&value, &field]), &close],
        ),
        None => listed,
    };
    ParseError::new(column, message)
}

/// The spellings `state=` takes, for suggestions: the wire names and ss's groups.
fn state_names() -> impl Iterator<Item = &'static str> {
    State::ALL
        .iter()
        .map(|s| s.as_str())
        .chain(StateGroup::ALL.iter().map(|&(_, name)| name))
}

fn comparison(field: Field, op: Op, value: &str, column: usize) -> Result<Expr, ParseError> {
    let bad_op = || {
        ParseError::new(
            column.saturating_sub(op.as_str().len()),
            i18n::trf(Msg::QBadOp, &[&op.as_str(), &field]),
        )
    };
    let cmp = match op {
        Op::Eq => Cmp::Eq,
        Op::Ne => Cmp::Ne,
        Op::Lt => Cmp::Lt,
        Op::Le => Cmp::Le,
        Op::Gt => Cmp::Gt,
        Op::Ge => Cmp::Ge,
        Op::Match | Op::NotMatch => {
            let regex = Regex::new(value).map_err(|err| {
                let detail = err.to_string();
                let last = detail.lines().last().unwrap_or("invalid").trim().to_owned();
                ParseError::new(column, i18n::trf(Msg::QBadRegex, &[&last]))
            })?;
            return Ok(Expr::Regex(field, regex, op == Op::NotMatch));
        }
    };
    let ordered = !matches!(cmp, Cmp::Eq | Cmp::Ne);
    let lower = value.to_lowercase();
    let value =
        match field.kind() {
            Kind::Number => match value.split_once("..") {
                Some(_) if ordered => {
                    return Err(ParseError::new(column, i18n::tr(Msg::QRangeOp)));
                }
                Some((low, high)) => {
                    let (low, high) = range(field, value, low, high, column)?;
                    Value::Range(low, high)
                }
                None => Value::Number(number(field, value, column)?),
            },
            _ if ordered => return Err(bad_op()),
            Kind::Address => Value::Ip(value.parse().map_err(|_| {
                ParseError::new(column, i18n::trf(Msg::QAddress, &[&field, &value]))
            })?),
            Kind::Text => Value::Text(lower),
            Kind::Reasons if reasons::ALL.contains(&lower.as_str()) => Value::Text(lower),
            Kind::Reasons => {
                let listed = i18n::trf(Msg::UnknownReason, &[&value, &reasons::ALL.join(", ")]);
                return Err(not_one_of(field, value, column, reasons::ALL, listed));
            }
            Kind::State => match (StateGroup::from_name(value), value.parse::<State>()) {
                (Some(group), _) => Value::Group(group),
                (None, Ok(state)) => Value::State(state),
                (None, Err(_)) => {
                    let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
                    let listed = i18n::trf(Msg::QState, &[&value, &names.join(" ")]);
                    return Err(not_one_of(field, value, column, state_names(), listed));
                }
            },
            Kind::Proto => match lower.as_str() {
                "tcp" => Value::Proto(Proto::Tcp),
                "udp" => Value::Proto(Proto::Udp),
                _ => {
                    let listed = i18n::trf(Msg::QProto, &[&value]);
                    let names = [Proto::Tcp.as_str(), Proto::Udp.as_str()];
                    return Err(not_one_of(field, value, column, names, listed));
                }
            },
            Kind::Status => {
                if let Some(status) = status_value(&lower) {
                    status
                } else {
                    let listed = i18n::trf(Msg::QStatus, &[&value]);
                    let names = Status::ALL.iter().map(|s| s.as_str()).chain([ACTIVE]);
                    return Err(not_one_of(field, value, column, names, listed));
                }
            }
        };
    Ok(Expr::Compare(field, cmp, value))
}

/// `10.0.0.0/8`, `fe80::/10`, or a bare address (a /32 or /128).
fn network(text: &str, column: usize) -> Result<(IpAddr, u8), ParseError> {
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| ParseError::new(column, i18n::trf(Msg::QNetwork, &[&text])))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|&p| p <= max)
            .ok_or_else(|| ParseError::new(column, i18n::trf(Msg::QPrefix, &[&max, &p])))?,
    };
    Ok((addr, prefix))
}
