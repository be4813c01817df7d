//! Everything about one process that a person chasing a port wants to know: what runs
//! (executable, command line, cwd, user), where it came from (parent chain, start time),
//! what it costs (CPU over a sample, RSS, threads), what it holds (open files, sockets),
//! where it lives (cgroup, container, systemd unit), and the names of its environment
//! variables — their values only when asked, since they hold secrets.
//!
//! Reading is per field: a field the user may not read (another user's `cwd`, `environ`,
//! `fd`) stays null with a note saying so, and the rest is still reported. Only a process
//! that is gone, or whose pid now holds another process, gives no record.

use std::collections::BTreeMap;
use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::act::target::Target;
use crate::enrich::containers::{self, ContainerId, Containers};
use crate::model::{PortEntry, Timestamp};
use crate::scan::process::{self, BootClock, ProcessInfo, UserNames};

/// What to read beyond the defaults ([`Default`]: counts only, no CPU sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DetailOptions {
    /// List every open file (fd and target), not only count them.
    pub files: bool,
    /// Include environment variable values, not only names.
    pub env_values: bool,
    /// How long to watch CPU time for `cpu_percent`; zero skips it.
    pub sample: Duration,
}

/// One ancestor in the parent chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ancestor {
    /// Its pid.
    pub pid: u32,
    /// Its name.
    pub process: Option<String>,
}

/// One open file descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenFile {
    /// The fd number.
    pub fd: u32,
    /// What it points at: a path, `socket:[inode]`, `pipe:[inode]`, `anon_inode:...`.
    pub target: String,
}

/// One socket the process holds, as a scan saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldSocket {
    /// `tcp` or `udp`.
    pub proto: String,
    /// `addr:port`, IPv6 in brackets.
    pub local: String,
    /// The peer, `None` when not connected.
    pub remote: Option<String>,
    /// Socket state.
    pub state: String,
    /// Well-known service of the port, when the scan was enriched.
    pub service: Option<String>,
    /// The other processes holding the same socket (a pre-forked server's workers), by pid.
    pub shared_with: Vec<u32>,
}

/// The record `prt detail` writes for each process. Fields that could not be read are
/// null, and `notes` says why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ProcessDetail {
    /// The process id.
    pub pid: u32,
    /// Its name (`comm`).
    pub process: Option<String>,
    /// The executable's path.
    pub exe: Option<String>,
    /// The executable was deleted (or replaced) since the process started.
    pub exe_deleted: bool,
    /// Arguments joined by spaces.
    pub cmdline: Option<String>,
    /// The arguments one by one (exact where `cmdline` is ambiguous).
    pub argv: Vec<String>,
    /// Working directory.
    pub cwd: Option<String>,
    /// Real user id.
    pub uid: Option<u32>,
    /// Its user name.
    pub user: Option<String>,
    /// Parent pid.
    pub ppid: Option<u32>,
    /// Parent, grandparent, ... up to pid 1.
    pub parents: Vec<Ancestor>,
    /// Start time.
    pub started: Option<Timestamp>,
    /// Seconds since it started.
    pub uptime_secs: Option<u64>,
    /// Scheduler state: `running`, `sleeping`, `disk_sleep`, `stopped`, `zombie`, ...
    pub state: Option<String>,
    /// Number of threads.
    pub threads: Option<u64>,
    /// CPU use over the sample, in percent of one core (above 100 with several busy
    /// threads).
    pub cpu_percent: Option<f64>,
    /// Resident memory, bytes.
    pub rss_bytes: Option<u64>,
    /// Open file descriptors.
    pub open_files: Option<u64>,
    /// Each open file (with `--files`; else null).
    pub files: Option<Vec<OpenFile>>,
    /// The sockets it holds.
    pub sockets: Vec<HeldSocket>,
    /// Its cgroup path (cgroup v2, or the first v1 hierarchy).
    pub cgroup: Option<String>,
    /// Its container's name (or short id).
    pub container: Option<String>,
    /// The systemd unit its cgroup belongs to (`nginx.service`, `session-2.scope`).
    pub systemd_unit: Option<String>,
    /// Names of its environment variables.
    pub env: Option<Vec<String>>,
    /// Their values (with `--env-values`; else null).
    pub env_values: Option<BTreeMap<String, String>>,
    /// What could not be read, and why.
    pub notes: Vec<String>,
}

/// Why a target has no detail record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The pid.
    pub pid: u32,
    /// What happened to it.
    pub reason: String,
}

