//! Socket destroy events: the kernel's `sock_diag` multicast groups
//! (`SKNLGRP_INET_TCP_DESTROY`, `SKNLGRP_INET_UDP_DESTROY`, `SKNLGRP_INET6_TCP_DESTROY`,
//! `SKNLGRP_INET6_UDP_DESTROY` of `linux/sock_diag.h`), what `ss -E` prints.
//!
//! Each destroyed socket arrives as one `inet_diag_msg`, the same layout a dump answers
//! with, plus an `INET_DIAG_PROTOCOL` attribute (the groups share one socket, so the
//! message says its protocol) and, for TCP, the final `struct tcp_info`. The parser is the
//! dump's ([`crate::scan::netlink`]); this module only subscribes and reads.
//!
//! What a destroyed socket still has: its addresses and ports, its last state (`CLOSE` for
//! TCP, unconnected for UDP, as a rule), the owner uid, and for TCP the bytes acknowledged
//! and received over its life. Its inode is usually 0 by then: the file that held it was
//! closed first. The kernel lets any user subscribe on current kernels (6.x); each
//! subscriber sees the sockets of every user in its network namespace.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use super::EventSource;
use crate::scan::Socket;
use crate::scan::netlink;
use crate::sys;

/// The multicast groups, as the bit mask `bind(2)` takes (bit `n - 1` for group `n`):
/// `SKNLGRP_INET_TCP_DESTROY` (1), `SKNLGRP_INET_UDP_DESTROY` (2),
/// `SKNLGRP_INET6_TCP_DESTROY` (3), `SKNLGRP_INET6_UDP_DESTROY` (4).
const ALL_DESTROY_GROUPS: u32 = 0b1111;

/// Asked-for receive buffer: a burst of a few thousand closes (a port scan, a load test)
/// fits before the kernel starts dropping events.
const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;

/// One read's buffer. A destroy message is a few hundred bytes (header, `inet_diag_msg`,
/// `tcp_info`); the kernel sends one per datagram.
const DATAGRAM_BUFFER: usize = 64 * 1024;

/// What the destroy source reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// A socket was destroyed. `traffic` holds the final TCP counters (null fields where
    /// the kernel's `tcp_info` is too old to have them); `None` for UDP.
    Destroyed(Socket),
    /// The kernel dropped events because the reader fell behind (`ENOBUFS`): some sockets
    /// closed unreported, and only a scan can tell what is still open.
    Lost,
}

/// A subscription to socket destroy events in the network namespace of the thread that
/// opened it. Poll it with [`DestroyEvents::next_within`], or iterate (which blocks).
#[derive(Debug)]
pub struct DestroyEvents {
    fd: OwnedFd,
    buffer: Vec<u8>,
    parsed: Vec<Socket>,
    pending: VecDeque<SocketEvent>,
}

impl DestroyEvents {
    /// Subscribes to the destroy events of TCP and UDP, IPv4 and IPv6.
    ///
    /// Fails when the kernel refuses (`EPERM` on kernels that keep these groups to root,
    /// `EPROTONOSUPPORT` without `inet_diag`); the caller then does without events.
    pub fn open() -> io::Result<DestroyEvents> {
        DestroyEvents::open_with_buffer(RECEIVE_BUFFER)
    }

    /// [`DestroyEvents::open`] with a kernel receive buffer of about `bytes` (4 MiB by
    /// default; the kernel may grant less): how large a burst of closes can wait unread
    /// before the kernel drops events and [`SocketEvent::Lost`] says so.
    pub fn open_with_buffer(bytes: usize) -> io::Result<DestroyEvents> {
        let fd = sys::sock_diag_subscriber(ALL_DESTROY_GROUPS)?;
        // A smaller buffer only means events are lost sooner, which `Lost` reports.
        let _ = sys::set_receive_buffer(fd.as_fd(), bytes);
        Ok(DestroyEvents {
            fd,
            buffer: vec![0; DATAGRAM_BUFFER],
            parsed: Vec::new(),
            pending: VecDeque::new(),
        })
    }

    /// Subscribes in the network namespace `namespace` names (an open `/proc/<pid>/ns/net`
    /// or `/run/netns/<name>`), from a short-lived thread that joins it: the subscription
    /// stays bound to that namespace whichever thread reads it. Needs `CAP_SYS_ADMIN` to
    /// join the namespace.
    pub fn open_in(namespace: &std::fs::File) -> io::Result<DestroyEvents> {
        let namespace = namespace.try_clone()?;
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    sys::enter_net_namespace(&namespace)?;
                    DestroyEvents::open()
                })
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the namespace thread panicked")))
        })
    }

    /// The next event if one arrives within `timeout` (`Duration::ZERO`: only one already
    /// waiting); `Ok(None)` when none did.
    pub fn next_within(&mut self, timeout: Duration) -> io::Result<Option<SocketEvent>> {
        super::next_within(self, timeout)
    }

    /// Queues the events of the `received` bytes in the buffer.
    fn parse(&mut self, received: usize) -> io::Result<()> {
        self.parsed.clear();
        netlink::parse_destroy_datagram(&self.buffer[..received], &mut self.parsed)?;
        self.pending
            .extend(self.parsed.drain(..).map(SocketEvent::Destroyed));
        Ok(())
    }
}

