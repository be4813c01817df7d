//! Acting on records: the stage after the query in the data flow. Everything here has side
//! effects (running commands, and later signals and firewall rules), kept apart from the
//! stages that only compute.

pub mod exec;
