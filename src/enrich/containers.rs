//! Which container a process runs in, from its cgroup, and the container's name.
//!
//! Every container runtime puts a container's processes in a cgroup whose path holds the
//! container's 64-hex-digit id, in a shape of its own (`/docker/<id>`,
//! `docker-<id>.scope`, `libpod-<id>.scope`, `cri-containerd-<id>.scope`,
//! `crio-<id>.scope`, under `kubepods` for Kubernetes). That is read for every owning
//! process, so a container's every process is recognised, not only its main one. Names
//! come from the runtimes' CLIs, asked once for all containers they know and cached; a
//! container no CLI names (none installed, daemon down) is shown by its short id.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Container runtimes recognised from cgroup paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// Docker (`/docker/<id>`, `docker-<id>.scope`).
    Docker,
    /// Podman (`libpod-<id>.scope`, `/libpod_parent/libpod-<id>`).
    Podman,
    /// containerd without Kubernetes (`cri-containerd-<id>.scope`, nerdctl, `/<ns>/<id>`).
    Containerd,
    /// CRI-O without Kubernetes (`crio-<id>.scope`).
    Crio,
    /// Any runtime's container inside a Kubernetes pod (under `kubepods`).
    Kubernetes,
}

/// A container a process runs in, as its cgroup names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerId {
    /// The runtime the path belongs to.
    pub runtime: Runtime,
    /// The full id: 64 lowercase hex digits.
    pub id: String,
}

impl ContainerId {
    /// The first 12 hex digits, as `docker ps` shows them.
    #[must_use]
    pub fn short(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}

/// The container named in a `/proc/<pid>/cgroup` file, if any.
///
/// Lines are `hierarchy:controllers:path`; cgroup v2 has the one line `0::path`. The v2
/// line is preferred (on hybrid systems it is the one systemd and runtimes manage), then
/// the v1 lines in order. Within a path the deepest container segment wins, so a container
/// nested in another (Docker in Docker) is the inner one.
#[must_use]
pub fn parse_cgroup(text: &str) -> Option<ContainerId> {
    let paths: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let hierarchy = parts.next()?;
            parts.next()?;
            Some((hierarchy, parts.next()?))
        })
        .collect();
    let v2 = paths.iter().filter(|(hierarchy, _)| *hierarchy == "0");
    let v1 = paths.iter().filter(|(hierarchy, _)| *hierarchy != "0");
    v2.chain(v1).find_map(|(_, path)| container_in_path(path))
}

/// The deepest container a cgroup path names.
fn container_in_path(path: &str) -> Option<ContainerId> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let in_kubernetes = segments.iter().any(|s| s.starts_with("kubepods"));
    let (runtime, id) = segments
        .iter()
        .enumerate()
        .rev()
        .find_map(|(index, segment)| {
            let parent = index.checked_sub(1).and_then(|i| segments.get(i)).copied();
            segment_container(segment, parent)
        })?;
    Some(ContainerId {
        runtime: if in_kubernetes {
            Runtime::Kubernetes
        } else {
            runtime
        },
        id: id.to_ascii_lowercase(),
    })
}

/// The runtime and id one path segment names, given its parent segment.
fn segment_container<'a>(segment: &'a str, parent: Option<&str>) -> Option<(Runtime, &'a str)> {
    let unit = segment.strip_suffix(".scope").unwrap_or(segment);
    // Monitors that sit beside a container (conmon) are not in it.
    if unit.starts_with("libpod-conmon-") || unit.starts_with("crio-conmon-") {
        return None;
    }
    let prefixed = [
        ("docker-", Runtime::Docker),
        ("libpod-", Runtime::Podman),
        ("cri-containerd-", Runtime::Containerd),
        ("nerdctl-", Runtime::Containerd),
        ("crio-", Runtime::Crio),
    ];
    for (prefix, runtime) in prefixed {
        if let Some(id) = unit.strip_prefix(prefix).filter(|id| is_container_id(id)) {
            return Some((runtime, id));
        }
    }
    if is_container_id(segment) {
        // A bare id: cgroupfs-driver layouts, named by the directory above.
        let runtime = match parent {
            Some("docker") => Runtime::Docker,
            Some("libpod_parent") => Runtime::Podman,
            Some(parent) if parent.starts_with("crio") => Runtime::Crio,
            _ => Runtime::Containerd,
        };
        return Some((runtime, segment));
    }
    None
}

