//! The default socket source on Linux: a netlink `sock_diag` dump (what `ss` uses).
//!
//! One request per protocol and family; the kernel answers with one `inet_diag_msg` per
//! socket, batched into as many datagrams as it takes, and a `NLMSG_DONE` at the end. The
//! reader is a few hundred bytes of layout from `linux/inet_diag.h` and `linux/netlink.h`,
//! kept here rather than in a dependency because the message shapes are fixed ABI and the
//! hot loop (one parse per socket) stays allocation-free.
//!
//! With counters asked for ([`Request::counters`]), the request sets the `INET_DIAG_INFO`
//! bit of `idiag_ext` and the kernel appends each TCP socket's `struct tcp_info` as an
//! attribute after the message. Its fields are read by offset, each only when the
//! attribute is long enough to hold it: older kernels send a shorter `tcp_info`
//! (`tcpi_bytes_acked` came in 4.1, `tcpi_bytes_received` in 4.2), and a field that is not
//! there is null rather than a zero that would read as "nothing transferred". The kernel
//! fills `tcp_info` for every socket in the dump, other users' included, with no privilege:
//! the byte counters need no root. Asking costs the kernel a `tcp_get_info` per socket and
//! about three times the bytes per message, so a plain scan does not ask.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};

use super::{Family, Socket};
use crate::model::{Proto, State, Traffic};
use crate::sys;

/// `SOCK_DIAG_BY_FAMILY` from `linux/sock_diag.h`: the request type for inet sockets.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;

const NLMSG_HEADER_LEN: usize = 16;
const REQUEST_LEN: usize = 56;
const DIAG_MSG_LEN: usize = 72;

/// `INET_DIAG_INFO` from `linux/inet_diag.h`: the attribute that carries `struct tcp_info`,
/// and (as bit `1 << (INET_DIAG_INFO - 1)` of `idiag_ext`) the request for it.
const INET_DIAG_INFO: u16 = 2;
/// `INET_DIAG_PROTOCOL` from `linux/inet_diag.h`: a response-only attribute, one byte, the
/// socket's `IPPROTO_*`.
const INET_DIAG_PROTOCOL: u16 = 10;
/// `struct rtattr`: `rta_len` and `rta_type`, both u16.
const RTATTR_HEADER_LEN: usize = 4;

/// Offsets into `struct tcp_info` (`linux/tcp.h`), stable ABI: the struct only grows.
mod tcp_info {
    /// `__u32 tcpi_rtt`: smoothed RTT in microseconds.
    pub const RTT: usize = 68;
    /// `__u32 tcpi_total_retrans`: segments retransmitted over the connection's life.
    pub const TOTAL_RETRANS: usize = 100;
    /// `__u64 tcpi_bytes_acked` (Linux 4.1): payload bytes the peer acknowledged.
    pub const BYTES_ACKED: usize = 120;
    /// `__u64 tcpi_bytes_received` (Linux 4.2): payload bytes received in order.
    pub const BYTES_RECEIVED: usize = 128;
}

/// Every TCP state the kernel defines (bits 1..=12), which is what `ss -a` asks for.
const ALL_STATES: u32 = 0x1ffe;
const TCP_LISTEN_BIT: u32 = 1 << 10;
/// UDP reports an unconnected socket as TCP_CLOSE (7).
const UDP_UNCONN_BIT: u32 = 1 << 7;

/// The receive buffer: large enough that the kernel packs many sockets into each datagram,
/// so a 100k-socket dump takes a few hundred `recv` calls, not thousands.
const RECV_BUFFER: usize = 256 * 1024;

/// What one dump asks the kernel for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The protocol to dump.
    pub proto: Proto,
    /// The address family to dump.
    pub family: Family,
    /// Only TCP `LISTEN` / UDP unconnected sockets.
    pub listening_only: bool,
    /// Ask for `tcp_info` (`INET_DIAG_INFO`) and fill [`Socket::traffic`]; TCP only.
    pub counters: bool,
}

