//! nginx, a pre-forked server: a root master that opens the listener and workers (as
//! nobody) that hold it too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::common::{command, ndjson};

/// The port nginx listens on inside the test's namespace (the namespace's own port).
const PORT: u16 = 8080;

/// Writes an nginx configuration into `dir`: no daemonising (the test is its parent),
/// `workers` workers, every file nginx writes in `dir`, listening on 127.0.0.1:PORT.
fn config(dir: &Path, workers: u32) -> PathBuf {
    let d = dir.display();
    let path = dir.join("nginx.conf");
    write(
        &path,
        &format!(
            "daemon off;\n\
             master_process on;\n\
             worker_processes {workers};\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {d}/body;\n\
               proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n\
               uwsgi_temp_path {d}/uwsgi;\n\
               scgi_temp_path {d}/scgi;\n\
               server {{ listen 127.0.0.1:{PORT}; return 200 \"ok\\n\"; }}\n\
             }}\n"
        ),
    );
    path
}

/// `nginx -p DIR -c CONF -e DIR/error.log` (the error log of the command line, so nothing
/// is written outside `dir`, not even before the configuration is read).
fn nginx_args(dir: &Path, conf: &Path) -> Vec<String> {
    vec![
        "-p".to_owned(),
        dir.display().to_string(),
        "-c".to_owned(),
        conf.display().to_string(),
        "-e".to_owned(),
        dir.join("error.log").display().to_string(),
    ]
}

