//! The configuration and its alert rules: no input panics or overflows the stack; a
//! configuration that loads has rules that all build.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use prt::alert::Rule;
use prt::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text, Path::new("fuzz.toml")) else {
        return;
    };
    for rule in &config.alerts {
        let _ = Rule::from_config(rule, Some(Path::new("fuzz.toml")));
    }
    let _ = prt::duration::parse(text);
});
