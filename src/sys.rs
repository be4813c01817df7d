//! The one place prt touches the operating system beyond `std`: typed calls through
//! `rustix` (and `nix` for the password database and interface addresses), each a small
//! function that says what prt needs of it. The rest of the library never calls `libc` or
//! writes `unsafe`; the architecture test checks both.
//!
//! What is prt's own stays outside: the fd walk's order and merge (`scan::owners`), the
//! sock_diag parser (`scan::netlink`). Measured when this layer replaced hand-written
//! syscalls: the fd walk through `RawDir` and `readlinkat_raw` runs at 0.96-0.99x the
//! time of raw `getdents64`/`readlinkat` (`cargo bench --bench scan`).

use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::net::IpAddr;
#[cfg(target_os = "linux")]
use std::os::fd::AsFd;
use std::os::fd::{BorrowedFd, OwnedFd};
#[cfg(feature = "cli")]
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The effective user id of this process.
#[must_use]
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether this process runs as root.
#[must_use]
pub fn is_root() -> bool {
    euid() == 0
}

/// This machine's hostname (`gethostname(2)`).
pub fn hostname() -> io::Result<String> {
    let name = nix::unistd::gethostname().map_err(io::Error::from)?;
    Ok(name.to_string_lossy().into_owned())
}

/// Clock ticks per second (`_SC_CLK_TCK`): the unit of `/proc/<pid>/stat` times.
#[must_use]
pub fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// The user name of `uid` from the password database (`getpwuid_r`), `None` when it has
/// no entry or cannot be read.
#[must_use]
pub fn user_name(uid: u32) -> Option<String> {
    let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).ok()??;
    Some(user.name)
}

/// Every address configured on an interface of this machine (`getifaddrs`); empty when
/// they cannot be listed.
#[must_use]
pub fn interface_addresses() -> Vec<IpAddr> {
    let Ok(interfaces) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    interfaces
        .filter_map(|interface| {
            let address = interface.address?;
            if let Some(v4) = address.as_sockaddr_in() {
                Some(IpAddr::V4(v4.ip()))
            } else {
                address.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
            }
        })
        .collect()
}

/// A signal number as the kernel takes it. Named signals come from rustix's table; the
/// real-time ones (`SIGRTMIN..=SIGRTMAX`), which it has no names for, are range-checked
/// here.
fn signal(number: i32) -> io::Result<rustix::process::Signal> {
    if let Some(named) = rustix::process::Signal::from_named_raw(number) {
        return Ok(named);
    }
    #[cfg(target_os = "linux")]
    if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&number) {
        // SAFETY: a real-time signal number the C library reports as valid on this system;
        // sending one has no memory effects on this process.
        return Ok(unsafe { rustix::process::Signal::from_raw_unchecked(number) });
    }
    Err(io::Error::from_raw_os_error(libc::EINVAL))
}

/// A pid as the kernel takes it: positive, so it names one process, never a group.
fn pid(pid: u32) -> io::Result<rustix::process::Pid> {
    i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))
}

/// `kill(2)` to the one process `target`.
pub fn kill(target: u32, signal_number: i32) -> io::Result<()> {
    rustix::process::kill_process(pid(target)?, signal(signal_number)?).map_err(io::Error::from)
}

/// `kill(2)` to every process of the group `leader` leads.
pub fn kill_group(leader: u32, signal_number: i32) -> io::Result<()> {
    rustix::process::kill_process_group(pid(leader)?, signal(signal_number)?)
        .map_err(io::Error::from)
}

/// `pidfd_open(2)`: a file descriptor that refers to this one process for as long as it is
/// open, whatever later reuses its pid. `ENOSYS` where the system has none.
pub fn pidfd_open(target: u32) -> io::Result<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::pidfd_open(pid(target)?, rustix::process::PidfdFlags::empty())
            .map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = target;
        Err(io::Error::from_raw_os_error(libc::ENOSYS))
    }
}

/// `pidfd_send_signal(2)`: the signal reaches the process `pidfd` was opened on, or none.
pub fn pidfd_send_signal(pidfd: BorrowedFd<'_>, signal_number: i32) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::pidfd_send_signal(pidfd, signal(signal_number)?).map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (pidfd, signal_number);
        Err(io::Error::from_raw_os_error(libc::ENOSYS))
    }
}

