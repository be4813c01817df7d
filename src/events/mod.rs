//! Event sources: what the kernel reports as it happens, between two scans.
//!
//! A scan sees the sockets open at the moment it runs; a connection that opens and closes
//! between two scans is never in one. The sources here are kernel notifications that need
//! no compiled BPF program, each read as a typed stream a caller polls with a timeout:
//!
//! - [`destroy::DestroyEvents`]: one [`destroy::SocketEvent::Destroyed`] per TCP or UDP
//!   socket (IPv4 and IPv6) as the kernel destroys it, with its last addresses, owner uid
//!   and, for TCP, the final byte counters — the `sock_diag` multicast groups `ss -E`
//!   listens to. Per network namespace: the one of the thread that opens it.
//! - [`process::ProcessEvents`]: fork, exec and exit of every process as it happens (the
//!   proc connector), so attribution can follow a new process and drop an exited one at
//!   once. The initial network namespace only; non-root on Linux 6.6 and later.
//!
//! The periodic scan stays the reconciliation pass: a source can lose events (the kernel
//! drops them when the reader falls behind, reported as
//! [`destroy::SocketEvent::Lost`]), and it never says which process held a socket.
//!
//! Linux only.

pub mod destroy;
pub mod process;