/// Appends every socket `request` selects in this network namespace to `out`.
///
/// Fails when netlink cannot answer (no `inet_diag` support, a seccomp filter, an error
/// message from the kernel); the caller then falls back to `/proc/net`.
pub fn dump(request: Request, out: &mut Vec<Socket>) -> io::Result<()> {
    let Request {
        proto,
        family,
        listening_only,
        counters,
    } = request;
    let fd = open()?;
    let states = match (listening_only, proto) {
        (false, _) => ALL_STATES,
        (true, Proto::Tcp) => TCP_LISTEN_BIT,
        (true, Proto::Udp) => UDP_UNCONN_BIT,
    };
    let mut message = build_request(proto, family, states);
    if counters {
        message[NLMSG_HEADER_LEN + 2] = 1 << (INET_DIAG_INFO - 1);
    }
    send(&fd, &message)?;
    let mut buffer = vec![0u8; RECV_BUFFER];
    let before = out.len();
    loop {
        let received = match receive(&fd, &mut buffer) {
            Ok(received) => received,
            Err(err) => {
                out.truncate(before);
                return Err(err);
            }
        };
        match parse_datagram(&buffer[..received], proto, counters, out) {
            Ok(Progress::More) => {}
            Ok(Progress::Done) => return Ok(()),
            Err(err) => {
                out.truncate(before);
                return Err(err);
            }
        }
    }
}

fn open() -> io::Result<OwnedFd> {
    sys::sock_diag_socket()
}

/// Sends one netlink message to the kernel.
fn send(fd: &OwnedFd, request: &[u8]) -> io::Result<()> {
    sys::send_to_kernel(fd.as_fd(), request)
}

/// The `nlmsghdr` + `inet_diag_req_v2` dump request, in native byte order as netlink wants.
fn build_request(
    proto: Proto,
    family: Family,
    states: u32,
) -> [u8; NLMSG_HEADER_LEN + REQUEST_LEN] {
    let mut request = [0u8; NLMSG_HEADER_LEN + REQUEST_LEN];
    let len = request.len() as u32;
    request[0..4].copy_from_slice(&len.to_ne_bytes());
    request[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    request[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    let body = &mut request[NLMSG_HEADER_LEN..];
    body[0] = family.af();
    body[1] = match proto {
        Proto::Tcp => libc::IPPROTO_TCP as u8,
        Proto::Udp => libc::IPPROTO_UDP as u8,
    };
    body[4..8].copy_from_slice(&states.to_ne_bytes());
    request
}

/// Whether a dump has more datagrams to come.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    More,
    Done,
}

/// Parses one datagram of a dump reply, appending its sockets to `out`; with `counters`,
/// each with its `tcp_info` counters (null ones where the message has none).
fn parse_datagram(
    data: &[u8],
    proto: Proto,
    counters: bool,
    out: &mut Vec<Socket>,
) -> io::Result<Progress> {
    parse_messages(data, Some(proto), counters, out)
}

/// Parses one datagram of socket destroy events (the `SKNLGRP_*_DESTROY` multicast groups),
/// appending each socket to `out` with its protocol from the message's
/// `INET_DIAG_PROTOCOL` attribute and, for TCP, the final `tcp_info` counters the kernel
/// attaches. A message without that attribute, or of another protocol, is skipped.
pub(crate) fn parse_destroy_datagram(data: &[u8], out: &mut Vec<Socket>) -> io::Result<()> {
    parse_messages(data, None, true, out).map(|_| ())
}

/// The walk over one datagram's messages shared by dumps and destroy events: `proto` is
/// the dump's protocol, or `None` to read it from each message.
fn parse_messages(
    mut data: &[u8],
    proto: Option<Proto>,
    counters: bool,
    out: &mut Vec<Socket>,
) -> io::Result<Progress> {
    while data.len() >= NLMSG_HEADER_LEN {
        let len = read_u32(data, 0) as usize;
        let kind = read_u16(data, 4);
        if len < NLMSG_HEADER_LEN || len > data.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "truncated netlink message",
            ));
        }
        let body = &data[NLMSG_HEADER_LEN..len];
        match kind {
            NLMSG_DONE => return Ok(Progress::Done),
            NLMSG_ERROR => {
                // The body starts with a negative errno; 0 would be an acknowledgement.
                let errno = if body.len() >= 4 {
                    -(read_u32(body, 0) as i32)
                } else {
                    0
                };
                return Err(if errno > 0 {
                    io::Error::from_raw_os_error(errno)
                } else {
                    io::Error::new(io::ErrorKind::InvalidData, "unexpected netlink ack")
                });
            }
            SOCK_DIAG_BY_FAMILY => {
                let proto = proto.or_else(|| message_protocol(body));
                if let Some(mut socket) = proto.and_then(|proto| parse_diag_msg(body, proto)) {
                    // Only TCP has a tcp_info; a UDP socket's counters stay unasked for.
                    if counters && socket.proto == Proto::Tcp {
                        socket.traffic = Some(
                            find_attribute(&body[DIAG_MSG_LEN..], INET_DIAG_INFO)
                                .map(parse_tcp_info)
                                .unwrap_or_default(),
                        );
                    }
                    out.push(socket);
                }
            }
            _ => {}
        }
        // Messages are padded to 4-byte alignment.
        let advance = (len + 3) & !3;
        data = data.get(advance..).unwrap_or_default();
    }
    Ok(Progress::More)
}

