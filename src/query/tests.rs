//! Parser and evaluator tests, over raw NDJSON records and typed entries alike.

use super::*;
use crate::raw::RawRecord;

const SSHD: &str = r#"{"proto":"tcp","local_addr":"0.0.0.0","local_port":22,"remote_addr":null,"remote_port":null,"state":"LISTEN","inode":1,"uid":0,"pid":900,"pids":[900],"process":"sshd","cmdline":"/usr/sbin/sshd -D","user":"root","ppid":1,"started":null,"service":null,"suspicious":[],"container":null,"netns":4026531840}"#;
const CLIENT: &str = r#"{"proto":"tcp","local_addr":"10.1.2.3","local_port":51000,"remote_addr":"10.9.8.7","remote_port":5432,"state":"ESTABLISHED","uid":1000,"pid":4242,"process":"Python3","user":"alice","status":"new"}"#;
const DNS6: &str = r#"{"proto":"udp","local_addr":"fe80::1","local_port":53,"remote_addr":null,"state":"UNCONN","uid":1000,"pid":77,"process":"dnsmasq","user":"alice","container":"web-1","status":"gone"}"#;
const TIME_WAIT: &str = r#"{"proto":"tcp","local_addr":"::ffff:127.0.0.1","local_port":8080,"remote_addr":"::ffff:10.0.0.5","remote_port":40000,"state":"TIME_WAIT","inode":0,"uid":null,"pid":null,"status":"unchanged"}"#;
const BACKDOOR: &str = r#"{"proto":"tcp","local_addr":"0.0.0.0","local_port":443,"state":"LISTEN","uid":0,"pid":5,"process":"perl","suspicious":["script_on_sensitive"]}"#;

const ALL: [&str; 5] = [SSHD, CLIENT, DNS6, TIME_WAIT, BACKDOOR];

/// No record of [`ALL`].
const NONE: [usize; 0] = [];

/// Which of [`ALL`] match `expr`, by index.
fn matching(expr: &str) -> Vec<usize> {
    let query = parse(expr).unwrap_or_else(|e| panic!("{expr:?}: {e}"));
    ALL.iter()
        .enumerate()
        .filter(|(_, line)| {
            query.matches(&RawRecord::parse(line.as_bytes()).expect("valid fixture"))
        })
        .map(|(i, _)| i)
        .collect()
}

fn error(expr: &str) -> String {
    parse(expr).expect_err(expr).to_string()
}

#[test]
fn comparisons_on_numbers() {
    assert_eq!(matching("port=22"), [0]);
    assert_eq!(matching("port==22"), [0]);
    assert_eq!(matching("port!=22"), [1, 2, 3, 4]);
    assert_eq!(matching("port>=1024"), [1, 3]);
    assert_eq!(matching("port<100"), [0, 2]);
    assert_eq!(matching("port>22 and port<=443"), [2, 4]);
    assert_eq!(matching("port=8000..8999"), [3]);
    assert_eq!(matching("port!=1..1023"), [1, 3]);
    assert_eq!(matching("rport=5432"), [1]);
    assert_eq!(matching("pid=4242"), [1]);
    assert_eq!(matching("uid=0"), [0, 4]);
    assert_eq!(matching("ppid=1"), [0]);
    assert_eq!(matching("netns=4026531840"), [0]);
}

#[test]
fn null_fails_everything_but_not_equal() {
    assert_eq!(matching("pid>0"), [0, 1, 2, 4]);
    assert_eq!(matching("pid!=4242"), [0, 2, 3, 4]);
    assert_eq!(matching("container!=web-1"), [0, 1, 3, 4]);
    assert_eq!(matching("not pid>0"), [3]);
}

#[test]
fn text_fields_fold_case() {
    assert_eq!(matching("process=python3"), [1]);
    assert_eq!(matching("user=ROOT"), [0]);
    assert_eq!(matching("process:yth"), [1]);
    assert_eq!(matching("cmdline:sshd"), [0]);
    assert_eq!(matching("container=web-1"), [2]);
    assert_eq!(matching("process:'ssh'"), [0]);
}

#[test]
fn regexes() {
    assert_eq!(matching("process~'^(ssh|perl)'"), [0, 4]);
    assert_eq!(
        matching("process!~'^ssh'"),
        [1, 2, 3, 4],
        "like !=, !~ holds for a missing field"
    );
    assert_eq!(matching(r"raddr~'^10\.'"), [1]);
    assert_eq!(matching("port~'^5'"), [1, 2]);
}

