//! Unit tests of `netlink`.

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
    let err = parse_datagram(&error, Proto::Tcp, false, &mut Vec::new()).expect_err("is an error");
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
        out[0].traffic.as_deref().copied(),
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
    let traffic = out[0].traffic.as_deref().copied().expect("asked for");
    assert_eq!(
        (traffic.bytes_sent, traffic.bytes_received),
        (Some(50_000_001), None)
    );
    out.clear();
    parse_datagram(&with_tcp_info(104), Proto::Tcp, true, &mut out).expect("parses");
    let traffic = out[0].traffic.as_deref().copied().expect("asked for");
    assert_eq!((traffic.bytes_sent, traffic.retrans), (None, Some(3)));
    // Not asked for: nothing read, even when present.
    out.clear();
    parse_datagram(&with_tcp_info(232), Proto::Tcp, false, &mut out).expect("parses");
    assert_eq!(out[0].traffic, None);
    // Asked for, but the message has none (TIME_WAIT): null counters.
    let plain = diag_message(2, 6, (&[127, 0, 0, 1], 1), (&[127, 0, 0, 1], 2), 0, 0);
    out.clear();
    parse_datagram(&plain, Proto::Tcp, true, &mut out).expect("parses");
    assert_eq!(out[0].traffic.as_deref(), Some(&Traffic::default()));
}

#[test]
fn a_malformed_attribute_list_gives_null_counters_not_a_panic() {
    let mut message = with_tcp_info(232);
    // rta_len past the end of the message.
    let at = NLMSG_HEADER_LEN + DIAG_MSG_LEN + 8;
    message[at..at + 2].copy_from_slice(&4000u16.to_ne_bytes());
    let mut out = Vec::new();
    parse_datagram(&message, Proto::Tcp, true, &mut out).expect("parses");
    assert_eq!(out[0].traffic.as_deref(), Some(&Traffic::default()));
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
            .and_then(|s| s.traffic.as_deref().copied())
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
    let traffic = out[0]
        .traffic
        .as_deref()
        .copied()
        .expect("TCP has counters");
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
fn the_cookie_is_read_from_dumps_and_destroy_events() {
    let tcp = libc::IPPROTO_TCP as u8;
    let mut datagram = destroy_message(2, Some(tcp), 232);
    // idiag_cookie: two native u32 words, low first, at byte 44 of the body.
    let cookie: u64 = 0x0000_0001_0000_2a2a;
    let at = NLMSG_HEADER_LEN + 44;
    datagram[at..at + 4].copy_from_slice(&(cookie as u32).to_ne_bytes());
    datagram[at + 4..at + 8].copy_from_slice(&((cookie >> 32) as u32).to_ne_bytes());
    let mut no_cookie = destroy_message(2, Some(tcp), 0);
    no_cookie[at..at + 8].copy_from_slice(&[0xff; 8]);
    datagram.extend(no_cookie);
    let mut out = Vec::new();
    parse_destroy_datagram(&datagram, &mut out).expect("parses");
    assert_eq!(out[0].cookie, Some(cookie));
    assert_eq!(out[1].cookie, None, "INET_DIAG_NOCOOKIE names no socket");
    let dumped = diag_message(2, 10, (&[127, 0, 0, 1], 80), (&[0; 4], 0), 0, 5);
    let mut out = Vec::new();
    parse_datagram(&dumped, Proto::Tcp, false, &mut out).expect("parses");
    assert_eq!(out[0].cookie, None, "0 is no cookie");
}

/// A destroy datagram captured from the kernel names the socket by the cookie a dump gave
/// it while it was open; its inode is gone by then.
#[test]
fn a_captured_destroy_datagram_carries_the_dumped_cookie() {
    let subscriber = sys::sock_diag_subscriber(0b1111).expect("subscribes");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let client =
        std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    let local = client.local_addr().expect("addr");
    let open = dumped(Proto::Tcp, Family::V4, inode_of(&client));
    assert!(open.cookie.is_some(), "a dump names the cookie");
    drop(client);
    drop(server);
    let mut buffer = vec![0u8; 64 * 1024];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        match sys::receive(subscriber.as_fd(), &mut buffer) {
            Ok(received) => {
                let mut out = Vec::new();
                parse_destroy_datagram(&buffer[..received], &mut out).expect("parses");
                if let Some(closed) = out.iter().find(|s| s.local == local) {
                    assert_eq!(closed.cookie, open.cookie);
                    assert_eq!(closed.inode, 0);
                    return;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                let _ = sys::readable_within(
                    &[subscriber.as_fd()],
                    std::time::Duration::from_millis(100),
                );
            }
            Err(err) => panic!("receive: {err}"),
        }
    }
    panic!("no destroy event for {local}");
}