/// Decodes one `inet_diag_msg`. `None` for a message too short or with an unknown family or
/// state, which a newer kernel could send; skipping it beats failing the whole dump.
fn parse_diag_msg(body: &[u8], proto: Proto) -> Option<Socket> {
    if body.len() < DIAG_MSG_LEN {
        return None;
    }
    let state = State::from_kernel(proto, body[1])?;
    let local_port = u16::from_be_bytes([body[4], body[5]]);
    let remote_port = u16::from_be_bytes([body[6], body[7]]);
    let (local_ip, remote_ip) = match i32::from(body[0]) {
        libc::AF_INET => (ipv4(&body[8..12]), ipv4(&body[24..28])),
        libc::AF_INET6 => (ipv6(&body[8..24]), ipv6(&body[24..40])),
        _ => return None,
    };
    Some(Socket {
        proto,
        state,
        local: SocketAddr::new(local_ip, local_port),
        remote: SocketAddr::new(remote_ip, remote_port),
        uid: read_u32(body, 64),
        inode: u64::from(read_u32(body, 68)),
        netns: None,
        // inet_diag_sockid.idiag_if: the bound device, or a link-local address's scope.
        ifindex: read_u32(body, 40),
        // idiag_rqueue, idiag_wqueue (for a listener: accept backlog and its limit).
        recv_q: Some(read_u32(body, 56)),
        send_q: Some(read_u32(body, 60)),
        traffic: None,
    })
}

/// The protocol a message names in its `INET_DIAG_PROTOCOL` attribute, which destroy
/// events carry (they come from one socket for every protocol); `None` without one.
fn message_protocol(body: &[u8]) -> Option<Proto> {
    let attribute = find_attribute(body.get(DIAG_MSG_LEN..)?, INET_DIAG_PROTOCOL)?;
    match i32::from(*attribute.first()?) {
        libc::IPPROTO_TCP => Some(Proto::Tcp),
        libc::IPPROTO_UDP => Some(Proto::Udp),
        _ => None,
    }
}

