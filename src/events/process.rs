//! Process events from the kernel's proc connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`,
//! `linux/cn_proc.h`): fork, exec and exit of every task as it happens, so socket
//! attribution can follow a new process at once and forget an exited one without waiting
//! for a scan.
//!
//! Each datagram is a `nlmsghdr`, a `struct cn_msg` (20 bytes) and a `struct proc_event`:
//! `what` (u32), `cpu` (u32), `timestamp_ns` (u64), then the event's pids. Pids are as the
//! initial pid namespace sees them. The connector lives in the initial network namespace
//! only; non-root subscribers are allowed on kernels since 6.6 (2023).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use super::EventSource;
use crate::sys;

/// `CN_IDX_PROC` and `CN_VAL_PROC` from `linux/connector.h`.
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
/// `enum proc_cn_mcast_op`.
const PROC_CN_MCAST_LISTEN: u32 = 1;
const PROC_CN_MCAST_IGNORE: u32 = 2;
/// `NLMSG_DONE`: the type connector messages travel as.
const NLMSG_DONE: u16 = 3;

const NLMSG_HEADER_LEN: usize = 16;
/// `struct cn_msg` without its data: `cb_id` (idx, val), seq, ack, len (u16), flags (u16).
const CN_MSG_LEN: usize = 20;
/// `what`, `cpu`, `timestamp_ns`: where the event's union starts.
const EVENT_DATA: usize = 16;

/// `enum what` of `struct proc_event`.
const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// A burst of forks (a build, a shell loop) fits before the kernel drops events.
const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;
const DATAGRAM_BUFFER: usize = 64 * 1024;

/// What the proc connector reports, by thread id (`pid`) and process id (`tgid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessEvent {
    /// `parent` (a process) made a task: a new process when `child_pid == child_tgid`, else
    /// a thread of `child_tgid`. A new process starts with its parent's file descriptors,
    /// sockets included.
    Fork {
        /// The process that forked; for a new thread, the parent of its process (the
        /// kernel reports the task's `real_parent`, which threads share with their leader).
        parent_tgid: u32,
        /// The new task's thread id.
        child_pid: u32,
        /// The process the new task belongs to.
        child_tgid: u32,
    },
    /// Process `tgid` ran `execve`: a new program (name, command line), the same pid.
    Exec {
        /// The process.
        tgid: u32,
    },
    /// A task ended; the process is gone when `pid == tgid` (its leader exited).
    Exit {
        /// The task's thread id.
        pid: u32,
        /// Its process.
        tgid: u32,
        /// The wait status bits (`exit_code`: status << 8, or the signal).
        exit_code: u32,
    },
    /// The kernel dropped events because the reader fell behind (`ENOBUFS`).
    Lost,
}

impl ProcessEvent {
    /// The process this event starts, when it is a fork whose child is not a thread.
    #[must_use]
    pub fn starts_process(&self) -> Option<u32> {
        match *self {
            ProcessEvent::Fork {
                child_pid,
                child_tgid,
                ..
            } if child_pid == child_tgid => Some(child_tgid),
            _ => None,
        }
    }

    /// The process this event ends, when it is the exit of its leader.
    #[must_use]
    pub fn ends_process(&self) -> Option<u32> {
        match *self {
            ProcessEvent::Exit { pid, tgid, .. } if pid == tgid => Some(tgid),
            _ => None,
        }
    }
}

/// A subscription to the proc connector. Poll it with [`ProcessEvents::next_within`], or
/// iterate (which blocks).
#[derive(Debug)]
pub struct ProcessEvents {
    fd: OwnedFd,
    buffer: Vec<u8>,
    pending: VecDeque<ProcessEvent>,
}

impl ProcessEvents {
    /// Subscribes to fork, exec and exit events of every process.
    ///
    /// Fails when the kernel refuses (`EPERM` for non-root before Linux 6.6, a kernel
    /// without `CONFIG_PROC_EVENTS`, a thread outside the initial network namespace).
    pub fn open() -> io::Result<ProcessEvents> {
        let fd = sys::connector_subscriber(1 << (CN_IDX_PROC - 1))?;
        let _ = sys::set_receive_buffer(fd.as_fd(), RECEIVE_BUFFER);
        sys::send_to_kernel(fd.as_fd(), &control_message(PROC_CN_MCAST_LISTEN))?;
        Ok(ProcessEvents {
            fd,
            buffer: vec![0; DATAGRAM_BUFFER],
            pending: VecDeque::new(),
        })
    }

