//! Helpers shared by the integration tests.

use std::collections::HashSet;
use std::net::{TcpListener, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// `prt` with a clean environment: no colour variables, no language, no user config.
pub fn prt() -> Command {
    command(env!("CARGO_BIN_EXE_prt"))
}

/// Any prt binary (`prt-scan`) with the same clean environment.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("prt-tests-no-config"),
        );
    cmd
}

/// Runs `cmd`, asserting success and an empty stderr, and returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let output = cmd.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{cmd:?} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Runs `cmd` with `input` on its stdin and returns its output, whatever its status. The
/// input is written on another thread: the command's output pipe could fill while we
/// still write, and a command that fails early closes its stdin (not this helper's concern).
pub fn with_input(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    output
}

/// Parses NDJSON output into JSON values, each line on its own.
pub fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}")))
        .collect()
}

/// `prt scan ARGS` as parsed records.
pub fn scan(args: &[&str]) -> Vec<Value> {
    ndjson(&run_ok(prt().arg("scan").args(args)))
}

/// The records for local port `port` and protocol `proto`.
pub fn on_port<'a>(records: &'a [Value], proto: &str, port: u16) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["proto"] == proto && r["local_port"] == u64::from(port))
        // An ephemeral port can be reused while an earlier connection on it is still in
        // TIME_WAIT (another test's, a benchmark's); those records hold no socket of ours.
        .filter(|r| r["state"] != "TIME_WAIT")
        .collect()
}

/// The inode of an open socket.
pub fn inode_of(fd: &impl AsRawFd) -> u64 {
    std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .expect("own fd")
        .ino()
}

/// This process's `comm`.
pub fn own_comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .expect("own comm")
        .trim_end()
        .to_owned()
}

/// Whether the tests run as root; tests that need it skip with a message otherwise.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Skips the calling test with a message unless root.
#[macro_export]
macro_rules! require_root {
    () => {
        if !$crate::common::is_root() {
            eprintln!("skipped: needs root (CI runs as root)");
            return;
        }
    };
}

