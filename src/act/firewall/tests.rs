//! Plans, scripts and block lists, checked as text; running them is tests/it/fw.rs.

use super::steps::shell_quote;
use super::*;

fn blocks(texts: &[&str]) -> Vec<Block> {
    texts.iter().map(|t| t.parse().expect("block")).collect()
}

#[test]
fn blocks_parse_and_canonicalise() {
    assert_eq!(
        blocks(&["203.0.113.5", "::ffff:198.51.100.7", "8080/tcp", "53/UDP"]),
        [
            Block::Address("203.0.113.5".parse().expect("ip")),
            Block::Address("198.51.100.7".parse().expect("ip")),
            Block::Port(Proto::Tcp, 8080),
            Block::Port(Proto::Udp, 53),
        ]
    );
    for bad in [
        "",
        "1.2.3",
        "1.2.3.4; rm -rf /",
        "0/tcp",
        "80/icmp",
        "$(reboot)",
    ] {
        assert!(bad.parse::<Block>().is_err(), "{bad:?} accepted");
    }
}

#[test]
fn never_blocks_loopback_unspecified_own_or_private_unless_allowed() {
    let own: Vec<IpAddr> = vec!["203.0.113.9".parse().expect("ip")];
    let mut list = Blocklist::new(false, false, own.clone());
    let skipped = [
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "::",
        "203.0.113.9",
        "10.1.2.3",
        "192.168.1.1",
        "fe80::1",
        "fd00::1",
        "100.64.0.1",
        "198.51.100.7",
        "198.51.100.7",
    ]
    .map(|text| list.add(text.parse().expect("block"), "arg"));
    assert_eq!(list.blocks(), blocks(&["198.51.100.7"]));
    let skipped: Vec<String> = skipped.into_iter().flatten().collect();
    assert_eq!(skipped.len(), 10, "{skipped:?}");
    assert!(skipped[0].contains("loopback"));
    let mut allowed = Blocklist::new(false, true, own);
    for text in ["127.0.0.1", "203.0.113.9", "10.1.2.3"] {
        let _ = allowed.add(text.parse().expect("block"), "arg");
    }
    assert_eq!(allowed.blocks(), blocks(&["10.1.2.3", "203.0.113.9"]));
}

#[test]
fn records_give_remote_addresses_or_local_ports() {
    let line = br#"{"proto":"tcp","local_addr":"10.0.0.2","local_port":8080,"remote_addr":"198.51.100.7","remote_port":5000}"#;
    let listener = br#"{"proto":"udp","local_addr":"0.0.0.0","local_port":53,"remote_addr":null}"#;
    let evil = br#"{"proto":"tcp","local_port":1,"remote_addr":"1.2.3.4 ; reboot"}"#;
    let record = |bytes: &'static [u8]| RawRecord::parse(bytes).expect("valid");
    let mut remote = Blocklist::new(false, false, Vec::new());
    assert_eq!(remote.add_record(&record(line), "line 1"), Ok(None));
    let note = remote.add_record(&record(listener), "line 2").expect("ok");
    assert_eq!(remote.blocks(), blocks(&["198.51.100.7"]));
    assert!(note.is_some_and(|n| n.starts_with("line 2: no remote address")));
    let err = remote
        .add_record(&record(evil), "line 3")
        .expect_err("not an address");
    assert_eq!(err.place, "line 3");
    let mut ports = Blocklist::new(true, false, Vec::new());
    ports.add_record(&record(line), "line 1").expect("ok");
    ports.add_record(&record(listener), "line 2").expect("ok");
    assert_eq!(ports.blocks(), blocks(&["8080/tcp", "53/udp"]));
}

#[test]
fn nft_script_declares_its_own_table_and_undo_cannot_fail() {
    let list = blocks(&["198.51.100.7", "2001:db8::5", "8080/tcp"]);
    let block = script(
        Backend::Nft,
        Action::Block,
        &plan(Backend::Nft, Action::Block, &list),
    );
    assert!(block.starts_with("#!/bin/sh\n"));
    assert!(
        block.contains("nft -f - <<'PRT_EOF'\ntable inet prt {\n"),
        "{block}"
    );
    assert!(block.contains("flush chain inet prt input\n"));
    assert!(block.contains("add element inet prt blocked_v4 { 198.51.100.7 }\n"));
    assert!(block.contains("add element inet prt blocked_v6 { 2001:db8::5 }\n"));
    assert!(block.contains("add element inet prt blocked_tcp { 8080 }\n"));
    assert!(
        !block.contains("add element inet prt blocked_udp"),
        "{block}"
    );
    assert!(block.ends_with("PRT_EOF\n"));
    let undo = script(
        Backend::Nft,
        Action::Unblock,
        &plan(Backend::Nft, Action::Unblock, &list),
    );
    assert!(undo.contains("add element inet prt blocked_v4 { 198.51.100.7 }\ndelete element inet prt blocked_v4 { 198.51.100.7 }\n"), "{undo}");
    assert!(!undo.contains("chain"), "undo creates no chains: {undo}");
    let reset = script(
        Backend::Nft,
        Action::Reset,
        &plan(Backend::Nft, Action::Reset, &[]),
    );
    assert!(
        reset.contains("! nft list table inet prt >/dev/null 2>&1 || nft delete table inet prt\n"),
        "{reset}"
    );
}

