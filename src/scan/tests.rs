//! Unit tests of `scan`.

use super::*;
#[cfg(target_os = "linux")]
use std::io::{IoSlice, IoSliceMut};
#[cfg(target_os = "linux")]
use std::mem::MaybeUninit;
#[cfg(target_os = "linux")]
use std::os::fd::{BorrowedFd, OwnedFd};

fn entry(port: u16, pid: Option<u32>, process: Option<&str>) -> PortEntry {
    PortEntry {
        proto: Proto::Tcp,
        local_addr: "127.0.0.1".parse().expect("literal"),
        local_port: port,
        remote_addr: None,
        remote_port: None,
        state: State::Listen,
        inode: u64::from(port),
        uid: None,
        pid,
        pids: pid.into_iter().collect(),
        process: process.map(Into::into),
        cmdline: None,
        user: None,
        ppid: None,
        started: None,
        service: None,
        suspicious: vec![],
        container: None,
        netns: None,
        interface: None,
        recv_q: None,
        send_q: None,
        traffic: None,
        cookie: None,
    }
}

fn ports(entries: &[PortEntry]) -> Vec<u16> {
    entries.iter().map(|e| e.local_port).collect()
}

#[test]
fn sort_by_port_and_reverse() {
    let mut entries = vec![
        entry(80, None, None),
        entry(22, None, None),
        entry(443, None, None),
    ];
    sort(&mut entries, SortKey::Port, false);
    assert_eq!(ports(&entries), [22, 80, 443]);
    sort(&mut entries, SortKey::Port, true);
    assert_eq!(ports(&entries), [443, 80, 22]);
}

#[test]
fn unknown_owners_sort_last_and_ties_break_by_port() {
    let mut entries = vec![
        entry(1, None, None),
        entry(9, Some(7), Some("sshd")),
        entry(3, Some(7), Some("sshd")),
        entry(5, Some(2), Some("nginx")),
    ];
    sort(&mut entries, SortKey::Pid, false);
    assert_eq!(ports(&entries), [5, 3, 9, 1]);
    sort(&mut entries, SortKey::Process, false);
    assert_eq!(ports(&entries), [5, 3, 9, 1]);
}

#[test]
fn a_socket_stays_small_whether_or_not_it_has_counters() {
    // A scan holds one per socket before any record is made: 100,000 of them at once.
    assert!(
        std::mem::size_of::<Socket>() <= 144,
        "{} bytes",
        std::mem::size_of::<Socket>()
    );
}

/// A connected pair of unix stream sockets to pass fds over: (sender, receiver).
#[cfg(target_os = "linux")]
pub(crate) fn fd_channel() -> (OwnedFd, OwnedFd) {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
    socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .expect("socketpair")
}

/// Sends `fd` over the unix socket `sender`: until it is received, no process holds
/// the file.
#[cfg(target_os = "linux")]
pub(crate) fn send_fd(sender: &OwnedFd, fd: BorrowedFd<'_>) {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [fd];
    assert!(control.push(SendAncillaryMessage::ScmRights(&fds)));
    sendmsg(
        sender,
        &[IoSlice::new(b"x")],
        &mut control,
        SendFlags::empty(),
    )
    .expect("sendmsg");
}

/// Receives the next fd sent over `receiver`.
#[cfg(target_os = "linux")]
pub(crate) fn receive_fd(receiver: &OwnedFd) -> OwnedFd {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    recvmsg(
        receiver,
        &mut [IoSliceMut::new(&mut byte)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )
    .expect("recvmsg");
    control
        .drain()
        .find_map(|message| match message {
            RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
            _ => None,
        })
        .expect("an fd came with the message")
}
