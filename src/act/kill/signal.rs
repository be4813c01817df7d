//! Signals by name (`TERM`, `SIGTERM`, `term`) or number, as `kill -s` takes them.

use std::fmt;
use std::str::FromStr;

use crate::i18n::{self, Msg};

/// A signal, by number, with its conventional name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal(i32);

/// The signals with names, as `kill -l` lists them.
const NAMED: [(&str, i32); 30] = [
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("CHLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("SYS", libc::SIGSYS),
    ("POLL", libc::SIGIO),
];

/// The highest signal number (`SIGRTMAX` on Linux).
const MAX_SIGNAL: i32 = 64;

impl Signal {
    /// SIGTERM: ask politely.
    pub const TERM: Signal = Signal(libc::SIGTERM);
    /// SIGKILL: cannot be caught.
    pub const KILL: Signal = Signal(libc::SIGKILL);

    /// The signal number.
    #[must_use]
    pub fn number(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMED.iter().find(|&&(_, number)| number == self.0) {
            Some((name, _)) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Why a `--signal` value is not a signal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", i18n::trf(Msg::BadSignal, &[&format!("'{}'", self.0)]))]
pub struct BadSignal(pub String);

impl FromStr for Signal {
    type Err = BadSignal;

    /// `TERM`, `SIGTERM`, `term` or `15`. Signal 0 (an existence probe) is not a signal.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadSignal(text.to_owned());
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=MAX_SIGNAL).contains(n))
                .map(Signal)
                .ok_or_else(bad);
        }
        let upper = text.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        NAMED
            .iter()
            .find(|&&(known, _)| known == name)
            .map(|&(_, number)| Signal(number))
            .ok_or_else(bad)
    }
}