#[test]
fn iptables_uses_ip6tables_for_ipv6_and_checks_before_adding() {
    let list = blocks(&["198.51.100.7", "2001:db8::5"]);
    let text = script(
        Backend::Iptables,
        Action::Block,
        &plan(Backend::Iptables, Action::Block, &list),
    );
    for line in [
        "iptables -w -n -L prt-in >/dev/null 2>&1 || iptables -w -N prt-in",
        "iptables -w -C INPUT -j prt-in >/dev/null 2>&1 || iptables -w -I INPUT -j prt-in",
        "iptables -w -C prt-in -s 198.51.100.7 -j DROP >/dev/null 2>&1 || iptables -w -A prt-in -s 198.51.100.7 -j DROP",
        "iptables -w -C prt-out -d 198.51.100.7 -j DROP >/dev/null 2>&1 || iptables -w -A prt-out -d 198.51.100.7 -j DROP",
        "ip6tables -w -C prt-in -s 2001:db8::5 -j DROP >/dev/null 2>&1 || ip6tables -w -A prt-in -s 2001:db8::5 -j DROP",
    ] {
        assert!(
            text.contains(&format!("{line}\n")),
            "missing {line}\n{text}"
        );
    }
    assert!(!text.contains("iptables -w -A prt-in -s 2001"), "{text}");
    let ports = script(
        Backend::Iptables,
        Action::Block,
        &plan(Backend::Iptables, Action::Block, &blocks(&["8080/tcp"])),
    );
    assert!(
        ports.contains("|| iptables -w -A prt-in -p tcp --dport 8080 -j DROP\n"),
        "{ports}"
    );
    assert!(
        ports.contains("|| ip6tables -w -A prt-in -p tcp --dport 8080 -j DROP\n"),
        "{ports}"
    );
    let undo = script(
        Backend::Iptables,
        Action::Unblock,
        &plan(Backend::Iptables, Action::Unblock, &list),
    );
    assert!(undo.contains("! iptables -w -C prt-in -s 198.51.100.7 -j DROP >/dev/null 2>&1 || iptables -w -D prt-in -s 198.51.100.7 -j DROP\n"), "{undo}");
    assert!(!undo.contains(" -N "), "{undo}");
}

#[test]
fn pf_uses_an_anchor_and_a_table() {
    let list = blocks(&["198.51.100.7", "2001:db8::5", "8080/tcp"]);
    let text = script(
        Backend::Pfctl,
        Action::Block,
        &plan(Backend::Pfctl, Action::Block, &list),
    );
    assert!(text.contains("anchor \"prt\"' in /etc/pf.conf"), "{text}");
    assert!(text.contains("pfctl -a prt -t prt_blocked -T show >/dev/null 2>&1 || pfctl -a prt -f - <<'PRT_EOF'\ntable <prt_blocked> persist\n"), "{text}");
    assert!(
        text.contains("\npfctl -a prt -t prt_blocked -T add 198.51.100.7 2001:db8::5\n"),
        "{text}"
    );
    assert!(text.contains("pfctl -a prt/ports/tcp-8080 -f - <<'PRT_EOF'\nblock drop in quick proto tcp from any to any port 8080\nPRT_EOF\n"), "{text}");
    let undo = script(
        Backend::Pfctl,
        Action::Unblock,
        &plan(Backend::Pfctl, Action::Unblock, &list),
    );
    assert!(
        undo.contains("pfctl -a prt -t prt_blocked -T delete 198.51.100.7 2001:db8::5\n"),
        "{undo}"
    );
    assert!(
        undo.contains("pfctl -a prt/ports/tcp-8080 -F rules\n"),
        "{undo}"
    );
}

#[test]
fn quoting_keeps_odd_words_single() {
    assert_eq!(shell_quote("2001:db8::5"), "2001:db8::5");
    assert_eq!(shell_quote("a b"), "'a b'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote(""), "''");
}

#[test]
fn own_addresses_include_loopback() {
    let own = own_addresses();
    assert!(own.iter().any(IpAddr::is_loopback), "{own:?}");
}
