//! The hash maps of per-socket work: every tick of a watch looks up each of tens of
//! thousands of sockets in a few maps keyed by inodes, pids and addresses.
//!
//! std's default hasher (SipHash-1-3) took 8% of a 20,000-socket `prt watch` tick in a
//! profile (perf record, release build). foldhash (the hasher of hashbrown) is several
//! times faster on such small keys. Its seed is random per map, so a remote peer choosing
//! its address and port cannot aim collisions at a map it does not know the seed of;
//! SipHash's stronger guarantee buys nothing more against keys that are mostly the
//! kernel's own numbers.

/// A `HashMap` with the fast hasher.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A `HashSet` with the fast hasher.
pub(crate) type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
