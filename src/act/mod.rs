//! Acting on records: the stage after the query in the data flow. Everything here has side
//! effects (running commands, signals, firewall rules), kept apart from the stages that
//! only compute.

pub mod exec;
pub mod firewall;
pub mod kill;
pub mod target;