/// Exactly 64 hex digits.
fn is_container_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How long a runtime CLI may take to list its containers before it is given up on.
const CLI_TIMEOUT: Duration = Duration::from_secs(2);

/// A runtime CLI and the runtimes whose containers it can name.
#[derive(Debug, Clone)]
pub struct NameSource {
    /// The program (a name looked up in PATH, or a path).
    pub program: PathBuf,
    /// The containers it knows.
    pub runtimes: Vec<Runtime>,
}

/// Container names by id: asks the runtimes' CLIs once for every container they know,
/// caches the answers, falls back to the short id.
#[derive(Debug)]
pub struct Containers {
    sources: Vec<NameSource>,
    names: HashMap<String, String>,
    asked: HashSet<String>,
    timeout: Duration,
}

impl Default for Containers {
    fn default() -> Self {
        Containers::new()
    }
}

impl Containers {
    /// Asks `docker` and `podman` from PATH. Kubernetes containers are asked of both too
    /// (dockershim-era nodes run them in Docker); containerd and CRI-O have no CLI that is
    /// installed as a rule, so their containers show the short id.
    #[must_use]
    pub fn new() -> Containers {
        Containers::with_sources(vec![
            NameSource {
                program: PathBuf::from("docker"),
                runtimes: vec![Runtime::Docker, Runtime::Kubernetes],
            },
            NameSource {
                program: PathBuf::from("podman"),
                runtimes: vec![Runtime::Podman, Runtime::Kubernetes],
            },
        ])
    }

    /// Asks these programs instead (for tests, or other CLIs that print `ID NAME` lines
    /// for `ps -a --no-trunc --format '{{.ID}} {{.Names}}'`).
    #[must_use]
    pub fn with_sources(sources: Vec<NameSource>) -> Containers {
        Containers {
            sources,
            names: HashMap::new(),
            asked: HashSet::new(),
            timeout: CLI_TIMEOUT,
        }
    }

    /// Learns the names of `ids` not asked about before: at most one CLI call per program,
    /// and none when every id has been asked about. A CLI that is missing, fails, prints
    /// nonsense or overruns the timeout names nothing; that is not an error.
    pub fn resolve(&mut self, ids: &[&ContainerId]) {
        let pending: Vec<&&ContainerId> = ids
            .iter()
            .filter(|id| !self.names.contains_key(&id.id) && !self.asked.contains(&id.id))
            .collect();
        if pending.is_empty() {
            return;
        }
        let sources: Vec<PathBuf> = self
            .sources
            .iter()
            .filter(|source| {
                pending
                    .iter()
                    .any(|id| source.runtimes.contains(&id.runtime))
            })
            .map(|source| source.program.clone())
            .collect();
        for program in sources {
            if let Some(listing) = list_containers(&program, self.timeout) {
                for (id, name) in parse_listing(&listing) {
                    self.names.entry(id).or_insert(name);
                }
            }
        }
        self.asked.extend(pending.iter().map(|id| id.id.clone()));
    }

    /// The container's name, or its short id when no CLI named it.
    #[must_use]
    pub fn name<'a>(&'a self, id: &'a ContainerId) -> &'a str {
        self.names
            .get(&id.id)
            .map_or_else(|| id.short(), String::as_str)
    }
}

