//! Unit tests of `lsof`.

use super::*;

/// Recorded from lsof 4.95 on Linux (`lsof -nP -w +c 0 -i -F pcuLftdPnT`).
const LINUX: &str = "p14560\ncpython3\nu0\nLroot\nf3\ntIPv6\nd2030005\nPTCP\nn[::1]:52521\nTST=LISTEN\nTQR=1\nTQS=0\n\
f4\ntIPv4\nd2030006\nPUDP\nn127.0.0.1:39076\nTQR=0\nTQS=0\n\
f5\ntIPv6\nd2030007\nPTCP\nn[::1]:55382->[::1]:52521\nTST=ESTABLISHED\nTQR=0\nTQS=0\n";

/// macOS style: kernel addresses as devices, BSD state names, names with spaces,
/// wildcards, a zone, `*:*`.
const MACOS: &str = "p312\ncGoogle Chrome Helper\nu501\nLalice\n\
f23u\ntIPv4\nd0x8f0a1b2c3d4e5f60\nPTCP\nn192.168.1.20:50123->142.250.74.110:443\nTST=ESTABLISHED\n\
f24u\ntIPv6\nd0x8f0a1b2c3d4e5f61\nPUDP\nn*:5353\n\
f25u\ntIPv6\nd0x8f0a1b2c3d4e5f62\nPTCP\nn*:8080\nTST=LISTEN\n\
f26u\ntIPv4\nd0x8f0a1b2c3d4e5f63\nPTCP\nn10.0.0.2:5000->10.0.0.9:6000\nTST=FIN_WAIT_2\n\
f27u\ntIPv4\nd0x8f0a1b2c3d4e5f64\nPUDP\nn*:*\n\
f28u\ntIPv6\nd0x8f0a1b2c3d4e5f65\nPUDP\nn[fe80::1%lo0]:123\n\
p400\ncmy\\x20tool\nu0\nLroot\n\
f3u\ntunix\nd0x1\nn/var/run/sock\n\
f4u\ntIPv4\nd0x8f0a1b2c3d4e5f66\nPTCP\nn127.0.0.1:9000\nTST=CLOSED\n";

#[test]
fn linux_sample() {
    let sockets = parse(LINUX.as_bytes()).expect("parses");
    assert_eq!(sockets.len(), 3);
    assert_eq!(sockets[0].pid, 14560);
    assert_eq!(sockets[0].command, "python3");
    assert_eq!(sockets[0].login.as_deref(), Some("root"));
    assert_eq!(sockets[0].local, "[::1]:52521".parse().expect("addr"));
    assert_eq!(sockets[0].state, State::Listen);
    assert_eq!(sockets[0].device, "2030005");
    assert_eq!(
        (sockets[1].proto, sockets[1].state),
        (Proto::Udp, State::Unconn)
    );
    assert_eq!(
        sockets[2].remote,
        Some("[::1]:52521".parse().expect("addr"))
    );
    assert_eq!(sockets[2].state, State::Established);
    assert_eq!(sockets[0].queues, (Some(1), Some(0)));
}

/// Records of `sockets` with no `ps` details.
fn unattributed(sockets: &[LsofSocket]) -> Vec<PortEntry> {
    records(
        sockets,
        &HashMap::new(),
        Timestamp::from_unix(0),
        &ScanOptions::default(),
    )
}

// See: issue 14 — lsof spelled v4-mapped addresses differently from netlink.
#[test]
fn ipv4_on_an_ipv6_socket_is_v4_mapped_like_the_kernel_says() {
    let mapped = "p7\ncjava\nu0\nLroot\nf4\ntIPv6\nd51763\nPTCP\n\
n127.0.0.1:41782->127.0.0.1:56485\nTST=ESTABLISHED\nTQR=0\nTQS=0\n\
f5\ntIPv6\nd51764\nPTCP\nn[fe80::1%v0]:9444\nTST=LISTEN\nTQR=2\nTQS=0\n";
    let sockets = parse(mapped.as_bytes()).expect("parses");
    assert_eq!(
        sockets[0].local,
        "[::ffff:127.0.0.1]:41782".parse().expect("addr")
    );
    assert_eq!(
        sockets[0].remote,
        Some("[::ffff:127.0.0.1]:56485".parse().expect("addr"))
    );
    assert_eq!(sockets[1].zone.as_deref(), Some("v0"));
    let records = unattributed(&sockets);
    let listener = records
        .iter()
        .find(|r| r.state == State::Listen)
        .expect("listener");
    assert_eq!(listener.interface.as_deref(), Some("v0"));
    assert_eq!((listener.recv_q, listener.send_q), (Some(2), None));
}

// See: issue 14 — a socket bound as root by a daemon that then became another user.
#[test]
fn the_socket_owner_wins_over_the_process_user() {
    let mut sockets = parse(LINUX.as_bytes()).expect("parses");
    sockets[0].uid = Some(999);
    sockets[0].login = Some("dnsmasq".to_owned());
    sockets[0].socket_uid = Some(0);
    let records = unattributed(&sockets);
    let listener = records
        .iter()
        .find(|r| r.inode == 2_030_005)
        .expect("listener");
    assert_eq!((listener.uid, listener.user.as_deref()), (Some(0), None));
}

