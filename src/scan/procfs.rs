//! The fallback socket source on Linux: the text tables in `/proc/net/{tcp,tcp6,udp,udp6}`.
//!
//! Slower than netlink (the kernel formats every socket as text) but always there. Used
//! when netlink cannot answer and with `--backend proc`.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use super::{Error, Family, Socket};
use crate::model::{Proto, State};

/// Appends every `proto` socket of `family` listed in `/proc/net` to `out`.
///
/// A missing table (IPv6 disabled at boot) lists no sockets; any other read error fails.
pub fn read(
    proto: Proto,
    family: Family,
    listening_only: bool,
    out: &mut Vec<Socket>,
) -> Result<(), Error> {
    let path = table_path(proto, family);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(Error::Proc { path, source }),
    };
    parse_table(&text, proto, &path, listening_only, out)
}

fn table_path(proto: Proto, family: Family) -> PathBuf {
    let name = match (proto, family) {
        (Proto::Tcp, Family::V4) => "tcp",
        (Proto::Tcp, Family::V6) => "tcp6",
        (Proto::Udp, Family::V4) => "udp",
        (Proto::Udp, Family::V6) => "udp6",
    };
    // The calling thread's namespace: a thread that joined another one (`--all-netns`)
    // reads that one's tables, where `/proc/net` would show the main thread's.
    Path::new("/proc/thread-self/net").join(name)
}

/// Parses one `/proc/net` table (header line first). `path` only names the file in errors.
///
/// The kernel produces the table a page at a time while sockets come and go, so one socket
/// can appear twice in a single read; repeats are dropped.
pub fn parse_table(
    text: &str,
    proto: Proto,
    path: &Path,
    listening_only: bool,
    out: &mut Vec<Socket>,
) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |what: &str| Error::Malformed {
            path: path.to_owned(),
            line: index + 1,
            what: what.to_owned(),
        };
        let socket = parse_line(line, proto).map_err(malformed)?;
        if let Some(socket) = socket
            && (!listening_only || socket.state.is_listening())
            && seen.insert((socket.inode, socket.local, socket.remote))
        {
            out.push(socket);
        }
    }
    Ok(())
}

/// One table row: `sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...`.
/// `Ok(None)` for a state this version does not know.
fn parse_line(line: &str, proto: Proto) -> Result<Option<Socket>, &'static str> {
    let mut fields = line.split_ascii_whitespace();
    let _slot = fields.next();
    let local = parse_endpoint(fields.next().ok_or("missing local address")?)?;
    let remote = parse_endpoint(fields.next().ok_or("missing remote address")?)?;
    let state = fields.next().ok_or("missing state")?;
    let state = u8::from_str_radix(state, 16).map_err(|_| "state is not hex")?;
    let (send_q, recv_q) = fields
        .next()
        .and_then(|queues| queues.split_once(':'))
        .ok_or("missing queues")?;
    let queue = |hex: &str| u32::from_str_radix(hex, 16).map_err(|_| "queue is not hex");
    let (recv_q, send_q) = (queue(recv_q)?, queue(send_q)?);
    let uid = fields.nth(2).ok_or("missing uid")?;
    let uid = uid.parse().map_err(|_| "uid is not a number")?;
    let inode = fields.nth(1).ok_or("missing inode")?;
    let inode = inode.parse().map_err(|_| "inode is not a number")?;
    let Some(state) = State::from_kernel(proto, state) else {
        return Ok(None);
    };
    // For a listener the kernel writes the accept queue as rx_queue and 0 as tx_queue:
    // its backlog limit is not in /proc/net.
    let send_q = (state != State::Listen).then_some(send_q);
    Ok(Some(Socket {
        proto,
        state,
        local,
        remote,
        uid,
        inode,
        netns: None,
        // /proc/net does not say which device a socket is bound to.
        ifindex: 0,
        recv_q: Some(recv_q),
        send_q,
        // /proc/net has no byte counters.
        traffic: None,
        cookie: None,
    }))
}

/// `0100007F:1F90` or a 32-digit IPv6 form: the address as the kernel's native-endian 32-bit
/// words in hex, then the port in hex.
fn parse_endpoint(text: &str) -> Result<SocketAddr, &'static str> {
    let (address, port) = text.split_once(':').ok_or("address without a port")?;
    let port = u16::from_str_radix(port, 16).map_err(|_| "port is not hex")?;
    let word = |i: usize| -> Result<[u8; 4], &'static str> {
        let hex = address.get(i * 8..i * 8 + 8).ok_or("short address")?;
        let value = u32::from_str_radix(hex, 16).map_err(|_| "address is not hex")?;
        Ok(value.to_ne_bytes())
    };
    let ip = match address.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut octets = [0u8; 16];
            for i in 0..4 {
                octets[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return Err("address has neither IPv4 nor IPv6 length"),
    };
    Ok(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 48151 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 48152 1 0000000000000000 20 4 30 10 -1
";

    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20 1 0000000000000000 100 0 0 10 0
";

    fn parse(text: &str, proto: Proto, listening_only: bool) -> Result<Vec<Socket>, Error> {
        let mut out = Vec::new();
        parse_table(
            text,
            proto,
            Path::new("/proc/net/test"),
            listening_only,
            &mut out,
        )?;
        Ok(out)
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn parses_ipv4_rows() {
        let sockets = parse(TCP, Proto::Tcp, false).expect("parses");
        assert_eq!(sockets.len(), 2);
        assert_eq!(sockets[0].local, "127.0.0.1:8080".parse().expect("literal"));
        assert_eq!(
            (sockets[0].state, sockets[0].uid, sockets[0].inode),
            (State::Listen, 1000, 48151)
        );
        assert_eq!(
            sockets[1].remote,
            "127.0.0.1:50000".parse().expect("literal")
        );
        assert_eq!(sockets[1].state, State::Established);
        assert_eq!(parse(TCP, Proto::Tcp, true).expect("parses").len(), 1);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn parses_ipv6_rows() {
        let sockets = parse(TCP6, Proto::Tcp, false).expect("parses");
        assert_eq!(sockets[0].local, "[::1]:22".parse().expect("literal"));
        assert_eq!(sockets[0].remote, "[::]:0".parse().expect("literal"));
    }

    #[test]
    fn a_socket_listed_twice_is_one_socket() {
        let row = TCP.lines().nth(1).expect("row");
        let twice = format!("{TCP}{row}\n");
        assert_eq!(parse(&twice, Proto::Tcp, false).expect("parses").len(), 2);
    }

    #[test]
    fn malformed_rows_name_file_and_line() {
        let text = "header\n   0: 0100007F:1F90 zz:0000 0A 0:0 0:0 0 0 0 1\n";
        let err = parse(text, Proto::Tcp, false).expect_err("malformed");
        assert_eq!(
            err.to_string(),
            "/proc/net/test line 2: address has neither IPv4 nor IPv6 length"
        );
        let short = "header\n   0: 0100007F:1F90\n";
        let err = parse(short, Proto::Tcp, false).expect_err("malformed");
        assert!(err.to_string().contains("missing remote address"), "{err}");
    }

    #[test]
    fn real_tables_parse() {
        for (proto, family) in [
            (Proto::Tcp, Family::V4),
            (Proto::Tcp, Family::V6),
            (Proto::Udp, Family::V4),
            (Proto::Udp, Family::V6),
        ] {
            read(proto, family, false, &mut Vec::new()).expect("the running kernel's table parses");
        }
    }
}
