//! Process details from `/proc/<pid>`, user names from the password database, and the
//! network namespace of this process.

use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use crate::model::Timestamp;

/// What a record says about its owning process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// `comm`: the name the kernel keeps (15 bytes at most).
    pub name: Option<String>,
    /// Arguments joined by spaces; `None` for kernel threads and zombies.
    pub cmdline: Option<String>,
    /// Parent pid.
    pub ppid: Option<u32>,
    /// Start time, at the kernel's precision (clock ticks since boot).
    pub started: Option<Timestamp>,
    /// Scheduler state letter: `R`, `S`, `D`, `Z` (zombie), ...
    pub state: Option<char>,
    /// A kernel thread (`PF_KTHREAD`): no user process, nothing to signal.
    pub kernel_thread: bool,
}

/// `PF_KTHREAD` from `include/linux/sched.h`, in the flags field of `/proc/<pid>/stat`.
const PF_KTHREAD: u64 = 0x0020_0000;

impl ProcessInfo {
    /// A zombie (or dead) process: it has exited and holds nothing; its parent has not
    /// collected its status yet.
    #[must_use]
    pub fn is_zombie(&self) -> bool {
        matches!(self.state, Some('Z' | 'X' | 'x'))
    }

    /// Reads `/proc/<pid>/stat` and `/proc/<pid>/cmdline`. `None` when the process has
    /// exited (or its stat cannot be read); a missing command line alone is not fatal.
    #[must_use]
    pub fn read(pid: u32, clock: Option<&BootClock>) -> Option<ProcessInfo> {
        let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
        let mut info = parse_stat(&stat, clock)?;
        info.cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .ok()
            .and_then(|raw| join_cmdline(&raw));
        Some(info)
    }
}

/// Parses `pid (comm) S ppid ... starttime ...`. The name may itself contain spaces and
/// parentheses, so it runs from the first `(` to the last `)`.
fn parse_stat(stat: &[u8], clock: Option<&BootClock>) -> Option<ProcessInfo> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let name = String::from_utf8_lossy(stat.get(open + 1..close)?).into_owned();
    let fields: Vec<&str> = stat_tail(stat)?.split_ascii_whitespace().take(20).collect();
    let ppid = fields.get(1).and_then(|f| f.parse().ok());
    let started = fields
        .get(19)
        .and_then(|f| f.parse::<u64>().ok())
        .zip(clock)
        .map(|(ticks, clock)| clock.to_timestamp(ticks));
    Some(ProcessInfo {
        name: Some(name),
        cmdline: None,
        ppid,
        started,
        state: fields.first().and_then(|f| f.chars().next()),
        kernel_thread: fields
            .get(6)
            .and_then(|f| f.parse::<u64>().ok())
            .is_some_and(|flags| flags & PF_KTHREAD != 0),
    })
}

/// `/proc/<pid>/cmdline` is NUL-separated arguments; join them with spaces. Empty for
/// kernel threads, which have none.
fn join_cmdline(raw: &[u8]) -> Option<String> {
    let trimmed = raw.strip_suffix(&[0]).unwrap_or(raw);
    if trimmed.is_empty() {
        return None;
    }
    let spaced: Vec<u8> = trimmed
        .iter()
        .map(|&b| if b == 0 { b' ' } else { b })
        .collect();
    Some(String::from_utf8_lossy(&spaced).into_owned())
}

/// The start time of `pid` in clock ticks since boot (field 22 of `/proc/<pid>/stat`): with
/// the pid, it tells one process from a later one that reuses the pid.
#[must_use]
pub fn start_ticks(pid: u32) -> Option<u64> {
    stat_field(&read_stat(pid)?, 19)?.parse().ok()
}

/// The parent of `pid` (field 4 of `/proc/<pid>/stat`).
#[must_use]
pub fn parent_pid(pid: u32) -> Option<u32> {
    stat_field(&read_stat(pid)?, 1)?.parse().ok()
}

/// Where `/proc/<pid>/exe` points, and whether the kernel marks it ` (deleted)` (the file
/// was removed or replaced since the process started).
pub fn executable(pid: u32) -> std::io::Result<(String, bool)> {
    let target = std::fs::read_link(format!("/proc/{pid}/exe"))?;
    let target = target.to_string_lossy();
    Ok(match target.strip_suffix(" (deleted)") {
        Some(path) => (path.to_owned(), true),
        None => (target.into_owned(), false),
    })
}

/// The bytes of `/proc/<pid>/stat`; `None` when the process is gone. Bytes, not a String:
/// the process name in it need not be UTF-8.
#[must_use]
pub fn read_stat(pid: u32) -> Option<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/stat")).ok()
}

/// The part of a stat text after `(comm)`. The name may itself hold spaces and
/// parentheses, so the tail starts after the last `)`. Its whitespace-separated fields,
/// from 0: state 0, ppid 1, utime 11, stime 12, num_threads 17, starttime 19.
#[must_use]
pub fn stat_tail(stat: &[u8]) -> Option<&str> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    std::str::from_utf8(stat.get(close + 1..)?).ok()
}

/// Field `index` of [`stat_tail`].
#[must_use]
pub fn stat_field(stat: &[u8], index: usize) -> Option<&str> {
    stat_tail(stat)?.split_ascii_whitespace().nth(index)
}