#[test]
fn macos_sample() {
    let sockets = parse(MACOS.as_bytes()).expect("parses");
    assert_eq!(sockets.len(), 7, "the unix socket is skipped: {sockets:#?}");
    assert_eq!(sockets[0].command, "Google Chrome Helper");
    assert_eq!(sockets[0].uid, Some(501));
    assert_eq!(
        sockets[0].remote,
        Some("142.250.74.110:443".parse().expect("addr"))
    );
    assert_eq!(sockets[1].local, "[::]:5353".parse().expect("addr"));
    assert_eq!(sockets[1].state, State::Unconn);
    assert_eq!(sockets[2].local, "[::]:8080".parse().expect("addr"));
    assert_eq!(sockets[2].state, State::Listen);
    assert_eq!(sockets[3].state, State::FinWait2);
    assert_eq!(sockets[4].local, "0.0.0.0:0".parse().expect("addr"));
    assert_eq!(sockets[5].local, "[fe80::1]:123".parse().expect("addr"));
    assert_eq!(sockets[6].command, "my tool");
    assert_eq!(sockets[6].state, State::Close);
    let records = records(
        &sockets,
        &HashMap::new(),
        Timestamp::from_unix(0),
        &ScanOptions::default(),
    );
    assert!(
        records.iter().all(|r| r.inode == 0),
        "kernel addresses are not inodes"
    );
}

#[test]
fn malformed_output_names_its_line() {
    let err =
        parse(b"p12\nccat\nf3\ntIPv4\nPTCP\nnnot-an-endpoint\nTST=LISTEN\n").expect_err("bad name");
    assert!(err.what.contains("not-an-endpoint"), "{err}");
    let err = parse(b"pabc\n").expect_err("bad pid");
    assert_eq!(err.line, 1);
    let err = parse(b"f3\n").expect_err("no process");
    assert!(err.what.contains("before any process"));
    let err = parse(b"p1\ncx\nf3\ntIPv4\nPTCP\nn1.2.3.4:5\nTST=WEIRD\n").expect_err("state");
    assert!(err.what.contains("WEIRD"));
}

#[test]
fn ps_and_elapsed_times() {
    assert_eq!(parse_etime("05:03"), Some(303));
    assert_eq!(parse_etime("02:05:03"), Some(7503));
    assert_eq!(parse_etime("3-02:05:03"), Some(3 * 86_400 + 7503));
    assert_eq!(parse_etime("5:61"), None);
    assert_eq!(parse_etime("x"), None);
    // See: issue 21
    // A huge elapsed time overflowed (a panic in a debug build, a wrap in release).
    assert_eq!(parse_etime("99999999999999999-00:00:00"), None);
    assert_eq!(parse_etime("213503982334601-07:00:16"), None);
    assert_eq!(parse_etime("106751991167300-15:30:08"), None);
    assert_eq!(parse_etime("99999999-00:00:00"), None, "before 1970");
    assert_eq!(parse_etime("18446744073709551615:00"), None);
    assert_eq!(parse_etime("20000-00:00:00"), Some(20_000 * 86_400));
    let ps = parse_ps(b"  14560  14558       01:02 python3 -m http.server 8080\n  1 0 3-00:00:00 /sbin/init splash\nbad line\n");
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[&14560].args, "python3 -m http.server 8080");
    assert_eq!(ps[&14560].elapsed_secs, 62);
    assert_eq!(ps[&1].ppid, 0);
}

#[test]
fn shared_sockets_are_one_record_with_every_holder() {
    let shared = "p20\ncnginx\nu0\nLroot\nf6\ntIPv4\nd777\nPTCP\nn*:80\nTST=LISTEN\n\
p21\ncnginx\nu33\nLwww-data\nf6\ntIPv4\nd777\nPTCP\nn*:80\nTST=LISTEN\n";
    let sockets = parse(shared.as_bytes()).expect("parses");
    let mut ps = HashMap::new();
    ps.insert(
        20,
        PsInfo {
            ppid: 1,
            elapsed_secs: 100,
            args: "nginx: master".to_owned(),
        },
    );
    let records = records(
        &sockets,
        &ps,
        Timestamp::from_unix(1_000),
        &ScanOptions::default(),
    );
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!((record.pid, record.pids.clone()), (Some(20), vec![20, 21]));

    assert_eq!(record.inode, 777);
    assert_eq!(record.started, Some(Timestamp::from_unix(900)));
    assert_eq!(record.cmdline.as_deref(), Some("nginx: master"));
    assert_eq!(record.local_addr, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let listening = ScanOptions {
        listening_only: true,
        protocols: vec![Proto::Udp],
        ..ScanOptions::default()
    };
    assert!(super::records(&sockets, &ps, Timestamp::from_unix(0), &listening).is_empty());
}

// See: issue 14 — the lowest pid of a pre-forked listener is a worker after wrap-around.
#[test]
fn the_master_is_named_whatever_its_pid() {
    // After pid wrap-around: the master (900) has workers at lower pids.
    let wrapped = "p900\ncnginx\nu0\nLroot\nf6\ntIPv4\nd778\nPTCP\nn*:81\nTST=LISTEN\n\
p30\ncnginx\nu33\nLwww-data\nf6\ntIPv4\nd778\nPTCP\nn*:81\nTST=LISTEN\n";
    let sockets = parse(wrapped.as_bytes()).expect("parses");
    let ps: HashMap<u32, PsInfo> = [(900, 1), (30, 900)]
        .into_iter()
        .map(|(pid, ppid)| {
            let info = PsInfo {
                ppid,
                elapsed_secs: 100,
                args: "nginx".to_owned(),
            };
            (pid, info)
        })
        .collect();
    let wrapped = super::records(
        &sockets,
        &ps,
        Timestamp::from_unix(1_000),
        &ScanOptions::default(),
    );
    assert_eq!(
        (wrapped[0].pid, wrapped[0].uid, wrapped[0].pids.clone()),
        (Some(900), Some(0), vec![30, 900])
    );
}