/// Describes every target: one record each, or why not. CPU is sampled for all of them
/// at once, so N processes take one `sample`, not N.
#[must_use]
#[allow(clippy::cast_precision_loss)] // tick counts stay far below 2^52
pub fn describe(
    targets: &[Target],
    sockets: &[PortEntry],
    options: &DetailOptions,
    containers: &mut Containers,
) -> Vec<Result<ProcessDetail, Missing>> {
    let clock = BootClock::read();
    let mut users = UserNames::default();
    let first_cpu: Vec<Option<u64>> = targets.iter().map(|t| cpu_ticks(t.pid)).collect();
    let sample_start = Instant::now();
    if !options.sample.is_zero() {
        std::thread::sleep(options.sample);
    }
    let elapsed = sample_start.elapsed();
    let mut container_ids = Vec::new();
    let mut details: Vec<Result<ProcessDetail, Missing>> = targets
        .iter()
        .zip(first_cpu)
        .map(|(target, first)| {
            let (mut detail, container) = read(target, clock.as_ref(), options, &mut users)?;
            container_ids.extend(container);
            if !options.sample.is_zero() {
                detail.cpu_percent = first.zip(cpu_ticks(target.pid)).and_then(|(a, b)| {
                    let ticks_per_sec = clock?.ticks_per_sec as f64;
                    let used = b.saturating_sub(a) as f64 / ticks_per_sec;
                    Some((used / elapsed.as_secs_f64() * 1000.0).round() / 10.0)
                });
            }
            detail.sockets = held_sockets(target.pid, sockets);
            Ok(detail)
        })
        .collect();
    // One question to the runtimes for every container, then each id becomes its name.
    containers.resolve(&container_ids.iter().collect::<Vec<_>>());
    for detail in details.iter_mut().filter_map(|d| d.as_mut().ok()) {
        if let Some(id) = container_ids
            .iter()
            .find(|id| detail.container.as_deref() == Some(id.id.as_str()))
        {
            detail.container = Some(containers.name(id).to_owned());
        }
    }
    details
}

/// Reads one process, and the container its cgroup names (to be named in one batch);
/// `Err` when it is gone or is no longer the target's process.
fn read(
    target: &Target,
    clock: Option<&BootClock>,
    options: &DetailOptions,
    users: &mut UserNames,
) -> Result<(ProcessDetail, Option<ContainerId>), Missing> {
    let pid = target.pid;
    let missing = |reason: String| Missing { pid, reason };
    let info = ProcessInfo::read(pid, clock)
        .ok_or_else(|| missing(format!("no process with pid {pid}")))?;
    if let Some(differs) = target.differs_from(&info) {
        return Err(missing(format!(
            "pid {pid} now belongs to another process: {differs}"
        )));
    }
    let proc_dir = format!("/proc/{pid}");
    let mut notes = Vec::new();
    let mut note = |what: &str, err: &io::Error| {
        let why = match err.kind() {
            io::ErrorKind::PermissionDenied => {
                "permission denied (another user's process; run as root)".to_owned()
            }
            _ => err.to_string(),
        };
        notes.push(format!("{what}: {why}"));
    };
    let stat = process::read_stat(pid).unwrap_or_default();
    let status = std::fs::read_to_string(format!("{proc_dir}/status")).unwrap_or_default();
    let uid = status_field(&status, "Uid:").and_then(|v| v.split_whitespace().next()?.parse().ok());

    let (exe, exe_deleted) = match process::executable(pid) {
        Ok((path, deleted)) => (Some(path), deleted),
        Err(err) => {
            // Kernel threads have no executable: that is not worth a note.
            if info.cmdline.is_some() {
                note("exe", &err);
            }
            (None, false)
        }
    };
    let argv: Vec<String> = std::fs::read(format!("{proc_dir}/cmdline"))
        .map(|raw| split_nul(&raw))
        .unwrap_or_default();
    let cwd = std::fs::read_link(format!("{proc_dir}/cwd"))
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|err| note("cwd", &err))
        .ok();
    let fds = read_fds(pid, options.files)
        .map_err(|err| note("open files", &err))
        .ok();
    let env = std::fs::read(format!("{proc_dir}/environ"))
        .map(|raw| split_nul(&raw))
        .map_err(|err| note("environment", &err))
        .ok();
    let cgroup_text = std::fs::read_to_string(format!("{proc_dir}/cgroup")).unwrap_or_default();
    let cgroup = cgroup_path(&cgroup_text);
    let systemd_unit = cgroup.as_deref().and_then(systemd_unit);
    let container_id = containers::parse_cgroup(&cgroup_text);

    let (env_names, env_values) = env.map_or((None, None), |vars| {
        let (names, values) = environment(vars, options.env_values);
        (Some(names), values)
    });
    let detail = ProcessDetail {
        pid,
        process: info.name.clone(),
        exe,
        exe_deleted,
        cmdline: info.cmdline.clone(),
        argv,
        cwd,
        uid,
        user: uid
            .and_then(|uid| users.name(uid))
            .map(|name| name.to_string()),
        ppid: info.ppid,
        parents: parent_chain(info.ppid),
        started: info.started,
        uptime_secs: info.started.map(|s| s.until(Timestamp::now()).as_secs()),
        state: process::stat_field(&stat, 0).map(|s| state_name(s).to_owned()),
        threads: process::stat_field(&stat, 17).and_then(|t| t.parse().ok()),
        cpu_percent: None,
        rss_bytes: status_field(&status, "VmRSS:")
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map(|kib| kib * 1024),
        open_files: fds.as_ref().map(|(count, _)| *count),
        files: fds.and_then(|(_, files)| files),
        sockets: Vec::new(),
        cgroup,
        container: container_id.as_ref().map(|id| id.id.clone()),
        systemd_unit,
        env: env_names,
        env_values,
        notes,
    };
    Ok((detail, container_id))
}

