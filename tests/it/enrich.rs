//! Enrichment on real sockets: service names, suspicious reasons, namespaces, config.

use std::net::TcpListener;
use std::process::Command;

use serde_json::Value;

use crate::common::{
    TestNetns, command, inode_of, ndjson, on_port, own_reasons, prt, run_ok, scan, spawn_holding,
};
use crate::require_root;

fn in_netns(records: &[Value], netns: u64, port: u16) -> Vec<&Value> {
    on_port(records, "tcp", port)
        .into_iter()
        .filter(|r| r["netns"] == netns)
        .collect()
}

#[test]
fn all_netns_finds_a_listener_in_a_fresh_namespace() {
    require_root!();
    let netns = TestNetns::create();
    let listener = netns.listen("127.0.0.1:0");
    let port = listener.local_addr().expect("addr").port();

    let records = scan(&["--all-netns", "--tcp", "--listen"]);
    let found = in_netns(&records, netns.inode(), port);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["inode"], inode_of(&listener));
    assert_eq!(found[0]["pid"], std::process::id());

    let here = scan(&["--tcp", "--listen"]);
    assert!(
        in_netns(&here, netns.inode(), port).is_empty(),
        "without --all-netns only this namespace"
    );

    let table = run_ok(prt().args([
        "scan",
        "--all-netns",
        "--tcp",
        "--listen",
        "--format",
        "table",
        "--where",
        &format!("port={port}"),
    ]));
    assert!(table.contains("NETNS"), "{table}");
    assert!(table.contains(&netns.name), "the ip netns name: {table}");
}

#[test]
fn all_netns_without_root_says_so_once() {
    require_root!();
    let netns = TestNetns::create();
    let _listener = netns.listen("127.0.0.1:0");
    let (_dir, binary) = crate::common::world_runnable_copy(env!("CARGO_BIN_EXE_prt").as_ref());
    let output = {
        use std::os::unix::process::CommandExt;
        command(&binary)
            .args(["scan", "--all-netns", "--tcp"])
            .uid(65534)
            .gid(65534)
            .output()
            .expect("run as nobody")
    };
    // What is visible is written, and the status says it is not the whole answer (issue
    // 20: as ripgrep's does when a file could not be read).
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("root"), "{stderr}");
    let records = ndjson(&String::from_utf8_lossy(&output.stdout));
    assert!(!records.is_empty(), "what is visible is listed");
    assert!(records.iter().all(|r| r["netns"] != netns.inode()));
}

#[test]
fn a_python_listener_on_port_80_is_script_on_sensitive() {
    require_root!();
    assert!(
        Command::new("python3").arg("-V").output().is_ok(),
        "python3 is needed (.ci/run installs it)"
    );
    // Port 80 in a namespace of its own: nothing else can hold it there.
    let netns = TestNetns::create();
    let mut python = netns.spawn(
        "python3",
        &[
            "-c",
            "import socket,sys,time\n\
             s=socket.socket(); s.bind(('127.0.0.1', 80)); s.listen()\n\
             print('ready', flush=True); time.sleep(30)",
        ],
    );
    wait_for_line(&mut python);
    let records = scan(&["--all-netns", "--tcp", "--listen"]);
    let _ = python.kill();
    let _ = python.wait();
    let found = in_netns(&records, netns.inode(), 80);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["service"], "http");
    let reasons = found[0]["suspicious"].as_array().expect("array");
    assert!(
        reasons.iter().any(|r| r == "script_on_sensitive"),
        "{:?}",
        found[0]
    );
}

fn wait_for_line(child: &mut std::process::Child) {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("child output");
    assert_eq!(line.trim(), "ready");
}

#[test]
fn a_listener_on_5432_is_postgresql() {
    let listener = match TcpListener::bind("127.0.0.1:5432") {
        Ok(listener) => listener,
        Err(_) if crate::common::is_root() => {
            // Something on this machine holds 5432: use a namespace of our own.
            let netns = TestNetns::create();
            let listener = netns.listen("127.0.0.1:5432");
            let records = scan(&["--all-netns", "--tcp", "--listen"]);
            let found = in_netns(&records, netns.inode(), 5432);
            assert_eq!(found[0]["service"], "postgresql");
            drop(listener);
            return;
        }
        Err(_) => {
            // Taken, and no namespace of our own without root.
            crate::require_root!();
            return;
        }
    };
    let records = scan(&["--tcp", "--listen"]);
    let found: Vec<&Value> = on_port(&records, "tcp", 5432)
        .into_iter()
        .filter(|r| r["inode"] == inode_of(&listener))
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["service"], "postgresql");
    assert_eq!(found[0]["suspicious"], own_reasons());
}

