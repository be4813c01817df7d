//! The top-level fields prt knows, and their wire names: the one table the record
//! reader, the filter language and the output columns agree on.

/// The top-level fields prt knows, by their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Key {
    Proto,
    LocalAddr,
    LocalPort,
    RemoteAddr,
    RemotePort,
    State,
    Inode,
    Uid,
    Pid,
    Pids,
    Process,
    Cmdline,
    User,
    Ppid,
    Started,
    Service,
    Suspicious,
    Container,
    Netns,
    Interface,
    RecvQ,
    SendQ,
    Status,
    FirstSeen,
    Seq,
    Ts,
    Alerts,
    // The TCP counters of `--traffic` (issue 18): on the wire after `send_q` (and a watch's
    // rates after `ts`), listed last here so the slots of the older keys stay where they were.
    BytesSent,
    BytesReceived,
    Retrans,
    RttUs,
    RateSent,
    RateReceived,
}

impl Key {
    /// Every key, in wire order (the traffic counters last: see [`Key::BytesSent`]).
    pub const ALL: [Key; 33] = [
        Key::Proto,
        Key::LocalAddr,
        Key::LocalPort,
        Key::RemoteAddr,
        Key::RemotePort,
        Key::State,
        Key::Inode,
        Key::Uid,
        Key::Pid,
        Key::Pids,
        Key::Process,
        Key::Cmdline,
        Key::User,
        Key::Ppid,
        Key::Started,
        Key::Service,
        Key::Suspicious,
        Key::Container,
        Key::Netns,
        Key::Interface,
        Key::RecvQ,
        Key::SendQ,
        Key::Status,
        Key::FirstSeen,
        Key::Seq,
        Key::Ts,
        Key::Alerts,
        Key::BytesSent,
        Key::BytesReceived,
        Key::Retrans,
        Key::RttUs,
        Key::RateSent,
        Key::RateReceived,
    ];