#[test]
fn states_protocols_and_groups() {
    assert_eq!(matching("state=listen"), [0, 4]);
    assert_eq!(matching("state=estab"), [1]);
    assert_eq!(matching("state=time-wait"), [3]);
    assert_eq!(matching("proto=udp"), [2]);
    assert_eq!(matching("connected"), [1, 3]);
    assert_eq!(matching("synchronized"), [1, 3]);
    assert_eq!(matching("bucket"), [3]);
    assert_eq!(matching("big"), [0, 1, 2, 4]);
    assert_eq!(matching("state=connected"), [1, 3]);
}

#[test]
fn addresses_and_networks() {
    assert_eq!(
        matching("remote in 10.0.0.0/8"),
        [1, 3],
        "IPv4-mapped addresses count as IPv4"
    );
    assert_eq!(matching("raddr in 10.9.0.0/16"), [1]);
    assert_eq!(matching("local in fe80::/10"), [2]);
    assert_eq!(matching("laddr in ::/0"), [2], "mapped addresses are IPv4");
    assert_eq!(matching("laddr in 0.0.0.0/0"), [0, 1, 3, 4]);
    assert_eq!(matching("laddr=127.0.0.1"), [3]);
    assert_eq!(matching("raddr=10.9.8.7"), [1]);
    assert_eq!(matching("laddr in 10.1.2.3"), [1]);
}

#[test]
fn quick_forms() {
    assert_eq!(
        matching("!"),
        [2, 4],
        "dnsmasq as alice on 53: derived non_root_privileged"
    );
    assert_eq!(matching("not !"), [0, 1, 3]);
    assert_eq!(matching("new"), [1]);
    assert_eq!(matching("gone"), [2]);
    assert_eq!(matching("unchanged"), [3]);
    assert_eq!(matching("active"), [1, 3]);
    assert_eq!(matching("status=active"), [1, 3]);
    assert_eq!(matching("22"), [0]);
    assert_eq!(matching("4242"), [1]);
    assert_eq!(
        matching("SSH"),
        [0],
        "sshd's process name and derived service"
    );
    assert_eq!(
        matching("postgresql"),
        [1],
        "a derived service: the remote port's name"
    );
    assert_eq!(matching("alice udp"), [2], "spaces mean and");
    assert_eq!(matching("web"), [2]);
    assert_eq!(matching("10.9"), [1], "remote address substring");
    assert_eq!(matching("8000..8999"), [3]);
    assert_eq!(matching("service=dns"), [2]);
    assert_eq!(matching("suspicious=script_on_sensitive"), [4]);
    assert_eq!(matching("suspicious:script"), [4]);
}

#[test]
fn derived_suspicion_for_records_without_it() {
    let line = r#"{"proto":"tcp","local_addr":"0.0.0.0","local_port":80,"state":"LISTEN","uid":1000,"process":"nginx"}"#;
    let record = RawRecord::parse(line.as_bytes()).expect("valid");
    assert!(parse("!").expect("parses").matches(&record));
    assert!(
        parse("suspicious=non_root_privileged")
            .expect("parses")
            .matches(&record)
    );
}

#[test]
fn precedence_and_grouping() {
    // `and` binds tighter than `or`: a or (b and c).
    assert_eq!(matching("port=22 or proto=udp and user=nobody"), [0]);
    assert_eq!(matching("(port=22 or proto=udp) and user=alice"), [2]);
    assert_eq!(matching("port=22 or proto=udp user=alice"), [0, 2]);
    assert_eq!(matching("not port=22 and uid=0"), [4]);
    assert_eq!(matching("not (port=22 or port=443)"), [1, 2, 3]);
    assert_eq!(
        matching("NOT port=22 AND uid=0"),
        [4],
        "keywords in any case"
    );
}

