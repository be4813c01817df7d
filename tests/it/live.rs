//! The live view of `prt watch` in a real terminal: tmux runs it in a pane of a chosen
//! size, types keys into it, resizes it and shows the screen as a person sees it
//! (`capture-pane`). Each test has a tmux server of its own.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;

/// One tmux server with one pane running `prt watch`.
struct Pane {
    server: String,
    dir: tempfile::TempDir,
}

impl Pane {
    /// Runs `prt watch ARGS` in a `columns` x `lines` pane with `env` set. A shell around
    /// it saves `stty -a` before and after and the exit status, and keeps the pane open.
    fn watch(args: &str, columns: u16, lines: u16, env: &str) -> Pane {
        let line = format!("{env} {} watch {args}", env!("CARGO_BIN_EXE_prt"));
        Pane::run(&line, columns, lines)
    }

    /// Runs a shell command line in a `columns` x `lines` pane, as [`Pane::watch`] does.
    fn run(line: &str, columns: u16, lines: u16) -> Pane {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let server = format!(
            "prt-it-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let at = dir.path().display();
        let script = format!(
            "stty -a > {at}/before; {line}; echo $? > {at}/status.tmp; \
             stty -a > {at}/after; mv {at}/status.tmp {at}/status; sleep 600"
        );
        let pane = Pane { server, dir };
        pane.tmux(&[
            "new-session",
            "-d",
            "-x",
            &columns.to_string(),
            "-y",
            &lines.to_string(),
            &script,
        ]);
        pane
    }

    /// An interactive shell in the pane, for job control (Ctrl-Z, `fg`).
    fn shell(columns: u16, lines: u16) -> Pane {
        let pane = Pane::watch("--version", columns, lines, "");
        pane.tmux(&["respawn-pane", "-k", "bash --norc --noprofile -i"]);
        pane
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = command("tmux")
            .args(["-L", &self.server, "-f", "/dev/null"])
            .args(args)
            .env("TERM", "xterm")
            .output()
            .expect("tmux runs (apt-get install tmux)");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Every line written so far, the scrolled-off ones too.
    fn history(&self) -> Vec<String> {
        self.tmux(&["capture-pane", "-p", "-S", "-"])
            .lines()
            .map(|l| l.trim_end().to_owned())
            .collect()
    }

    /// The screen's lines now.
    fn screen(&self) -> Vec<String> {
        self.tmux(&["capture-pane", "-p"])
            .lines()
            .map(|l| l.trim_end().to_owned())
            .collect()
    }

    /// Waits until the screen satisfies `wanted`; returns that screen.
    fn wait_for(&self, what: &str, wanted: impl Fn(&[String]) -> bool) -> Vec<String> {
        // Generous: the suite shares two cores with builds.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} on the screen:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types keys (tmux names: `Down`, `End`, `C-c`, `Enter`) or text.
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.tmux(&args);
    }

    fn resize(&self, columns: u16, lines: u16) {
        self.tmux(&[
            "resize-window",
            "-x",
            &columns.to_string(),
            "-y",
            &lines.to_string(),
        ]);
    }

    /// `#{alternate_on}` and the like: the pane's state.
    fn format(&self, format: &str) -> String {
        self.tmux(&["display-message", "-p", format])
            .trim()
            .to_owned()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The watch's exit status, once it has ended.
    fn status(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.file("status").exists() {
            assert!(
                Instant::now() < deadline,
                "the watch goes on:\n{}",
                self.screen().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = std::fs::read_to_string(self.file("status")).expect("status");
        text.trim().parse().expect("a number")
    }

    /// `stty -a` before and after the watch.
    fn stty(&self) -> (String, String) {
        let read = |name| std::fs::read_to_string(self.file(name)).expect("stty saved");
        (read("before"), read("after"))
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        // Ends the pane's processes too (SIGHUP), so no watch outlives its test.
        let _ = Command::new("tmux")
            .args(["-L", &self.server, "kill-server"])
            .status();
    }
}

/// The rows of a screen: the lines after the table heading that show a socket.
fn rows(screen: &[String]) -> Vec<&String> {
    let Some(heading) = screen.iter().position(|l| l.contains("PROTO")) else {
        return Vec::new();
    };
    screen[heading + 1..].iter().filter(|l| is_row(l)).collect()
}

/// A row starts with the selection column and has a protocol.
fn is_row(line: &str) -> bool {
    line.contains(" tcp ") || line.contains(" udp ")
}

/// The number in a "+N more" line, if the screen has one.
fn more(screen: &[String]) -> Option<usize> {
    screen.iter().find_map(|l| {
        l.trim()
            .strip_prefix('+')?
            .strip_suffix(" more")?
            .parse()
            .ok()
    })
}

/// The local port of a row.
fn port_of(row: &str) -> Option<u16> {
    row.split_whitespace()
        .find_map(|w| w.strip_prefix("127.0.0.1:"))
        .and_then(|p| p.parse().ok())
}

fn listeners(n: usize) -> Vec<TcpListener> {
    (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect()
}

/// `port=A or port=B ...` for the test's own listeners.
fn only(listeners: &[TcpListener]) -> String {
    let terms: Vec<String> = listeners
        .iter()
        .map(|l| format!("port={}", l.local_addr().expect("addr").port()))
        .collect();
    format!("'{}'", terms.join(" or "))
}

// See: issue 15 — with many listeners the header scrolled away on every redraw.
#[test]
fn the_header_stays_on_screen_with_200_listeners_at_three_sizes() {
    let _listeners = listeners(200);
    for (columns, lines) in [(60u16, 20u16), (80, 24), (160, 45)] {
        let pane = Pane::watch(
            "--interval 200ms -tl --where 'local in 127.0.0.0/8'",
            columns,
            lines,
            "NO_COLOR=1",
        );
        let first = pane.wait_for("a view", |s| more(s).is_some());
        // A later frame, a second or more on (the header shows the time to the second):
        // the header is still the first line.
        let later = pane.wait_for("a later frame", |s| s[0] != first[0] && more(s).is_some());
        for screen in [&first, &later] {
            assert_eq!(screen.len(), usize::from(lines), "{columns}x{lines}");
            assert!(screen[0].starts_with("prt watch"), "{screen:#?}");
            assert!(screen[1].contains("sort"), "{screen:#?}");
            assert!(screen[2].contains("PROTO"), "{screen:#?}");
            let hidden = more(screen).expect("+N more");
            let shown = rows(screen).len();
            assert!(shown + hidden >= 200, "{shown} + {hidden}: {screen:#?}");
            assert_eq!(shown, usize::from(lines) - 4, "{screen:#?}");
            assert!(
                screen
                    .iter()
                    .all(|l| l.chars().count() <= usize::from(columns))
            );
        }
    }
}

// See: issue 15 — the width was read once: a resized terminal kept the old layout.
#[test]
fn a_resize_re_lays_out_the_view_within_one_tick() {
    let _listeners = listeners(60);
    // One scan in the test's time: a new layout can only come from the resize.
    let pane = Pane::watch(
        "--interval 60s -tl --where 'local in 127.0.0.0/8'",
        160,
        45,
        "NO_COLOR=1",
    );
    let wide = pane.wait_for("a view", |s| more(s).is_some());
    assert!(
        wide[2].contains("SERVICE") && wide[2].contains("AGE"),
        "{wide:#?}"
    );
    pane.resize(60, 20);
    let narrow = pane.wait_for("the view at 60x20", |s| {
        s.len() == 20 && more(s).is_some() && rows(s).len() == 16
    });
    assert!(narrow[0].starts_with("prt watch"), "{narrow:#?}");
    assert!(narrow[2].contains("PROCESS"), "{narrow:#?}");
    pane.resize(120, 30);
    let back = pane.wait_for("the view at 120x30", |s| {
        s.len() == 30 && rows(s).len() == 26
    });
    assert!(back[2].contains("AGE"), "widened again: {back:#?}");
}

// See: issue 15 — at 60 columns PROCESS showed as `[!…`.
#[test]
fn at_60_columns_the_process_is_readable_and_markers_show_without_colour() {
    let old = listeners(1);
    // A port to open during the watch: learnt by binding, then let go.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let old_port = old[0].local_addr().expect("addr").port();
    // A `+` marks a socket for one tick: at 1 s the frame stays long enough to be read
    // while builds share the two cores.
    let pane = Pane::watch(
        &format!("--interval 1s -tl --where 'port={old_port} or port={port}'"),
        60,
        20,
        "NO_COLOR=1",
    );
    let comm = own_comm();
    let pid = std::process::id().to_string();
    let screen = pane.wait_for("our listener", |s| rows(s).len() == 1);
    let row = rows(&screen)[0].clone();
    let words: Vec<&str> = row.split_whitespace().collect();
    assert!(
        words.contains(&pid.as_str()) && words.contains(&comm.as_str()),
        "{row}"
    );
    assert!(row.starts_with('>'), "the selection shows in text: {row}");

    // A connection the filter leaves out, opened and closed: its destroy event is no row.
    let other = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client = std::net::TcpStream::connect(other.local_addr().expect("addr")).expect("connect");
    drop((other.accept().expect("accept"), client));
    let new = TcpListener::bind(("127.0.0.1", port)).expect("bind the chosen port");
    let needle = format!("127.0.0.1:{port}");
    let screen = pane.wait_for("the new listener", |s| {
        rows(s).iter().any(|r| r.contains(&needle))
    });
    let row = rows(&screen)
        .into_iter()
        .find(|r| r.contains(&needle))
        .expect("row");
    assert_eq!(row.chars().nth(1), Some('+'), "new: {screen:#?}");
    // Reported by the tracepoint as it began (as root) and listed by the scan of the same
    // tick: one row.
    assert_eq!(
        rows(&screen).iter().filter(|r| r.contains(&needle)).count(),
        1,
        "{screen:#?}"
    );
    let ours = [format!("127.0.0.1:{old_port} "), format!("{needle} ")];
    assert!(
        rows(&screen)
            .iter()
            .all(|r| ours.iter().any(|p| r.contains(p.as_str()))),
        "only the filter's sockets: {screen:#?}"
    );
    drop(new);
    let screen = pane.wait_for("the gone listener", |s| {
        rows(s)
            .iter()
            .any(|r| r.contains(&needle) && r.chars().nth(1) == Some('-'))
    });
    assert!(!screen.join("\n").contains('\x1b'));
}

// See: issue 15 — keys, as users of the original prt's TUI expect.
#[test]
fn keys_sort_filter_pause_scroll_and_quit() {
    let ours = listeners(5);
    let mut ports: Vec<u16> = ours
        .iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect();
    ports.sort_unstable();
    // A port opened while paused: learnt by binding, then let go.
    let late = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let filter = only(&ours).trim_end_matches('\'').to_owned() + &format!(" or port={late}'");
    let pane = Pane::watch(
        &format!("--interval 200ms -tl --where {filter}"),
        100,
        24,
        "",
    );
    let shown = |s: &[String]| {
        rows(s)
            .iter()
            .filter_map(|r| port_of(r))
            .collect::<Vec<_>>()
    };
    pane.wait_for("the five rows in port order", |s| shown(s) == ports);

    // S: the other direction, shown in the controls line.
    pane.keys(&["S"]);
    let mut reversed = ports.clone();
    reversed.reverse();
    let screen = pane.wait_for("the rows reversed", |s| shown(s) == reversed);
    assert!(screen[1].contains("sort LOCAL ↓"), "{screen:#?}");
    // s: the next column.
    pane.keys(&["s"]);
    pane.wait_for("sorted by protocol", |s| s[1].contains("sort PROTO"));
    pane.keys(&["S"]);

    // Arrows: the selection moves, End goes to the last row, Home back.
    pane.keys(&["Home", "Down"]);
    let selected = |s: &[String]| rows(s).iter().position(|r| r.starts_with('>'));
    pane.wait_for("the second row selected", |s| selected(s) == Some(1));
    pane.keys(&["End"]);
    pane.wait_for("the last row selected", |s| selected(s) == Some(4));
    pane.keys(&["Home"]);
    pane.wait_for("the first row selected", |s| selected(s) == Some(0));

    // /: a filter in the language of `prt filter`; a mistake is shown in place.
    pane.keys(&["/"]);
    pane.keys(&["-l", &format!("port={}", ports[2])]);
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("one row", |s| shown(s) == [ports[2]]);
    assert!(
        screen[1].contains(&format!("filter port={}", ports[2])),
        "{screen:#?}"
    );
    pane.keys(&["/", "C-u"]);
    pane.keys(&["-l", "port="]);
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("the error", |s| s[1].contains("column"));
    assert!(
        screen[1].contains("port=_"),
        "the text stays to be corrected: {screen:#?}"
    );
    pane.keys(&["Escape"]);
    pane.wait_for("the filter as it was", |s| shown(s) == [ports[2]]);
    pane.keys(&["/", "C-u", "Enter"]);
    pane.wait_for("every row again", |s| shown(s).len() == 5);

    // p: the view freezes while scans go on.
    pane.keys(&["p"]);
    pane.wait_for("PAUSED", |s| s[1].contains("PAUSED"));
    let opened = TcpListener::bind(("127.0.0.1", late)).expect("bind the chosen port");
    std::thread::sleep(Duration::from_secs(1));
    let screen = pane.screen();
    assert!(!shown(&screen).contains(&late), "paused: {screen:#?}");
    pane.keys(&["p"]);
    pane.wait_for("the late listener", |s| shown(s).contains(&late));

    // q: the end, status 0, the terminal as it was.
    pane.keys(&["q"]);
    assert_eq!(pane.status(), 0);
    let (before, after) = pane.stty();
    assert_eq!(before, after);
    drop(opened);
}

// See: issue 15 — Ctrl-C ended the watch with status 0.
#[test]
fn ctrl_c_exits_130_with_the_terminal_as_it_was() {
    let pane = Pane::watch("--interval 200ms", 80, 24, "");
    pane.wait_for("a view", |s| s.len() > 2 && s[2].contains("PROTO"));
    assert_eq!(pane.format("#{alternate_on}"), "1");
    pane.keys(&["C-c"]);
    assert_eq!(pane.status(), 130);
    let (before, after) = pane.stty();
    assert_eq!(before, after, "stty -a before and after");
    assert_eq!(pane.format("#{alternate_on} #{cursor_flag}"), "0 1");
}

// See: issue 15 — Ctrl-Z left the alternate screen with the cursor hidden.
#[test]
fn ctrl_z_gives_the_shell_back_and_fg_redraws() {
    let pane = Pane::shell(100, 24);
    pane.wait_for("a prompt", |s| {
        s.iter().any(|l| l.contains('#') || l.contains('$'))
    });
    pane.keys(&[
        "-l",
        &format!(
            "NO_COLOR=1 {} watch --interval 200ms",
            env!("CARGO_BIN_EXE_prt")
        ),
    ]);
    pane.keys(&["Enter"]);
    pane.wait_for("a view", |s| s.len() > 2 && s[2].contains("PROTO"));
    pane.keys(&["C-z"]);
    let screen = pane.wait_for("the shell", |s| s.iter().any(|l| l.contains("Stopped")));
    assert!(!screen.iter().any(|l| l.contains("PROTO")), "{screen:#?}");
    assert_eq!(pane.format("#{alternate_on} #{cursor_flag}"), "0 1");
    pane.keys(&["fg", "Enter"]);
    pane.wait_for("the view again", |s| s.len() > 2 && s[2].contains("PROTO"));
    assert_eq!(pane.format("#{alternate_on} #{cursor_flag}"), "1 0");
    // Keys work after fg: raw mode is back.
    pane.keys(&["S"]);
    pane.wait_for("a key taken", |s| s[1].contains('↓'));
    pane.keys(&["q"]);
    pane.wait_for("the prompt", |s| !s.iter().any(|l| l.contains("PROTO")));
    assert_eq!(pane.format("#{alternate_on} #{cursor_flag}"), "0 1");
}

// See: issue 15 — `prt watch | prt filter ...` on a terminal printed nothing while
// listeners opened, and a narrow stream squeezed PROCESS to `…`.
#[test]
fn a_filtered_watch_streams_rows_at_60_columns_with_the_heading_each_screenful() {
    // More listeners than a screenful, so the first scan's rows need the heading twice.
    let many = listeners(30);
    let prt = env!("CARGO_BIN_EXE_prt");
    let pane = Pane::run(
        &format!(
            "NO_COLOR=1 {prt} watch --ndjson --interval 1s -tl | NO_COLOR=1 {prt} filter \
             'new and state=listen and local in 127.0.0.0/8'"
        ),
        60,
        20,
    );
    // Addresses may be shortened in the middle at 60 columns; their ports stay whole.
    let last = format!(
        ":{} ",
        many.iter()
            .map(|l| l.local_addr().expect("addr").port())
            .max()
            .unwrap_or_default()
    );
    pane.wait_for("the first scan's rows", |s| {
        s.iter().any(|l| l.contains(&last))
    });
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let opened = Instant::now();
    let needle = format!(":{} ", listener.local_addr().expect("addr").port());
    let screen = pane.wait_for("the new listener", |s| {
        s.iter().any(|l| l.contains(&needle))
    });
    let waited = opened.elapsed();
    // One interval, and the time a debug build takes to scan and pass it on.
    assert!(waited < Duration::from_millis(2500), "{waited:?}");
    let row = screen.iter().find(|l| l.contains(&needle)).expect("row");
    let words: Vec<&str> = row.split_whitespace().collect();
    let pid = std::process::id().to_string();
    assert!(words.contains(&pid.as_str()), "{row}");
    assert!(
        words.contains(&own_comm().as_str()),
        "the process whole: {row}"
    );
    assert!(screen.iter().all(|l| l.chars().count() <= 60));

    let history = pane.history();
    let headings: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("PROTO") && l.contains("PROCESS"))
        .map(|(i, _)| i)
        .collect();
    assert!(headings.len() >= 2, "{history:#?}");
    assert!(
        headings.windows(2).all(|w| w[1] - w[0] <= 20),
        "a heading per screenful: {headings:?}"
    );
    drop(many);
}

// See: issue 15 — Enter shows the selected row's process, `k` kills it after a y/N.
#[test]
fn enter_shows_the_process_and_k_kills_it_after_a_yes() {
    use std::os::unix::process::ExitStatusExt as _;
    let (mut child, port) = python_reporting(
        "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n\
         print(s.getsockname()[1], flush=True)\ntime.sleep(600)",
    );
    let pid = child.id().to_string();
    let pane = Pane::watch(
        &format!("--interval 200ms -tl --where 'port={port}'"),
        100,
        30,
        "NO_COLOR=1",
    );
    let has_pid = |s: &[String]| {
        rows(s)
            .iter()
            .any(|r| r.starts_with('>') && r.split_whitespace().any(|w| w == pid))
    };
    pane.wait_for("the helper's row, selected", has_pid);

    pane.keys(&["Enter"]);
    let detail = pane.wait_for("its detail", |s| {
        s.iter().any(|l| l.starts_with("pid") && l.ends_with(&pid))
    });
    assert!(
        detail
            .iter()
            .any(|l| l.starts_with("cmdline") && l.contains("socket"))
    );
    assert!(detail[1].contains("Esc"), "{detail:#?}");
    pane.keys(&["Escape"]);
    pane.wait_for("the table again", has_pid);

    pane.keys(&["k"]);
    let ask = pane.wait_for("the question", |s| s[1].contains("send TERM"));
    assert!(
        ask[1].contains(&pid) && ask[1].contains("[y/N]"),
        "{ask:#?}"
    );
    pane.keys(&["n"]);
    pane.wait_for("a refusal", |s| s[1].contains("not confirmed"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().expect("try_wait").is_none(), "no means no");

    pane.keys(&["k"]);
    pane.wait_for("the question", |s| s[1].contains("send TERM"));
    pane.keys(&["y"]);
    pane.wait_for("the result", |s| s[1].contains("signalled"));
    let status = child.wait().expect("wait");
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");
    pane.wait_for("the row gone", |s| {
        rows(s).iter().any(|r| r.chars().nth(1) == Some('-'))
    });
    end_group(&mut child);
}