    /// The next event if one arrives within `timeout` (`Duration::ZERO`: only one already
    /// waiting); `Ok(None)` when none did.
    pub fn next_within(&mut self, timeout: Duration) -> io::Result<Option<ProcessEvent>> {
        super::next_within(self, timeout)
    }
}

impl EventSource for ProcessEvents {
    type Event = ProcessEvent;

    fn try_next(&mut self) -> io::Result<Option<ProcessEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            match sys::receive(self.fd.as_fd(), &mut self.buffer) {
                Ok(received) => {
                    let mut events = Vec::new();
                    parse_datagram(&self.buffer[..received], &mut events);
                    self.pending.extend(events);
                }
                Err(err) if err.raw_os_error() == Some(libc::ENOBUFS) => {
                    return Ok(Some(ProcessEvent::Lost));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(err) => return Err(err),
            }
        }
    }
}

impl Drop for ProcessEvents {
    /// Tells the kernel this listener is gone, so it stops building events when no one
    /// listens (kernels before 6.6 count listeners only by these requests).
    fn drop(&mut self) {
        let _ = sys::send_to_kernel(self.fd.as_fd(), &control_message(PROC_CN_MCAST_IGNORE));
    }
}

impl AsFd for ProcessEvents {
    /// The subscribed socket, readable when an event waits.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Iterator for ProcessEvents {
    type Item = io::Result<ProcessEvent>;

    /// Blocks until the next event; never ends on its own.
    fn next(&mut self) -> Option<Self::Item> {
        Some(super::next_blocking(self))
    }
}