#[test]
fn errors_point_at_the_column() {
    assert_eq!(error("port>="), "expected a value after '>=' at column 7");
    assert_eq!(
        error("proto=tcp and port>="),
        "expected a value after '>=' at column 21"
    );
    assert_eq!(
        error("port>= and x"),
        "expected a value after '>=', found 'and' at column 8"
    );
    assert_eq!(
        error("prot=tcp"),
        "unknown field 'prot'; did you mean 'proto'? at column 1"
    );
    assert_eq!(
        error("proces=ssh"),
        "unknown field 'proces'; did you mean 'process'? at column 1"
    );
    assert_eq!(error("xyzzy=1"), "unknown field 'xyzzy' at column 1");
    assert_eq!(
        error("port=abc"),
        "expected a number for port, found 'abc' at column 6"
    );
    assert_eq!(error("user>root"), "'>' does not apply to user at column 5");
    assert_eq!(error("port>1..2"), "a range needs '=' or '!=' at column 6");
    assert_eq!(error("port=9..1"), "empty range 9..1 at column 6");
    assert!(error("state=listening").starts_with("unknown state 'listening'; states are LISTEN"));
    assert_eq!(
        error("proto=sctp"),
        "unknown protocol 'sctp'; use tcp or udp at column 7"
    );
    assert_eq!(
        error("status=old"),
        "unknown status 'old'; use new, gone, unchanged or active at column 8"
    );
    assert_eq!(
        error("raddr=10.0.0"),
        "expected an IP address for raddr, found '10.0.0' at column 7"
    );
    assert_eq!(
        error("raddr in 10.0.0.0/33"),
        "prefix length must be 0 to 32, found '33' at column 10"
    );
    assert_eq!(
        error("raddr in banana"),
        "expected a network like 10.0.0.0/8, found 'banana' at column 10"
    );
    assert_eq!(
        error("port in 10.0.0.0/8"),
        "'in' takes an address field (laddr, raddr), not 'port' at column 1"
    );
    assert!(
        error("process~'('").starts_with("bad regular expression"),
        "{}",
        error("process~'('")
    );
    assert_eq!(error("(port=22"), "unclosed '(' at column 1");
    assert_eq!(error("port=22)"), "unmatched ')' at column 8");
    assert_eq!(
        error("()"),
        "expected an expression inside '()' at column 2"
    );
    assert_eq!(error(""), "empty filter expression at column 1");
    assert_eq!(error("   "), "empty filter expression at column 1");
    assert_eq!(
        error("port=22 and"),
        "expected an expression after 'and' at column 12"
    );
    assert_eq!(
        error("port=22 or"),
        "expected an expression after 'or' at column 11"
    );
    assert_eq!(
        error("not"),
        "expected an expression after 'not' at column 4"
    );
    assert_eq!(error("=22"), "expected a field name before '=' at column 1");
    assert_eq!(
        error("process:"),
        "expected a value after 'process:' at column 9"
    );
    assert_eq!(
        error("user='alice"),
        "unterminated '-quoted string at column 6"
    );
}

#[test]
fn typed_entries_evaluate_like_raw_records() {
    let entry: crate::model::PortEntry = serde_json::from_str(SSHD).expect("a full record");
    let raw = RawRecord::parse(SSHD.as_bytes()).expect("valid");
    for expr in [
        "port=22",
        "ssh",
        "service=ssh",
        "!",
        "state=listen and uid=0",
        "laddr in 0.0.0.0/0",
        "process~d$",
    ] {
        let query = parse(expr).expect("parses");
        assert_eq!(query.matches(&entry), query.matches(&raw), "{expr}");
    }
}

#[test]
fn arbitrary_input_never_panics_the_parser() {
    let alphabet: Vec<char> = "ab =!<>~():'\"./0123456789 andornotin port state raddr é中\\\t&|-"
        .chars()
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..50_000 {
        let mut text = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for i in 0..(state % 24) {
            let pick = (state.rotate_left(i as u32 * 5) % alphabet.len() as u64) as usize;
            text.push(alphabet[pick]);
        }
        if let Ok(query) = parse(&text) {
            let record = RawRecord::parse(CLIENT.as_bytes()).expect("valid");
            let _ = query.matches(&record);
        }
    }
}

/// Whether `expr` matches the record `line`.
fn hits(expr: &str, line: &str) -> bool {
    let query = parse(expr).unwrap_or_else(|e| panic!("{expr:?}: {e}"));
    query.matches(&RawRecord::parse(line.as_bytes()).expect("valid record"))
}

