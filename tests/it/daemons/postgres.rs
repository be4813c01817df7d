//! PostgreSQL: a postmaster (as the postgres user) and its background processes.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use super::*;
use crate::common::command;

const PORT: u16 = 5432;

/// The newest installed PostgreSQL's bin directory (/usr/lib/postgresql/VERSION/bin).
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// A cluster made by `initdb` in a temp dir as the postgres user, served by `postgres -D
/// DIR -k SOCKDIR -p 5432 -c listen_addresses=127.0.0.1` in the test's namespace: the
/// listener's record names the postmaster (the pid in postmaster.pid, process `postgres`,
/// user `postgres`), the service is `postgresql`, and nothing is flagged.
#[test]
fn postgres_listener_names_the_postmaster() {
    // See: issue 14
    let runuser = crate::need!("runuser");
    let Some(bin) = bin_dir() else {
        crate::missing!("postgresql (/usr/lib/postgresql/VERSION/bin/postgres)")
    };
    let postgres_uid = std::fs::metadata("/var/lib/postgresql")
        .map(|m| (m.uid(), m.gid()))
        .ok();
    let Some((uid, gid)) = postgres_uid else {
        crate::missing!("postgresql (/var/lib/postgresql, the postgres user's home)")
    };
    let ns = Ns::create();
    let dir = temp_dir();
    let data = dir.path().join("data");
    let sockets = dir.path().join("sockets");
    for path in [&data, &sockets] {
        std::fs::create_dir(path).expect("mkdir");
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown to postgres");
    }
    sh_ok(
        command(&runuser)
            .args(["-u", "postgres", "--"])
            .arg(bin.join("initdb"))
            .args(["--auth=trust", "--no-sync", "-U", "postgres", "-D"])
            .arg(&data)
            .current_dir(dir.path()),
    );
    let mut server = Daemon::spawn(
        "postgres",
        ns.command(&runuser)
            .args(["-u", "postgres", "--"])
            .arg(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&sockets)
            .args(["-p", &PORT.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .current_dir(dir.path())
            .stderr(Stdio::null()),
    );
    let postmaster = || -> Option<u32> {
        std::fs::read_to_string(data.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    };
    wait_for("postgres to listen", Duration::from_secs(30), || {
        server.assert_running();
        ns.tcp_listening(PORT) && postmaster().is_some()
    });
    let pid = postmaster().expect("postmaster.pid");

    let records = ns.scan(&["--tcp"]);
    let record = listener(&records, "tcp", PORT);
    assert_eq!(record["pid"], pid, "the postmaster: {record}");
    assert_eq!(record["pids"], serde_json::json!([pid]), "{record}");
    assert_eq!(record["process"], "postgres", "{record}");
    assert_eq!(record["uid"], uid, "{record}");
    assert_eq!(record["user"], "postgres", "{record}");
    assert_eq!(record["service"], "postgresql", "{record}");
    assert_eq!(record["suspicious"], serde_json::json!([]), "{record}");
    assert_eq!(record["netns"], ns.inode(), "{record}");
    // Stop it the way its manual says (smart shutdown), bounded; the namespace's guard
    // kills it otherwise.
    // SAFETY: kill has no memory preconditions; `pid` runs in the test's namespace.
    unsafe { libc::kill(pid as i32, libc::SIGINT) };
    wait_for("postgres to stop", Duration::from_secs(20), || !alive(pid));
}