/// The payload of the first `struct rtattr` of type `kind` in `attributes` (the bytes
/// after an `inet_diag_msg`); `None` when there is none or the list is malformed.
fn find_attribute(mut attributes: &[u8], kind: u16) -> Option<&[u8]> {
    while attributes.len() >= RTATTR_HEADER_LEN {
        let len = usize::from(read_u16(attributes, 0));
        // The top two bits of rta_type are flags (nested, byte order), not the type.
        let found = read_u16(attributes, 2) & 0x3fff;
        if len < RTATTR_HEADER_LEN || len > attributes.len() {
            return None;
        }
        if found == kind {
            return Some(&attributes[RTATTR_HEADER_LEN..len]);
        }
        attributes = attributes.get((len + 3) & !3..).unwrap_or_default();
    }
    None
}

/// The counters of a `struct tcp_info`, each null when `info` is too short to hold it.
fn parse_tcp_info(info: &[u8]) -> Traffic {
    let u32_at = |at: usize| info.get(at..at + 4).map(|_| u64::from(read_u32(info, at)));
    let u64_at = |at: usize| {
        info.get(at..at + 8)
            .map(|b| u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    };
    Traffic {
        bytes_sent: u64_at(tcp_info::BYTES_ACKED),
        bytes_received: u64_at(tcp_info::BYTES_RECEIVED),
        retrans: u32_at(tcp_info::TOTAL_RETRANS),
        rtt_us: u32_at(tcp_info::RTT),
    }
}

/// Whether `socket` is still there, as the same socket (same inode), in the calling
/// thread's namespace: one lookup by its addresses (`inet_diag_req_v2` with the socket's
/// id and no dump flag), not a dump. `Ok(false)` when the kernel has no socket at those
/// addresses or has another there now (a TIME_WAIT or orphan left by the close, whose inode
/// is 0).
pub fn still_there(socket: &Socket) -> io::Result<bool> {
    let fd = open()?;
    let family = if socket.local.is_ipv4() {
        Family::V4
    } else {
        Family::V6
    };
    let mut request = build_request(socket.proto, family, ALL_STATES);
    // A lookup, not a dump: NLM_F_REQUEST alone.
    request[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    let id = &mut request[NLMSG_HEADER_LEN + 8..];
    // TCP looks a socket up from its own side; UDP as the receiver of a datagram sent from
    // `src` to `dst` (`udp_dump_one`), so there the peer comes first.
    let (src, dst) = match socket.proto {
        Proto::Tcp => (socket.local, socket.remote),
        Proto::Udp => (socket.remote, socket.local),
    };
    id[0..2].copy_from_slice(&src.port().to_be_bytes());
    id[2..4].copy_from_slice(&dst.port().to_be_bytes());
    put_address(&mut id[4..20], src.ip());
    put_address(&mut id[20..36], dst.ip());
    id[36..40].copy_from_slice(&socket.ifindex.to_ne_bytes());
    // INET_DIAG_NOCOOKIE: look up by addresses alone.
    id[40..48].copy_from_slice(&[0xff; 8]);
    send(&fd, &request)?;
    let mut buffer = vec![0u8; 8 * 1024];
    let received = receive(&fd, &mut buffer)?;
    let mut found = Vec::new();
    match parse_datagram(&buffer[..received], socket.proto, false, &mut found) {
        Ok(_) => Ok(found.iter().any(|s| s.inode == socket.inode)),
        Err(err) if err.raw_os_error() == Some(libc::ENOENT) => Ok(false),
        Err(err) => Err(err),
    }
}

/// One datagram from the kernel into `buffer`; its length.
fn receive(fd: &OwnedFd, buffer: &mut [u8]) -> io::Result<usize> {
    sys::receive(fd.as_fd(), buffer)
}

/// Writes `addr` as the kernel's `__be32[4]` address field (IPv4 in the first word).
fn put_address(field: &mut [u8], addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => field[0..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => field.copy_from_slice(&v6.octets()),
    }
}

/// The name of network interface `index` in the calling thread's namespace; `None` when
/// no interface has that index any more.
#[must_use]
pub fn interface_name(index: u32) -> Option<String> {
    sys::interface_name(index)
}

fn ipv4(bytes: &[u8]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
}

fn ipv6(bytes: &[u8]) -> IpAddr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(bytes);
    IpAddr::V6(Ipv6Addr::from(octets))
}

fn read_u32(data: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

fn read_u16(data: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([data[at], data[at + 1]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One `SOCK_DIAG_BY_FAMILY` message as the kernel lays it out.
    fn diag_message(
        family: u8,
        state: u8,
        local: (&[u8], u16),
        remote: (&[u8], u16),
        uid: u32,
        inode: u32,
    ) -> Vec<u8> {
        let mut body = vec![0u8; DIAG_MSG_LEN];
        body[0] = family;
        body[1] = state;
        body[4..6].copy_from_slice(&local.1.to_be_bytes());
        body[6..8].copy_from_slice(&remote.1.to_be_bytes());
        body[8..8 + local.0.len()].copy_from_slice(local.0);
        body[24..24 + remote.0.len()].copy_from_slice(remote.0);
        body[64..68].copy_from_slice(&uid.to_ne_bytes());
        body[68..72].copy_from_slice(&inode.to_ne_bytes());
        with_header(SOCK_DIAG_BY_FAMILY, &body)
    }

    fn with_header(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut message = vec![0u8; NLMSG_HEADER_LEN];
        message[0..4].copy_from_slice(&((NLMSG_HEADER_LEN + body.len()) as u32).to_ne_bytes());
        message[4..6].copy_from_slice(&kind.to_ne_bytes());
        message.extend_from_slice(body);
        while !message.len().is_multiple_of(4) {
            message.push(0);
        }
        message
    }

    #[test]
    fn parses_ipv4_and_ipv6_sockets_and_stops_at_done() {
        let mut datagram = diag_message(2, 10, (&[127, 0, 0, 1], 8080), (&[0; 4], 0), 1000, 4242);
        let v6_local: [u8; 16] = Ipv6Addr::LOCALHOST.octets();
        datagram.extend(diag_message(
            10,
            1,
            (&v6_local, 443),
            (&v6_local, 50000),
            0,
            77,
        ));
        let mut out = Vec::new();
        assert_eq!(
            parse_datagram(&datagram, Proto::Tcp, false, &mut out).expect("parses"),
            Progress::More
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].local, "127.0.0.1:8080".parse().expect("literal"));
        assert_eq!(out[0].remote, "0.0.0.0:0".parse().expect("literal"));
        assert_eq!(
            (out[0].state, out[0].uid, out[0].inode),
            (State::Listen, 1000, 4242)
        );
        assert_eq!(out[1].remote, "[::1]:50000".parse().expect("literal"));
        assert_eq!(out[1].state, State::Established);

        let done = with_header(NLMSG_DONE, &[0; 4]);
        assert_eq!(
            parse_datagram(&done, Proto::Tcp, false, &mut out).expect("parses"),
            Progress::Done
        );
    }

    #[test]
    fn udp_close_is_unconn() {
        let datagram = diag_message(2, 7, (&[0, 0, 0, 0], 53), (&[0; 4], 0), 0, 9);
        let mut out = Vec::new();
        parse_datagram(&datagram, Proto::Udp, false, &mut out).expect("parses");
        assert_eq!(out[0].state, State::Unconn);
    }

    #[test]
    fn kernel_error_becomes_io_error() {
        let errno = -libc::ENOENT;
        let error = with_header(NLMSG_ERROR, &errno.to_ne_bytes());
        let err =
            parse_datagram(&error, Proto::Tcp, false, &mut Vec::new()).expect_err("is an error");
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    }

    #[test]
    fn truncated_and_unknown_messages_do_not_panic() {
        let mut message = diag_message(2, 10, (&[127, 0, 0, 1], 1), (&[0; 4], 0), 0, 1);
        message[0..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert!(parse_datagram(&message, Proto::Tcp, false, &mut Vec::new()).is_err());
        let unknown_family = diag_message(99, 10, (&[0; 4], 1), (&[0; 4], 0), 0, 1);
        let mut out = Vec::new();
        parse_datagram(&unknown_family, Proto::Tcp, false, &mut out).expect("skips");
        assert!(out.is_empty());
        let unknown_state = diag_message(2, 200, (&[0; 4], 1), (&[0; 4], 0), 0, 1);
        parse_datagram(&unknown_state, Proto::Tcp, false, &mut out).expect("skips");
        assert!(out.is_empty());
    }

    /// The socket of this process with `inode`, from a real dump.
    fn dumped(proto: Proto, family: Family, inode: u64) -> Socket {
        let mut sockets = Vec::new();
        let request = Request {
            proto,
            family,
            listening_only: false,
            counters: false,
        };
        dump(request, &mut sockets).expect("sock_diag answers");
        sockets
            .into_iter()
            .find(|s| s.inode == inode)
            .expect("the dump lists it")
    }

    fn inode_of(fd: &impl std::os::fd::AsRawFd) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .expect("own fd")
            .ino()
    }

    // See: issue 14 — sockets closed while a scan ran came out as ownerless phantoms.
    #[test]
    fn a_socket_is_looked_up_by_its_addresses_until_it_closes() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let client =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        let udp = std::net::UdpSocket::bind("[::1]:0").expect("bind");
        let connected = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        connected.connect("127.0.0.1:9").expect("connect");
        let sockets = [
            dumped(Proto::Tcp, Family::V4, inode_of(&listener)),
            dumped(Proto::Tcp, Family::V4, inode_of(&client)),
            dumped(Proto::Tcp, Family::V4, inode_of(&server)),
            dumped(Proto::Udp, Family::V6, inode_of(&udp)),
            dumped(Proto::Udp, Family::V4, inode_of(&connected)),
        ];
        for socket in &sockets {
            assert!(still_there(socket).expect("lookup"), "{socket:?}");
        }
        drop((listener, client, server, udp, connected));
        for socket in &sockets {
            assert!(!still_there(socket).expect("lookup"), "{socket:?}");
        }
    }

    /// A TCP message followed by a `tcp_info` attribute of `info_len` bytes.
    fn with_tcp_info(info_len: usize) -> Vec<u8> {
        let mut body = vec![0u8; DIAG_MSG_LEN];
        body[0] = 2;
        body[1] = 1;
        body[68..72].copy_from_slice(&5u32.to_ne_bytes());
        // Another attribute first (INET_DIAG_SHUTDOWN, one byte, padded), as kernels send.
        body.extend_from_slice(&5u16.to_ne_bytes());
        body.extend_from_slice(&8u16.to_ne_bytes());
        body.extend_from_slice(&[0, 0, 0, 0]);
        let mut info = vec![0u8; info_len];
        let mut put = |at: usize, bytes: &[u8]| {
            if at + bytes.len() <= info.len() {
                info[at..at + bytes.len()].copy_from_slice(bytes);
            }
        };
        put(tcp_info::RTT, &250u32.to_ne_bytes());
        put(tcp_info::TOTAL_RETRANS, &3u32.to_ne_bytes());
        put(tcp_info::BYTES_ACKED, &50_000_001u64.to_ne_bytes());
        put(tcp_info::BYTES_RECEIVED, &7u64.to_ne_bytes());
        body.extend_from_slice(&((RTATTR_HEADER_LEN + info_len) as u16).to_ne_bytes());
        body.extend_from_slice(&INET_DIAG_INFO.to_ne_bytes());
        body.extend_from_slice(&info);
        with_header(SOCK_DIAG_BY_FAMILY, &body)
    }

    #[test]
    fn tcp_info_counters_are_read_where_the_kernel_sent_them() {
        let mut out = Vec::new();
        parse_datagram(&with_tcp_info(232), Proto::Tcp, true, &mut out).expect("parses");
        assert_eq!(
            out[0].traffic,
            Some(Traffic {
                bytes_sent: Some(50_000_001),
                bytes_received: Some(7),
                retrans: Some(3),
                rtt_us: Some(250),
            })
        );
        // A 4.1 kernel's tcp_info ends after tcpi_bytes_acked; a 3.x one before it.
        out.clear();
        parse_datagram(&with_tcp_info(128), Proto::Tcp, true, &mut out).expect("parses");
        let traffic = out[0].traffic.expect("asked for");
        assert_eq!(
            (traffic.bytes_sent, traffic.bytes_received),
            (Some(50_000_001), None)
        );
        out.clear();
        parse_datagram(&with_tcp_info(104), Proto::Tcp, true, &mut out).expect("parses");
        let traffic = out[0].traffic.expect("asked for");
        assert_eq!((traffic.bytes_sent, traffic.retrans), (None, Some(3)));
        // Not asked for: nothing read, even when present.
        out.clear();
        parse_datagram(&with_tcp_info(232), Proto::Tcp, false, &mut out).expect("parses");
        assert_eq!(out[0].traffic, None);
        // Asked for, but the message has none (TIME_WAIT): null counters.
        let plain = diag_message(2, 6, (&[127, 0, 0, 1], 1), (&[127, 0, 0, 1], 2), 0, 0);
        out.clear();
        parse_datagram(&plain, Proto::Tcp, true, &mut out).expect("parses");
        assert_eq!(out[0].traffic, Some(Traffic::default()));
    }

    #[test]
    fn a_malformed_attribute_list_gives_null_counters_not_a_panic() {
        let mut message = with_tcp_info(232);
        // rta_len past the end of the message.
        let at = NLMSG_HEADER_LEN + DIAG_MSG_LEN + 8;
        message[at..at + 2].copy_from_slice(&4000u16.to_ne_bytes());
        let mut out = Vec::new();
        parse_datagram(&message, Proto::Tcp, true, &mut out).expect("parses");
        assert_eq!(out[0].traffic, Some(Traffic::default()));
        assert_eq!(find_attribute(&[1, 0], INET_DIAG_INFO), None);
        assert_eq!(find_attribute(&[0, 0, 2, 0], INET_DIAG_INFO), None);
    }

    #[test]
    fn a_real_dump_counts_the_bytes_of_a_loopback_connection() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        let payload = vec![7u8; 300_000];
        let writer = std::thread::spawn(move || {
            client.write_all(&payload).expect("send");
            client
        });
        let mut received = vec![0u8; 300_000];
        server.read_exact(&mut received).expect("receive");
        let client = writer.join().expect("writer");
        let request = Request {
            proto: Proto::Tcp,
            family: Family::V4,
            listening_only: false,
            counters: true,
        };
        let find = |inode| {
            let mut sockets = Vec::new();
            dump(request, &mut sockets).expect("sock_diag answers");
            sockets
                .iter()
                .find(|s| s.inode == inode)
                .and_then(|s| s.traffic)
                .expect("listed with counters")
        };
        let receiving = find(inode_of(&server));
        assert_eq!(receiving.bytes_received, Some(300_000));
        // The last ACK may be delayed a little (delayed ACK is up to 200 ms): wait for it.
        // The acknowledged count includes the SYN's one sequence number.
        let mut sending = find(inode_of(&client));
        for _ in 0..100 {
            if sending.bytes_sent >= Some(300_000) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            sending = find(inode_of(&client));
        }
        assert!(
            matches!(sending.bytes_sent, Some(300_000 | 300_001)),
            "{sending:?}"
        );
    }

    /// A destroy event as the kernel broadcasts it (`inet_diag_handler_get_info`): the
    /// message, then `INET_DIAG_PROTOCOL`, then (TCP) the final `tcp_info`.
    fn destroy_message(family: u8, protocol: Option<u8>, info_len: usize) -> Vec<u8> {
        let mut message = diag_message(
            family,
            7,
            (&[127, 0, 0, 1], 40000),
            (&[127, 0, 0, 2], 8080),
            65534,
            0,
        );
        if let Some(protocol) = protocol {
            message.extend_from_slice(&5u16.to_ne_bytes());
            message.extend_from_slice(&INET_DIAG_PROTOCOL.to_ne_bytes());
            message.extend_from_slice(&[protocol, 0, 0, 0]);
        }
        if info_len > 0 {
            let mut info = vec![0u8; info_len];
            info[tcp_info::BYTES_ACKED..tcp_info::BYTES_ACKED + 8]
                .copy_from_slice(&4096u64.to_ne_bytes());
            info[tcp_info::BYTES_RECEIVED..tcp_info::BYTES_RECEIVED + 8]
                .copy_from_slice(&17u64.to_ne_bytes());
            message.extend_from_slice(&((RTATTR_HEADER_LEN + info_len) as u16).to_ne_bytes());
            message.extend_from_slice(&INET_DIAG_INFO.to_ne_bytes());
            message.extend_from_slice(&info);
        }
        let len = message.len() as u32;
        message[0..4].copy_from_slice(&len.to_ne_bytes());
        message
    }

    #[test]
    fn destroy_events_carry_their_protocol_and_final_counters() {
        let tcp = libc::IPPROTO_TCP as u8;
        let udp = libc::IPPROTO_UDP as u8;
        let mut datagram = destroy_message(2, Some(tcp), 232);
        datagram.extend(destroy_message(2, Some(udp), 0));
        let mut out = Vec::new();
        parse_destroy_datagram(&datagram, &mut out).expect("parses");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].proto, Proto::Tcp);
        assert_eq!(out[0].state, State::Close);
        assert_eq!(out[0].local, "127.0.0.1:40000".parse().expect("literal"));
        assert_eq!(out[0].remote, "127.0.0.2:8080".parse().expect("literal"));
        assert_eq!((out[0].uid, out[0].inode), (65534, 0));
        let traffic = out[0].traffic.expect("TCP has counters");
        assert_eq!(
            (traffic.bytes_sent, traffic.bytes_received),
            (Some(4096), Some(17))
        );
        assert_eq!((out[1].proto, out[1].state), (Proto::Udp, State::Unconn));
        assert_eq!(out[1].traffic, None);
    }

    #[test]
    fn destroy_events_without_a_known_protocol_are_skipped() {
        let mut datagram = destroy_message(2, None, 232);
        // IPPROTO_UDPLITE: not a protocol prt reports.
        datagram.extend(destroy_message(2, Some(136), 0));
        // Too short to hold the attributes at all.
        datagram.extend(with_header(SOCK_DIAG_BY_FAMILY, &[2, 7]));
        let mut out = Vec::new();
        parse_destroy_datagram(&datagram, &mut out).expect("parses");
        assert!(out.is_empty(), "{out:?}");
        let mut truncated = destroy_message(2, Some(6), 232);
        truncated[0..4].copy_from_slice(&4000u32.to_ne_bytes());
        assert!(parse_destroy_datagram(&truncated, &mut out).is_err());
    }

    #[test]
    fn request_asks_for_a_dump_of_one_family_and_protocol() {
        let request = build_request(Proto::Udp, Family::V6, ALL_STATES);
        assert_eq!(read_u32(&request, 0) as usize, request.len());
        assert_eq!(read_u16(&request, 4), SOCK_DIAG_BY_FAMILY);
        assert_eq!(read_u16(&request, 6), NLM_F_REQUEST | NLM_F_DUMP);
        assert_eq!(request[16], libc::AF_INET6 as u8);
        assert_eq!(request[17], libc::IPPROTO_UDP as u8);
        assert_eq!(read_u32(&request, 20), ALL_STATES);
    }
}
