//! Tokens with positions.

use super::ParseError;
use crate::i18n::{self, Msg};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Match => "~",
            Op::NotMatch => "!~",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// An unquoted run of characters.
    Word(String),
    /// A quoted string, quotes removed.
    Quoted(String),
    Op(Op),
    Open,
    Close,
    /// `!`: suspicious on its own, `not` when glued to the term after it.
    Bang,
    /// `&&`, another spelling of `and`.
    And,
    /// `||`, another spelling of `or`.
    Or,
}

/// A token and the character columns it spans (0-based, end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '(' | ')' | '"' | '\'' | '=' | '!' | '<' | '>' | '~' | '&' | '|'
        )
}

pub fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::Open, 1),
            ')' => (Tok::Close, 1),
            '=' if next == Some('=') => (Tok::Op(Op::Eq), 2),
            '=' => (Tok::Op(Op::Eq), 1),
            '!' if next == Some('=') => (Tok::Op(Op::Ne), 2),
            '!' if next == Some('~') => (Tok::Op(Op::NotMatch), 2),
            '!' => (Tok::Bang, 1),
            '<' if next == Some('=') => (Tok::Op(Op::Le), 2),
            '<' => (Tok::Op(Op::Lt), 1),
            '>' if next == Some('=') => (Tok::Op(Op::Ge), 2),
            '>' => (Tok::Op(Op::Gt), 1),
            '~' => (Tok::Op(Op::Match), 1),
            '&' if next == Some('&') => (Tok::And, 2),
            '|' if next == Some('|') => (Tok::Or, 2),
            // A lone `&` or `|` is a mistake for `&&`/`||` (or an unquoted value holding
            // one), never part of a word.
            '&' | '|' => {
                let word = if c == '&' { "and" } else { "or" };
                return Err(ParseError::new(
                    start,
                    i18n::trf(Msg::QLoneOp, &[&c, &word]),
                ));
            }
            '"' | '\'' => {
                let mut value = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(ParseError::new(
                                start,
                                i18n::trf(Msg::QUnterminated, &[&c]),
                            ));
                        }
                        Some(&q) if q == c => break,
                        // A backslash escapes the quote character and itself.
                        Some('\\') if matches!(chars.get(j + 1), Some(&n) if n == c || n == '\\') =>
                        {
                            value.push(chars[j + 1]);
                            j += 2;
                        }
                        Some(&other) => {
                            value.push(other);
                            j += 1;
                        }
                    }
                }
                (Tok::Quoted(value), j + 1 - i)
            }
            _ => {
                let mut j = i;
                while j < chars.len() && is_word_char(chars[j]) {
                    j += 1;
                }
                (Tok::Word(chars[i..j].iter().collect()), j - i)
            }
        };
        i += len;
        tokens.push(Token { tok, start, end: i });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text)
            .expect("lexes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn operators_words_and_quotes() {
        assert_eq!(
            toks("port>=1024 and process~'^py'"),
            [
                Tok::Word("port".into()),
                Tok::Op(Op::Ge),
                Tok::Word("1024".into()),
                Tok::Word("and".into()),
                Tok::Word("process".into()),
                Tok::Op(Op::Match),
                Tok::Quoted("^py".into()),
            ]
        );
        assert_eq!(
            toks("! raddr!=::1"),
            [
                Tok::Bang,
                Tok::Word("raddr".into()),
                Tok::Op(Op::Ne),
                Tok::Word("::1".into())
            ]
        );
        assert_eq!(toks(r#""a \" b""#), [Tok::Quoted("a \" b".into())]);
        assert_eq!(tokenize("x 'open").expect_err("unterminated").column, 3);
    }

    #[test]
    fn doubled_ampersands_and_bars_are_operators_and_lone_ones_errors() {
        // See: issue 14
        assert_eq!(
            toks("a&&b || c"),
            [
                Tok::Word("a".into()),
                Tok::And,
                Tok::Word("b".into()),
                Tok::Or,
                Tok::Word("c".into()),
            ]
        );
        assert_eq!(toks("'a|b'"), [Tok::Quoted("a|b".into())]);
        let lone = tokenize("port=22 & x").expect_err("lone &");
        assert_eq!(lone.column, 9);
        assert_eq!(
            lone.message,
            "'&' alone is not an operator: write '&&' or 'and', or quote a value that holds it"
        );
        assert_eq!(tokenize("a|b").expect_err("lone |").column, 2);
        assert_eq!(tokenize("a &&& b").expect_err("third &").column, 5);
    }

    #[test]
    fn positions_are_character_columns() {
        let tokens = tokenize("ü=1").expect("lexes");
        assert_eq!((tokens[1].start, tokens[2].start), (1, 2));
    }
}
