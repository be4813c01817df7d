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
//! - [`tcp_state::TcpStateEvents`]: every TCP state change (`connect`, `listen`, handshake,
//!   close) as it happens, from the `sock:inet_sock_set_state` tracepoint through
//!   `perf_event_open`, with the pid where the owner made the change itself; every network
//!   namespace at once. Root only. [`tcp_state::Connections`] turns the changes into
//!   connections that begin and end, for `new` and `gone` records of connections shorter
//!   than a scan interval.
//!
//! The periodic scan stays the reconciliation pass: a source can lose events (the kernel
//! drops them when the reader falls behind, reported as
//! [`destroy::SocketEvent::Lost`]), and it never says which process held a socket.
//!
//! Linux only.
//!
//! # How a watch consumes them (not wired yet)
//!
//! - Poll the sources between ticks (`next_within` with the time left to the next scan, or
//!   `poll(2)` on their [`std::os::fd::AsFd`]), and write each record at once, flushed.
//! - A `Destroyed` socket the tracker knows (same proto, local and remote address, netns)
//!   becomes its `gone` record now, with the event's final `traffic`, and leaves the
//!   tracker's table, so the next scan does not report it gone again.
//! - One it never saw is a `gone` record whose `first_seen` is null (the schema must allow
//!   it) and whose pid and process are null (the destroy message has no owner; the uid is
//!   there). Only TCP sockets that carried a connection are worth it (`remote` port not 0)
//!   plus UDP, or a watch prints every short-lived resolver socket.
//! - `seq` of an event record: the number of the last scan before it (the scan that will
//!   reconcile it comes next), so records stay ordered by `seq` and `connections_gt`,
//!   which counts per `seq`, counts a scan's records plus the events after it.
//! - A record needs a field saying where it came from (`source`: `scan` or `event`).
//! - `Lost`: some sockets closed unreported; the next scan restores everything that is
//!   still open, the short-lived ones are gone for good. Say so once on stderr.
//! - `Fork`/`Exec`/`Exit` update the pid -> process cache (drop an exited pid's fd table
//!   and name at once; read a new or exec'd pid's on first need).
//! - `Began`/`Ended` of [`tcp_state::Connections`] (as root) are the `new` and `gone`
//!   records of connections with their pid; a `Destroyed` for the same addresses then
//!   adds only the final counters. Seed the helper's listeners from the first scan
//!   ([`tcp_state::Connections::note_listener`]) so accepted sockets get a pid. Its
//!   records are held [`tcp_state::REORDER_WINDOW`] (2 ms) to come out in time order:
//!   a loop polling [`tcp_state::TcpStateEvents::fds`] itself uses
//!   [`tcp_state::TcpStateEvents::next_due`] as the longest timeout.
//! - `--all-netns`: one [`destroy::DestroyEvents::open_in`] per namespace, new namespaces
//!   at each scan; the proc connector is global (one, in the initial namespace).

pub mod destroy;
pub mod process;
pub mod tcp_state;