/// Runs `program ps -a --no-trunc --format '{{.ID}} {{.Names}}'`; its output, or `None`
/// when it cannot run, fails, or takes longer than `timeout` (then it is killed).
fn list_containers(program: &PathBuf, timeout: Duration) -> Option<String> {
    let mut child = Command::new(program)
        .args(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // Read on another thread, so a long listing cannot fill the pipe and stall the child
    // while this one waits for it.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).ok().map(|_| text)
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let text = reader.join().ok().flatten();
    status.filter(std::process::ExitStatus::success).and(text)
}

/// `ID NAME[,NAME...]` lines: `(full id, first name)` for each well-formed one.
fn parse_listing(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .filter_map(|line| {
            let (id, names) = line.trim().split_once(' ')?;
            let name = names.trim().split(',').next()?.trim();
            (is_container_id(id) && !name.is_empty())
                .then(|| (id.to_ascii_lowercase(), name.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    const ID: &str = "3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
    const OTHER: &str = "aa0c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";

    fn parsed(text: &str) -> Option<(Runtime, String)> {
        parse_cgroup(text).map(|c| (c.runtime, c.id))
    }

    #[test]
    fn docker_v1_and_v2() {
        let v1 = format!(
            "12:pids:/docker/{ID}\n11:memory:/docker/{ID}\n1:name=systemd:/docker/{ID}\n0::/\n"
        );
        assert_eq!(parsed(&v1), Some((Runtime::Docker, ID.into())));
        let v2 = format!("0::/system.slice/docker-{ID}.scope\n");
        assert_eq!(parsed(&v2), Some((Runtime::Docker, ID.into())));
        let rootless = format!(
            "0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker-{ID}.scope\n"
        );
        assert_eq!(parsed(&rootless), Some((Runtime::Docker, ID.into())));
    }

    #[test]
    fn podman_forms() {
        let v2 = format!("0::/machine.slice/libpod-{ID}.scope\n");
        assert_eq!(parsed(&v2), Some((Runtime::Podman, ID.into())));
        let nested = format!("0::/machine.slice/libpod-{ID}.scope/container\n");
        assert_eq!(parsed(&nested), Some((Runtime::Podman, ID.into())));
        let rootless = format!(
            "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope\n"
        );
        assert_eq!(parsed(&rootless), Some((Runtime::Podman, ID.into())));
        let cgroupfs = format!("5:pids:/libpod_parent/libpod-{ID}\n");
        assert_eq!(parsed(&cgroupfs), Some((Runtime::Podman, ID.into())));
        let conmon = format!("0::/machine.slice/libpod-conmon-{ID}.scope\n");
        assert_eq!(parsed(&conmon), None, "the monitor is not in the container");
    }

    #[test]
    fn containerd_and_crio() {
        let v2 = format!("0::/system.slice/cri-containerd-{ID}.scope\n");
        assert_eq!(parsed(&v2), Some((Runtime::Containerd, ID.into())));
        let nerdctl_v1 = format!("4:memory:/default/{ID}\n");
        assert_eq!(parsed(&nerdctl_v1), Some((Runtime::Containerd, ID.into())));
        let nerdctl_v2 = format!("0::/system.slice/nerdctl-{ID}.scope\n");
        assert_eq!(parsed(&nerdctl_v2), Some((Runtime::Containerd, ID.into())));
        let crio = format!("0::/machine.slice/crio-{ID}.scope\n");
        assert_eq!(parsed(&crio), Some((Runtime::Crio, ID.into())));
        let crio_conmon = format!("0::/machine.slice/crio-conmon-{ID}.scope\n");
        assert_eq!(parsed(&crio_conmon), None);
    }

    #[test]
    fn kubernetes_v1_and_v2() {
        let v1 =
            format!("11:memory:/kubepods/burstable/pod0f6c8d2e-4b1a-4c3d-9e8f-7a6b5c4d3e2f/{ID}\n");
        assert_eq!(parsed(&v1), Some((Runtime::Kubernetes, ID.into())));
        let v2 = format!(
            "0::/kubepods.slice/kubepods-besteffort.slice/\
             kubepods-besteffort-pod0f6c8d2e_4b1a_4c3d_9e8f_7a6b5c4d3e2f.slice/\
             cri-containerd-{ID}.scope\n"
        );
        assert_eq!(parsed(&v2), Some((Runtime::Kubernetes, ID.into())));
        let crio = format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podabc.slice/crio-{ID}.scope\n"
        );
        assert_eq!(parsed(&crio), Some((Runtime::Kubernetes, ID.into())));
    }

    #[test]
    fn hosts_and_services_are_not_containers() {
        for text in [
            "0::/init.scope\n",
            "0::/system.slice/sshd.service\n",
            "0::/user.slice/user-1000.slice/session-3.scope\n",
            "12:pids:/\n11:memory:/user.slice\n0::/\n",
            "4:memory:/process_api/f04ef85979434931ec211f3fed2ba8d0\n",
            "",
            "garbage without colons\n",
            "0::/docker/not-a-hex-id-at-all\n",
        ] {
            assert_eq!(parsed(text), None, "{text:?}");
        }
    }

    #[test]
    fn v2_line_is_preferred_and_the_deepest_container_wins() {
        let hybrid = format!("4:memory:/docker/{OTHER}\n0::/system.slice/docker-{ID}.scope\n");
        assert_eq!(parsed(&hybrid), Some((Runtime::Docker, ID.into())));
        let nested = format!("0::/docker/{OTHER}/docker/{ID}\n");
        assert_eq!(parsed(&nested), Some((Runtime::Docker, ID.into())));
    }

    /// A fake CLI: prints `listing`, counts its runs in `calls`.
    fn fake_cli(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        let calls = dir.join(format!("{name}.calls"));
        let script = format!("#!/bin/sh\necho run >> '{}'\n{body}\n", calls.display());
        std::fs::write(&path, script).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    fn calls(dir: &Path, name: &str) -> usize {
        std::fs::read_to_string(dir.join(format!("{name}.calls")))
            .map_or(0, |text| text.lines().count())
    }

    fn source(program: PathBuf, runtime: Runtime) -> NameSource {
        NameSource {
            program,
            runtimes: vec![runtime],
        }
    }

    fn docker_id(id: &str) -> ContainerId {
        ContainerId {
            runtime: Runtime::Docker,
            id: id.to_owned(),
        }
    }

    #[test]
    fn names_are_asked_once_and_cached() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cli = fake_cli(
            dir.path(),
            "docker",
            &format!("echo '{ID} web-1,alias'\necho 'short garbage'\necho '{OTHER} db'"),
        );
        let mut containers = Containers::with_sources(vec![source(cli, Runtime::Docker)]);
        let web = docker_id(ID);
        let unknown = docker_id(&"b".repeat(64));
        containers.resolve(&[&web, &unknown]);
        assert_eq!(containers.name(&web), "web-1", "the first of several names");
        assert_eq!(containers.name(&unknown), "bbbbbbbbbbbb", "short id");
        assert_eq!(calls(dir.path(), "docker"), 1);

        containers.resolve(&[&web, &unknown]);
        assert_eq!(calls(dir.path(), "docker"), 1, "asked before: no new call");
        let db = docker_id(OTHER);
        containers.resolve(&[&db]);
        assert_eq!(containers.name(&db), "db");
        assert_eq!(
            calls(dir.path(), "docker"),
            1,
            "learnt from the first listing"
        );
        let new = docker_id(&"c".repeat(64));
        containers.resolve(&[&new]);
        assert_eq!(calls(dir.path(), "docker"), 2, "a new id asks again");
    }

    #[test]
    fn only_the_runtimes_cli_is_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let docker = fake_cli(dir.path(), "docker", "true");
        let podman = fake_cli(dir.path(), "podman", &format!("echo '{ID} pod-web'"));
        let mut containers = Containers::with_sources(vec![
            source(docker, Runtime::Docker),
            source(podman, Runtime::Podman),
        ]);
        let id = ContainerId {
            runtime: Runtime::Podman,
            id: ID.to_owned(),
        };
        containers.resolve(&[&id]);
        assert_eq!(containers.name(&id), "pod-web");
        assert_eq!(calls(dir.path(), "docker"), 0);
        assert_eq!(calls(dir.path(), "podman"), 1);
    }

    #[test]
    fn failing_missing_and_hanging_clis_give_short_ids() {
        let dir = tempfile::tempdir().expect("tempdir");
        let failing = fake_cli(dir.path(), "failing", &format!("echo '{ID} x'; exit 1"));
        let hanging = fake_cli(
            dir.path(),
            "hanging",
            &format!("echo '{ID} x'; exec sleep 10"),
        );
        let id = docker_id(ID);
        for program in [failing, hanging, dir.path().join("not-installed")] {
            let mut containers = Containers::with_sources(vec![source(program, Runtime::Docker)]);
            containers.timeout = Duration::from_millis(300);
            let start = Instant::now();
            containers.resolve(&[&id]);
            assert!(start.elapsed() < Duration::from_secs(5), "not waited out");
            assert_eq!(containers.name(&id), &ID[..12]);
        }
    }
}
