//! Unit tests of `model`.

use super::*;

fn sample() -> PortEntry {
    PortEntry {
        proto: Proto::Tcp,
        local_addr: "::1".parse().expect("literal address"),
        local_port: 8080,
        remote_addr: None,
        remote_port: None,
        state: State::Listen,
        inode: 12345,
        uid: Some(1000),
        pid: Some(42),
        pids: vec![42, 43],
        process: Some("python3".into()),
        cmdline: None,
        user: Some("alice".into()),
        ppid: Some(1),
        started: Some(Timestamp::from_unix(1_795_849_200)),
        service: None,
        suspicious: vec![],
        container: None,
        netns: Some(4_026_531_840),
        interface: None,
        recv_q: Some(0),
        send_q: Some(128),
        traffic: None,
        cookie: None,
    }
}

#[test]
fn port_entry_wire_format_has_every_field_in_order() {
    let json = serde_json::to_string(&sample()).expect("serializes");
    assert_eq!(
        json,
        r#"{"proto":"tcp","local_addr":"::1","local_port":8080,"remote_addr":null,"remote_port":null,"state":"LISTEN","inode":12345,"uid":1000,"pid":42,"pids":[42,43],"process":"python3","cmdline":null,"user":"alice","ppid":1,"started":"2026-11-28T07:00:00Z","service":null,"suspicious":[],"container":null,"netns":4026531840,"interface":null,"recv_q":0,"send_q":128}"#
    );
    let back: PortEntry = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, sample());
}

#[test]
fn tracked_entry_adds_its_fields_after_the_socket() {
    let tracked = TrackedEntry {
        entry: sample(),
        status: Status::New,
        first_seen: Some(Timestamp::from_unix(0)),
        seq: 3,
        ts: Timestamp::from_unix(86_400),
        rates: None,
        source: None,
    };
    let json = serde_json::to_string(&tracked).expect("serializes");
    assert!(json.ends_with(
        r#""netns":4026531840,"interface":null,"recv_q":0,"send_q":128,"status":"new","first_seen":"1970-01-01T00:00:00Z","seq":3,"ts":"1970-01-02T00:00:00Z"}"#
    ));
    let back: TrackedEntry = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, tracked);
}

#[test]
fn states_spell_as_the_design_says() {
    let spelled: Vec<String> = State::ALL
        .iter()
        .map(|s| serde_json::to_string(s).expect("serializes"))
        .collect();
    assert_eq!(
        spelled.join(" "),
        r#""LISTEN" "ESTABLISHED" "SYN_SENT" "SYN_RECV" "FIN_WAIT1" "FIN_WAIT2" "TIME_WAIT" "CLOSE" "CLOSE_WAIT" "LAST_ACK" "CLOSING" "UNCONN""#
    );
    for state in State::ALL {
        assert_eq!(state.as_str().parse::<State>(), Ok(state));
        assert_eq!(
            serde_json::to_string(&state).expect("ok"),
            format!("\"{state}\"")
        );
    }
    assert_eq!("syn-sent".parse::<State>(), Ok(State::SynSent));
    assert_eq!("estab".parse::<State>(), Ok(State::Established));
    assert!("LISTENING".parse::<State>().is_err());
}

#[test]
fn kernel_state_numbers_map_like_ss() {
    assert_eq!(State::from_kernel(Proto::Tcp, 10), Some(State::Listen));
    assert_eq!(State::from_kernel(Proto::Tcp, 7), Some(State::Close));
    assert_eq!(State::from_kernel(Proto::Udp, 7), Some(State::Unconn));
    assert_eq!(State::from_kernel(Proto::Udp, 1), Some(State::Established));
    assert_eq!(State::from_kernel(Proto::Tcp, 12), Some(State::SynRecv));
    assert_eq!(State::from_kernel(Proto::Tcp, 0), None);
    assert_eq!(State::from_kernel(Proto::Tcp, 14), None);
}

#[test]
fn timestamps_round_trip_through_rfc3339() {
    for (secs, text) in [
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_795_849_200, "2026-11-28T07:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"),
    ] {
        assert_eq!(Timestamp::from_unix(secs).to_string(), text);
        assert_eq!(text.parse::<Timestamp>(), Ok(Timestamp::from_unix(secs)));
    }
    assert_eq!(
        "2026-11-28T09:00:00.123+02:00".parse::<Timestamp>(),
        Ok(Timestamp::from_unix_nanos(1_795_849_200, 123_000_000))
    );
    // Start times at the kernel's precision round-trip exactly.
    for (nanos, text) in [
        (370_000_000, "2026-11-28T07:00:00.37Z"),
        (50_000_000, "2026-11-28T07:00:00.05Z"),
        (1_000_000, "2026-11-28T07:00:00.001Z"),
        (1_500, "2026-11-28T07:00:00.000001500Z"),
    ] {
        let stamp = Timestamp::from_unix_nanos(1_795_849_200, nanos);
        assert_eq!(stamp.to_string(), text);
        assert_eq!(text.parse::<Timestamp>(), Ok(stamp));
    }
    assert_eq!(
        "2026-11-28T07:00:00.1234567891Z"
            .parse::<Timestamp>()
            .map(|t| t.nanos),
        Ok(123_456_789)
    );
    // Before the epoch, a fraction still counts up from its second.
    let early = Timestamp::from_unix_nanos(-2, 500_000_000);
    assert_eq!(early.to_string(), "1969-12-31T23:59:58.50Z");
    assert_eq!("1969-12-31T23:59:58.50Z".parse::<Timestamp>(), Ok(early));
    assert_eq!(
        "2028-02-29T00:00:00Z".parse::<Timestamp>(),
        Ok(Timestamp::from_unix(1_835_395_200))
    );
    for bad in [
        "",
        "2026-11-28",
        "2026-13-01T00:00:00Z",
        "2026-11-28T00:00:00",
        "2026-11-28T00:00:00.Z",
        // Dates that do not exist are errors, not days of the next month.
        "2026-02-31T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "２０26-11-28T00:00:00Z",
    ] {
        assert!(
            bad.parse::<Timestamp>().is_err(),
            "{bad:?} should not parse"
        );
    }
}
