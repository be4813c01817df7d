//! The filter language: no input panics or overflows the stack, and `not (E)` answers the
//! opposite of `E` on every record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prt::query;
use prt::raw::RawRecord;

/// Records of every kind the filter meets: a listener, a connection, a TIME_WAIT socket with
/// no owner, a watch record, a record from another tool with a few fields only.
const RECORDS: &[&str] = &[
    r#"{"proto":"tcp","local_addr":"0.0.0.0","local_port":22,"remote_addr":null,"remote_port":null,"state":"LISTEN","inode":1001,"uid":0,"pid":812,"pids":[812],"process":"sshd","cmdline":"/usr/sbin/sshd -D","user":"root","ppid":1,"started":"2026-11-30T08:00:00.25Z","service":"ssh","suspicious":[],"container":null,"netns":4026531840,"interface":null,"recv_q":0,"send_q":128}"#,
    r#"{"proto":"tcp","local_addr":"::ffff:10.0.0.5","local_port":45000,"remote_addr":"::ffff:203.0.113.9","remote_port":4444,"state":"ESTABLISHED","inode":1002,"uid":0,"pid":4242,"pids":[4242],"process":"python3","cmdline":"python3 -c x","user":"root","ppid":1,"started":"2026-11-30T09:00:00Z","service":null,"suspicious":["root_high_port_outgoing"],"container":"web","netns":4026531840,"interface":"eth0","recv_q":10,"send_q":0,"status":"new","first_seen":"2026-11-30T09:00:01Z","seq":3,"ts":"2026-11-30T09:00:01Z"}"#,
    r#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":8080,"remote_addr":"127.0.0.1","remote_port":51000,"state":"TIME_WAIT","inode":0,"uid":null,"pid":null,"pids":[],"process":null,"cmdline":null,"user":null,"ppid":null,"started":null,"service":"http-alt","suspicious":[],"container":null,"netns":null}"#,
    r#"{"proto":"udp","local_addr":"::","local_port":53,"state":"UNCONN","pid":77,"process":"dnsmasq"}"#,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = query::parse(text) else {
        return;
    };
    let inverted = query::parse(&format!("not ({text})"))
        .unwrap_or_else(|err| panic!("{text:?} parses but not ({text:?}) does not: {err}"));
    for line in RECORDS {
        let record = RawRecord::parse(line.as_bytes()).expect("fixed records parse");
        assert_ne!(
            query.matches(&record),
            inverted.matches(&record),
            "{text:?} and its negation agree on {line}"
        );
    }
});