/// How many of `fds` are readable within `timeout` (`poll(2)`): a pidfd when its process
/// ends, a pipe when it has data or was closed. Zero on error.
#[must_use]
pub fn readable_within(fds: &[BorrowedFd<'_>], timeout: Duration) -> usize {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut polled: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    let timeout = Timespec {
        tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    rustix::event::poll(&mut polled, Some(&timeout)).unwrap_or(0)
}

/// Moves the calling thread into the network namespace `file` names (`setns(2)`; Linux
/// only). Only this thread changes: callers run it on a thread of its own.
pub fn enter_net_namespace(file: &std::fs::File) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::thread::move_into_link_name_space(
            file.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "network namespaces are Linux only",
        ))
    }
}

/// A `NETLINK_SOCK_DIAG` socket: the kernel's socket tables, dumped or looked up.
#[cfg(target_os = "linux")]
pub fn sock_diag_socket() -> io::Result<OwnedFd> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, netlink};
    rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )
    .map_err(io::Error::from)
}

/// A non-blocking `NETLINK_SOCK_DIAG` socket bound to the multicast `groups` (bit `n - 1`
/// for group `n` of `linux/sock_diag.h`): the kernel sends it one message per socket it
/// destroys, in the calling thread's network namespace.
#[cfg(target_os = "linux")]
pub fn sock_diag_subscriber(groups: u32) -> io::Result<OwnedFd> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, netlink};
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        Some(netlink::SOCK_DIAG),
    )?;
    // Port id 0: the kernel assigns one.
    rustix::net::bind(&fd, &netlink::SocketAddrNetlink::new(0, groups))?;
    Ok(fd)
}

/// A non-blocking `NETLINK_CONNECTOR` socket bound to the multicast `groups` (bit `n - 1`
/// for connector index `n`; the proc connector is `CN_IDX_PROC`, 1). Events flow once a
/// listen request is sent ([`send_to_kernel`]). The connector exists in the initial
/// network namespace only.
#[cfg(target_os = "linux")]
pub fn connector_subscriber(groups: u32) -> io::Result<OwnedFd> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, netlink};
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        Some(netlink::CONNECTOR),
    )?;
    rustix::net::bind(&fd, &netlink::SocketAddrNetlink::new(0, groups))?;
    Ok(fd)
}

/// Asks for a receive buffer of `bytes`: room for a burst of events before the kernel
/// drops them. With `CAP_NET_ADMIN`, `SO_RCVBUFFORCE` passes `net.core.rmem_max` (212992
/// on a default Debian, too small for a burst of closes); without it, `SO_RCVBUF`, capped.
pub fn set_receive_buffer(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    if rustix::net::sockopt::set_socket_recv_buffer_size_force(fd, bytes).is_ok() {
        return Ok(());
    }
    rustix::net::sockopt::set_socket_recv_buffer_size(fd, bytes).map_err(io::Error::from)
}

