//! Real daemons from Debian packages (nginx, sshd, redis, dnsmasq, PostgreSQL, podman),
//! started by hand (there is no systemd) inside network namespaces the tests create, and
//! what `prt` says about their sockets (issue 14).
//!
//! Every daemon runs in a namespace of its own (`ip netns add prt-t-...`), so its ports are
//! its own and fixed port numbers are safe; sockets are told apart by namespace inode, inode
//! and pid, never by port alone. [`Ns`] kills whatever still runs in its namespace and
//! deletes it when dropped, failed test or not. Tests that need root skip without it; a
//! daemon that is not installed skips the test, unless `CI` is set (CI installs them all, so
//! there it fails).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TestNetns, command, ndjson};

mod churn;
mod nginx;
mod podman;
mod postgres;
mod redis_dnsmasq;
mod sockets;
mod sshd;

/// Skips the calling test unless root, and yields the programs' paths (a tuple for
/// several); skips when one is not installed, or fails when `CI` is set.
#[macro_export]
macro_rules! need {
    ($($program:expr),+ $(,)?) => {{
        $crate::require_root!();
        ($({
            let Some(path) = $crate::daemons::find_program($program) else {
                $crate::missing!($program)
            };
            path
        }),+)
    }};
}

/// Ends the calling test because `what` is not installed: a skip with a message, or a
/// failure when `CI` is set, for CI must have installed it.
#[macro_export]
macro_rules! missing {
    ($what:expr) => {{
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is not installed, and CI must install it (.ci/run)",
            $what
        );
        eprintln!("skipped: {} is not installed (.ci/run installs it)", $what);
        return;
    }};
}

/// Where `program` (a name, or an absolute path) is installed.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = if program.starts_with('/') {
        vec![PathBuf::from(program)]
    } else {
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(program))
            .collect()
    };
    candidates.into_iter().find(|path| path.is_file())
}

/// A network namespace made for one test, with `lo` up ([`TestNetns`], which deletes it
/// when dropped). Dropping it first kills every process still in it and waits for them
/// (bounded).
pub struct Ns {
    netns: TestNetns,
}

impl std::ops::Deref for Ns {
    type Target = TestNetns;

    fn deref(&self) -> &TestNetns {
        &self.netns
    }
}

impl Ns {
    pub fn create() -> Ns {
        Ns {
            netns: TestNetns::create(),
        }
    }

    /// `ip -n NAME ARGS`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        sh_ok(Command::new("ip").args(["-n", &self.name]).args(args));
    }

    /// `program ARGS` inside the namespace (`ip netns exec`, which execs it: the child's pid
    /// is the program's), with a clean environment.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = command("ip");
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }

    /// `prt ARGS` inside the namespace.
    pub fn prt(&self) -> Command {
        self.command(env!("CARGO_BIN_EXE_prt"))
    }

    /// `prt scan --format ndjson ARGS` inside the namespace, as records.
    pub fn scan(&self, args: &[&str]) -> Vec<Value> {
        let mut cmd = self.prt();
        cmd.args(["scan", "--format", "ndjson"]).args(args);
        ndjson(&crate::common::run_ok(&mut cmd))
    }

    /// Runs `f` on a thread that joined the namespace: sockets it makes are the namespace's,
    /// whichever thread holds them afterwards.
    pub fn within<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            enter(&path);
            f()
        })
        .join()
        .expect("the thread inside the namespace")
    }

    /// Spawns a thread inside the namespace and returns its handle.
    pub fn thread<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            enter(&path);
            f()
        })
    }

    /// The pids (in this pid namespace) of the processes in the namespace.
    pub fn pids(&self) -> Vec<u32> {
        let output = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .expect("ip netns pids");
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect()
    }

    /// The pids of processes in the namespace whose comm is `comm`, sorted.
    pub fn pids_of(&self, comm: &str) -> Vec<u32> {
        let mut pids: Vec<u32> = self
            .pids()
            .into_iter()
            .filter(|pid| self::comm(*pid).as_deref() == Some(comm))
            .collect();
        pids.sort_unstable();
        pids
    }

    /// `ss ARGS -H` inside the namespace.
    pub fn ss(&self, args: &[&str]) -> String {
        let output = Command::new("ip")
            .args(["netns", "exec", &self.name, "ss", "-H"])
            .args(args)
            .output()
            .expect("ss in the namespace");
        assert!(output.status.success(), "ss {args:?} failed");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Whether a TCP socket listens on `port` in the namespace (ss's view).
    pub fn tcp_listening(&self, port: u16) -> bool {
        self.ss(&["-ltn", &format!("sport = :{port}")])
            .lines()
            .any(|line| !line.trim().is_empty())
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let pids = self.pids();
            if pids.is_empty() || Instant::now() > deadline {
                break;
            }
            for pid in pids {
                // SAFETY: kill has no memory preconditions; these processes run in the
                // namespace this test made, so they are the test's.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The namespace itself goes when `netns` drops, after this.
    }
}

/// Joins the network namespace at `path`, for this thread only.
fn enter(path: &str) {
    let file = std::fs::File::open(path).expect("open the namespace");
    // SAFETY: a valid fd; only the calling thread changes namespace.
    let joined = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(joined, 0, "setns: {}", std::io::Error::last_os_error());
}

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct Daemon {
    pub child: Child,
    pub what: String,
}

impl Daemon {
    pub fn spawn(what: &str, cmd: &mut Command) -> Daemon {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        Daemon {
            child,
            what: what.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Panics if the daemon has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}", self.what);
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd`, which must succeed; returns its stdout.
pub fn sh_ok(cmd: &mut Command) -> String {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed with {}: {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Polls `done` every 20 ms until it holds; panics naming `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A temporary directory everyone may enter (daemons drop privileges), removed on drop.
pub fn temp_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("prt-daemons-")
        .tempdir()
        .expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod the temp dir");
    dir
}

/// Writes a file and closes it before anyone runs or reads it.
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// A process's comm, `None` once it is gone.
pub fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|text| text.trim_end().to_owned())
}

/// Whether `pid` is a live process (a zombie is not).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
    })
}

