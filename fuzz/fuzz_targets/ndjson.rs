//! The NDJSON record reader: no input panics; it accepts exactly the lines serde_json
//! accepts as a JSON object; it sees the same `pid` jq would (escaped keys, duplicates);
//! and the lines that come out of the line reader are the lines that went in.
#![no_main]

use std::io::Write as _;

use libfuzzer_sys::fuzz_target;
use prt::output::reader::{Input, Reader};
use prt::raw::{Key, RawRecord};

fuzz_target!(|data: &[u8]| {
    // One line: prt and serde_json agree on whether it is a JSON object.
    let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let ours = RawRecord::parse(line);
    let theirs = serde_json::from_slice::<serde_json::Value>(line);
    let theirs_object = theirs.as_ref().ok().and_then(serde_json::Value::as_object);
    match (&ours, theirs_object) {
        (Ok(record), Some(object)) => {
            let pid = object.get("pid").and_then(serde_json::Value::as_u64);
            assert_eq!(record.u64(Key::Pid), pid, "pid of {:?}", String::from_utf8_lossy(line));
        }
        (Err(_), None) => {}
        (Ok(_), None) => panic!("prt accepts what JSON does not: {:?}", String::from_utf8_lossy(line)),
        (Err(err), Some(_)) => {
            panic!("prt rejects a JSON object: {:?}: {err}", String::from_utf8_lossy(line))
        }
    }

    // Many lines through the reader: out come the lines that went in (blank lines
    // skipped, line endings taken off), in order.
    let Ok((path, mut file)) = scratch_file() else {
        return;
    };
    if file.write_all(data).and_then(|()| file.flush()).is_err() {
        let _ = std::fs::remove_file(&path);
        return;
    }
    let mut reader = Reader::new(vec![Input::from_arg(path.clone())]);
    let mut seen: Vec<Vec<u8>> = Vec::new();
    while let Ok(Some(line)) = reader.next_line() {
        seen.push(line.bytes.to_vec());
    }
    let _ = std::fs::remove_file(&path);
    let expected: Vec<Vec<u8>> = data
        .split(|&b| b == b'\n')
        .filter(|segment| !segment.iter().all(u8::is_ascii_whitespace))
        .map(|segment| {
            let mut end = segment.len();
            while end > 0 && segment[end - 1] == b'\r' {
                end -= 1;
            }
            segment[..end].to_vec()
        })
        .collect();
    assert_eq!(seen, expected);
});

/// A scratch file under /dev/shm (or /tmp) for the reader to open.
fn scratch_file() -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let dir = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm" } else { "/tmp" };
    let path = std::path::PathBuf::from(format!("{dir}/prt-fuzz-{}", std::process::id()));
    let file = std::fs::File::create(&path)?;
    Ok((path, file))
}