/// A listen or ignore request: `nlmsghdr` + `cn_msg` + the u32 operation, native order.
fn control_message(operation: u32) -> [u8; NLMSG_HEADER_LEN + CN_MSG_LEN + 4] {
    let mut message = [0u8; NLMSG_HEADER_LEN + CN_MSG_LEN + 4];
    let len = message.len() as u32;
    message[0..4].copy_from_slice(&len.to_ne_bytes());
    message[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
    let cn = &mut message[NLMSG_HEADER_LEN..];
    cn[0..4].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
    cn[4..8].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
    cn[16..18].copy_from_slice(&4u16.to_ne_bytes());
    cn[CN_MSG_LEN..CN_MSG_LEN + 4].copy_from_slice(&operation.to_ne_bytes());
    message
}

/// Appends the fork, exec and exit events of one datagram to `out`; other kinds (uid,
/// comm, the listen acknowledgement) and malformed messages are skipped.
fn parse_datagram(mut data: &[u8], out: &mut Vec<ProcessEvent>) {
    while let Some(len) = u32_at(data, 0).map(|l| l as usize) {
        let Some(message) = data.get(..len).filter(|_| len >= NLMSG_HEADER_LEN) else {
            return;
        };
        let cn = &message[NLMSG_HEADER_LEN..];
        let from_proc = u32_at(cn, 0) == Some(CN_IDX_PROC) && u32_at(cn, 4) == Some(CN_VAL_PROC);
        if from_proc && let Some(event) = cn.get(CN_MSG_LEN..).and_then(parse_event) {
            out.push(event);
        }
        data = data.get((len + 3) & !3..).unwrap_or_default();
    }
}

/// One `struct proc_event`; `None` for a kind prt does not use, or one cut short.
fn parse_event(event: &[u8]) -> Option<ProcessEvent> {
    let field = |index: usize| u32_at(event, EVENT_DATA + 4 * index);
    Some(match u32_at(event, 0)? {
        PROC_EVENT_FORK => ProcessEvent::Fork {
            parent_tgid: field(1)?,
            child_pid: field(2)?,
            child_tgid: field(3)?,
        },
        PROC_EVENT_EXEC => ProcessEvent::Exec { tgid: field(1)? },
        PROC_EVENT_EXIT => ProcessEvent::Exit {
            pid: field(0)?,
            tgid: field(1)?,
            exit_code: field(2)?,
        },
        _ => return None,
    })
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at + 4)?;
    Some(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A proc connector datagram as the kernel sends it: `what` and the union's words.
    fn captured(what: u32, words: &[u32]) -> Vec<u8> {
        let mut event = Vec::new();
        event.extend_from_slice(&what.to_ne_bytes());
        event.extend_from_slice(&1u32.to_ne_bytes()); // cpu
        event.extend_from_slice(&123_456_789u64.to_ne_bytes()); // timestamp_ns
        for word in words {
            event.extend_from_slice(&word.to_ne_bytes());
        }
        let mut message = vec![0u8; NLMSG_HEADER_LEN + CN_MSG_LEN];
        let len = (message.len() + event.len()) as u32;
        message[0..4].copy_from_slice(&len.to_ne_bytes());
        message[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
        message[16..20].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
        message[20..24].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
        message[32..34].copy_from_slice(&(event.len() as u16).to_ne_bytes());
        message.extend_from_slice(&event);
        message
    }

    #[test]
    fn fork_exec_and_exit_are_read_from_their_union() {
        let mut out = Vec::new();
        parse_datagram(&captured(PROC_EVENT_FORK, &[10, 10, 42, 42]), &mut out);
        parse_datagram(&captured(PROC_EVENT_FORK, &[42, 42, 43, 42]), &mut out);
        parse_datagram(&captured(PROC_EVENT_EXEC, &[42, 42]), &mut out);
        parse_datagram(
            &captured(PROC_EVENT_EXIT, &[42, 42, 256, 17, 10, 10]),
            &mut out,
        );
        assert_eq!(
            out,
            [
                ProcessEvent::Fork {
                    parent_tgid: 10,
                    child_pid: 42,
                    child_tgid: 42
                },
                ProcessEvent::Fork {
                    parent_tgid: 42,
                    child_pid: 43,
                    child_tgid: 42
                },
                ProcessEvent::Exec { tgid: 42 },
                ProcessEvent::Exit {
                    pid: 42,
                    tgid: 42,
                    exit_code: 256
                },
            ]
        );
        assert_eq!(out[0].starts_process(), Some(42));
        assert_eq!(out[1].starts_process(), None, "a thread");
        assert_eq!(out[3].ends_process(), Some(42));
    }

    #[test]
    fn other_kinds_acks_and_short_messages_are_skipped() {
        let mut out = Vec::new();
        // The acknowledgement of a listen request: PROC_EVENT_NONE.
        parse_datagram(&captured(0, &[0]), &mut out);
        // A comm change.
        parse_datagram(&captured(0x200, &[5, 5, 0, 0, 0, 0]), &mut out);
        // A fork cut short, and a length past the end.
        let mut short = captured(PROC_EVENT_FORK, &[1, 1, 2, 2]);
        short.truncate(short.len() - 4);
        let cut = short.len() as u32;
        short[0..4].copy_from_slice(&cut.to_ne_bytes());
        parse_datagram(&short, &mut out);
        let mut long = captured(PROC_EVENT_EXEC, &[9, 9]);
        long[0..4].copy_from_slice(&4000u32.to_ne_bytes());
        parse_datagram(&long, &mut out);
        // Another connector's message.
        let mut other = captured(PROC_EVENT_EXEC, &[9, 9]);
        other[16..20].copy_from_slice(&2u32.to_ne_bytes());
        parse_datagram(&other, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn the_listen_request_is_laid_out_as_cn_proc_wants() {
        let message = control_message(PROC_CN_MCAST_LISTEN);
        assert_eq!(u32_at(&message, 0), Some(40));
        assert_eq!(u32_at(&message, 16), Some(CN_IDX_PROC));
        assert_eq!(u32_at(&message, 20), Some(CN_VAL_PROC));
        assert_eq!(message[32], 4);
        assert_eq!(u32_at(&message, 36), Some(PROC_CN_MCAST_LISTEN));
    }

    #[test]
    fn a_child_is_seen_forking_execing_and_exiting() {
        let mut events = ProcessEvents::open().expect("subscribes to the proc connector");
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        let (mut forked, mut execed, mut exited) = (false, false, false);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(forked && execed && exited) && Instant::now() < deadline {
            match events
                .next_within(Duration::from_millis(200))
                .expect("reads")
            {
                Some(event) if event.starts_process() == Some(pid) => forked = true,
                Some(ProcessEvent::Exec { tgid }) if tgid == pid => execed = true,
                Some(event) if event.ends_process() == Some(pid) => exited = true,
                _ => {}
            }
        }
        assert_eq!((forked, execed, exited), (true, true, true), "pid {pid}");
    }
}