/// The records of TCP/UDP sockets with local port `port` in namespace `netns` (TIME_WAIT
/// left out).
pub fn on<'a>(records: &'a [Value], netns: u64, proto: &str, port: u16) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["netns"] == netns && r["proto"] == proto && r["local_port"] == port)
        .filter(|r| r["state"] != "TIME_WAIT")
        .collect()
}

/// The one listener (TCP LISTEN, or bound UDP) on `port` in the records; panics otherwise.
pub fn listener<'a>(records: &'a [Value], proto: &str, port: u16) -> &'a Value {
    let found: Vec<&Value> = records
        .iter()
        .filter(|r| r["proto"] == proto && r["local_port"] == port)
        .filter(|r| r["state"] == "LISTEN" || r["state"] == "UNCONN")
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {proto} listener on {port}: {records:#?}"
    );
    found[0]
}

/// `prt watch --ndjson` running inside a namespace; its records are collected by a thread.
pub struct Watch {
    child: Child,
    records: Arc<Mutex<Vec<Value>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    pub fn start(ns: &Ns, args: &[&str]) -> Watch {
        let mut cmd = ns.prt();
        cmd.args(["watch", "--ndjson"]).args(args);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start prt watch");
        let stdout = child.stdout.take().expect("watch's stdout");
        let records = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&records);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("bad watch line {line}: {e}"));
                sink.lock().expect("records lock").push(value);
            }
        });
        Watch {
            child,
            records,
            reader: Some(reader),
        }
    }

    /// Whether some record so far satisfies `wanted`.
    pub fn seen(&self, wanted: impl Fn(&Value) -> bool) -> bool {
        self.records
            .lock()
            .expect("records lock")
            .iter()
            .any(wanted)
    }

    /// Stops the watch (it must still be running: it never ends by itself) and returns
    /// every record it wrote.
    pub fn stop(mut self) -> Vec<Value> {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("prt watch ended by itself: {status}");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            reader.join().expect("watch reader");
        }
        std::mem::take(&mut *self.records.lock().expect("records lock"))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A socket's identity across scans, as DESIGN.md §2 defines it: namespace, protocol and
/// inode; for a socket without an inode, namespace, protocol and addresses.
pub fn identity(record: &Value) -> String {
    let inode = record["inode"].as_u64().unwrap_or(0);
    if inode == 0 {
        format!(
            "{} {} {}:{} -> {}:{}",
            record["netns"],
            record["proto"],
            record["local_addr"],
            record["local_port"],
            record["remote_addr"],
            record["remote_port"]
        )
    } else {
        format!("{} {} inode {inode}", record["netns"], record["proto"])
    }
}