/// Parent, grandparent, ... up to pid 1 (at most 64, in case of a loop read mid-change).
fn parent_chain(ppid: Option<u32>) -> Vec<Ancestor> {
    let mut parents = Vec::new();
    let mut next = ppid;
    while let Some(parent) = next.filter(|&p| p != 0 && parents.len() < 64) {
        let above = ProcessInfo::read(parent, None);
        parents.push(Ancestor {
            pid: parent,
            process: above.as_ref().and_then(|a| a.name.clone()),
        });
        next = above.and_then(|a| a.ppid).filter(|_| parent != 1);
    }
    parents
}

/// Variable names in order, and the values only when asked for.
fn environment(
    vars: Vec<String>,
    with_values: bool,
) -> (Vec<String>, Option<BTreeMap<String, String>>) {
    let pairs: Vec<(String, String)> = vars
        .into_iter()
        .map(|var| match var.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (var, String::new()),
        })
        .collect();
    let names = pairs.iter().map(|(name, _)| name.clone()).collect();
    (names, with_values.then(|| pairs.into_iter().collect()))
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = process::read_stat(pid)?;
    let utime: u64 = process::stat_field(&stat, 11)?.parse().ok()?;
    let stime: u64 = process::stat_field(&stat, 12)?.parse().ok()?;
    Some(utime + stime)
}

/// The value after `name` on its line of `/proc/<pid>/status`.
fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .map(str::trim)
}

/// The scheduler state letter in words.
fn state_name(letter: &str) -> &str {
    match letter {
        "R" => "running",
        "S" => "sleeping",
        "D" => "disk_sleep",
        "T" => "stopped",
        "t" => "tracing_stop",
        "Z" => "zombie",
        "X" => "dead",
        "I" => "idle",
        "P" => "parked",
        other => other,
    }
}

/// NUL-separated strings (cmdline, environ).
fn split_nul(raw: &[u8]) -> Vec<String> {
    raw.split(|&b| b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect()
}

/// Counts the fds of `pid`, and lists them when `list`.
fn read_fds(pid: u32, list: bool) -> io::Result<(u64, Option<Vec<OpenFile>>)> {
    let dir = format!("/proc/{pid}/fd");
    let mut count = 0;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let Ok(entry) = entry else { continue };
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        count += 1;
        if list {
            // An fd closed between listing and reading is simply not there.
            if let Ok(target) = std::fs::read_link(entry.path()) {
                files.push(OpenFile {
                    fd,
                    target: target.to_string_lossy().into_owned(),
                });
            }
        }
    }
    files.sort_by_key(|f| f.fd);
    Ok((count, list.then_some(files)))
}

/// The cgroup path: the v2 line (`0::/...`), else the first v1 hierarchy's.
fn cgroup_path(text: &str) -> Option<String> {
    let v2 = text.lines().find_map(|line| line.strip_prefix("0::"));
    let path = v2.or_else(|| text.lines().next()?.splitn(3, ':').nth(2))?;
    (!path.is_empty()).then(|| path.to_owned())
}

/// The systemd unit a cgroup path belongs to: its last `.service` or `.scope` component.
#[must_use]
#[allow(clippy::case_sensitive_file_extension_comparisons)] // unit names are case-sensitive
pub fn systemd_unit(cgroup: &str) -> Option<String> {
    cgroup
        .rsplit('/')
        .find(|part| part.ends_with(".service") || part.ends_with(".scope"))
        .map(str::to_owned)
}

/// The sockets among `sockets` that `pid` holds.
fn held_sockets(pid: u32, sockets: &[PortEntry]) -> Vec<HeldSocket> {
    sockets
        .iter()
        .filter(|entry| entry.pids.contains(&pid))
        .map(|entry| HeldSocket {
            proto: entry.proto.as_str().to_owned(),
            local: crate::model::endpoint(entry.local_addr, entry.local_port),
            remote: entry
                .remote_addr
                .zip(entry.remote_port)
                .map(|(addr, port)| crate::model::endpoint(addr, port)),
            state: entry.state.as_str().to_owned(),
            service: entry.service.as_deref().map(str::to_owned),
            shared_with: entry.pids.iter().copied().filter(|&p| p != pid).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
