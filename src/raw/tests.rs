//! Unit tests of `raw`.

use super::parser::{STRING_SPECIAL, skip_plain};
use super::*;

const LINE: &str = r#"{"proto":"tcp","local_addr":"::1","local_port":8080,"remote_addr":null,"state":"LISTEN","pids":[42,43],"process":"py\"thon\u00e9","suspicious":["a","b"],"extra":{"nested":[1,{"x":null}]}}"#;

#[test]
fn locates_and_decodes_fields() {
    let record = RawRecord::parse(LINE.as_bytes()).expect("valid");
    assert_eq!(record.str(Key::Proto).as_deref(), Some("tcp"));
    assert_eq!(record.u64(Key::LocalPort), Some(8080));
    assert_eq!(record.get(Key::RemoteAddr), Some(RawValue::Null));
    assert_eq!(record.value(Key::RemoteAddr), None);
    assert_eq!(record.get(Key::Pid), None);
    assert_eq!(record.str(Key::Process).as_deref(), Some("py\"thoné"));
    assert_eq!(
        record.value(Key::LocalAddr).and_then(RawValue::as_ip),
        "::1".parse().ok()
    );
    let reasons = record
        .value(Key::Suspicious)
        .map(RawValue::strings)
        .unwrap_or_default();
    assert_eq!(reasons, ["a", "b"]);
    assert_eq!(record.line(), LINE.as_bytes());
}

