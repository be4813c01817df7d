//! OpenSSH: sessions between two namespaces of the test's, joined by a veth pair.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::common::{command, inode_of};

const SERVER: &str = "10.201.14.1";
const CLIENT: &str = "10.201.14.2";

/// Two namespaces joined by a veth pair: A holds 10.201.14.1/24 on `va`, B 10.201.14.2/24
/// on `vb`. The addresses exist only inside them.
fn joined() -> (Ns, Ns) {
    let a = Ns::create();
    let b = Ns::create();
    a.ip(&[
        "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", &b.name,
    ]);
    a.ip(&["addr", "add", &format!("{SERVER}/24"), "dev", "va"]);
    b.ip(&["addr", "add", &format!("{CLIENT}/24"), "dev", "vb"]);
    a.ip(&["link", "set", "va", "up"]);
    b.ip(&["link", "set", "vb", "up"]);
    (a, b)
}

/// Starts sshd in `a` with a host key, a client key (`DIR/id`) authorized for root, and
/// its files in `d`; returns once it listens on :22.
fn start_sshd(a: &Ns, d: &Path, sshd: &Path, keygen: &Path) -> Daemon {
    for (key, kind) in [("host_key", "ed25519"), ("id", "ed25519")] {
        sh_ok(
            command(keygen)
                .args(["-q", "-t", kind, "-N", "", "-C", "prt-test", "-f"])
                .arg(d.join(key)),
        );
    }
    let public = std::fs::read_to_string(d.join("id.pub")).expect("the client's public key");
    write(&d.join("authorized_keys"), &public);
    let conf = d.join("sshd_config");
    write(
        &conf,
        &format!(
            "Port 22\n\
             ListenAddress {SERVER}\n\
             HostKey {host}\n\
             PidFile {pid}\n\
             AuthorizedKeysFile {keys}\n\
             UsePAM no\n\
             StrictModes no\n\
             PermitRootLogin prohibit-password\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             LogLevel ERROR\n",
            host = d.join("host_key").display(),
            pid = d.join("sshd.pid").display(),
            keys = d.join("authorized_keys").display(),
        ),
    );
    // The privilege separation directory sshd insists on.
    std::fs::create_dir_all("/run/sshd").expect("mkdir /run/sshd");
    let mut server = Daemon::spawn(
        "sshd",
        a.command(sshd)
            .args(["-D", "-e", "-f"])
            .arg(&conf)
            .stderr(Stdio::null()),
    );
    wait_for("sshd to listen", Duration::from_secs(10), || {
        server.assert_running();
        a.tcp_listening(22)
    });

    server
}

/// In namespace A, the ESTABLISHED socket of an ssh session (the per-session sshd holds
/// it, not the process that holds the :22 listener) is inbound: its `suspicious` is
/// empty, though root holds it and the client's port is high. The rule still catches
/// what it is for: a root process in A connected out to port 4444 in B (a reverse shell's
/// shape) is `root_high_port_outgoing`.
#[test]
fn sshd_sessions_are_inbound_and_a_reverse_shell_is_not() {
    // See: issue 14
    let (sshd, ssh, keygen, socat) = crate::need!("sshd", "ssh", "ssh-keygen", "socat");
    let (a, b) = joined();
    let dir = temp_dir();
    let d = dir.path();
    let server = start_sshd(&a, d, &sshd, &keygen);
    let mut client = Daemon::spawn(
        "ssh",
        b.command(&ssh)
            .arg("-i")
            .arg(d.join("id"))
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=10",
                &format!("root@{SERVER}"),
                "sleep",
                "30",
            ])
            .stdout(Stdio::null()),
    );
    let session = |records: &[Value]| -> Option<Value> {
        records
            .iter()
            .find(|r| {
                r["proto"] == "tcp"
                    && r["state"] == "ESTABLISHED"
                    && r["local_port"] == 22
                    && r["remote_addr"] == CLIENT
            })
            .cloned()
    };
    // Logged in once the session's command runs.
    wait_for("the ssh session", Duration::from_secs(20), || {
        client.assert_running();
        a.pids_of("sleep").len() == 1
    });
    let records = a.scan(&["--tcp"]);
    let record = session(&records).expect("the session's socket in A");
    let listener = listener(&records, "tcp", 22);
    assert_eq!(listener["pid"], server.pid(), "{listener}");
    assert!(
        listener["suspicious"] == serde_json::json!([]),
        "{listener}"
    );
    assert_eq!(record["uid"], 0, "{record}");
    assert_eq!(record["process"], "sshd", "{record}");
    assert!(
        record["pid"] != server.pid()
            && !record["pids"]
                .as_array()
                .is_some_and(|pids| pids.contains(&Value::from(server.pid()))),
        "a per-session process holds it, not the listener's: {record}"
    );
    assert_eq!(
        record["suspicious"],
        serde_json::json!([]),
        "an accepted session is inbound: {record}"
    );

    // The reverse shell's shape: root in A connects out to a high port in B.
    let catcher = b.within(|| TcpListener::bind((CLIENT, 4444)).expect("listen in B"));
    let mut shell = Daemon::spawn(
        "socat",
        a.command(&socat)
            .args(["-u", &format!("TCP:{CLIENT}:4444"), "STDOUT"])
            .stdout(Stdio::null()),
    );
    let (accepted, _) = catcher.accept().expect("the connection from A");
    let records = a.scan(&["--tcp"]);
    shell.assert_running();
    let out: Vec<&Value> = records
        .iter()
        .filter(|r| r["remote_port"] == 4444 && r["state"] == "ESTABLISHED")
        .collect();
    assert_eq!(out.len(), 1, "{records:#?}");
    assert_eq!(out[0]["pid"], shell.pid(), "{}", out[0]);
    assert_eq!(
        out[0]["suspicious"],
        serde_json::json!(["root_high_port_outgoing"]),
        "{}",
        out[0]
    );
    // The same session is still not flagged beside it.
    let again = session(&records).expect("the session's socket, still");
    assert_eq!(again["suspicious"], serde_json::json!([]), "{again}");
    // And B's end of the catcher is the test's own, an inbound one.
    let inode = inode_of(&accepted);
    let in_b = b.scan(&["--tcp"]);
    let caught = in_b
        .iter()
        .find(|r| r["inode"] == inode)
        .expect("the accepted socket in B");
    assert_eq!(caught["pid"], std::process::id(), "{caught}");
}