/// The pid in nginx's pid file, once it is written.
fn pid_file(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join("nginx.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The innermost pid of `pid` (its pid in its own pid namespace), from NSpid.
fn ns_pid(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("NSpid:"))
        .and_then(|pids| pids.split_whitespace().last())
        .and_then(|pid| pid.parse().ok())
        .expect("NSpid in /proc/PID/status")
}

/// Starts nginx in a new pid namespace (see below) inside `ns`; returns the guard of
/// `unshare` and the pid of the namespace's init, to `nsenter`.
fn start_in_pid_namespace(ns: &Ns, nginx: &Path, unshare: &Path, dir: &Path) -> (Daemon, u32) {
    let conf = config(dir, 2);
    let script = format!(
        "echo $(( $(cat /proc/sys/kernel/pid_max) - 2 )) > /proc/sys/kernel/ns_last_pid || exit 1\n\
         {} {} &\n\
         while :; do wait; sleep 0.2; done\n",
        nginx.display(),
        nginx_args(dir, &conf).join(" ")
    );
    let script_path = dir.join("init.sh");
    write(&script_path, &script);
    let mut init = Daemon::spawn(
        "unshare (pid namespace)",
        ns.command(unshare)
            .args(["--pid", "--fork", "--mount-proc", "sh"])
            .arg(&script_path),
    );
    wait_for("nginx to listen", Duration::from_secs(10), || {
        init.assert_running();
        ns.tcp_listening(PORT) && pid_file(dir).is_some() && ns.pids_of("nginx").len() == 3
    });
    let shell = children(init.pid());
    assert_eq!(shell.len(), 1, "unshare's one child, the namespace's init");
    let shell = shell[0];
    (init, shell)
}

/// nginx's master holds the listener together with its workers; here the workers have
/// *lower* pids than the master (as after pid wrap-around, common in containers), and the
/// record must still name the master: `pid` from nginx's pid file, `pids` every holder.
/// `prt detail :PORT` describes the master, and `prt kill :PORT --escalate` frees the
/// port in one run.
///
/// How the inversion is forced, reliably: nginx runs in a new pid namespace (`unshare
/// --pid --fork --mount-proc`) whose init writes `pid_max - 2` to its own
/// `/proc/sys/kernel/ns_last_pid` before starting nginx. Nothing else forks in that pid
/// namespace, so the master gets `pid_max - 1` and its workers wrap around to low pids.
/// Nothing outside the namespace is touched. prt runs inside the same pid and mount
/// namespaces (`nsenter`), so it sees the pids nginx's pid file holds.
#[test]
fn nginx_master_is_named_even_when_its_workers_have_lower_pids() {
    // See: issue 14
    let (nginx, unshare, nsenter) = crate::need!("nginx", "unshare", "nsenter");
    let ns = Ns::create();
    let dir = temp_dir();
    let (_init, shell) = start_in_pid_namespace(&ns, &nginx, &unshare, dir.path());

    let master = pid_file(dir.path()).expect("nginx's pid file");
    let holders = ns.pids_of("nginx");
    let mut inner: Vec<u32> = holders.iter().map(|&pid| ns_pid(pid)).collect();
    inner.sort_unstable();
    assert!(
        inner.contains(&master),
        "{inner:?} holds the master {master}"
    );
    assert!(
        inner.iter().all(|&pid| pid <= master),
        "the set-up failed: the workers' pids {inner:?} should be below the master's {master}"
    );

    let inside = |args: &[&str]| -> Command {
        let mut cmd = command(&nsenter);
        cmd.args(["-t", &shell.to_string(), "-p", "-m", "-n", "--"])
            .arg(env!("CARGO_BIN_EXE_prt"))
            .args(args);
        cmd
    };

    let records = ndjson(&crate::common::run_ok(&mut inside(&[
        "scan", "--format", "ndjson", "--tcp", "--listen",
    ])));
    let record = listener(&records, "tcp", PORT);
    assert_eq!(record["pid"], master, "the master, not a worker: {record}");
    assert_eq!(record["pids"], serde_json::json!(inner), "{record}");
    assert_eq!(record["process"], "nginx");
    assert_eq!(record["uid"], 0);
    assert_eq!(record["user"], "root");
    assert_eq!(record["suspicious"], serde_json::json!([]), "{record}");
    assert!(
        record["cmdline"]
            .as_str()
            .is_some_and(|c| c.contains("master process")),
        "{record}"
    );

    let details = ndjson(&crate::common::run_ok(&mut inside(&[
        "detail",
        "--format",
        "ndjson",
        "--sample",
        "0",
        &format!(":{PORT}"),
    ])));
    assert!(!details.is_empty(), "prt detail :{PORT} says something");
    assert_eq!(
        details[0]["pid"], master,
        "detail describes the master: {details:?}"
    );
    assert_eq!(details[0]["process"], "nginx");

    check_kill(
        inside(&[
            "kill",
            "--yes",
            "--escalate",
            "3s",
            "--format",
            "ndjson",
            &format!(":{PORT}"),
        ]),
        master,
        &inner,
    );
    assert!(
        !ns.tcp_listening(PORT),
        "nothing listens on {PORT} once prt kill returns: {}",
        ns.ss(&["-ltnp"])
    );
    for pid in holders {
        assert!(!alive(pid), "nginx process {pid} is gone");
    }
}

/// Runs `prt kill` (`kill`): it exits 0 and signals the master first, and only nginx's
/// processes (`inner`).
fn check_kill(mut kill: Command, master: u32, inner: &[u32]) {
    let output = kill.output().expect("prt kill");
    let results = ndjson(&String::from_utf8_lossy(&output.stdout));
    assert!(
        output.status.success(),
        "prt kill exits 0: {} {results:?} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!results.is_empty(), "a result per holder signalled");
    assert_eq!(results[0]["pid"], master, "master first: {results:?}");
    for result in &results {
        assert!(
            matches!(
                result["outcome"].as_str(),
                Some("signalled" | "exited" | "killed" | "gone")
            ),
            "{result}"
        );
        assert!(
            result["pid"]
                .as_u64()
                .is_some_and(|pid| inner.contains(&(pid as u32))),
            "only nginx's processes: {result}"
        );
    }
}

/// Across 50 cycles of start / `nginx -s reload` / stop, `prt watch --ndjson` reports each
/// listener once `new` and once `gone`: a reload keeps the same socket (the same inode)
/// whose owners change, which is no new socket; a socket already live is never reported
/// `new` again; and while nginx runs no `new` LISTEN record lacks its pid (a phantom seen
/// between the socket dump and the owners' scan). Each `new` listener names the master.
#[test]
fn nginx_reloads_and_restarts_under_watch_keep_one_identity_per_socket() {
    // See: issue 14
    let nginx = crate::need!("nginx");
    let cycles: usize = std::env::var("PRT_NGINX_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let ns = Ns::create();
    let dir = temp_dir();
    let conf = config(dir.path(), 2);
    let args = nginx_args(dir.path(), &conf);
    let marker = ns.within(|| std::net::TcpListener::bind("127.0.0.1:1").expect("marker"));
    let watch = Watch::start(&ns, &["--interval", "200ms", "--tcp"]);
    wait_for("the watch's first scan", Duration::from_secs(10), || {
        watch.seen(|r| r["local_port"] == 1)
    });

    for cycle in 0..cycles {
        let mut master = Daemon::spawn("nginx", ns.command(&nginx).args(&args));
        let pid = master.pid();
        wait_for("nginx to start", Duration::from_secs(10), || {
            master.assert_running();
            ns.tcp_listening(PORT) && pid_file(dir.path()) == Some(pid) && children(pid).len() == 2
        });
        std::thread::sleep(Duration::from_millis(50 * (cycle as u64 % 5)));
        let before = children(pid);
        sh_ok(
            command(&nginx)
                .args(&args)
                .args(["-s", "reload"])
                .current_dir(dir.path()),
        );
        wait_for("the reload's new workers", Duration::from_secs(10), || {
            let now = children(pid);
            now.len() == 2 && now.iter().all(|worker| !before.contains(worker))
        });
        std::thread::sleep(Duration::from_millis(50 * ((cycle as u64 + 2) % 5)));
        let signal = if cycle % 2 == 0 { "stop" } else { "quit" };
        sh_ok(command(&nginx).args(&args).args(["-s", signal]));
        let status = wait_exit(&mut master, Duration::from_secs(10));
        assert!(status.success(), "nginx -s {signal}: {status}");
        assert!(!ns.tcp_listening(PORT), "nginx stopped");
    }
    std::thread::sleep(Duration::from_secs(1));
    let records = watch.stop();
    drop(marker);

    let log = check_changelog(&records);
    assert_changelog_ok(&log);
    let ours: Vec<&Value> = records
        .iter()
        .filter(|r| r["local_port"] == PORT && r["state"] == "LISTEN")
        .collect();
    let phantoms: Vec<&&Value> = ours
        .iter()
        .filter(|r| r["status"] == "new" && r["pid"].is_null())
        .collect();
    assert!(phantoms.is_empty(), "phantom listeners: {phantoms:#?}");
    for record in ours.iter().filter(|r| r["status"] == "new") {
        assert_eq!(record["process"], "nginx", "{record}");
        if record["source"] == "event" {
            // As root the tracepoint reports the listener at listen(), before nginx forks
            // its master: the process that listened. The scan that follows reports the
            // change of owners, naming the master.
            let later = ours.iter().any(|r| {
                identity(r) == identity(record)
                    && r["status"] == "unchanged"
                    && r["cmdline"]
                        .as_str()
                        .is_some_and(|c| c.contains("master process"))
            });
            let at_listen = record["cmdline"]
                .as_str()
                .is_some_and(|c| c.contains("master process"));
            assert!(
                at_listen || later,
                "a listener reported at listen() is then told held by the master: {record}"
            );
            continue;
        }
        assert!(
            record["cmdline"]
                .as_str()
                .is_some_and(|c| c.contains("master process")),
            "a new listener names the master: {record}"
        );
    }
    let listeners: std::collections::HashSet<String> = ours.iter().map(|r| identity(r)).collect();
    assert!(
        (cycles.div_ceil(4)..=cycles).contains(&listeners.len()),
        "the watch saw most starts, and at most one listener socket per start (a reload \
         makes none): {}",
        listeners.len()
    );
    let left: Vec<&String> = log
        .live
        .iter()
        .filter(|id| listeners.contains(*id))
        .collect();
    assert!(left.is_empty(), "every listener reported gone: {left:?}");
}
