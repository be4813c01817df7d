//! The lsof backend: `lsof -nP -i -F` field output plus one batched `ps` call, into the same
//! records as the netlink backend. The default on macOS (no netlink, no /proc); selectable on
//! Linux as `--backend lsof`, where the tests compare it with netlink.
//!
//! lsof lists sockets per process, so it sees only sockets some process holds: no TIME_WAIT,
//! no connections waiting to be accepted. A socket held by several processes appears once per
//! holder; they are joined by lsof's device field (the socket inode on Linux, a kernel
//! address on macOS). The parsers are pure functions over bytes, tested on recorded samples.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::{Command, Stdio};

use super::process::{BootClock, ProcessInfo, UserNames};
use super::{Error, Family, Scan, ScanOptions};
use crate::model::{PortEntry, Proto, State, Timestamp};

/// One socket of one process, as lsof reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LsofSocket {
    /// The process.
    pub pid: u32,
    /// Its command name (`c`; with `+c 0` as long as the system keeps it).
    pub command: String,
    /// Its uid (`u`).
    pub uid: Option<u32>,
    /// Its user's login name (`L`).
    pub login: Option<String>,
    /// The file descriptor (`f`).
    pub fd: String,
    /// Transport protocol (`P`).
    pub proto: Proto,
    /// Local address and port (`n`, before `->`).
    pub local: SocketAddr,
    /// Peer (`n`, after `->`), when connected.
    pub remote: Option<SocketAddr>,
    /// TCP state from `TST=`; UDP: ESTABLISHED when connected, else UNCONN.
    pub state: State,
    /// The device field (`d`): the socket inode on Linux, a kernel address on macOS.
    pub device: String,
    /// The zone of a link-local address (`[fe80::1%eth0]`): the interface it is scoped to.
    pub zone: Option<String>,
    /// Receive and send queues (`TQR=`, `TQS=`), when lsof gives them.
    pub queues: (Option<u32>, Option<u32>),
    /// The socket's own owner, where it can be read (Linux: the owner of the socket inode
    /// behind `/proc/PID/fd/FD`). lsof's `u` is the process's user, which differs from the
    /// socket's when a daemon bound as root and then dropped privileges.
    pub socket_uid: Option<u32>,
}

