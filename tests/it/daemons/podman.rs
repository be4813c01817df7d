//! Podman: a container built here from busybox-static (no registry is reachable, nothing
//! is pulled), run rootful without systemd in a network namespace of the test's.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::*;
use crate::common::command;

const PORT: u16 = 8081;

/// Podman's storage and engine configuration for one test, all under a temp dir, given to
/// podman (and to prt, which asks podman for names) by podman's own variables
/// `CONTAINERS_STORAGE_CONF` and `CONTAINERS_CONF`: vfs storage (works on any file system),
/// cgroupfs (no systemd), file events (no journald).
struct Podman {
    program: PathBuf,
    dir: tempfile::TempDir,
    image: String,
    name: String,
}

impl Podman {
    fn new(program: PathBuf) -> Podman {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = temp_dir();
        let d = dir.path().display();
        write(
            &dir.path().join("storage.conf"),
            &format!(
                "[storage]\ndriver = \"vfs\"\ngraphroot = \"{d}/graph\"\nrunroot = \"{d}/run\"\n"
            ),
        );
        write(
            &dir.path().join("containers.conf"),
            &format!(
                "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n\
                 events_logfile_path = \"{d}/events.log\"\n"
            ),
        );
        Podman {
            program,
            image: format!("localhost/prt-test-busybox:{unique}"),
            name: format!("prt-test-{unique}"),
            dir,
        }
    }

    /// Sets podman's configuration variables on `cmd`.
    fn configure<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env(
            "CONTAINERS_STORAGE_CONF",
            self.dir.path().join("storage.conf"),
        )
        .env("CONTAINERS_CONF", self.dir.path().join("containers.conf"))
    }

    /// `podman ARGS`, bounded by two minutes, which must succeed.
    fn run(&self, args: &[&str]) -> String {
        let mut cmd = command(&self.program);
        self.configure(&mut cmd).args(args);
        let output = bounded(&mut cmd, Duration::from_secs(120));
        assert!(
            output.status.success(),
            "podman {args:?}: {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        for args in [
            &["rm", "--force", "--time", "0", &self.name][..],
            &["rmi", "--force", &self.image],
        ] {
            let mut cmd = command(&self.program);
            self.configure(&mut cmd)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let _ = bounded(&mut cmd, Duration::from_secs(60));
        }
    }
}

/// Runs `cmd` to its end, killing it after `timeout`.
fn bounded(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} ran longer than {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// A busybox httpd in a podman container joined to the test's network namespace
/// (`--network ns:/run/netns/NAME`): its listener's record carries the container's name
/// (prt finds the container from the process's cgroup, `libpod_parent/libpod-ID` with
/// cgroupfs, and asks `podman ps` for the name), the process is busybox.
///
/// The image is a rootfs made here: busybox-static and applet links, tarred, `podman
/// import`ed. The container's rlimits are set explicitly: podman's defaults raise
/// RLIMIT_NOFILE/NPROC, which fails where root lacks CAP_SYS_RESOURCE (this machine).
#[test]
fn podman_container_listener_carries_the_container_name() {
    // See: issue 14
    let (podman, _runc, _conmon, busybox, tar) =
        crate::need!("podman", "runc", "conmon", "busybox", "tar");
    let binary = std::fs::read(&busybox).expect("read busybox");
    let dynamic = binary.windows(11).any(|w| w == b"/lib64/ld-l");
    if dynamic {
        crate::missing!("busybox-static (this busybox is dynamically linked)")
    }
    let podman = Podman::new(podman);
    let rootfs = podman.dir.path().join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).expect("mkdir rootfs");
    std::fs::write(rootfs.join("bin/busybox"), &binary).expect("copy busybox");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            rootfs.join("bin/busybox"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod busybox");
    }
    for applet in ["sh", "httpd", "sleep", "nc"] {
        std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).expect("link");
    }
    let tarball = podman.dir.path().join("rootfs.tar");
    sh_ok(
        command(&tar)
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tarball)
            .arg("."),
    );
    podman.run(&[
        "import",
        "--quiet",
        &tarball.display().to_string(),
        &podman.image,
    ]);

    let ns = Ns::create();
    let id = podman.run(&[
        "--cgroup-manager=cgroupfs",
        "--events-backend=file",
        "run",
        "--detach",
        "--name",
        &podman.name,
        "--network",
        &format!("ns:/run/netns/{}", ns.name),
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        &podman.image,
        "/bin/busybox",
        "httpd",
        "-f",
        "-p",
        &format!("127.0.0.1:{PORT}"),
    ]);
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 64, "a container id: {id}");
    wait_for("the container's httpd", Duration::from_secs(30), || {
        ns.tcp_listening(PORT)
    });

    let mut cmd = ns.prt();
    podman
        .configure(&mut cmd)
        .args(["scan", "--format", "ndjson", "--tcp", "--listen"]);
    let records = crate::common::ndjson(&crate::common::run_ok(&mut cmd));
    let record = listener(&records, "tcp", PORT);
    assert_eq!(record["container"], podman.name.as_str(), "{record}");
    assert_eq!(record["process"], "busybox", "{record}");
    assert_eq!(record["uid"], 0, "{record}");
    let pid = record["pid"].as_u64().expect("a pid") as u32;
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("cgroup");
    assert!(cgroup.contains(&id), "the container's process: {cgroup}");

    // Also from outside, across namespaces.
    let mut cmd = crate::common::prt();
    podman.configure(&mut cmd).args([
        "scan",
        "--format",
        "ndjson",
        "--all-netns",
        "--tcp",
        "--listen",
    ]);
    let records = crate::common::ndjson(&crate::common::run_ok(&mut cmd));
    let found = on(&records, ns.inode(), "tcp", PORT);
    assert_eq!(found.len(), 1, "{records:#?}");
    assert_eq!(found[0]["container"], podman.name.as_str(), "{}", found[0]);
}
