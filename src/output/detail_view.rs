//! `prt detail` for people: a process's detail as labelled, translated sections with
//! human units, for `output::key_values` (or any other layout) to show.

use std::time::Duration;

use crate::detail::ProcessDetail;
use crate::i18n::{self, Msg};

/// A process's detail as labelled sections for people (the terminal view): identity,
/// origin, cost, holdings, environment.
#[must_use]
pub fn sections(detail: &ProcessDetail) -> Vec<Vec<(String, Vec<String>)>> {
    let one = |label: Msg, value: Option<String>| {
        (
            i18n::tr(label).to_owned(),
            value.into_iter().collect::<Vec<_>>(),
        )
    };
    let many = |label: Msg, values: Vec<String>| (i18n::tr(label).to_owned(), values);
    let exe = detail.exe.clone().map(|exe| {
        if detail.exe_deleted {
            i18n::trf(Msg::Deleted, &[&exe])
        } else {
            exe
        }
    });
    let user = match (&detail.user, detail.uid) {
        (Some(name), Some(uid)) => Some(format!("{name} ({uid})")),
        (None, Some(uid)) => Some(uid.to_string()),
        _ => None,
    };
    let chain: Vec<String> = detail
        .parents
        .iter()
        .map(|a| format!("{} {}", a.pid, a.process.as_deref().unwrap_or("?")))
        .collect();
    let started = detail.started.map(|s| match detail.uptime_secs {
        Some(up) => i18n::trf(
            Msg::Uptime,
            &[&s, &crate::duration::age(Duration::from_secs(up))],
        ),
        None => s.to_string(),
    });
    let files = match (&detail.files, detail.open_files) {
        (Some(files), _) => files
            .iter()
            .map(|f| format!("{:>4} {}", f.fd, f.target))
            .collect(),
        (None, Some(count)) => vec![i18n::trf(Msg::FilesHint, &[&count])],
        (None, None) => Vec::new(),
    };
    let sockets = detail
        .sockets
        .iter()
        .map(|s| {
            let mut text = format!("{} {} {}", s.proto, s.local, s.state);
            if let Some(remote) = &s.remote {
                text = format!("{} {} -> {remote} {}", s.proto, s.local, s.state);
            }
            if let Some(service) = &s.service {
                text.push_str(&format!(" ({service})"));
            }
            if !s.shared_with.is_empty() {
                let pids: Vec<String> = s.shared_with.iter().map(u32::to_string).collect();
                text.push_str(&format!(
                    " {}",
                    i18n::trf(Msg::AlsoHeldBy, &[&pids.join(" ")])
                ));
            }
            text
        })
        .collect();
    let env = match (&detail.env_values, &detail.env) {
        (Some(values), _) => values.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        (None, Some(names)) => wrap(names, 72),
        (None, None) => Vec::new(),
    };
    vec![
        vec![
            one(Msg::LabelPid, Some(detail.pid.to_string())),
            one(Msg::LabelProcess, detail.process.clone()),
            one(Msg::LabelExe, exe),
            one(Msg::LabelCmdline, detail.cmdline.clone()),
            one(Msg::LabelCwd, detail.cwd.clone()),
            one(Msg::LabelUser, user),
        ],
        vec![
            many(Msg::LabelParents, chain),
            one(Msg::LabelStarted, started),
            one(Msg::LabelState, detail.state.clone()),
        ],
        vec![
            one(
                Msg::LabelCpu,
                detail.cpu_percent.map(|c| format!("{c:.1}%")),
            ),
            one(Msg::LabelRss, detail.rss_bytes.map(human_bytes)),
            one(Msg::LabelThreads, detail.threads.map(|t| t.to_string())),
        ],
        vec![
            many(Msg::LabelOpenFiles, files),
            many(Msg::LabelSockets, sockets),
            one(Msg::LabelCgroup, detail.cgroup.clone()),
            one(Msg::LabelContainer, detail.container.clone()),
            one(Msg::LabelUnit, detail.systemd_unit.clone()),
        ],
        vec![
            many(Msg::LabelEnvironment, env),
            many(Msg::LabelNotes, detail.notes.clone()),
        ],
    ]
}

/// Words joined by spaces into lines of about `width` characters.
fn wrap(words: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in words {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.clone()),
        }
    }
    lines
}

/// `12.3 MiB`.
#[allow(clippy::cast_precision_loss)] // one decimal shown: precision is not the point
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_into_lines() {
        let words: Vec<String> = ["HOME", "PATH", "LANG", "TERM"].map(String::from).to_vec();
        assert_eq!(wrap(&words, 9), ["HOME PATH", "LANG TERM"]);
        assert_eq!(wrap(&words, 3), ["HOME", "PATH", "LANG", "TERM"]);
        assert!(wrap(&[], 9).is_empty());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 * 1024 * 1024), "10.0 MiB");
    }
}
