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
                        socket.traffic = Some(Box::new(
                            find_attribute(&body[DIAG_MSG_LEN..], INET_DIAG_INFO)
                                .map(parse_tcp_info)
                                .unwrap_or_default(),
                        ));
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
        cookie: cookie(body),
    })
}

/// `inet_diag_sockid.idiag_cookie` (two native u32 words, low word first, at byte 44 of
/// the message); `None` for 0 or `INET_DIAG_NOCOOKIE` (all ones), which name no socket.
fn cookie(body: &[u8]) -> Option<u64> {
    let cookie = u64::from(read_u32(body, 44)) | (u64::from(read_u32(body, 48)) << 32);
    (cookie != 0 && cookie != u64::MAX).then_some(cookie)
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
/// thread's namespace: one lookup by its addresses ([`lookup`]), not a dump. `Ok(false)`
/// when the kernel has no socket at those addresses or has another there now (a TIME_WAIT
/// or orphan left by the close, whose inode is 0).
pub fn still_there(socket: &Socket) -> io::Result<bool> {
    let found = lookup(socket.proto, socket.local, socket.remote, socket.ifindex)?;
    Ok(found.is_some_and(|found| found.inode == socket.inode))
}

/// The socket at these addresses (`remote` unspecified with port 0 for a listener) in the
/// calling thread's namespace, as a dump would list it (inode, uid, cookie, queues): one
/// `inet_diag_req_v2` with the socket's id and no dump flag. `Ok(None)` when the kernel has
/// none there.
pub fn lookup(
    proto: Proto,
    local: SocketAddr,
    remote: SocketAddr,
    ifindex: u32,
) -> io::Result<Option<Socket>> {
    let fd = open()?;
    let family = if local.is_ipv4() {
        Family::V4
    } else {
        Family::V6
    };
    let mut request = build_request(proto, family, ALL_STATES);
    // A lookup, not a dump: NLM_F_REQUEST alone.
    request[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    let id = &mut request[NLMSG_HEADER_LEN + 8..];
    // TCP looks a socket up from its own side; UDP as the receiver of a datagram sent from
    // `src` to `dst` (`udp_dump_one`), so there the peer comes first.
    let (src, dst) = match proto {
        Proto::Tcp => (local, remote),
        Proto::Udp => (remote, local),
    };
    id[0..2].copy_from_slice(&src.port().to_be_bytes());
    id[2..4].copy_from_slice(&dst.port().to_be_bytes());
    put_address(&mut id[4..20], src.ip());
    put_address(&mut id[20..36], dst.ip());
    id[36..40].copy_from_slice(&ifindex.to_ne_bytes());
    // INET_DIAG_NOCOOKIE: look up by addresses alone.
    id[40..48].copy_from_slice(&[0xff; 8]);
    send(&fd, &request)?;
    let mut buffer = vec![0u8; 8 * 1024];
    let received = receive(&fd, &mut buffer)?;
    let mut found = Vec::new();
    match parse_datagram(&buffer[..received], proto, false, &mut found) {
        Ok(_) => Ok(found.into_iter().next()),
        Err(err) if err.raw_os_error() == Some(libc::ENOENT) => Ok(None),
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
mod tests;
