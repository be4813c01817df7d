//! What every stage shares, under one name for the stage modules: flags ([`super::args`]),
//! the context ([`super::ctx`]), records in ([`super::records`]) and questions on the
//! terminal ([`super::prompt`]).

pub use super::args::*;
pub use super::ctx::*;
pub use super::prompt::*;
pub use super::records::*;