#[test]
fn symbols_for_and_or_not() {
    // See: issue 14
    assert_eq!(matching("port=22 && uid=0"), [0]);
    assert_eq!(matching("port=22&&uid=0"), [0]);
    assert_eq!(matching("port=22 || proto=udp"), [0, 2]);
    assert_eq!(
        matching("port=22||port=443 && uid=0"),
        [0, 4],
        "&& binds tighter"
    );
    assert_eq!(matching("!port=22"), [1, 2, 3, 4], "glued: not");
    assert_eq!(matching("!(port=22 or port=443)"), [1, 2, 3]);
    assert_eq!(matching("!new"), [0, 2, 3, 4]);
    assert_eq!(matching("!ssh"), [1, 2, 3, 4]);
    assert_eq!(matching("!process:yth"), [0, 2, 3, 4]);
    assert_eq!(matching("!remote in 10.0.0.0/8"), [0, 2, 4]);
    assert_eq!(matching("!port=22 && !proto=udp"), [1, 3, 4]);
    assert_eq!(
        matching("(!)"),
        [2, 4],
        "a '!' before ')' is the quick form"
    );
}

#[test]
fn a_spaced_bang_is_the_suspicious_quick_form() {
    // See: issue 14
    // `! port=443` is two terms, "suspicious" and "port=443"; `!port=443` is one negated.
    assert_eq!(matching("! port=443"), [4]);
    assert_eq!(matching("!port=443"), [0, 1, 2, 3]);
    assert_eq!(matching("! and port=443"), [4]);
    assert_eq!(matching("not ! port=443"), NONE, "not binds to '!' alone");
    assert_eq!(matching("port=443 !"), [4]);
}

#[test]
fn operators_without_operands_are_errors() {
    // See: issue 14
    assert_eq!(
        error("and"),
        "expected an expression before 'and' at column 1"
    );
    assert_eq!(
        error("AND x"),
        "expected an expression before 'AND' at column 1"
    );
    assert_eq!(
        error("or port=22"),
        "expected an expression before 'or' at column 1"
    );
    assert_eq!(
        error("&& port=22"),
        "expected an expression before '&&' at column 1"
    );
    assert_eq!(
        error("port=22 &&"),
        "expected an expression after '&&' at column 11"
    );
    assert_eq!(
        error("port=22 ||"),
        "expected an expression after '||' at column 11"
    );
    assert_eq!(
        error("port=22 and or x"),
        "expected an expression after 'and' at column 13"
    );
    assert_eq!(
        error("a || || b"),
        "expected an expression after '||' at column 6"
    );
    assert_eq!(
        error("a and and b"),
        "expected an expression after 'and' at column 7"
    );
    assert_eq!(
        error("(port=22 and)"),
        "expected an expression after 'and' at column 13"
    );
    assert_eq!(
        error("port=22 not"),
        "expected an expression after 'not' at column 12"
    );
    assert_eq!(
        error("(not)"),
        "expected an expression after 'not' at column 5"
    );
    assert_eq!(
        error("not or x"),
        "expected an expression after 'not' at column 5"
    );
    assert_eq!(
        error("port=22 & state=listen"),
        "'&' alone is not an operator: write '&&' or 'and', or quote a value that holds it at column 9"
    );
    assert_eq!(
        error("a | b"),
        "'|' alone is not an operator: write '||' or 'or', or quote a value that holds it at column 3"
    );
    assert_eq!(error("port=22)"), "unmatched ')' at column 8");
    assert_eq!(error(") port=22"), "unmatched ')' at column 1");
    assert_eq!(error("port=22!"), "unexpected '!' at column 8");
    assert_eq!(error("!!"), "unexpected '!' at column 2");
    assert_eq!(error("(a)!"), "unexpected '!' at column 4");
    assert_eq!(
        error("!and x"),
        "expected an expression before 'and' at column 2"
    );
    assert_eq!(
        error("in 10.0.0.0/8"),
        "'in' needs an address field before it, as in 'remote in 10.0.0.0/8' at column 1"
    );
    assert_eq!(
        error("port=&&"),
        "expected a value after '=', found '&&' at column 6"
    );
}

