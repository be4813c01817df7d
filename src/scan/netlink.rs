//! The default socket source on Linux: a netlink `sock_diag` dump (what `ss` uses).
//!
//! One request per protocol and family; the kernel answers with one `inet_diag_msg` per
//! socket, batched into as many datagrams as it takes, and a `NLMSG_DONE` at the end. The
//! reader is a few hundred bytes of layout from `linux/inet_diag.h` and `linux/netlink.h`,
//! kept here rather than in a dependency because the message shapes are fixed ABI and the
//! hot loop (one parse per socket) stays allocation-free.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};

use super::{Family, Socket};
use crate::model::{Proto, State};
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

/// Every TCP state the kernel defines (bits 1..=12), which is what `ss -a` asks for.
const ALL_STATES: u32 = 0x1ffe;
const TCP_LISTEN_BIT: u32 = 1 << 10;
/// UDP reports an unconnected socket as TCP_CLOSE (7).
const UDP_UNCONN_BIT: u32 = 1 << 7;

/// The receive buffer: large enough that the kernel packs many sockets into each datagram,
/// so a 100k-socket dump takes a few hundred `recv` calls, not thousands.
const RECV_BUFFER: usize = 256 * 1024;

/// Appends every `proto` socket of `family` in this network namespace to `out`.
///
/// Fails when netlink cannot answer (no `inet_diag` support, a seccomp filter, an error
/// message from the kernel); the caller then falls back to `/proc/net`.
pub fn dump(
    proto: Proto,
    family: Family,
    listening_only: bool,
    out: &mut Vec<Socket>,
) -> io::Result<()> {
    let fd = open()?;
    let states = match (listening_only, proto) {
        (false, _) => ALL_STATES,
        (true, Proto::Tcp) => TCP_LISTEN_BIT,
        (true, Proto::Udp) => UDP_UNCONN_BIT,
    };
    send_request(&fd, proto, family, states)?;
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
        match parse_datagram(&buffer[..received], proto, out) {
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

fn send_request(fd: &OwnedFd, proto: Proto, family: Family, states: u32) -> io::Result<()> {
    send(fd, &build_request(proto, family, states))
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

/// Parses one datagram of a dump reply, appending its sockets to `out`.
fn parse_datagram(mut data: &[u8], proto: Proto, out: &mut Vec<Socket>) -> io::Result<Progress> {
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
                if let Some(socket) = parse_diag_msg(body, proto) {
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
    })
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
    match parse_datagram(&buffer[..received], socket.proto, &mut found) {
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
            parse_datagram(&datagram, Proto::Tcp, &mut out).expect("parses"),
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
            parse_datagram(&done, Proto::Tcp, &mut out).expect("parses"),
            Progress::Done
        );
    }

    #[test]
    fn udp_close_is_unconn() {
        let datagram = diag_message(2, 7, (&[0, 0, 0, 0], 53), (&[0; 4], 0), 0, 9);
        let mut out = Vec::new();
        parse_datagram(&datagram, Proto::Udp, &mut out).expect("parses");
        assert_eq!(out[0].state, State::Unconn);
    }

    #[test]
    fn kernel_error_becomes_io_error() {
        let errno = -libc::ENOENT;
        let error = with_header(NLMSG_ERROR, &errno.to_ne_bytes());
        let err = parse_datagram(&error, Proto::Tcp, &mut Vec::new()).expect_err("is an error");
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    }

    #[test]
    fn truncated_and_unknown_messages_do_not_panic() {
        let mut message = diag_message(2, 10, (&[127, 0, 0, 1], 1), (&[0; 4], 0), 0, 1);
        message[0..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert!(parse_datagram(&message, Proto::Tcp, &mut Vec::new()).is_err());
        let unknown_family = diag_message(99, 10, (&[0; 4], 1), (&[0; 4], 0), 0, 1);
        let mut out = Vec::new();
        parse_datagram(&unknown_family, Proto::Tcp, &mut out).expect("skips");
        assert!(out.is_empty());
        let unknown_state = diag_message(2, 200, (&[0; 4], 1), (&[0; 4], 0), 0, 1);
        parse_datagram(&unknown_state, Proto::Tcp, &mut out).expect("skips");
        assert!(out.is_empty());
    }

    /// The socket of this process with `inode`, from a real dump.
    fn dumped(proto: Proto, family: Family, inode: u64) -> Socket {
        let mut sockets = Vec::new();
        dump(proto, family, false, &mut sockets).expect("sock_diag answers");
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
