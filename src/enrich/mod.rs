//! What a socket means: its well-known service and the reasons it looks suspicious.
//!
//! Sits between scan and query in the data flow. Everything here is computed from the
//! record's own fields, so records from any source (an older prt, another tool, a file)
//! get the same answers; the query evaluator calls [`service_for`] and
//! [`suspicious_reasons`] when a record lacks those fields.

pub mod containers;
pub mod services;
pub mod suspicious;

pub use services::service_for;
pub use suspicious::{SocketFacts, suspicious_reasons};