#[test]
fn names_that_look_like_known_keys_are_not_taken_for_them() {
    let record = RawRecord::parse(br#"{"pid":5,"piz":7,"psd":8}"#).expect("valid");
    assert_eq!(record.u64(Key::Pid), Some(5));
    let record = RawRecord::parse(br#"{"piz":7,"pid":5}"#).expect("valid");
    assert_eq!(record.u64(Key::Pid), Some(5));
    let record = RawRecord::parse(br#"{"piz":7}"#).expect("valid");
    assert_eq!(record.get(Key::Pid), None);
    let record = RawRecord::parse(br#"{"pid":1,"pid":2}"#).expect("valid");
    assert_eq!(
        record.u64(Key::Pid),
        Some(2),
        "a repeated field keeps its last value"
    );
}

#[test]
fn escaped_field_names_are_decoded_and_the_last_value_wins() {
    // See: issue 21
    // `{"pid":1234,"p\u0069d":4321}` was pid 1234 to prt and 4321 to jq.
    let cases: [(&str, Option<u64>); 7] = [
        (r#"{"pid":1234,"p\u0069d":4321}"#, Some(4321)),
        (r#"{"p\u0069d":4321,"pid":1234}"#, Some(1234)),
        (r#"{"p\u0069d":3}"#, Some(3)),
        (r#"{"\u0070\u0069\u0064":5,"piz":6}"#, Some(5)),
        (r#"{"piz":6,"pi\u0064":7,"pia":8}"#, Some(7)),
        (r#"{"p\u0069z":3}"#, None),
        (r#"{"pid\u0000":3}"#, None),
    ];
    for (line, pid) in cases {
        let record = RawRecord::parse(line.as_bytes()).expect("valid");
        assert_eq!(record.u64(Key::Pid), pid, "{line}");
        let value: serde_json::Value = serde_json::from_str(line).expect("valid");
        assert_eq!(
            value.get("pid").and_then(serde_json::Value::as_u64),
            pid,
            "{line}"
        );
    }
    let record = RawRecord::parse(br#"{"pr\u006fto":"udp","proto":"tcp"}"#).expect("valid");
    assert_eq!(record.str(Key::Proto).as_deref(), Some("tcp"));
}

/// Whether serde_json takes `line` as a JSON object: what prt must accept.
fn serde_accepts(line: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|v| v.is_object())
}

#[test]
fn accepts_exactly_what_serde_json_accepts_edge_cases() {
    // See: issue 21
    // 1e400, 400-digit integers, lone surrogates and depth 128 were taken by prt alone.
    let deep = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n));
    let long = |n: usize| format!("{{\"a\":{}}}", "9".repeat(n));
    let cases: Vec<(String, bool)> = vec![
        (r#"{"a":1e400}"#.into(), false),
        (r#"{"a":-1e400}"#.into(), false),
        (r#"{"a":1.5E+309}"#.into(), false),
        (r#"{"a":1e308}"#.into(), true),
        (r#"{"a":1e-400}"#.into(), true),
        (r#"{"a":0e99999999999999999999}"#.into(), true),
        (r#"{"a":1e99999999999999999999}"#.into(), false),
        (r#"{"a":0.000001e310}"#.into(), true),
        (long(400), false),
        (long(309), false),
        (long(308), true),
        (format!("{{\"a\":{}.5}}", "9".repeat(308)), true),
        (r#"{"a":"\ud800\u0041"}"#.into(), false),
        (r#"{"a":"\ud800"}"#.into(), false),
        (r#"{"a":"\ud800x"}"#.into(), false),
        (r#"{"a":"\ud800\n"}"#.into(), false),
        (r#"{"a":"\udc00"}"#.into(), false),
        (r#"{"a":"\udbff\udfff"}"#.into(), true),
        (r#"{"a":"\ud83d\ude00"}"#.into(), true),
        (r#"{"a":"\ud83d\ud83d"}"#.into(), false),
        (r#"{"\udc00":1}"#.into(), false),
        (r#"{"a":"\u00e9\uFFFF\u0000"}"#.into(), true),
        (deep(126), true),
        (deep(127), false),
        (r#"{"a":{"b":{}}}"#.into(), true),
        (r#"{"a":-0.0e-0}"#.into(), true),
        (r#"{"a":1.}"#.into(), false),
        (r#"{"a":+1}"#.into(), false),
        (r#"{"a":1,}"#.into(), false),
        ("{\"a\":1}\n\r\t ".into(), true),
        ("{\"a\":\"\x7f\"}".into(), true),
        (r"[1]".into(), false),
        (r#"{"pid":1,"pid":2}"#.into(), true),
    ];
    for (line, accepted) in cases {
        assert_eq!(
            serde_accepts(line.as_bytes()),
            accepted,
            "serde_json on {line}"
        );
        assert_eq!(
            RawRecord::parse(line.as_bytes()).is_ok(),
            accepted,
            "prt on {line}"
        );
    }
    let err = RawRecord::parse(br#"{"a":"x\udc00"}"#).expect_err("lone");
    assert_eq!(
        (err.what.as_str(), err.column),
        ("unpaired surrogate in a \\u escape", 8)
    );
    let err = RawRecord::parse(br#"{"a":1e400}"#).expect_err("range");
    assert_eq!((err.what.as_str(), err.column), ("number out of range", 6));
}

/// A deterministic generator of almost-JSON lines: objects built from a grammar that
/// likes the corners (escapes, surrogates, long numbers, exponents, deep nesting,
/// duplicate and escaped names), then sometimes damaged a byte or two.
struct Lines {
    state: u64,
}

impl Lines {
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn string(&mut self, out: &mut String) {
        const PIECES: [&str; 24] = [
            "a",
            "pid",
            "p\\u0069d",
            "\\ud800",
            "\\udc00",
            "\\ud83d\\ude00",
            "\\u0041",
            "\\n",
            "\\\"",
            "\\/",
            "\\x",
            "\\u12",
            "\\uZZZZ",
            "é",
            "\u{7f}",
            "\t",
            "\u{1}",
            " ",
            "\\\\",
            "\\udbff",
            "\\uDFFF",
            "\\u00",
            "😀",
            "\\b",
        ];
        out.push('"');
        for _ in 0..self.below(4) {
            let piece = self.pick(&PIECES);
            out.push_str(piece);
        }
        out.push('"');
    }

    fn number(&mut self, out: &mut String) {
        if self.below(4) == 0 {
            out.push('-');
        }
        let digits = if self.below(8) == 0 {
            [308, 309, 400][self.below(3)]
        } else {
            [1, 1, 2, 5, 19, 20, 21][self.below(7)]
        };
        for _ in 0..digits {
            out.push(char::from(b'0' + self.below(10) as u8));
        }
        if self.below(3) == 0 {
            out.push('.');
            for _ in 0..self.below(3) {
                out.push(char::from(b'0' + self.below(10) as u8));
            }
        }
        if self.below(3) == 0 {
            out.push_str(self.pick(&["e", "E", "e+", "e-", "E-"]));
            let exponent = ["", "0", "1", "308", "309", "400", "99999999999999999999"];
            out.push_str(self.pick(&exponent));
        }
    }

    fn value(&mut self, out: &mut String, depth: usize) {
        let choice = if depth > 3 {
            self.below(5)
        } else {
            self.below(9)
        };
        match choice {
            0 => out.push_str(self.pick(&["null", "true", "false", "nul", "tru"])),
            1 | 2 => self.number(out),
            3 | 4 => self.string(out),
            5 | 6 => self.object(out, depth + 1),
            7 => {
                out.push('[');
                for i in 0..self.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.value(out, depth + 1);
                }
                out.push(']');
            }
            _ if self.below(4) > 0 => out.push_str("[[{}]]"),
            _ => {
                let n = [120, 126, 127, 128][self.below(4)];
                out.push_str(&"[".repeat(n));
                out.push_str(&"]".repeat(n));
            }
        }
    }

    fn object(&mut self, out: &mut String, depth: usize) {
        out.push('{');
        for i in 0..self.below(5) {
            if i > 0 {
                out.push(',');
            }
            if self.below(2) == 0 {
                let name = [
                    "\"pid\"",
                    "\"p\\u0069d\"",
                    "\"piz\"",
                    "\"proto\"",
                    "\"pi\\u0064\"",
                ];
                out.push_str(self.pick(&name));
            } else {
                self.string(out);
            }
            out.push_str(self.pick(&[":", " : ", ":"]));
            self.value(out, depth);
        }
        out.push('}');
    }

    fn line(&mut self) -> Vec<u8> {
        let mut text = String::new();
        self.object(&mut text, 0);
        let mut bytes = text.into_bytes();
        for _ in 0..[0, 0, 1, 2][self.below(4)] {
            let noise = b"{}[]\",:\\u0123456789eE+-.tfn \x00\xff\xc3\xa9d8";
            let byte = noise[self.below(noise.len())];
            let at = self.below(bytes.len() + 1);
            match self.below(3) {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => bytes[at] = byte,
                _ if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.push(byte),
            }
        }
        bytes
    }
}

#[test]
fn accepts_exactly_what_serde_json_accepts_on_random_lines() {
    // See: issue 21
    // 2,428 of 1M random lines were accepted by prt alone.
    let mut lines = Lines {
        state: 0x2545_f491_4f6c_dd1d,
    };
    let (mut accepted, mut total) = (0, 0);
    for _ in 0..250_000 {
        let line = lines.line();
        let serde = serde_json::from_slice::<serde_json::Value>(&line);
        let ours = RawRecord::parse(&line);
        let shown = String::from_utf8_lossy(&line);
        assert_eq!(
            ours.is_ok(),
            serde.as_ref().is_ok_and(serde_json::Value::is_object),
            "{shown} prt {:?} serde_json {:?}",
            ours.as_ref().err(),
            serde.as_ref().err()
        );
        total += 1;
        let (Ok(record), Ok(value)) = (ours, serde) else {
            continue;
        };
        accepted += 1;
        // Where both accept, they agree on the fields prt acts on.
        let pid = value.get("pid");
        assert_eq!(
            record.u64(Key::Pid),
            pid.and_then(serde_json::Value::as_u64),
            "{shown}"
        );
        assert_eq!(record.get(Key::Pid).is_some(), pid.is_some(), "{shown}");
        let proto = value.get("proto").and_then(serde_json::Value::as_str);
        assert_eq!(record.str(Key::Proto).as_deref(), proto, "{shown}");
    }
    // The generator must exercise both sides, or the comparison proves little.
    assert!(
        accepted > total / 10 && accepted < total * 9 / 10,
        "{accepted} of {total}"
    );
}

#[test]
fn every_key_is_found_by_its_name_in_its_own_slot() {
    for (slot, key) in Key::ALL.into_iter().enumerate() {
        assert_eq!(key as usize, slot, "{key:?}");
        assert_eq!(Key::candidate(key.name().as_bytes()), Some(key));
    }
    let line = br#"{"status":"new","interface":"eth0","recv_q":3,"send_q":128}"#;
    let record = RawRecord::parse(line).expect("valid");
    assert_eq!(record.str(Key::Interface).as_deref(), Some("eth0"));
    assert_eq!(record.u64(Key::RecvQ), Some(3));
    assert_eq!(record.u64(Key::SendQ), Some(128));
    assert_eq!(record.str(Key::Status).as_deref(), Some("new"));
}

#[test]
fn empty_and_partial_objects_are_records() {
    let record = RawRecord::parse(b"  {}  ").expect("valid");
    assert_eq!(record.get(Key::Proto), None);
    RawRecord::parse(br#"{"local_port":22}"#).expect("valid");
}

#[test]
fn malformed_lines_say_where() {
    let cases: [(&[u8], &str, usize); 12] = [
        (b"", "expected a JSON object, found an empty line", 1),
        (b"[1]", "expected a JSON object", 1),
        (b"{\"a\":1", "expected ',' or '}' after a value", 7),
        (b"{\"a\" 1}", "expected ':' after the field name", 6),
        (b"{a:1}", "expected a field name in double quotes", 2),
        (b"{\"a\":01}", "malformed number", 8),
        (b"{\"a\":tru}", "expected a value", 6),
        (b"{\"a\":\"x\\q\"}", "malformed escape in a string", 9),
        (b"{\"a\":\"x\x01\"}", "control character in a string", 8),
        (b"{\"a\":\"x", "unterminated string", 8),
        (b"{} {}", "unexpected text after the object", 4),
        (b"{\"a\":\"\xff\"}", "invalid UTF-8", 7),
    ];
    for (line, what, column) in cases {
        let err = RawRecord::parse(line).expect_err("malformed");
        assert_eq!(
            (err.what.as_str(), err.column),
            (what, column),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let err = RawRecord::parse(deep.as_bytes()).expect_err("too deep");
    assert_eq!(err.what, "nested too deeply");
}

#[test]
fn word_at_a_time_scan_finds_the_first_special_byte() {
    let text = b"abcdefghijklmnop\"qrs\\tu\x01vwxyz\x7f\xc3\xa9";
    for start in 0..text.len() {
        let slow = (start..text.len())
            .find(|&i| STRING_SPECIAL[usize::from(text[i])])
            .unwrap_or(text.len());
        assert_eq!(skip_plain(text, start), slow, "from {start}");
    }
    for byte in 0..=255u8 {
        let mut line = [b'a'; 20];
        line[11] = byte;
        let expected = if STRING_SPECIAL[usize::from(byte)] {
            11
        } else {
            20
        };
        assert_eq!(skip_plain(&line, 0), expected, "byte {byte:#x}");
    }
}

#[test]
fn unescapes_surrogate_pairs() {
    assert_eq!(unescape(r"\ud83d\ude00 \u0041\n"), "😀 A\n");
    assert_eq!(unescape(r"\ud83d"), "\u{fffd}");
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz: every prefix and many byte mutations of a real line.
    let line = LINE.as_bytes();
    for end in 0..=line.len() {
        let _ = RawRecord::parse(&line[..end]);
    }
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut mutated = line.to_vec();
        let at = (state % mutated.len() as u64) as usize;
        mutated[at] = (state >> 32) as u8;
        if let Ok(record) = RawRecord::parse(&mutated) {
            for key in Key::ALL {
                let _ = record.str(key);
                let _ = record.value(key).map(RawValue::strings);
            }
        }
    }
}

#[test]
fn the_guess_of_the_next_field_is_only_a_shortcut() {
    // Each key's quoted name, and its word comparison against the name itself, cut short
    // (the end of a line) and with each byte changed.
    for key in Key::ALL {
        let quoted = format!("\"{}\":", key.name());
        assert_eq!(key.quoted(), quoted.as_bytes(), "{key:?}");
        let mut rest = quoted.clone().into_bytes();
        rest.extend_from_slice(b"\"value\",\"more\":1}");
        assert!(key.starts(&rest), "{key:?}");
        assert!(
            key.starts(quoted.as_bytes()),
            "{key:?} at the end of a line"
        );
        assert!(
            !key.starts(&quoted.as_bytes()[..quoted.len() - 1]),
            "{key:?}"
        );
        for at in 0..quoted.len() {
            let mut changed = rest.clone();
            changed[at] ^= 0x20;
            assert!(!key.starts(&changed), "{key:?} with byte {at} changed");
        }
    }
    // Names that are not the guess, or are spelled around it, are read the long way.
    let cases: [(&str, Option<&str>); 5] = [
        (
            r#"{"proto":"tcp","local_addz":"::2","local_addr":"::1"}"#,
            Some("::1"),
        ),
        (r#"{"proto":"tcp","local_addr" : "::1"}"#, Some("::1")),
        (
            r#"{"proto":"tcp","local_addr":"::1","local_addr":"::3"}"#,
            Some("::3"),
        ),
        (r#"{"proto":"tcp","local_add\u0072":"::4"}"#, Some("::4")),
        (r#"{"local_addr":"::5","proto":"tcp"}"#, Some("::5")),
    ];
    for (line, addr) in cases {
        let record = RawRecord::parse(line.as_bytes()).expect("valid");
        assert_eq!(record.str(Key::LocalAddr).as_deref(), addr, "{line}");
        assert_eq!(record.str(Key::Proto).as_deref(), Some("tcp"), "{line}");
    }
}

#[test]
fn prt_records_in_wire_order_are_read_whole() {
    // Every key in the order the guesses follow, after it the traffic counters' chain.
    let mut chain = vec![Key::Proto];
    while let Some(next) = chain.last().and_then(|key| key.next_on_the_wire()) {
        chain.push(next);
    }
    let mut traffic = vec![Key::BytesSent];
    while let Some(next) = traffic.last().and_then(|key| key.next_on_the_wire()) {
        if chain.contains(&next) {
            break;
        }
        traffic.push(next);
    }
    let mut rates = vec![Key::RateSent, Key::RateReceived];
    chain.append(&mut traffic);
    chain.append(&mut rates);
    assert_eq!(chain.len(), Key::ALL.len(), "{chain:?}");
    let fields: Vec<String> = chain
        .iter()
        .enumerate()
        .map(|(n, key)| format!("\"{}\":{n}", key.name()))
        .collect();
    let line = format!("{{{}}}", fields.join(","));
    let record = RawRecord::parse(line.as_bytes()).expect("valid");
    for (n, key) in chain.iter().enumerate() {
        assert_eq!(record.u64(*key), Some(n as u64), "{key:?}");
    }
}
