//! The lsof and ps output parsers: no input panics; every socket parsed names a process
//! whose `p` line is in the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prt::scan::lsof;

fuzz_target!(|data: &[u8]| {
    if let Ok(sockets) = lsof::parse(data) {
        let text = String::from_utf8_lossy(data);
        for socket in &sockets {
            let line = format!("p{}", socket.pid);
            assert!(
                text.lines().any(|l| l == line || l.strip_prefix('p').and_then(|p| p.parse::<u32>().ok()) == Some(socket.pid)),
                "pid {} not in the input",
                socket.pid
            );
        }
    }
    for (pid, info) in lsof::parse_ps(data) {
        assert!(pid > 0 || info.ppid == 0 || pid == 0);
    }
});