#[test]
fn known_ports_from_the_config_name_a_port() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("prt.toml");
    std::fs::write(
        &config,
        format!("[known_ports]\n{port} = \"our-api\"\n\"{port}/udp\" = \"not-tcp\"\n"),
    )
    .expect("write config");
    let by_flag = ndjson(&run_ok(prt().args([
        "scan",
        "--tcp",
        "--listen",
        "--config",
        config.to_str().expect("utf-8 path"),
    ])));
    assert_eq!(on_port(&by_flag, "tcp", port)[0]["service"], "our-api");
    let by_env = ndjson(&run_ok(
        prt()
            .args(["scan", "--tcp", "--listen"])
            .env("PRT_CONFIG", &config),
    ));
    assert_eq!(on_port(&by_env, "tcp", port)[0]["service"], "our-api");
    let filtered = run_ok(
        prt()
            .args(["scan", "--where", "service=our-api"])
            .env("PRT_CONFIG", &config),
    );
    assert_eq!(ndjson(&filtered).len(), 1, "{filtered}");
}

#[test]
fn a_deleted_executable_in_tmp_is_flagged() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mine = TcpListener::bind("127.0.0.1:0").expect("bind");
    // Explicitly under /tmp: the rule is about that directory, whatever TMPDIR says.
    let dir = tempfile::Builder::new()
        .prefix("prt-it-exe")
        .tempdir_in("/tmp")
        .expect("tempdir in /tmp");
    let copy = dir.path().join("dropper");
    let sleep = which("sleep");
    std::fs::copy(&sleep, &copy).expect("copy sleep");
    let mut child = spawn_holding(Command::new(&copy).arg("30"), &listener);
    drop(listener);
    std::fs::remove_file(&copy).expect("delete the executable");

    let records = scan(&["--tcp", "--listen"]);
    let _ = child.kill();
    let _ = child.wait();
    let found = on_port(&records, "tcp", port);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["pid"], child.id());
    let reasons: Vec<&str> = found[0]["suspicious"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(reasons.contains(&"deleted_executable"), "{reasons:?}");
    assert!(reasons.contains(&"exe_in_temp"), "{reasons:?}");
    // This test process, whose executable was not deleted, is not flagged for that.
    let me = on_port(&records, "tcp", mine.local_addr().expect("addr").port());
    assert_eq!(me[0]["suspicious"], own_reasons(), "{me:?}");
}