/// Sends one netlink message to the kernel (netlink port 0), again if a signal
/// interrupted it.
#[cfg(target_os = "linux")]
pub fn send_to_kernel(fd: BorrowedFd<'_>, message: &[u8]) -> io::Result<()> {
    let kernel = rustix::net::netlink::SocketAddrNetlink::new(0, 0);
    loop {
        match rustix::net::sendto(fd, message, rustix::net::SendFlags::empty(), &kernel) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// One datagram into `buffer`, again if a signal interrupted the wait; its length.
pub fn receive(fd: BorrowedFd<'_>, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match rustix::net::recv(fd, &mut *buffer, rustix::net::RecvFlags::empty()) {
            Ok((received, _)) => return Ok(received),
            Err(rustix::io::Errno::INTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// The name of network interface `index` in the calling thread's namespace
/// (`if_indextoname(3)`); `None` when no interface has that index any more.
#[must_use]
pub fn interface_name(index: u32) -> Option<String> {
    let name = nix::net::if_::if_indextoname(index).ok()?;
    Some(name.to_string_lossy().into_owned())
}

/// Columns and lines of the terminal on `fd`, when it is one and knows its size.
#[must_use]
pub fn terminal_size(fd: BorrowedFd<'_>) -> Option<(u16, u16)> {
    let size = rustix::termios::tcgetwinsize(fd).ok()?;
    (size.ws_col > 0).then_some((size.ws_col, size.ws_row))
}

/// Whether `fd` is a regular file: input that is all there, neither a pipe nor a terminal.
#[must_use]
pub fn is_regular_file(fd: BorrowedFd<'_>) -> bool {
    rustix::fs::fstat(fd)
        .is_ok_and(|stat| rustix::fs::FileType::from_raw_mode(stat.st_mode).is_file())
}

/// Whether standard output (descriptor 1) was closed when the program started
/// (`prt scan >&-`): whatever is written to it is lost. The command line's concern, read
/// before `main` (see below).
#[cfg(feature = "cli")]
#[must_use]
pub fn stdout_closed_at_start() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Whether standard output was closed when the program started. The standard library reopens a
/// closed descriptor 0-2 on /dev/null before `main`, which would make every write succeed
/// unseen; this is read before it does, from the program's initialisers.
#[cfg(feature = "cli")]
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Notes whether descriptor 1 is open. Runs before the standard library's own start-up.
#[cfg(feature = "cli")]
extern "C" fn note_closed_stdout() {
    // SAFETY: F_GETFD only reads the flags of a descriptor; on a closed one it fails.
    let closed = unsafe { libc::fcntl(1, libc::F_GETFD) } == -1;
    STDOUT_CLOSED.store(closed, Ordering::Relaxed);
}

#[cfg(all(feature = "cli", any(target_os = "linux", target_os = "android")))]
#[used]
#[unsafe(link_section = ".init_array")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

#[cfg(all(feature = "cli", target_vendor = "apple"))]
#[used]
#[unsafe(link_section = "__DATA,__mod_init_func")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

/// An open directory of `/proc/<pid>/fd`, read entry by entry into a caller's buffer.
#[derive(Debug)]
pub struct FdDir {
    dir: OwnedFd,
}

impl FdDir {
    /// Opens the directory at `path`; fails when the process exited or is not ours.
    pub fn open(path: &CStr) -> io::Result<FdDir> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(path, flags, Mode::empty())?;
        Ok(FdDir { dir })
    }

    /// Calls `visit(name)` for every entry (`.` and `..` included), in the kernel's order,
    /// reading as many at a time as `buffer` holds. Linux only: elsewhere there is no
    /// `/proc` to walk, and nothing is visited.
    pub fn for_each_entry(&self, buffer: &mut [MaybeUninit<u8>], mut visit: impl FnMut(&CStr)) {
        #[cfg(target_os = "linux")]
        {
            let mut entries = rustix::fs::RawDir::new(&self.dir, buffer);
            while let Some(Ok(entry)) = entries.next() {
                visit(entry.file_name());
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (buffer, &mut visit);
        }
    }

    /// The target of the link `name` in this directory, in `target`; `None` when it
    /// cannot be read (the fd was closed meanwhile) or does not fit.
    pub fn read_link<'t>(&self, name: &CStr, target: &'t mut [u8]) -> Option<&'t [u8]> {
        let capacity = target.len();
        let length = rustix::fs::readlinkat_raw(&self.dir, name, &mut *target).ok()?;
        (length < capacity).then(|| &target[..length])
    }
}

/// For tests: `command`'s child inherits `fd` (its close-on-exec flag cleared in the child
/// only, so other threads' children do not).
#[cfg(test)]
pub(crate) fn share_with_child(command: &mut std::process::Command, fd: BorrowedFd<'_>) {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::process::CommandExt as _;
    let raw = fd.as_raw_fd();
    // SAFETY: between fork and exec only the async-signal-safe fcntl runs, on an fd number
    // the parent keeps open until the child has been spawned.
    unsafe {
        command.pre_exec(move || {
            let fd = BorrowedFd::borrow_raw(raw);
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty())?;
            Ok(())
        });
    }
}

/// Mounts tracefs at `target` (`mount -t tracefs nodev TARGET`): where the kernel's
/// tracepoints are named and described. Root only.
#[cfg(target_os = "linux")]
pub fn mount_tracefs(target: &CStr) -> io::Result<()> {
    // SAFETY: every pointer is a NUL-terminated string that outlives the call; tracefs
    // takes no data argument.
    let result = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            target.as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `CLOCK_MONOTONIC` now: the clock [`PerfRing`] samples are stamped with, so an event's
/// age is `monotonic_now() - time`.
#[cfg(target_os = "linux")]
#[must_use]
pub fn monotonic_now() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// `struct perf_event_attr` up to `sample_max_stack` (`PERF_ATTR_SIZE_VER5`, 112 bytes,
/// Linux 4.8): libc does not declare it, and nothing prt asks for is newer.
#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    /// The bit fields: `disabled` (bit 0), `use_clockid` (bit 25), ...
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
    branch_sample_type: u64,
    sample_regs_user: u64,
    sample_stack_user: u32,
    clockid: i32,
    sample_regs_intr: u64,
    aux_watermark: u32,
    sample_max_stack: u16,
    reserved_2: u16,
}

/// What a [`PerfRing`] records with each sample (`PERF_SAMPLE_*` bits).
#[cfg(target_os = "linux")]
pub const PERF_SAMPLE_TID: u64 = 1 << 1;
/// The sample's time (with [`PerfRing`], `CLOCK_MONOTONIC`).
#[cfg(target_os = "linux")]
pub const PERF_SAMPLE_TIME: u64 = 1 << 2;
/// The CPU the sample was taken on.
#[cfg(target_os = "linux")]
pub const PERF_SAMPLE_CPU: u64 = 1 << 7;
/// The tracepoint's own record (its `format` file describes it).
#[cfg(target_os = "linux")]
pub const PERF_SAMPLE_RAW: u64 = 1 << 10;

/// One perf event counting a tracepoint on one CPU, and its ring buffer mapped into this
/// process: the kernel writes a record per hit, the reader copies them out and hands the
/// space back (`perf_event_open(2)`, "MMAP layout").
#[cfg(target_os = "linux")]
#[derive(Debug)]
pub struct PerfRing {
    fd: OwnedFd,
    /// The mapping: one metadata page (`struct perf_event_mmap_page`), then the data.
    base: std::ptr::NonNull<u8>,
    len: usize,
    data_offset: usize,
    /// A power of two: positions wrap with a mask.
    data_size: usize,
}

// SAFETY: the mapping belongs to this value alone (no other handle to it escapes), and the
// kernel's side of the ring is safe against any thread reading it.
#[cfg(target_os = "linux")]
unsafe impl Send for PerfRing {}

/// Offsets in `struct perf_event_mmap_page`.
#[cfg(target_os = "linux")]
const PERF_DATA_HEAD: usize = 1024;
#[cfg(target_os = "linux")]
const PERF_DATA_TAIL: usize = 1032;
#[cfg(target_os = "linux")]
const PERF_DATA_OFFSET: usize = 1040;
#[cfg(target_os = "linux")]
const PERF_DATA_SIZE: usize = 1048;

#[cfg(target_os = "linux")]
impl PerfRing {
    /// Opens tracepoint `id` (from tracefs) on `cpu` for every process (`pid` -1), with
    /// samples of `sample_type` stamped with `CLOCK_MONOTONIC`, and maps a ring of
    /// `data_pages` pages (rounded up to a power of two). The event starts disabled
    /// ([`PerfRing::enable`]); each record wakes a poller at once (`wakeup_events` 1).
    ///
    /// `EACCES`/`EPERM` without `CAP_PERFMON` (or root) when `perf_event_paranoid` forbids.
    pub fn open_tracepoint(
        id: u64,
        cpu: u32,
        sample_type: u64,
        data_pages: usize,
    ) -> io::Result<PerfRing> {
        use std::os::fd::FromRawFd as _;
        const PERF_TYPE_TRACEPOINT: u32 = 2;
        const DISABLED: u64 = 1;
        const USE_CLOCKID: u64 = 1 << 25;
        const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
        let attr = PerfEventAttr {
            kind: PERF_TYPE_TRACEPOINT,
            size: std::mem::size_of::<PerfEventAttr>() as u32,
            config: id,
            sample_period: 1,
            sample_type,
            flags: DISABLED | USE_CLOCKID,
            wakeup_events: 1,
            clockid: libc::CLOCK_MONOTONIC,
            ..PerfEventAttr::default()
        };
        let cpu =
            libc::c_int::try_from(cpu).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: `attr` is a valid perf_event_attr of the size it states, read during the
        // call only; the other arguments are plain integers.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &raw const attr,
                -1 as libc::pid_t,
                cpu,
                -1 as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this new descriptor, owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) };
        let page = rustix::param::page_size();
        let len = page * (1 + data_pages.max(1).next_power_of_two());
        // SAFETY: a fresh shared mapping of the event's fd, of the size perf requires
        // (1 + 2^n pages); nothing else refers to that memory.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                std::os::fd::AsRawFd::as_raw_fd(&fd),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = std::ptr::NonNull::new(base.cast::<u8>())
            .ok_or_else(|| io::Error::other("mmap returned null"))?;
        let mut ring = PerfRing {
            fd,
            base,
            len,
            data_offset: page,
            data_size: len - page,
        };
        // Kernels since 4.1 say where the data is; older ones leave zeros: the defaults.
        let (offset, size) = (
            ring.meta_u64(PERF_DATA_OFFSET),
            ring.meta_u64(PERF_DATA_SIZE),
        );
        let fits = offset
            .checked_add(size)
            .is_some_and(|end| end <= len as u64 && size.is_power_of_two());
        if offset != 0 && fits {
            ring.data_offset = offset as usize;
            ring.data_size = size as usize;
        }
        Ok(ring)
    }

    /// A u64 of the metadata page.
    #[allow(
        clippy::cast_ptr_alignment,
        reason = "the mapping is page-aligned and the field offsets are multiples of 8"
    )]
    fn meta_u64(&self, at: usize) -> u64 {
        // SAFETY: `at` is one of the metadata page's aligned u64 fields, inside the mapping.
        unsafe { self.base.as_ptr().add(at).cast::<u64>().read_volatile() }
    }

    /// The metadata page's `data_head` or `data_tail`, as the atomic the kernel shares.
    #[allow(
        clippy::cast_ptr_alignment,
        reason = "the mapping is page-aligned and the field offsets are multiples of 8"
    )]
    fn position(&self, at: usize) -> &std::sync::atomic::AtomicU64 {
        // SAFETY: an 8-aligned u64 inside the mapping, alive as long as `self`; the kernel
        // writes `data_head` and reads `data_tail` concurrently, hence the atomic.
        unsafe { std::sync::atomic::AtomicU64::from_ptr(self.base.as_ptr().add(at).cast()) }
    }

    /// Starts counting (`PERF_EVENT_IOC_ENABLE`).
    pub fn enable(&self) -> io::Result<()> {
        self.ioctl(0x2400)
    }

    /// Stops counting (`PERF_EVENT_IOC_DISABLE`); what is in the ring stays readable.
    pub fn disable(&self) -> io::Result<()> {
        self.ioctl(0x2401)
    }

    fn ioctl(&self, request: libc::c_ulong) -> io::Result<()> {
        use std::os::fd::AsRawFd as _;
        // SAFETY: an argument-less perf ioctl on the event's own descriptor.
        let result = unsafe { libc::ioctl(self.fd.as_raw_fd(), request as _, 0) };
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Hands every record waiting in the ring to `each` (header included: type u32, misc
    /// u16, size u16, then the body), in the order written, and gives the space back to the
    /// kernel. A record that wraps past the ring's end is joined in `scratch` first. Returns
    /// how many records were read.
    pub fn drain(&mut self, scratch: &mut Vec<u8>, mut each: impl FnMut(&[u8])) -> usize {
        use std::sync::atomic::Ordering;
        // Acquire: the records up to `head` are fully written before they are read.
        let head = self.position(PERF_DATA_HEAD).load(Ordering::Acquire);
        let mut tail = self.position(PERF_DATA_TAIL).load(Ordering::Relaxed);
        let mask = self.data_size as u64 - 1;
        let mut count = 0;
        while head.wrapping_sub(tail) >= 8 {
            let at = (tail & mask) as usize;
            let mut header = [0u8; 8];
            self.copy_out(at, &mut header);
            let size = usize::from(u16::from_ne_bytes([header[6], header[7]]));
            if size < 8 || size as u64 > head.wrapping_sub(tail) {
                // Not a record the kernel wrote: skip what is there rather than loop.
                tail = head;
                break;
            }
            scratch.clear();
            scratch.resize(size, 0);
            self.copy_out(at, scratch);
            each(scratch);
            tail = tail.wrapping_add(size as u64);
            count += 1;
        }
        // Release: the reads above are done before the kernel may overwrite the space.
        self.position(PERF_DATA_TAIL).store(tail, Ordering::Release);
        count
    }

    /// Copies `out.len()` bytes of the data area from position `at`, wrapping at its end.
    fn copy_out(&self, at: usize, out: &mut [u8]) {
        let first = out.len().min(self.data_size - at);
        // SAFETY: `at < data_size` and both spans lie inside the data area of the mapping;
        // `out` is a distinct buffer of this process.
        unsafe {
            let data = self.base.as_ptr().add(self.data_offset);
            std::ptr::copy_nonoverlapping(data.add(at), out.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(data, out.as_mut_ptr().add(first), out.len() - first);
        }
    }
}

#[cfg(target_os = "linux")]
impl AsFd for PerfRing {
    /// The event's descriptor: readable (`poll`) when a record waits.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(target_os = "linux")]
impl Drop for PerfRing {
    fn drop(&mut self) {
        let _ = self.disable();
        // SAFETY: the mapping this value made, unmapped once; nothing borrows it any more.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}
