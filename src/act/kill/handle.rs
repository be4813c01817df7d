//! A handle on one process that a signal can reach and nothing else can: its pidfd where
//! the kernel has them, else its pid and start time re-checked before each signal.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use super::Signal;
use crate::scan::process;
use crate::sys;

/// Splits `handles` into those whose process ended by `deadline` and those still alive.
#[allow(clippy::type_complexity)]
pub(super) fn wait_for_exit(
    mut handles: Vec<(usize, Handle)>,
    deadline: Instant,
) -> (Vec<(usize, Handle)>, Vec<(usize, Handle)>) {
    let mut ended = Vec::new();
    loop {
        let (done, alive): (Vec<_>, Vec<_>) = handles
            .into_iter()
            .partition(|(_, handle)| handle.has_exited());
        ended.extend(done);
        handles = alive;
        let now = Instant::now();
        if handles.is_empty() || now >= deadline {
            return (ended, handles);
        }
        let step = (deadline - now).min(Duration::from_millis(20));
        Handle::wait_any(&handles, step);
    }
}

/// One process to signal: a pidfd where the kernel has them, else its pid and start time.
#[derive(Debug)]
pub(super) struct Handle {
    pid: u32,
    pidfd: Option<OwnedFd>,
    /// Start time in ticks when the handle was opened: without a pidfd, a changed value
    /// means the pid was reused.
    start_ticks: Option<u64>,
}

impl Handle {
    /// Opens `pid`. `ESRCH` when there is no such process.
    pub(super) fn open(pid: u32) -> io::Result<Handle> {
        let start_ticks = process::start_ticks(pid);
        match sys::pidfd_open(pid) {
            Ok(fd) => Ok(Handle {
                pid,
                pidfd: Some(fd),
                start_ticks,
            }),
            // No pidfds here (old kernel, or a seccomp filter): fall back to the pid.
            Err(err) if matches!(err.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                match start_ticks {
                    Some(_) => Ok(Handle {
                        pid,
                        pidfd: None,
                        start_ticks,
                    }),
                    None => Err(io::Error::from_raw_os_error(libc::ESRCH)),
                }
            }
            Err(err) => Err(err),
        }
    }

    /// Sends `signal` to the process the handle was opened on, never to a successor.
    pub(super) fn send(&self, signal: Signal) -> io::Result<()> {
        if let Some(fd) = &self.pidfd {
            return sys::pidfd_send_signal(fd.as_fd(), signal.number());
        }
        if process::start_ticks(self.pid) != self.start_ticks {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        sys::kill(self.pid, signal.number())
    }

    /// Whether the process has ended (a zombie waiting for its parent counts as ended).
    pub(super) fn has_exited(&self) -> bool {
        if let Some(fd) = &self.pidfd {
            return sys::readable_within(&[fd.as_fd()], Duration::ZERO) > 0;
        }
        let Some(stat) = process::read_stat(self.pid) else {
            return true;
        };
        let state = process::stat_field(&stat, 0);
        let ticks = process::stat_field(&stat, 19).and_then(|t| t.parse().ok());
        matches!(state, Some("Z" | "X")) || ticks != self.start_ticks
    }

    /// Sleeps until one of `handles` may have ended, or `timeout`.
    pub(super) fn wait_any(handles: &[(usize, Handle)], timeout: Duration) {
        let fds: Vec<BorrowedFd<'_>> = handles
            .iter()
            .filter_map(|(_, h)| h.pidfd.as_ref().map(AsFd::as_fd))
            .collect();
        if fds.len() == handles.len() {
            // Only the wait matters: the caller looks at every handle next.
            let _ = sys::readable_within(&fds, timeout);
        } else {
            std::thread::sleep(timeout);
        }
    }
}