#[test]
fn disabled_rules_and_bad_configs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[suspicious]\ndisable = [\"no_such_rule\"]\n").expect("write");
    let output = prt()
        .args(["scan", "--config", bad.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:2:12:", bad.display())),
        "file:line:column: {stderr}"
    );
    let check = prt()
        .args(["config", "--check", bad.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(2));

    let missing = prt()
        .args(["scan", "--config", "/nonexistent/prt.toml"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(2), "a named file must exist");
    // The default place may be empty.
    run_ok(prt().args(["scan", "--listen"]));
    let path = run_ok(
        prt()
            .args(["config", "--path"])
            .env("XDG_CONFIG_HOME", "/cfg"),
    );
    assert_eq!(path.trim(), "/cfg/prt/config.toml");
}

fn which(program: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{program} not on PATH"))
}

/// A cgroup made for one test, shaped as a container runtime shapes its own; removed when
/// dropped (after its processes have gone).
struct TestCgroup {
    dirs: Vec<std::path::PathBuf>,
}

impl TestCgroup {
    /// Tries a cgroup v2 hierarchy (`.../prt-it.slice/docker-<id>.scope`), then a v1 one
    /// (`.../docker/<id>`), and moves `pid` into it. `None` when neither can be made.
    fn docker(id: &str, pid: u32) -> Option<TestCgroup> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let mut mounts: Vec<(bool, std::path::PathBuf)> = mountinfo
            .lines()
            .filter_map(|line| {
                let (left, right) = line.split_once(" - ")?;
                let point = left.split(' ').nth(4)?;
                let mut fields = right.split(' ');
                let fstype = fields.next()?;
                let options = fields.nth(1).unwrap_or("");
                match fstype {
                    "cgroup2" => Some((true, point.into())),
                    "cgroup" if options.split(',').any(|o| o == "pids") => {
                        Some((false, point.into()))
                    }
                    _ => None,
                }
            })
            .collect();
        mounts.sort_by_key(|(v2, _)| !*v2);
        for (v2, point) in mounts {
            let (parent, leaf) = if v2 {
                (
                    point.join(format!("prt-it-{pid}.slice")),
                    format!("docker-{id}.scope"),
                )
            } else {
                (point.join("docker"), id.to_owned())
            };
            let leaf = parent.join(leaf);
            let parent_existed = parent.exists();
            if std::fs::create_dir_all(&leaf).is_err() {
                continue;
            }
            let mut dirs = vec![leaf.clone()];
            if !parent_existed {
                dirs.push(parent);
            }
            let cgroup = TestCgroup { dirs };
            if std::fs::write(leaf.join("cgroup.procs"), pid.to_string()).is_ok() {
                return Some(cgroup);
            }
        }
        None
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        for dir in &self.dirs {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[test]
fn a_process_in_a_docker_cgroup_gets_the_container_name() {
    const ID: &str = "5e1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
    require_root!();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut child = spawn_holding(Command::new("sleep").arg("30"), &listener);
    drop(listener);
    let Some(cgroup) = TestCgroup::docker(ID, child.id()) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no writable cgroup hierarchy to test containers with");
    };
    let cli_dir = tempfile::tempdir().expect("tempdir");
    let docker = cli_dir.path().join("docker");
    std::fs::write(
        &docker,
        format!(
            "#!/bin/sh\necho run >> '{0}/calls'\necho '{ID} web-test'\n",
            cli_dir.path().display()
        ),
    )
    .expect("fake docker");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let path = format!(
        "{}:{}",
        cli_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let named = ndjson(&run_ok(
        prt().args(["scan", "--tcp", "--listen"]).env("PATH", &path),
    ));
    let unnamed = scan(&["--tcp", "--listen"]);
    let _ = child.kill();
    let _ = child.wait();
    drop(cgroup);

    let found = on_port(&named, "tcp", port);
    assert_eq!(found[0]["pid"], child.id());
    assert_eq!(found[0]["container"], "web-test");
    let calls = std::fs::read_to_string(cli_dir.path().join("calls")).expect("docker ran");
    assert_eq!(
        calls.lines().count(),
        1,
        "one call per scan, whatever the socket count"
    );
    assert_eq!(
        on_port(&unnamed, "tcp", port)[0]["container"],
        &ID[..12],
        "no docker CLI: the short id"
    );
}

#[test]
fn watch_records_are_enriched_with_the_config() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("prt.toml");
    std::fs::write(
        &config,
        format!("interval = \"100ms\"\n[known_ports]\n{port} = \"watched-api\"\n"),
    )
    .expect("write config");
    let started = std::time::Instant::now();
    let records = ndjson(&run_ok(prt().args([
        "watch",
        "--ndjson",
        "--listen",
        "--count",
        "3",
        "--full",
        "--config",
        config.to_str().expect("utf-8"),
    ])));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the configured 100ms interval, not the 2s default"
    );
    let ours: Vec<&Value> = on_port(&records, "tcp", port);
    assert_eq!(ours.len(), 3, "one per scan with --full");
    assert!(
        ours.iter().all(|r| r["service"] == "watched-api"),
        "{ours:?}"
    );
}

#[test]
fn watch_all_netns_reports_a_namespace_listener() {
    require_root!();
    let netns = TestNetns::create();
    let listener = netns.listen("127.0.0.1:0");
    let port = listener.local_addr().expect("addr").port();
    let records = ndjson(&run_ok(prt().args([
        "watch",
        "--ndjson",
        "--all-netns",
        "--tcp",
        "--listen",
        "--count",
        "1",
    ])));
    let found = in_netns(&records, netns.inode(), port);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["status"], "new");
    assert_eq!(found[0]["pid"], std::process::id());
}
