//! Unit tests of `metrics`.

use super::*;

fn meta() -> ScanMeta {
    ScanMeta {
        duration: Duration::from_millis(5),
        finished: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    }
}

fn add(inventory: &mut Inventory, line: &str) {
    let record = RawRecord::parse(line.as_bytes()).expect("a record");
    inventory.add(&record);
}

fn listener(port: u16, pid: u32, extra: &str) -> String {
    format!(
        r#"{{"proto":"tcp","local_addr":"127.0.0.1","local_port":{port},"remote_addr":null,"remote_port":null,"state":"LISTEN","inode":{port}{pid},"pid":{pid},"process":"p\"x","user":"root","suspicious":[]{extra}}}"#
    )
}

#[test]
fn a_listener_is_one_series_with_escaped_labels() {
    let mut inventory = Inventory::new();
    add(&mut inventory, &listener(22, 7, ""));
    inventory.complete();
    let text = inventory.render(&meta());
    assert!(
        text.contains(
            "prt_listening{proto=\"tcp\",port=\"22\",family=\"ipv4\",process=\"p\\\"x\",user=\"root\",service=\"ssh\"} 1\n"
        ),
        "{text}"
    );
    assert!(text.contains("prt_sockets{proto=\"tcp\",state=\"LISTEN\"} 1\n"));
    assert!(text.contains("prt_processes 1\n"));
    assert!(text.contains("prt_last_scan_timestamp_seconds 1700000000.000\n"));
}

#[test]
fn a_watch_changelog_adds_and_removes() {
    let mut inventory = Inventory::new();
    add(&mut inventory, &listener(80, 1, r#","status":"new""#));
    add(&mut inventory, &listener(81, 1, r#","status":"new""#));
    inventory.complete();
    assert_eq!(inventory.len(), 2);
    // The next tick names only the socket that went.
    add(&mut inventory, &listener(80, 1, r#","status":"gone""#));
    inventory.complete();
    assert_eq!(inventory.len(), 1);
    assert!(!inventory.render(&meta()).contains("port=\"80\""));
}

#[test]
fn a_plain_scan_is_shown_only_once_complete() {
    let mut inventory = Inventory::new();
    add(&mut inventory, &listener(80, 1, ""));
    inventory.complete();
    add(&mut inventory, &listener(81, 1, ""));
    assert_eq!(inventory.len(), 1, "the second scan is not complete yet");
    inventory.complete();
    let text = inventory.render(&meta());
    assert!(text.contains("port=\"81\"") && !text.contains("port=\"80\""));
}

#[test]
fn connections_share_series_whatever_their_number() {
    let render = |n: u16| {
        let mut inventory = Inventory::new();
        for i in 0..n {
            let line = format!(
                r#"{{"proto":"tcp","local_addr":"10.0.0.1","local_port":{},"remote_addr":"10.0.0.{}","remote_port":443,"state":"ESTABLISHED","inode":{},"pid":9,"process":"curl","user":"u"}}"#,
                30000 + i,
                i % 250,
                i + 1
            );
            add(&mut inventory, &line);
        }
        inventory.complete();
        let text = inventory.render(&meta());
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.contains("scan_"))
            .map(|l| {
                l.rsplit_once(' ')
                    .map_or(l, |(series, _)| series)
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(render(3), render(3000));
    assert!(
        render(3).contains(
            &"prt_established_connections{proto=\"tcp\",process=\"curl\",remote_port_class=\"well_known\"}"
                .to_owned()
        )
    );
}

#[test]
fn bytes_are_summed_per_process_only_when_records_carry_counters() {
    let mut plain = Inventory::new();
    add(&mut plain, &listener(22, 1, ""));
    plain.complete();
    assert!(!plain.render(&meta()).contains("_bytes"));

    let mut counted = Inventory::new();
    let connection = |inode: u64, sent: u64| {
        format!(
            r#"{{"proto":"tcp","local_addr":"10.0.0.1","local_port":40000,"remote_addr":"10.0.0.2","remote_port":443,"state":"ESTABLISHED","inode":{inode},"pid":7,"process":"curl","user":"alice","bytes_sent":{sent},"bytes_received":{}}}"#,
            sent * 2
        )
    };
    add(&mut counted, &connection(1, 100));
    add(&mut counted, &connection(2, 50));
    counted.complete();
    let text = counted.render(&meta());
    assert!(
        text.contains("prt_process_sent_bytes{process=\"curl\",user=\"alice\"} 150\n"),
        "{text}"
    );
    assert!(
        text.contains("prt_process_received_bytes{process=\"curl\",user=\"alice\"} 300\n"),
        "{text}"
    );
}
