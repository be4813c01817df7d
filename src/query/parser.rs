//! Tokens to an expression tree, with errors that point at a column.

use crate::i18n::{self, Msg};
use std::net::IpAddr;

use regex::Regex;

use super::ParseError;
use super::eval::{Cmp, Expr, Field, Kind, StateGroup, Value};
use super::lexer::{Op, Tok, Token};
use crate::model::{Proto, State, Status};

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    /// Column just past the input, for "expected ... at the end" errors.
    end: usize,
}

pub fn parse(text: &str, tokens: &[Token]) -> Result<Expr, ParseError> {
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.chars().count(),
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
    }
}

fn is_keyword(tok: &Tok, keyword: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
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

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.peek().is_some_and(|t| is_keyword(&t.tok, "or")) {
            let or = self.next().map_or(self.end, |t| t.end);
            if self.peek().is_none() {
                return Err(ParseError::new(or, i18n::tr(Msg::QAfterOr)));
            }
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while let Some(token) = self.peek() {
            if is_keyword(&token.tok, "and") {
                self.at += 1;
                if self.peek().is_none() {
                    return Err(ParseError::new(token.end, i18n::tr(Msg::QAfterAnd)));
                }
            } else if is_keyword(&token.tok, "or") || token.tok == Tok::Close {
                break;
            }
            // Anything else starts another term: juxtaposition means "and".
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.next() else {
            return Err(ParseError::new(self.end, i18n::tr(Msg::QExpression)));
        };
        match &token.tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("not") => {
                if self.peek().is_none() {
                    return Err(ParseError::new(token.end, i18n::tr(Msg::QAfterNot)));
                }
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Tok::Open => {
                if self.peek().is_some_and(|t| t.tok == Tok::Close) {
                    return Err(ParseError::new(self.column(), i18n::tr(Msg::QInsideParens)));
                }
                let inner = self.or()?;
                match self.next() {
                    Some(t) if t.tok == Tok::Close => Ok(inner),
                    _ => Err(ParseError::new(token.start, i18n::tr(Msg::QUnclosed))),
                }
            }
            Tok::Bang => {
                // `!` alone is "suspicious"; glued to a term it reads like C's negation,
                // which it is not here: say so rather than guess.
                if let Some(next) = self.peek()
                    && next.start == token.end
                    && matches!(next.tok, Tok::Word(_) | Tok::Open | Tok::Quoted(_))
                {
                    return Err(ParseError::new(token.start, i18n::tr(Msg::QBang)));
                }
                Ok(Expr::Suspicious)
            }
            Tok::Word(word) => self.term(token, word),
            Tok::Quoted(text) => Ok(bare_word(text)),
            Tok::Close => Err(ParseError::new(token.start, i18n::tr(Msg::QUnmatchedClose))),
            Tok::Op(op) => Err(ParseError::new(
                token.start,
                i18n::trf(Msg::QFieldBefore, &[&op.as_str()]),
            )),
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
        Ok(keyword(word).unwrap_or_else(|| bare_word(word)))
    }

    fn value(&mut self, op: Op, after: usize) -> Result<(String, usize), ParseError> {
        self.value_after(op.as_str(), after)
    }

    /// The value token after an operator; an error at the column where it should be.
    fn value_after(&mut self, what: &str, after: usize) -> Result<(String, usize), ParseError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w) | Tok::Quoted(w),
                start,
                ..
            }) if !is_keyword(&self.tokens[self.at].tok, "and")
                && !is_keyword(&self.tokens[self.at].tok, "or") =>
            {
                self.at += 1;
                Ok((w.clone(), *start))
            }
            Some(token) => Err(ParseError::new(
                token.start,
                i18n::trf(Msg::QValueAfterFound, &[&what, &describe(&token.tok)]),
            )),
            None => Err(ParseError::new(
                after,
                i18n::trf(Msg::QValueAfter, &[&what]),
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

/// The quick forms that are single words.
fn keyword(word: &str) -> Option<Expr> {
    let lower = word.to_ascii_lowercase();
    let status = |s| Expr::Compare(Field::Status, Cmp::Eq, Value::Status(s));
    Some(match lower.as_str() {
        "new" => status(Some(Status::New)),
        "gone" => status(Some(Status::Gone)),
        "unchanged" => status(Some(Status::Unchanged)),
        "active" => status(None),
        _ => Expr::Compare(
            Field::State,
            Cmp::Eq,
            Value::Group(StateGroup::from_name(&lower)?),
        ),
    })
}

fn bare_word(word: &str) -> Expr {
    let number = word.parse().ok();
    if let Some((low, high)) = range(word) {
        return Expr::Compare(Field::Port, Cmp::Eq, Value::Range(low, high));
    }
    Expr::Bare(word.to_lowercase(), number)
}

fn range(text: &str) -> Option<(u64, u64)> {
    let (low, high) = text.split_once("..")?;
    Some((low.parse().ok()?, high.parse().ok()?))
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
    let value =
        match field.kind() {
            Kind::Number => {
                if let Some((low, high)) = range(value) {
                    if ordered {
                        return Err(ParseError::new(column, i18n::tr(Msg::QRangeOp)));
                    }
                    if low > high {
                        return Err(ParseError::new(
                            column,
                            i18n::trf(Msg::QEmptyRange, &[&value]),
                        ));
                    }
                    Value::Range(low, high)
                } else {
                    Value::Number(value.parse().map_err(|_| {
                        ParseError::new(column, i18n::trf(Msg::QNumber, &[&field, &value]))
                    })?)
                }
            }
            _ if ordered => return Err(bad_op()),
            Kind::Address => Value::Ip(value.parse().map_err(|_| {
                ParseError::new(column, i18n::trf(Msg::QAddress, &[&field, &value]))
            })?),
            Kind::Text | Kind::Reasons => Value::Text(value.to_lowercase()),
            Kind::State => match (StateGroup::from_name(value), value.parse::<State>()) {
                (Some(group), _) => Value::Group(group),
                (None, Ok(state)) => Value::State(state),
                (None, Err(_)) => {
                    let names: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
                    return Err(ParseError::new(
                        column,
                        i18n::trf(Msg::QState, &[&value, &names.join(" ")]),
                    ));
                }
            },
            Kind::Proto => match value.to_ascii_lowercase().as_str() {
                "tcp" => Value::Proto(Proto::Tcp),
                "udp" => Value::Proto(Proto::Udp),
                _ => {
                    return Err(ParseError::new(column, i18n::trf(Msg::QProto, &[&value])));
                }
            },
            Kind::Status => match value.to_ascii_lowercase().as_str() {
                "new" => Value::Status(Some(Status::New)),
                "gone" => Value::Status(Some(Status::Gone)),
                "unchanged" => Value::Status(Some(Status::Unchanged)),
                "active" => Value::Status(None),
                _ => {
                    return Err(ParseError::new(column, i18n::trf(Msg::QStatus, &[&value])));
                }
            },
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