/// How many fds `pid` has open: the size the kernel reports for `/proc/<pid>/fd` (Linux
/// 6.2 and later; older kernels report 0, which only makes every tick look unchanged, and
/// the unknown-socket search still finds new sockets).
#[must_use]
pub fn fd_count(pid: u32) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/fd"))
        .ok()
        .map(|m| m.len())
}

/// Converts process start times (clock ticks since boot) to wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootClock {
    /// Boot time, seconds since the epoch (`btime` in `/proc/stat`).
    pub boot_secs: i64,
    /// `sysconf(_SC_CLK_TCK)`.
    pub ticks_per_sec: u64,
}

impl BootClock {
    /// Reads the boot time; `None` if `/proc/stat` is unreadable.
    #[must_use]
    pub fn read() -> Option<BootClock> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let boot_secs = stat
            .lines()
            .find_map(|line| line.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()?;
        let ticks_per_sec = crate::sys::clock_ticks_per_second();
        (ticks_per_sec > 0).then_some(BootClock {
            boot_secs,
            ticks_per_sec,
        })
    }

    /// The wall-clock time `ticks` after boot, at the ticks' precision: two processes
    /// started in the same second but different ticks get different times.
    #[must_use]
    pub fn to_timestamp(self, ticks: u64) -> Timestamp {
        let whole = ticks / self.ticks_per_sec;
        let part = ticks % self.ticks_per_sec;
        Timestamp::from_unix_nanos(
            self.boot_secs.saturating_add(whole as i64),
            part * 1_000_000_000 / self.ticks_per_sec,
        )
    }
}

/// User names by uid, looked up once each.
#[derive(Debug, Default)]
pub struct UserNames {
    cache: crate::hashing::Map<u32, Option<Arc<str>>>,
}

impl UserNames {
    /// The name of `uid` (one shared copy per user), or `None` when the password database
    /// has no entry.
    pub fn name(&mut self, uid: u32) -> Option<Arc<str>> {
        self.cache
            .entry(uid)
            .or_insert_with(|| crate::sys::user_name(uid).map(Arc::from))
            .clone()
    }
}

/// The inode of this process's network namespace: what `netns` holds for sockets it scans.
#[must_use]
pub fn own_netns() -> Option<u64> {
    std::fs::metadata("/proc/self/ns/net").ok().map(|m| m.ino())
}

/// The inode of the network namespace process `pid` lives in; `None` once it has exited
/// (or its namespace is hidden from this user).
#[must_use]
pub fn netns_of(pid: u32) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .ok()
        .map(|m| m.ino())
}

/// The inode of the network namespace thread `tid` of process `pid` lives in (a thread may
/// have joined another than its process's); `None` once it has exited.
#[must_use]
pub fn netns_of_thread(pid: u32, tid: u32) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/task/{tid}/ns/net"))
        .ok()
        .map(|m| m.ino())
}

/// The effective uid process `pid` runs as (the owner of `/proc/<pid>`): the uid the
/// sockets it creates get. `None` once it has exited.
#[must_use]
pub fn effective_uid(pid: u32) -> Option<u32> {
    std::fs::metadata(format!("/proc/{pid}"))
        .ok()
        .map(|m| m.uid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_awkward_name() {
        let stat = b"4242 (my (odd) name) S 4100 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 250 1000 1";
        let clock = BootClock {
            boot_secs: 1_000,
            ticks_per_sec: 100,
        };
        let info = parse_stat(stat, Some(&clock)).expect("parses");
        assert_eq!(info.name.as_deref(), Some("my (odd) name"));
        assert_eq!((info.state, info.kernel_thread), (Some('S'), false));
        assert_eq!(info.ppid, Some(4100));
        assert_eq!(
            info.started,
            Some(Timestamp::from_unix_nanos(1_002, 500_000_000))
        );
        assert_eq!(parse_stat(b"garbage", Some(&clock)), None);
    }

    #[test]
    fn kernel_threads_are_told_apart() {
        let clock = BootClock::read().expect("/proc/stat");
        // kthreadd is pid 2 wherever the kernel runs in this pid namespace's view.
        if let Some(kthreadd) = ProcessInfo::read(2, Some(&clock))
            && kthreadd.name.as_deref() == Some("kthreadd")
        {
            assert!(kthreadd.kernel_thread);
        }
        let me = ProcessInfo::read(std::process::id(), Some(&clock)).expect("self");
        assert!(!me.kernel_thread && !me.is_zombie());
    }

    #[test]
    fn cmdline_joins_arguments_and_tolerates_bad_utf8() {
        assert_eq!(
            join_cmdline(b"python3\0-m\0http.server\0").as_deref(),
            Some("python3 -m http.server")
        );
        assert_eq!(join_cmdline(b""), None);
        assert_eq!(join_cmdline(b"a\xff\0").as_deref(), Some("a\u{fffd}"));
    }

    #[test]
    fn this_process_reads_back() {
        let clock = BootClock::read().expect("/proc/stat");
        let info = ProcessInfo::read(std::process::id(), Some(&clock)).expect("self");
        assert!(info.cmdline.is_some());
        let started = info.started.expect("start time");
        assert!(started <= Timestamp::now());
        assert!(started.until(Timestamp::now()).as_secs() < 3600);
    }

    #[test]
    fn root_is_named_and_a_missing_uid_is_none() {
        let mut users = UserNames::default();
        assert_eq!(users.name(0).as_deref(), Some("root"));
        assert_eq!(users.name(3_999_999_999), None);
    }
}