/// A line of lsof output that is not what `-F` promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lsof output line {line}: {what}")]
pub struct Malformed {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// The fields prt asks lsof for: pid, command, uid, login, fd, type, device, protocol,
/// name, TCP info.
pub const FIELDS: &str = "pcuLftdPnT";

/// Parses `lsof -F pcuLftdPnT` output. Sets start with `p` (a process, whose `c`, `u`, `L`
/// follow) or `f` (a file of the current process, whose fields follow). Files that are not
/// TCP or UDP over IPv4/IPv6 are skipped.
pub fn parse(output: &[u8]) -> Result<Vec<LsofSocket>, Malformed> {
    let text = String::from_utf8_lossy(output);
    let mut sockets = Vec::new();
    let mut process: Option<Process> = None;
    let mut file: Option<File> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let Some(tag) = line.chars().next() else {
            continue;
        };
        let value = &line[tag.len_utf8()..];
        let bad = |what: String| Malformed { line: number, what };
        match tag {
            'p' => {
                finish(file.take(), process.as_ref(), &mut sockets, number)?;
                let pid = value
                    .parse()
                    .map_err(|_| bad(format!("pid '{value}' is not a number")))?;
                process = Some(Process {
                    pid,
                    command: String::new(),
                    uid: None,
                    login: None,
                });
            }
            'c' | 'u' | 'L' if file.is_none() => {
                let current = process
                    .as_mut()
                    .ok_or_else(|| bad(format!("'{tag}' before any process")))?;
                match tag {
                    'c' => current.command = unescape(value),
                    'u' => current.uid = value.parse().ok(),
                    _ => current.login = Some(unescape(value)),
                }
            }
            'f' => {
                finish(file.take(), process.as_ref(), &mut sockets, number)?;
                if process.is_none() {
                    return Err(bad("a file before any process".to_owned()));
                }
                file = Some(File {
                    fd: value.to_owned(),
                    ..File::default()
                });
            }
            _ => {
                let Some(current) = file.as_mut() else {
                    // Process-level fields prt did not ask for (`R`, `g`): ignore.
                    continue;
                };
                match tag {
                    't' => value.clone_into(&mut current.kind),
                    'd' => value.clone_into(&mut current.device),
                    'P' => value.clone_into(&mut current.protocol),
                    'n' => value.clone_into(&mut current.name),
                    'T' => {
                        if let Some(state) = value.strip_prefix("ST=") {
                            current.tcp_state = Some(state.to_owned());
                        } else if let Some(bytes) = value.strip_prefix("QR=") {
                            current.queues.0 = bytes.parse().ok();
                        } else if let Some(bytes) = value.strip_prefix("QS=") {
                            current.queues.1 = bytes.parse().ok();
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    finish(file, process.as_ref(), &mut sockets, text.lines().count())?;
    Ok(sockets)
}

#[derive(Debug)]
struct Process {
    pid: u32,
    command: String,
    uid: Option<u32>,
    login: Option<String>,
}

#[derive(Debug, Default)]
struct File {
    fd: String,
    kind: String,
    device: String,
    protocol: String,
    name: String,
    tcp_state: Option<String>,
    queues: (Option<u32>, Option<u32>),
}

/// Turns a finished file set into a socket, when it is a TCP or UDP one.
fn finish(
    file: Option<File>,
    process: Option<&Process>,
    sockets: &mut Vec<LsofSocket>,
    line: usize,
) -> Result<(), Malformed> {
    let (Some(file), Some(process)) = (file, process) else {
        return Ok(());
    };
    let family = match file.kind.as_str() {
        "IPv4" => Family::V4,
        "IPv6" => Family::V6,
        _ => return Ok(()),
    };
    let proto = match file.protocol.as_str() {
        "TCP" => Proto::Tcp,
        "UDP" => Proto::Udp,
        _ => return Ok(()),
    };
    let bad = |what: String| Malformed { line, what };
    let (local, remote) = parse_name(&file.name, family).ok_or_else(|| {
        bad(format!(
            "name '{}' is not ADDR:PORT[->ADDR:PORT]",
            file.name
        ))
    })?;
    let state = match (proto, &file.tcp_state) {
        (Proto::Tcp, Some(state)) => {
            tcp_state(state).ok_or_else(|| bad(format!("unknown TCP state '{state}'")))?
        }
        (Proto::Tcp, None) => State::Close,
        (Proto::Udp, _) if remote.is_some() => State::Established,
        (Proto::Udp, _) => State::Unconn,
    };
    sockets.push(LsofSocket {
        pid: process.pid,
        command: process.command.clone(),
        uid: process.uid,
        login: process.login.clone(),
        fd: file.fd,
        proto,
        local,
        remote,
        state,
        device: file.device,
        zone: zone(&file.name),
        queues: file.queues,
        socket_uid: None,
    });
    Ok(())
}

/// The zone of the local address in an lsof name (`[fe80::1%eth0]:123` gives `eth0`).
fn zone(name: &str) -> Option<String> {
    let local = name.split_once("->").map_or(name, |(local, _)| local);
    let (_, rest) = local.split_once('%')?;
    let zone = rest.split(']').next()?;
    (!zone.is_empty()).then(|| zone.to_owned())
}

/// `127.0.0.1:80`, `[::1]:80->[::1]:5000`, `*:5353` (wildcard: 0.0.0.0 or :: by family),
/// `*:*` (not even bound), `[fe80::1%en0]:123` (zone dropped).
fn parse_name(name: &str, family: Family) -> Option<(SocketAddr, Option<SocketAddr>)> {
    let (local, remote) = match name.split_once("->") {
        Some((local, remote)) => (local, Some(remote)),
        None => (name, None),
    };
    let local = endpoint(local, family)?;
    let remote = match remote {
        Some(text) => Some(endpoint(text, family)?),
        None => None,
    };
    Some((local, remote))
}

fn endpoint(text: &str, family: Family) -> Option<SocketAddr> {
    let (addr, port) = text.rsplit_once(':')?;
    let port = if port == "*" { 0 } else { port.parse().ok()? };
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr = addr.split_once('%').map_or(addr, |(bare, _zone)| bare);
    let ip = match (addr, family) {
        ("*", Family::V4) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ("*", Family::V6) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        (addr, family) => match (addr.parse().ok()?, family) {
            // lsof writes an IPv4-mapped address on an IPv6 socket as plain IPv4; the kernel
            // (and the netlink backend, and ss) say `::ffff:a.b.c.d`.
            (IpAddr::V4(v4), Family::V6) => IpAddr::V6(v4.to_ipv6_mapped()),
            (ip, _) => ip,
        },
    };
    Some(SocketAddr::new(ip, port))
}

/// lsof's TCP state names, Linux and BSD spellings, as prt's states.
fn tcp_state(name: &str) -> Option<State> {
    Some(match name {
        "LISTEN" => State::Listen,
        "ESTABLISHED" => State::Established,
        "SYN_SENT" => State::SynSent,
        "SYN_RECV" | "SYN_RECEIVED" => State::SynRecv,
        "FIN_WAIT1" | "FIN_WAIT_1" => State::FinWait1,
        "FIN_WAIT2" | "FIN_WAIT_2" => State::FinWait2,
        "TIME_WAIT" => State::TimeWait,
        "CLOSE" | "CLOSED" | "IDLE" | "BOUND" => State::Close,
        "CLOSE_WAIT" => State::CloseWait,
        "LAST_ACK" => State::LastAck,
        "CLOSING" => State::Closing,
        _ => return None,
    })
}

/// lsof writes unprintable bytes as `\xNN`, `\n`, `\t`, `^X`; names with spaces as they are.
/// prt keeps the text as lsof gave it, only turning `\xNN` back into the byte where that
/// makes valid UTF-8, so a name reads the same as from /proc.
fn unescape(text: &str) -> String {
    if !text.contains("\\x") {
        return text.to_owned();
    }
    let mut bytes = Vec::with_capacity(text.len());
    let raw = text.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\'
            && raw.get(i + 1) == Some(&b'x')
            && let Some(byte) = raw
                .get(i + 2..i + 4)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            bytes.push(byte);
            i += 4;
            continue;
        }
        bytes.push(raw[i]);
        i += 1;
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

/// What one batched `ps` call says of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsInfo {
    /// Parent pid.
    pub ppid: u32,
    /// Seconds since it started (`etime`).
    pub elapsed_secs: u64,
    /// Its command line.
    pub args: String,
}

/// Parses `ps -ww -o pid=,ppid=,etime=,args= -p LIST` output.
#[must_use]
pub fn parse_ps(output: &[u8]) -> HashMap<u32, PsInfo> {
    let text = String::from_utf8_lossy(output);
    let mut processes = HashMap::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(pid_text), Some(parent_text), Some(etime)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let (Ok(pid), Ok(parent), Some(elapsed_secs)) =
            (pid_text.parse(), parent_text.parse(), parse_etime(etime))
        else {
            continue;
        };
        let args = fields.collect::<Vec<_>>().join(" ");
        processes.insert(
            pid,
            PsInfo {
                ppid: parent,
                elapsed_secs,
                args,
            },
        );
    }
    processes
}

/// `[[dd-]hh:]mm:ss` in seconds.
#[must_use]
pub fn parse_etime(text: &str) -> Option<u64> {
    let (days, clock) = match text.split_once('-') {
        Some((days, clock)) => (days.parse::<u64>().ok()?, clock),
        None => (0, text),
    };
    let parts: Vec<u64> = clock
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (h, m, s) = match parts.as_slice() {
        [m, s] => (0, *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    if m >= 60 || s >= 60 {
        return None;
    }
    let seconds = days
        .checked_mul(24)?
        .checked_add(h)?
        .checked_mul(60)?
        .checked_add(m)?
        .checked_mul(60)?
        .checked_add(s)?;
    // Anything older than the epoch is absurd, and would wrap as a signed time.
    (seconds <= MAX_ELAPSED).then_some(seconds)
}

/// The longest elapsed time taken at its word: about 200 years.
const MAX_ELAPSED: u64 = 200 * 366 * 86_400;

/// Joins lsof's per-process sockets into records (one per socket, every holder in `pids`)
/// with `ps` details; keeps what `options` selects.
#[must_use]
#[allow(clippy::implicit_hasher)] // one caller, with the map parse_ps returns
pub fn records(
    sockets: &[LsofSocket],
    processes: &HashMap<u32, PsInfo>,
    now: Timestamp,
    options: &ScanOptions,
) -> Vec<PortEntry> {
    // A socket is its device where lsof gives one, else its addresses.
    let mut joined: BTreeMap<(Proto, String, SocketAddr, Option<SocketAddr>), Vec<&LsofSocket>> =
        BTreeMap::new();
    for socket in sockets {
        let family = if socket.local.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        };
        if !options.protocols.contains(&socket.proto)
            || !options.families.contains(&family)
            || (options.listening_only && !socket.state.is_listening())
        {
            continue;
        }
        let key = (
            socket.proto,
            socket.device.clone(),
            socket.local,
            socket.remote,
        );
        joined.entry(key).or_default().push(socket);
    }
    joined
        .into_values()
        .filter_map(|holders| {
            let mut pids: Vec<u32> = holders.iter().map(|s| s.pid).collect();
            pids.sort_unstable();
            pids.dedup();
            // The holder the others descend from, as far as ps tells parents.
            let master = super::owners::master(&pids, |pid| processes.get(&pid).map(|p| p.ppid))?;
            let first = holders.iter().find(|s| s.pid == master)?;
            let ps = processes.get(&first.pid);
            Some(PortEntry {
                proto: first.proto,
                local_addr: first.local.ip(),
                local_port: first.local.port(),
                remote_addr: first.remote.map(|r| r.ip()),
                remote_port: first.remote.map(|r| r.port()),
                state: first.state,
                // On Linux the device is the socket inode; a macOS kernel address is not.
                inode: first.device.parse().unwrap_or(0),
                uid: first.socket_uid.or(first.uid),
                pid: Some(first.pid),
                pids,
                process: Some(first.command.as_str().into()),
                cmdline: ps
                    .filter(|p| !p.args.is_empty())
                    .map(|p| p.args.as_str().into()),
                // The login is the process's user: the socket's only when the uids agree.
                user: first
                    .login
                    .as_deref()
                    .filter(|_| first.socket_uid.is_none_or(|uid| Some(uid) == first.uid))
                    .map(Into::into),
                ppid: ps.map(|p| p.ppid),
                started: ps.and_then(|p| {
                    let elapsed = i64::try_from(p.elapsed_secs).ok()?;
                    Some(Timestamp::from_unix(now.secs.checked_sub(elapsed)?))
                }),
                service: None,
                suspicious: Vec::new(),
                container: None,
                netns: None,
                interface: first.zone.as_deref().map(Into::into),
                cookie: None,
                recv_q: first.queues.0.map(u64::from),
                // For a listener lsof (like /proc/net) gives no backlog limit, only a 0.
                send_q: first
                    .queues
                    .1
                    .filter(|_| first.state != State::Listen)
                    .map(u64::from),
                traffic: None,
            })
        })
        .collect()
}

/// Runs lsof and ps and returns the scan.
pub fn scan(options: &ScanOptions) -> Result<Scan, Error> {
    let listing = run("lsof", &["-nP", "-w", "+c", "0", "-i", "-F", FIELDS])?;
    let mut sockets = parse(&listing).map_err(|err| Error::Tool {
        program: "lsof",
        message: err.to_string(),
    })?;
    for socket in &mut sockets {
        socket.socket_uid = socket_owner(socket.pid, &socket.fd);
    }
    let mut pids: Vec<String> = sockets.iter().map(|s| s.pid.to_string()).collect();
    pids.sort();
    pids.dedup();
    let processes = if pids.is_empty() || !options.attribute {
        HashMap::new()
    } else {
        let list = pids.join(",");
        // A process that exits meanwhile is simply missing from the answer.
        run("ps", &["-ww", "-o", "pid=,ppid=,etime=,args=", "-p", &list])
            .map(|out| parse_ps(&out))
            .unwrap_or_default()
    };
    let mut entries = records(&sockets, &processes, Timestamp::now(), options);
    let mut users = UserNames::default();
    for entry in entries.iter_mut().filter(|e| e.user.is_none()) {
        entry.user = entry.uid.and_then(|uid| users.name(uid));
    }
    // `ps` gives elapsed time in whole seconds; where /proc exists, the start time at the
    // kernel's precision is what tells a process from a later one at the same pid.
    if cfg!(target_os = "linux") {
        let clock = BootClock::read();
        let mut started: HashMap<u32, Option<Timestamp>> = HashMap::new();
        for entry in &mut entries {
            if let Some(pid) = entry.pid {
                entry.started = *started.entry(pid).or_insert_with(|| {
                    ProcessInfo::read(pid, clock.as_ref()).and_then(|info| info.started)
                });
            }
        }
    }
    Ok(Scan {
        entries,
        ..Scan::default()
    })
}

/// The owner of the socket behind fd `fd` of `pid`: the uid of the socket inode, set when
/// the socket was created (what the kernel reports as the socket's uid). Linux only; `None`
/// where there is no `/proc` or the process is gone.
fn socket_owner(pid: u32, fd: &str) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let digits: String = fd.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !cfg!(target_os = "linux") {
        return None;
    }
    std::fs::metadata(format!("/proc/{pid}/fd/{digits}"))
        .ok()
        .map(|m| m.uid())
}

/// Runs a tool, returning its stdout. Exit status 1 with no output is lsof's "nothing
/// found" (and ps's "no such process"), not an error.
fn run(program: &'static str, args: &[&str]) -> Result<Vec<u8>, Error> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| Error::Tool {
            program,
            message: format!("cannot run it: {err}"),
        })?;
    if output.status.success() || (output.status.code() == Some(1) && output.stderr.is_empty()) {
        return Ok(output.stdout);
    }
    if output.status.code() == Some(1) && !output.stdout.is_empty() {
        // lsof exits 1 when some files could not be read but still lists the rest.
        return Ok(output.stdout);
    }
    Err(Error::Tool {
        program,
        message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    })
}

#[cfg(test)]
mod tests;
