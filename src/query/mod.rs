//! The filter language: one grammar for `prt filter EXPR`, `--where EXPR` and alert rules.
//!
//! Sits above scan and enrich in the data flow (scan -> track -> enrich -> query -> act
//! -> output). [`parse`] turns text into a [`Query`] (lexer -> parser -> [`Expr`] tree);
//! [`Query::matches`] evaluates it over anything that implements [`Fields`]: a typed
//! [`crate::model::PortEntry`], or a [`crate::raw::RawRecord`] read from NDJSON, which is
//! decoded only as far as the expression needs.
//!
//! ```text
//! expr   := and ( ("or" | "||") and )*
//! and    := unary ( ["and" | "&&"] unary )*   juxtaposition is "and"; "and" binds tighter
//! unary  := "not" unary | "!"unary | "(" expr ")" | term
//!                                             "!" glued to a word, quote or "(" is "not"
//! term   := "!"                               suspicious (a "!" followed by a space)
//!         | FIELD OP VALUE                    = != < <= > >= ~ !~   (VALUE may be A..B)
//!         | FIELD "in" CIDR                   remote in 10.0.0.0/8
//!         | FIELD ":" VALUE                   case-insensitive substring
//!         | new | gone | unchanged | active | connected | synchronized | bucket | big
//!         | WORD                              bare word, see below
//! ```
//!
//! A bare number matches the local port or the pid; a bare word matches, case-insensitively
//! and as a substring, the process, user, service, state, protocol, remote address or
//! container. A field that is null or missing fails every comparison except `!=`.
//!
//! Mistakes are errors with a column, never terms that quietly match nothing: an operator
//! without an operand, a lone `&` or `|`, a stray `)` or `!`, a number the field cannot hold
//! (ports are 16-bit, pids and uids 32-bit), and a value that is not one of its field's
//! states, protocols, statuses or reason codes ("did you mean" the nearest).

mod eval;
mod fields;
mod lexer;
mod parser;

use crate::i18n::{self, Msg};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

pub use eval::{Expr, Field, StateGroup};

/// A parsed filter expression.
#[derive(Debug, Clone)]
pub struct Query {
    root: Expr,
}

impl Query {
    /// Whether `record` matches.
    #[must_use]
    pub fn matches(&self, record: &impl Fields) -> bool {
        self.root.eval(record)
    }

    /// The expression tree.
    #[must_use]
    pub fn expr(&self) -> &Expr {
        &self.root
    }
}

/// Parses a filter expression.
pub fn parse(text: &str) -> Result<Query, ParseError> {
    let tokens = lexer::tokenize(text)?;
    let root = parser::parse(text, &tokens)?;
    Ok(Query { root })
}

/// A syntax error, with the 1-based column (in characters) where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", i18n::trf(Msg::AtColumn, &[message, column]))]
pub struct ParseError {
    /// 1-based character column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    fn new(column: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            column: column + 1,
            message: message.into(),
        }
    }
}

/// What a record must answer for the evaluator. Absent or null fields are `None`.
pub trait Fields {
    /// A numeric field: ports, pids, uid, netns, inode.
    fn number(&self, field: Field) -> Option<u64>;
    /// A text field, as written (the evaluator folds case where it should).
    fn text(&self, field: Field) -> Option<Cow<'_, str>>;
    /// An address field.
    fn addr(&self, field: Field) -> Option<IpAddr>;
    /// The suspicious reason codes.
    fn reasons(&self) -> Vec<Cow<'_, str>>;
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