#[test]
fn numbers_out_of_the_fields_range_are_errors() {
    // See: issue 14
    assert_eq!(
        error("port=70000"),
        "port must be 0 to 65535, found '70000' at column 6"
    );
    assert_eq!(
        error("port=1..70000"),
        "port must be 0 to 65535, found '70000' at column 9"
    );
    assert_eq!(
        error("port=-1..5"),
        "port must be 0 to 65535, found '-1' at column 6"
    );
    assert_eq!(
        error("port=1.."),
        "expected a number for port, found '1..' at column 6"
    );
    assert_eq!(
        error("local_port=-1"),
        "port must be 0 to 65535, found '-1' at column 12"
    );
    assert_eq!(
        error("rport>65536"),
        "rport must be 0 to 65535, found '65536' at column 7"
    );
    assert_eq!(
        error("pid=4294967296"),
        "pid must be 0 to 4294967295, found '4294967296' at column 5"
    );
    assert_eq!(
        error("uid=99999999999"),
        "uid must be 0 to 4294967295, found '99999999999' at column 5"
    );
    assert_eq!(
        error("inode=99999999999999999999"),
        "inode must be 0 to 18446744073709551615, found '99999999999999999999' at column 7"
    );
    assert_eq!(
        error("recv_q>-1"),
        "recv_q must be 0 to 18446744073709551615, found '-1' at column 8"
    );
    assert_eq!(
        error("send_q='70x'"),
        "expected a number for send_q, found '70x' at column 9"
    );
    assert_eq!(
        error("1..70000"),
        "port must be 0 to 65535, found '70000' at column 4"
    );
    assert_eq!(error("9..1"), "empty range 9..1 at column 1");
    assert_eq!(matching("port=65535"), NONE);
    assert_eq!(matching("pid<=4294967295"), [0, 1, 2, 4]);
    assert_eq!(matching("port=0..65535"), [0, 1, 2, 3, 4]);
}

#[test]
fn enumerated_values_are_checked_with_a_suggestion() {
    // See: issue 14
    assert_eq!(
        error("suspicious=nosuchcode"),
        "unknown reason code 'nosuchcode'; codes are non_root_privileged, script_on_sensitive, \
         root_high_port_outgoing, proxy_listening, deleted_executable, exe_in_temp at column 12"
    );
    assert_eq!(
        error("suspicious!=proxy_listen"),
        "unknown value 'proxy_listen' for suspicious; did you mean 'proxy_listening'? at column 13"
    );
    assert_eq!(
        error("state=lisen"),
        "unknown value 'lisen' for state; did you mean 'LISTEN'? at column 7"
    );
    assert_eq!(
        error("state=conected"),
        "unknown value 'conected' for state; did you mean 'connected'? at column 7"
    );
    assert_eq!(
        error("proto=tcpp"),
        "unknown value 'tcpp' for proto; did you mean 'tcp'? at column 7"
    );
    assert_eq!(
        error("status=gon"),
        "unknown value 'gon' for status; did you mean 'gone'? at column 8"
    );
    assert_eq!(
        error("status='actve'"),
        "unknown value 'actve' for status; did you mean 'active'? at column 9"
    );
    // Every code the rules produce is accepted; case does not matter.
    for code in crate::model::reasons::ALL {
        parse(&format!("suspicious={code}")).unwrap_or_else(|e| panic!("{code}: {e}"));
    }
    assert_eq!(matching("suspicious=SCRIPT_ON_SENSITIVE"), [4]);
    // Bare words, substrings and regexes search; they are not checked against the lists.
    assert_eq!(matching("nosuchcode"), NONE);
    assert_eq!(matching("suspicious:nosuch"), NONE);
    assert_eq!(matching("suspicious~'^nosuch'"), NONE);
}

const QUEUED: &str = r#"{"proto":"tcp","local_addr":"fe80::1","local_port":8080,"remote_addr":null,"remote_port":null,"state":"LISTEN","inode":7,"uid":1000,"pid":42,"pids":[42],"process":"web","cmdline":null,"user":"alice","ppid":1,"started":null,"service":null,"suspicious":[],"container":null,"netns":4026531840,"interface":"eth0","recv_q":3,"send_q":128}"#;
const UNQUEUED: &str = r#"{"proto":"udp","local_addr":"0.0.0.0","local_port":53,"state":"UNCONN","interface":null,"recv_q":0,"send_q":null}"#;

