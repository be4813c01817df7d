//! The hash maps of per-socket work: every tick of a watch looks up each of tens of
//! thousands of sockets in a few maps keyed by inodes, pids and addresses.
//!
//! std's default hasher (SipHash-1-3) took 8% of a 20,000-socket `prt watch` tick in a
//! profile (perf record, release build). foldhash (the hasher of hashbrown) is several
//! times faster on such small keys. Its seed is random per map, so a remote peer choosing
//! its address and port cannot aim collisions at a map it does not know the seed of;
//! SipHash's stronger guarantee buys nothing more against keys that are mostly the
//! kernel's own numbers.

/// The fast hasher, randomly seeded: of [`Map`] and [`Set`], and of tables that hash
/// their keys themselves (`hashbrown::HashTable`, see [`crate::track`]).
pub(crate) type RandomState = foldhash::fast::RandomState;

/// A `HashMap` with the fast hasher.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, RandomState>;

/// A `HashSet` with the fast hasher.
pub(crate) type Set<K> = std::collections::HashSet<K, RandomState>;

/// One shared copy of each text that many records hold (a process's name and command
/// line, a user, a service, a container): records point at it rather than own a copy, so
/// 100,000 sockets of one server cost one command line, not 100,000.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    texts: Set<std::sync::Arc<str>>,
}

impl Interner {
    /// The shared copy of `text`, made on first use.
    pub(crate) fn get(&mut self, text: &str) -> std::sync::Arc<str> {
        if let Some(shared) = self.texts.get(text) {
            return shared.clone();
        }
        let shared: std::sync::Arc<str> = text.into();
        self.texts.insert(shared.clone());
        shared
    }
}