    /// The wire name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Key::Proto => "proto",
            Key::LocalAddr => "local_addr",
            Key::LocalPort => "local_port",
            Key::RemoteAddr => "remote_addr",
            Key::RemotePort => "remote_port",
            Key::State => "state",
            Key::Inode => "inode",
            Key::Uid => "uid",
            Key::Pid => "pid",
            Key::Pids => "pids",
            Key::Process => "process",
            Key::Cmdline => "cmdline",
            Key::User => "user",
            Key::Ppid => "ppid",
            Key::Started => "started",
            Key::Service => "service",
            Key::Suspicious => "suspicious",
            Key::Container => "container",
            Key::Netns => "netns",
            Key::Interface => "interface",
            Key::RecvQ => "recv_q",
            Key::SendQ => "send_q",
            Key::Status => "status",
            Key::FirstSeen => "first_seen",
            Key::Seq => "seq",
            Key::Ts => "ts",
            Key::Alerts => "alerts",
            Key::BytesSent => "bytes_sent",
            Key::BytesReceived => "bytes_received",
            Key::Retrans => "retrans",
            Key::RttUs => "rtt_us",
            Key::RateSent => "rate_sent",
            Key::RateReceived => "rate_received",
        }
    }

    /// The key a field name may be: its length and first and last bytes pick the one
    /// candidate. Runs for every field of every line, so it stops there; whether the name
    /// really is the candidate's is checked only when it matters ([`Key::is`]).
    pub(super) fn candidate(name: &[u8]) -> Option<Key> {
        let (&first, &last) = (name.first()?, name.last()?);
        let candidate = match (name.len(), first, last) {
            (2, b't', _) => Key::Ts,
            (3, b'u', _) => Key::Uid,
            (3, b'p', _) => Key::Pid,
            (3, b's', _) => Key::Seq,
            (4, b'p', b's') => Key::Pids,
            (4, b'p', _) => Key::Ppid,
            (4, b'u', _) => Key::User,
            (5, b'p', _) => Key::Proto,
            (5, b's', _) => Key::State,
            (5, b'i', _) => Key::Inode,
            (5, b'n', _) => Key::Netns,
            (6, b's', b'q') => Key::SendQ,
            (6, b's', _) => Key::Status,
            (6, b'r', b's') => Key::RttUs,
            (6, b'r', _) => Key::RecvQ,
            (6, b'a', _) => Key::Alerts,
            (7, b'p', _) => Key::Process,
            (7, b'c', _) => Key::Cmdline,
            (7, b's', b'd') => Key::Started,
            (7, b's', _) => Key::Service,
            (7, b'r', _) => Key::Retrans,
            (9, b'r', _) => Key::RateSent,
            (10, b'b', _) => Key::BytesSent,
            (13, b'r', _) => Key::RateReceived,
            (14, b'b', _) => Key::BytesReceived,
            (9, b'c', _) => Key::Container,
            (9, b'i', _) => Key::Interface,
            (10, b'l', b'r') => Key::LocalAddr,
            (10, b'l', _) => Key::LocalPort,
            (10, b's', _) => Key::Suspicious,
            (10, b'f', _) => Key::FirstSeen,
            (11, b'r', b'r') => Key::RemoteAddr,
            (11, b'r', _) => Key::RemotePort,
            _ => return None,
        };
        Some(candidate)
    }

    /// Whether `name` is this key's name.
    pub(super) fn is(self, name: &[u8]) -> bool {
        self.name().as_bytes() == name
    }

    /// The name as prt's own records have it, quoted and with its colon (`"pid":`): what
    /// the reader looks for first, before taking a field name apart.
    pub(super) const fn quoted(self) -> &'static [u8] {
        match self {
            Key::Proto => br#""proto":"#,
            Key::LocalAddr => br#""local_addr":"#,
            Key::LocalPort => br#""local_port":"#,
            Key::RemoteAddr => br#""remote_addr":"#,
            Key::RemotePort => br#""remote_port":"#,
            Key::State => br#""state":"#,
            Key::Inode => br#""inode":"#,
            Key::Uid => br#""uid":"#,
            Key::Pid => br#""pid":"#,
            Key::Pids => br#""pids":"#,
            Key::Process => br#""process":"#,
            Key::Cmdline => br#""cmdline":"#,
            Key::User => br#""user":"#,
            Key::Ppid => br#""ppid":"#,
            Key::Started => br#""started":"#,
            Key::Service => br#""service":"#,
            Key::Suspicious => br#""suspicious":"#,
            Key::Container => br#""container":"#,
            Key::Netns => br#""netns":"#,
            Key::Interface => br#""interface":"#,
            Key::RecvQ => br#""recv_q":"#,
            Key::SendQ => br#""send_q":"#,
            Key::Status => br#""status":"#,
            Key::FirstSeen => br#""first_seen":"#,
            Key::Seq => br#""seq":"#,
            Key::Ts => br#""ts":"#,
            Key::Alerts => br#""alerts":"#,
            Key::BytesSent => br#""bytes_sent":"#,
            Key::BytesReceived => br#""bytes_received":"#,
            Key::Retrans => br#""retrans":"#,
            Key::RttUs => br#""rtt_us":"#,
            Key::RateSent => br#""rate_sent":"#,
            Key::RateReceived => br#""rate_received":"#,
        }
    }

    /// The key prt writes after this one: the reader's first guess for the next field.
    /// After `send_q` a watch's fields are guessed (`--traffic` ones are then a miss, read
    /// the long way), and after `ts` an alert's.
    pub(super) fn next_on_the_wire(self) -> Option<Key> {
        Some(match self {
            Key::Proto => Key::LocalAddr,
            Key::LocalAddr => Key::LocalPort,
            Key::LocalPort => Key::RemoteAddr,
            Key::RemoteAddr => Key::RemotePort,
            Key::RemotePort => Key::State,
            Key::State => Key::Inode,
            Key::Inode => Key::Uid,
            Key::Uid => Key::Pid,
            Key::Pid => Key::Pids,
            Key::Pids => Key::Process,
            Key::Process => Key::Cmdline,
            Key::Cmdline => Key::User,
            Key::User => Key::Ppid,
            Key::Ppid => Key::Started,
            Key::Started => Key::Service,
            Key::Service => Key::Suspicious,
            Key::Suspicious => Key::Container,
            Key::Container => Key::Netns,
            Key::Netns => Key::Interface,
            Key::Interface => Key::RecvQ,
            Key::RecvQ => Key::SendQ,
            Key::SendQ | Key::RttUs => Key::Status,
            Key::Status => Key::FirstSeen,
            Key::FirstSeen => Key::Seq,
            Key::Seq => Key::Ts,
            Key::Ts | Key::RateReceived => Key::Alerts,
            Key::BytesSent => Key::BytesReceived,
            Key::BytesReceived => Key::Retrans,
            Key::Retrans => Key::RttUs,
            Key::RateSent => Key::RateReceived,
            Key::Alerts => return None,
        })
    }

    /// Whether `rest` starts with [`Key::quoted`]: two masked word comparisons where the
    /// line has 16 bytes left (a call to `memcmp` cost more than the rest of the guess).
    #[inline]
    pub(super) fn starts(self, rest: &[u8]) -> bool {
        let [(low, low_mask), (high, high_mask)] = QUOTED_WORDS[self as usize];
        match rest.first_chunk::<16>() {
            Some(head) if self.quoted().len() <= 16 => {
                let (first, second) = head.split_at(8);
                let word = |bytes: &[u8]| {
                    let mut word = [0; 8];
                    word.copy_from_slice(bytes);
                    u64::from_le_bytes(word)
                };
                word(first) & low_mask == low && word(second) & high_mask == high
            }
            _ => rest.starts_with(self.quoted()),
        }
    }
}

/// Each key's [`Key::quoted`] as two little-endian words with the masks of the bytes it
/// fills, for [`Key::starts`].
const QUOTED_WORDS: [[(u64, u64); 2]; Key::ALL.len()] = {
    let mut table = [[(0, 0); 2]; Key::ALL.len()];
    let mut k = 0;
    while k < Key::ALL.len() {
        let quoted = Key::ALL[k].quoted();
        let mut i = 0;
        while i < quoted.len() && i < 16 {
            let word = &mut table[Key::ALL[k] as usize][i / 8];
            word.0 |= (quoted[i] as u64) << (8 * (i % 8));
            word.1 |= 0xff << (8 * (i % 8));
            i += 1;
        }
        k += 1;
    }
    table
};