#[test]
fn interface_and_queues_are_fields() {
    // See: issue 14
    assert!(hits("interface=eth0", QUEUED));
    assert!(hits("interface=ETH0 and iface:th", QUEUED));
    assert!(hits("dev~'^eth'", QUEUED));
    assert!(hits("recv_q>0", QUEUED));
    assert!(hits("send_q>=128", QUEUED));
    assert!(hits("recv_q=1..5 and sendq=128", QUEUED));
    assert!(!hits("recv_q>0", UNQUEUED));
    assert!(hits("recv_q=0", UNQUEUED));
    // Null or missing: every test fails but `!=`, as for any field.
    for line in [UNQUEUED, SSHD] {
        assert!(!hits("interface=eth0", line), "{line}");
        assert!(hits("interface!=eth0", line), "{line}");
        assert!(!hits("send_q>=0", line), "{line}");
        assert!(hits("send_q!=128", line), "{line}");
    }
}

#[test]
fn typed_entries_answer_the_new_fields_like_raw_records() {
    let entry: crate::model::PortEntry = serde_json::from_str(QUEUED).expect("a full record");
    let raw = RawRecord::parse(QUEUED.as_bytes()).expect("valid");
    for expr in [
        "interface=eth0",
        "interface=lo",
        "recv_q=3",
        "recv_q>3",
        "send_q>=128",
        "send_q<128",
    ] {
        let query = parse(expr).expect("parses");
        assert_eq!(query.matches(&entry), query.matches(&raw), "{expr}");
    }
    assert!(
        parse("interface=eth0 and recv_q=3")
            .expect("parses")
            .matches(&entry)
    );
}

// See: issue 21 — 12,000 nested parentheses or 200,000 `not`s overflowed the stack.
#[test]
fn deep_nesting_is_an_error_at_its_column_and_long_chains_are_fine() {
    let parens = format!("{}port=22{}", "(".repeat(12_000), ")".repeat(12_000));
    let err = parse(&parens).expect_err("too deep");
    // Columns count from 1: the first `(` too many.
    assert_eq!(err.column, parser::MAX_DEPTH + 1, "{err}");
    assert!(err.to_string().contains("256"), "{err}");
    let nots = format!("{}port=22", "not ".repeat(200_000));
    assert_eq!(
        parse(&nots).expect_err("too deep").column,
        parser::MAX_DEPTH * 4 + 1
    );
    let bangs = format!("{}port=22", "!".repeat(1_000));
    assert!(parse(&bangs).is_err());
    // At the limit it parses, and evaluates as written.
    let deepest = format!(
        "{}port=22{}",
        "(".repeat(parser::MAX_DEPTH),
        ")".repeat(parser::MAX_DEPTH)
    );
    assert_eq!(matching(&deepest), [0]);
    let even_nots = format!("{}port=22", "not ".repeat(parser::MAX_DEPTH));
    assert_eq!(matching(&even_nots), [0]);
    // A long chain is one level: 100,000 terms.
    let chain: Vec<String> = (1..=100_000).map(|p| format!("pid!={p}")).collect();
    assert_eq!(matching(&chain.join(" and ")), [3]);
    let any: Vec<String> = (1..=100_000).map(|p| format!("pid={p}")).collect();
    assert_eq!(matching(&any.join(" or ")), [0, 1, 2, 4]);
}

// See: issue 18 — the TCP counters and rates of `--traffic` records are numbers to filter on.
#[test]
fn traffic_counters_and_rates_are_numeric_fields() {
    const BUSY: &str = r#"{"proto":"tcp","local_addr":"127.0.0.1","local_port":40000,"state":"ESTABLISHED","bytes_sent":52428801,"bytes_received":0,"retrans":2,"rtt_us":45,"status":"unchanged","rate_sent":4194304,"rate_received":0}"#;
    const PLAIN: &str = r#"{"proto":"udp","local_addr":"0.0.0.0","local_port":53,"state":"UNCONN","bytes_sent":null,"bytes_received":null,"retrans":null,"rtt_us":null}"#;
    assert!(hits("rate_sent>1000000 and bytes_sent>=50000000", BUSY));
    assert!(hits("retrans=2 and rtt<100 and rate_received=0", BUSY));
    assert!(!hits("bytes_received>0", BUSY));
    // Null (UDP) and absent (a plain scan) fail every test but !=.
    assert!(!hits("bytes_sent>=0", PLAIN));
    assert!(hits("bytes_sent!=0", PLAIN));
    assert!(!hits("rate_sent>=0", PLAIN));
}