/// What the changelog of a watch says per socket, and what it got wrong.
#[derive(Debug, Default)]
pub struct Changelog {
    /// `new` records per identity.
    pub news: HashMap<String, usize>,
    /// `gone` records per identity.
    pub gones: HashMap<String, usize>,
    /// Identities live at the end of the stream (a `new` and no `gone` after it).
    pub live: HashSet<String>,
    /// Contract violations, each said in words.
    pub errors: Vec<String>,
}

/// Checks a changelog: for each identity `new` and `gone` alternate, starting with `new`
/// (never a `new` for a socket already live, never a `gone` for one that is not), and an
/// `unchanged` record only for a live one. `once`: an identity may live only once (true for
/// inode identities, which the kernel never reuses within a boot).
pub fn check_changelog(records: &[Value]) -> Changelog {
    let mut log = Changelog::default();
    let mut last_seq = 0;
    for record in records {
        let seq = record["seq"].as_u64().unwrap_or(0);
        if seq < last_seq {
            log.errors.push(format!("seq went back to {seq}: {record}"));
        }
        last_seq = seq;
        let id = identity(record);
        let with_inode = record["inode"].as_u64().unwrap_or(0) != 0;
        match record["status"].as_str() {
            Some("new") => {
                let news = log.news.entry(id.clone()).or_default();
                *news += 1;
                if !log.live.insert(id.clone()) {
                    log.errors
                        .push(format!("`new` for a socket already live ({id}): {record}"));
                } else if with_inode && *news > 1 {
                    log.errors
                        .push(format!("a second `new` for socket {id}: {record}"));
                }
            }
            // A socket that lived between two scans, known only from its destroy event
            // (issue 16): gone without ever having been new.
            Some("gone") if record["first_seen"].is_null() => {
                *log.gones.entry(id.clone()).or_default() += 1;
            }
            Some("gone") => {
                *log.gones.entry(id.clone()).or_default() += 1;
                if !log.live.remove(&id) {
                    log.errors.push(format!(
                        "`gone` for a socket not live (before its `new`, or twice) ({id}): {record}"
                    ));
                }
            }
            Some("unchanged") => {
                if !log.live.contains(&id) {
                    log.errors.push(format!(
                        "`unchanged` for a socket not live ({id}): {record}"
                    ));
                }
            }
            other => log.errors.push(format!("bad status {other:?}: {record}")),
        }
    }
    log
}

/// Asserts that a changelog has no violations, showing the first few.
pub fn assert_changelog_ok(log: &Changelog) {
    assert!(
        log.errors.is_empty(),
        "{} changelog violations, the first: {:#?}",
        log.errors.len(),
        &log.errors[..log.errors.len().min(10)]
    );
}

/// Runs a python script, written to a file first, inside the namespace; not waited for.
/// Its stdout is piped: the script says `ready` (or anything) on a line when set up.
pub fn spawn_python(ns: &Ns, dir: &Path, name: &str, script: &str) -> Daemon {
    let path = dir.join(name);
    write(&path, script);
    let mut cmd = ns.command("/usr/bin/python3");
    cmd.arg("-u").arg(&path).stdout(Stdio::piped());
    Daemon::spawn(name, &mut cmd)
}

/// Reads one line from a daemon's piped stdout (bounded by `timeout`: a thread reads).
pub fn read_line(daemon: &mut Daemon, timeout: Duration) -> String {
    let stdout = daemon.child.stdout.take().expect("piped stdout");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = sender.send((line, reader.into_inner()));
    });
    let (line, stdout) = receiver
        .recv_timeout(timeout)
        .unwrap_or_else(|_| panic!("{} said nothing within {timeout:?}", daemon.what));
    daemon.child.stdout = Some(stdout);
    line.trim_end().to_owned()
}

/// The children of `pid` (from /proc/PID/task/*/children), sorted.
pub fn children(pid: u32) -> Vec<u32> {
    let mut found: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect();
    found.sort_unstable();
    found
}

/// Waits (bounded) for a child to exit; panics naming it otherwise.
pub fn wait_exit(daemon: &mut Daemon, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = daemon.child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not exit within {timeout:?}",
            daemon.what
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