impl EventSource for DestroyEvents {
    type Event = SocketEvent;

    fn try_next(&mut self) -> io::Result<Option<SocketEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            match sys::receive(self.fd.as_fd(), &mut self.buffer) {
                Ok(received) => self.parse(received)?,
                Err(err) if err.raw_os_error() == Some(libc::ENOBUFS) => {
                    return Ok(Some(SocketEvent::Lost));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(err) => return Err(err),
            }
        }
    }
}

impl AsFd for DestroyEvents {
    /// The subscribed socket, readable when an event waits: for a caller's own `poll`
    /// over several sources.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Iterator for DestroyEvents {
    type Item = io::Result<SocketEvent>;

    /// Blocks until the next event; never ends on its own.
    fn next(&mut self) -> Option<Self::Item> {
        Some(super::next_blocking(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Proto;
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
    use std::time::Instant;

    /// Events until one is about a socket at `local`, or 10 s pass.
    fn destroyed_at(events: &mut DestroyEvents, local: SocketAddr) -> Socket {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(SocketEvent::Destroyed(socket)) = events
                .next_within(Duration::from_millis(200))
                .expect("reads")
                && socket.local == local
            {
                return socket;
            }
        }
        panic!("no destroy event for {local}");
    }

    #[test]
    fn a_closed_connection_arrives_with_its_final_counters() {
        let mut events = DestroyEvents::open().expect("subscribes");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        let client_addr = client.local_addr().expect("addr");
        client.write_all(&[1; 1000]).expect("send");
        let mut received = [0u8; 1000];
        server.read_exact(&mut received).expect("receive");
        server.write_all(&[2; 10]).expect("reply");
        let mut reply = [0u8; 10];
        client.read_exact(&mut reply).expect("receive reply");
        // The reply's arrival acknowledges the request: bytes_acked is final before close.
        drop(server);
        drop(client);
        let socket = destroyed_at(&mut events, client_addr);
        assert_eq!(socket.proto, Proto::Tcp);
        assert_eq!(socket.remote, listener.local_addr().expect("addr"));
        let traffic = socket.traffic.expect("TCP has counters");
        // The final counters are sequence-number spans: the peer's FIN (received) and our
        // own FIN once acknowledged (sent) count one each, as the SYN may.
        assert!(
            matches!(traffic.bytes_received, Some(10..=11)),
            "{traffic:?}"
        );
        assert!(
            matches!(traffic.bytes_sent, Some(1000..=1002)),
            "{traffic:?}"
        );
        assert_eq!(socket.uid, sys::euid());
    }

    #[test]
    fn a_closed_udp_socket_arrives_without_counters() {
        let mut events = DestroyEvents::open().expect("subscribes");
        let udp = UdpSocket::bind("[::1]:0").expect("bind");
        let local = udp.local_addr().expect("addr");
        drop(udp);
        let socket = destroyed_at(&mut events, local);
        assert_eq!((socket.proto, socket.traffic), (Proto::Udp, None));
    }

    #[test]
    fn a_reader_that_falls_behind_is_told_events_were_lost() {
        // The kernel's smallest buffer holds a handful of messages.
        let mut events = DestroyEvents::open_with_buffer(1).expect("subscribes");
        let mut lost = false;
        // The kernel sends from a work queue, which lags on a busy machine: each round
        // gives it time to fill the buffer before anything is read.
        for _round in 0..5 {
            for _ in 0..300 {
                drop(UdpSocket::bind("127.0.0.1:0").expect("bind"));
            }
            std::thread::sleep(Duration::from_millis(300));
            while let Some(event) = events
                .next_within(Duration::from_millis(100))
                .expect("reads")
            {
                lost |= event == SocketEvent::Lost;
            }
            if lost {
                break;
            }
        }
        assert!(lost, "1500 unread closes fit a minimal buffer");
    }

    #[test]
    fn nothing_waiting_is_none_within_the_timeout() {
        let mut events = DestroyEvents::open().expect("subscribes");
        // Other tests close sockets meanwhile: drain, then time one empty wait.
        let started = Instant::now();
        while events
            .next_within(Duration::from_millis(50))
            .expect("reads")
            .is_some()
        {
            assert!(started.elapsed() < Duration::from_secs(30), "never quiet");
        }
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