/// Spawns `cmd` holding `fd` as well. CLOEXEC is cleared in the child only (after fork,
/// before exec), so children that other tests spawn at the same time do not inherit it.
pub fn spawn_holding(cmd: &mut Command, fd: &impl AsRawFd) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl is async-signal-safe, as a pre_exec hook must be.
    unsafe {
        cmd.pre_exec(move || {
            if libc::fcntl(raw, libc::F_SETFD, 0) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.spawn().expect("spawn the holder")
}

/// Loopback sockets of every kind the scan must find.
pub struct LoopbackSockets {
    pub tcp4: TcpListener,
    pub tcp6: TcpListener,
    pub udp4: UdpSocket,
    pub udp6: UdpSocket,
}

impl LoopbackSockets {
    pub fn open() -> LoopbackSockets {
        LoopbackSockets {
            tcp4: TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1"),
            tcp6: TcpListener::bind("[::1]:0").expect("bind ::1"),
            udp4: UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1"),
            udp6: UdpSocket::bind("[::1]:0").expect("bind udp ::1"),
        }
    }
}

/// Copies a binary into a fresh world-readable directory, so another user can run it
/// whatever the permissions of the build directory.
pub fn world_runnable_copy(binary: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod dir");
    let copy = dir.path().join(binary.file_name().expect("file name"));
    // Copied by a `cp` process, not std::fs::copy: a child another test forks while this
    // process holds the copy open for writing inherits that fd until it execs, and exec of
    // the copy fails with ETXTBSY meanwhile (tests run in parallel threads).
    let copied = Command::new("cp")
        .arg(binary)
        .arg(&copy)
        .status()
        .expect("run cp");
    assert!(copied.success(), "cp {}", binary.display());
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod binary");
    (dir, copy)
}

/// Output of `ss ARGS`, one line per socket.
pub fn ss(args: &[&str]) -> String {
    let output: Output = Command::new("ss")
        .args(args)
        .output()
        .expect("ss is installed (iproute2)");
    assert!(output.status.success(), "ss failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A socket identity comparable between ss and prt: proto, state, local address and port,
/// remote port. Unspecified addresses are `*`, as ss sometimes prints them.
pub type SocketKey = (String, String, String, u16, u16);

/// Keys of `ss -tunapH` output, with the pids ss attributes to each.
pub fn ss_sockets(text: &str) -> Vec<(SocketKey, Vec<u32>)> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 6 {
                return None;
            }
            let state = match fields[1] {
                "ESTAB" => "ESTABLISHED",
                "UNCONN" if fields[0] == "tcp" => "CLOSE",
                "TIME-WAIT" => "TIME_WAIT",
                "SYN-SENT" => "SYN_SENT",
                "SYN-RECV" => "SYN_RECV",
                "FIN-WAIT-1" => "FIN_WAIT1",
                "FIN-WAIT-2" => "FIN_WAIT2",
                "CLOSE-WAIT" => "CLOSE_WAIT",
                "LAST-ACK" => "LAST_ACK",
                other => other,
            };
            let (local, local_port) = split_ss_endpoint(fields[4]);
            let (_, remote_port) = split_ss_endpoint(fields[5]);
            let pids = fields[6..]
                .join(" ")
                .split("pid=")
                .skip(1)
                .filter_map(|rest| {
                    rest.split(|c: char| !c.is_ascii_digit())
                        .next()?
                        .parse()
                        .ok()
                })
                .collect();
            Some((
                (
                    fields[0].to_owned(),
                    state.to_owned(),
                    local,
                    local_port,
                    remote_port,
                ),
                pids,
            ))
        })
        .collect()
}

fn split_ss_endpoint(text: &str) -> (String, u16) {
    let (addr, port) = text.rsplit_once(':').unwrap_or((text, "0"));
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr = addr.split('%').next().unwrap_or(addr);
    let addr = if matches!(addr, "*" | "0.0.0.0" | "::") {
        "*"
    } else {
        addr
    };
    (addr.to_owned(), port.parse().unwrap_or(0))
}

/// The same key for a prt record.
pub fn prt_key(record: &Value) -> SocketKey {
    let local = record["local_addr"]
        .as_str()
        .expect("local_addr")
        .to_owned();
    let local = if local == "0.0.0.0" || local == "::" {
        "*".to_owned()
    } else {
        local
    };
    (
        record["proto"].as_str().expect("proto").to_owned(),
        record["state"].as_str().expect("state").to_owned(),
        local,
        record["local_port"].as_u64().expect("local_port") as u16,
        record["remote_port"].as_u64().unwrap_or(0) as u16,
    )
}

/// Set of keys of records.
pub fn prt_keys(records: &[Value]) -> HashSet<SocketKey> {
    records.iter().map(prt_key).collect()
}

/// The `suspicious` codes of this test process's own sockets: none, unless the test binary
/// was built under a temporary directory (a CI clone in /tmp), which `exe_in_temp` reports.
pub fn own_reasons() -> Value {
    let exe = std::env::current_exe().expect("own executable");
    let in_temp = ["/tmp/", "/var/tmp/", "/dev/shm/"]
        .iter()
        .any(|dir| exe.starts_with(dir));
    if in_temp {
        serde_json::json!(["exe_in_temp"])
    } else {
        serde_json::json!([])
    }
}

/// A network namespace made for one test (`ip netns add`), deleted when dropped.
pub struct TestNetns {
    pub name: String,
}

impl TestNetns {
    pub fn create() -> TestNetns {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "prt-it-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        ip(&["netns", "add", &name]);
        let netns = TestNetns { name };
        ip(&["-n", &netns.name, "link", "set", "lo", "up"]);
        netns
    }

    /// The namespace's inode: what `netns` says in its records.
    pub fn inode(&self) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/run/netns/{}", self.name))
            .expect("namespace file")
            .ino()
    }

    /// A listener bound inside the namespace by a thread that joined it; the socket stays
    /// in the namespace whichever thread holds it afterwards.
    pub fn listen(&self, address: &str) -> TcpListener {
        let path = format!("/run/netns/{}", self.name);
        let address = address.to_owned();
        std::thread::spawn(move || {
            let file = std::fs::File::open(path).expect("open namespace");
            // SAFETY: a valid fd; only this short-lived thread changes namespace.
            let joined = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(joined, 0, "setns");
            TcpListener::bind(address).expect("bind inside the namespace")
        })
        .join()
        .expect("thread")
    }

    /// `ip netns exec NAME program args...`, not waited for.
    pub fn spawn(&self, program: &str, args: &[&str]) -> std::process::Child {
        Command::new("ip")
            .args(["netns", "exec", &self.name, program])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("ip netns exec")
    }
}

impl Drop for TestNetns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

pub fn ip(args: &[&str]) {
    let status = Command::new("ip").args(args).status().expect("run ip");
    assert!(status.success(), "ip {args:?} failed");
}

/// Runs `python3 -c code` with stdout piped and returns it with the first line it prints
/// (trimmed): how a test's helper process says which port or pids it has. It runs in a
/// process group of its own, so [`end_group`] ends it and whatever it forked — never a
/// process that merely reused one of their pids.
pub fn python_reporting(code: &str) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    use std::os::unix::process::CommandExt as _;
    let mut child = Command::new("python3")
        .process_group(0)
        .args(["-c", code])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the helper's first line");
    (child, line.trim().to_owned())
}

/// Sends KILL to the process group `leader` started (see [`python_reporting`]) and reaps
/// the leader.
pub fn end_group(leader: &mut std::process::Child) {
    // SAFETY: kill has no memory preconditions; the group is the test's own child's.
    unsafe { libc::kill(-(leader.id() as i32), libc::SIGKILL) };
    let _ = leader.kill();
    let _ = leader.wait();
}

/// The screens drawn so far, each as its lines with the terminal's escapes for clearing
/// removed (colours stay).
pub fn frames(transcript: &str) -> Vec<Vec<String>> {
    transcript
        .split("\x1b[1;1H")
        .skip(1)
        .filter(|frame| frame.contains("\x1b[J"))
        .map(|frame| {
            let frame = frame.split("\x1b[J").next().unwrap_or_default();
            frame
                .split('\n')
                .map(|line| line.replace("\x1b[K", "").replace('\r', ""))
                .collect()
        })
        .collect()
}

/// `line` without SGR colour sequences.
pub fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
