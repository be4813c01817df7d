//! Flags shared by every stage, and [`Ctx`]: the terminal and environment questions,
//! answered once per run.

use std::ffi::OsString;
use std::io::{self, BufWriter, IsTerminal, LineWriter, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::act::target::{TargetSpec, Targets};
use crate::config::{self, ColorSetting, Config, FormatSetting, LangSetting};
use crate::i18n::{self, Lang, Msg};
use crate::model::Proto;
use crate::output::reader::{self, Input, Reader};
use crate::output::results::ResultSink;
use crate::output::{self, Format, RecordSink, Style, TableOptions};
use crate::raw::RawRecord;
use crate::scan::{Backend, Family, NamespaceReport, ScanOptions};

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned columns for people (the default on a terminal).
    Table,
    /// One JSON object per line (the default in a pipe).
    Ndjson,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Format {
        match arg {
            FormatArg::Table => Format::Table,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing a table to a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always colour (also CLICOLOR_FORCE=1).
    Always,
    /// Never colour.
    Never,
}

/// `--format` and `--color`, flattened into every stage that prints records.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal (or the configuration's format there),
    /// ndjson otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// When to colour the table [default: auto].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
}

/// Which sockets to scan: shared by `scan` and `watch`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SocketArgs {
    /// Only TCP sockets (with --udp: both).
    #[arg(short = 't', long)]
    pub tcp: bool,
    /// Only UDP sockets (with --tcp: both).
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// Only listening sockets: TCP LISTEN and unconnected UDP (UNCONN).
    #[arg(short = 'l', long)]
    pub listen: bool,
    /// Only IPv4 sockets (with -6: both).
    #[arg(short = '4', long = "ipv4")]
    pub ipv4: bool,
    /// Only IPv6 sockets (with -4: both).
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,
    /// Every network namespace on the machine (containers, `ip netns`), not only this
    /// one; entering another namespace needs root.
    #[arg(long)]
    pub all_netns: bool,
    /// Where the socket list comes from: netlink (falls back to proc by itself), proc, or
    /// lsof (the macOS backend; only sockets a process holds) [default: netlink on Linux,
    /// lsof on macOS].
    #[arg(long, value_enum, value_name = "BACKEND", default_value_t = BackendArg::for_platform(), hide_default_value = true)]
    pub backend: BackendArg,
    /// Accepted as in ss, so `-tlnp` works as typed: prt never resolves names.
    #[arg(short = 'n', long = "numeric", hide_short_help = true)]
    pub numeric: bool,
    /// Accepted as in ss: prt always shows the owning processes.
    #[arg(short = 'p', long = "processes", hide_short_help = true)]
    pub processes: bool,
    /// Accepted as in ss: every socket is prt's default (-l narrows to listeners).
    #[arg(short = 'a', long = "all", hide_short_help = true)]
    pub all: bool,
}

/// `--host [NAME]`: shared by `scan` and `watch`, for records that leave the machine.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HostArgs {
    /// Add a "host" field to every NDJSON record: NAME, or this machine's hostname when
    /// NAME is left out. Without it records are unchanged.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub host: Option<String>,
}

impl HostArgs {
    /// The host name to add, if asked for: the one given, else the machine's.
    pub fn name(&self) -> anyhow::Result<Option<String>> {
        match self.host.as_deref() {
            None => Ok(None),
            Some("") => hostname().map(Some),
            Some(name) => Ok(Some(name.to_owned())),
        }
    }

    /// `out`, adding the host field to each NDJSON line when asked for.
    pub fn wrap<'a>(&self, out: Box<dyn Write + 'a>) -> anyhow::Result<Box<dyn Write + 'a>> {
        Ok(match self.name()? {
            Some(host) => Box::new(output::ndjson::WithHost::new(out, &host)),
            None => out,
        })
    }
}

/// This machine's hostname, from gethostname(2).
fn hostname() -> anyhow::Result<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is what we pass.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if rc != 0 {
        return Err(anyhow::Error::new(io::Error::last_os_error()).context("reading the hostname"));
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    Ok(String::from_utf8_lossy(&buffer[..end]).into_owned())
}

/// `--backend` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// Netlink sock_diag, like ss.
    Netlink,
    /// /proc/net/{tcp,tcp6,udp,udp6}.
    Proc,
    /// lsof -F and one ps call.
    Lsof,
}

impl Default for BackendArg {
    fn default() -> Self {
        BackendArg::for_platform()
    }
}

impl BackendArg {
    /// netlink on Linux, lsof elsewhere (macOS).
    #[must_use]
    pub const fn for_platform() -> BackendArg {
        if cfg!(target_os = "linux") {
            BackendArg::Netlink
        } else {
            BackendArg::Lsof
        }
    }
}

impl SocketArgs {
    /// The library's scan options for these flags.
    #[must_use]
    pub fn options(&self) -> ScanOptions {
        let protocols = match (self.tcp, self.udp) {
            (true, false) => vec![Proto::Tcp],
            (false, true) => vec![Proto::Udp],
            _ => vec![Proto::Tcp, Proto::Udp],
        };
        let families = match (self.ipv4, self.ipv6) {
            (true, false) => vec![Family::V4],
            (false, true) => vec![Family::V6],
            _ => vec![Family::V4, Family::V6],
        };
        ScanOptions {
            backend: match self.backend {
                BackendArg::Netlink => Backend::Netlink,
                BackendArg::Proc => Backend::Proc,
                BackendArg::Lsof => Backend::Lsof,
            },
            protocols,
            families,
            listening_only: self.listen,
            attribute: true,
            all_netns: self.all_netns,
        }
    }
}

/// Parses a duration flag: `500ms`, `2s`, `1.5s`, `1m`, `1h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    config::parse_duration(text)
}

/// `--config FILE`: shared by every stage that reads the configuration.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// Read the configuration from FILE [default: $PRT_CONFIG, else
    /// $XDG_CONFIG_HOME/prt/config.toml, else ~/.config/prt/config.toml].
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Language for tables, messages and prompts: en, ru or zh [default: $PRT_LANG, the
    /// configuration's `lang`, else $LC_ALL / $LC_MESSAGES / $LANG]. Records never change.
    #[arg(long, value_enum, value_name = "LANG", global = true)]
    pub lang: Option<LangArg>,
}

/// `--lang` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// Русский.
    Ru,
    /// 中文.
    Zh,
}

/// Where the configuration is looked for, and what chose that place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    /// The file.
    pub path: PathBuf,
    /// `--config`, `PRT_CONFIG`, `XDG_CONFIG_HOME` or `HOME`.
    pub source: &'static str,
}

impl ConfigLocation {
    /// Whether the file was named on purpose (a flag or `PRT_CONFIG`): then it must exist.
    #[must_use]
    pub fn explicit(&self) -> bool {
        matches!(self.source, "--config" | "PRT_CONFIG")
    }
}

/// Everything a stage needs to know about where it runs, decided once.
pub struct Ctx {
    /// How errors and notes name this stage (`prt scan`, `prt-scan`).
    pub label: String,
    /// Standard output is a terminal.
    pub stdout_tty: bool,
    /// Standard error is a terminal.
    pub stderr_tty: bool,
    /// Width of the terminal on stdout, when it is one.
    pub width: Option<u16>,
    /// Lines of the terminal on stdout, when it is one and says.
    pub height: Option<u16>,
    /// The configuration, once a stage has loaded it ([`Ctx::load_config`]).
    pub config: Config,
    env: Vec<(String, OsString)>,
    /// How many notes of each kind were given ([`Ctx::note_capped`]).
    noted: std::cell::RefCell<Vec<(&'static str, usize)>>,
    /// Set by [`Ctx::error`]: an error the stage went on after, which still makes the
    /// exit status 2 at the end.
    errored: std::cell::Cell<bool>,
}

/// Notes of one kind given one by one before the rest are only counted.
pub const NOTE_CAP: usize = 10;

impl Ctx {
    /// The context of this process: its terminals and its `NO_COLOR`/`CLICOLOR_FORCE`.
    #[must_use]
    pub fn from_process(label: &str) -> Ctx {
        let stdout = io::stdout();
        let stdout_tty = stdout.is_terminal();
        let env = [
            "NO_COLOR",
            "CLICOLOR_FORCE",
            "COLUMNS",
            "PRT_CONFIG",
            "XDG_CONFIG_HOME",
            "HOME",
            "PRT_LANG",
            "LC_ALL",
            "LC_MESSAGES",
            "LANG",
        ]
        .iter()
        .filter_map(|&name| Some((name.to_owned(), std::env::var_os(name)?)))
        .collect();
        let mut ctx = Ctx {
            label: label.to_owned(),
            stdout_tty,
            stderr_tty: io::stderr().is_terminal(),
            width: None,
            height: None,
            config: Config::default(),
            env,
            noted: std::cell::RefCell::default(),
            errored: std::cell::Cell::default(),
        };
        if stdout_tty {
            let size = terminal_size(stdout.as_raw_fd());
            ctx.width = size
                .map(|(columns, _)| columns)
                .or_else(|| ctx.var("COLUMNS")?.to_str()?.parse().ok());
            ctx.height = size.map(|(_, lines)| lines).filter(|&lines| lines > 0);
        }
        ctx
    }

    /// A context with no terminal and the given environment, for tests.
    #[must_use]
    pub fn detached(label: &str, env: &[(&str, &str)]) -> Ctx {
        Ctx {
            label: label.to_owned(),
            stdout_tty: false,
            stderr_tty: false,
            width: None,
            height: None,
            config: Config::default(),
            env: env.iter().map(|&(k, v)| (k.to_owned(), v.into())).collect(),
            noted: std::cell::RefCell::default(),
            errored: std::cell::Cell::default(),
        }
    }

    fn var(&self, name: &str) -> Option<&OsString> {
        self.env
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v)
    }

    /// Where the configuration is read from: `--config`, else `$PRT_CONFIG`, else
    /// `$XDG_CONFIG_HOME/prt/config.toml`, else `$HOME/.config/prt/config.toml`. `None` when
    /// none of these is set.
    #[must_use]
    pub fn config_location(&self, args: &ConfigArgs) -> Option<ConfigLocation> {
        let at = |path: PathBuf, source| Some(ConfigLocation { path, source });
        if let Some(path) = &args.config {
            return at(path.clone(), "--config");
        }
        if let Some(path) = self.var("PRT_CONFIG") {
            return at(PathBuf::from(path), "PRT_CONFIG");
        }
        if let Some(dir) = self.var("XDG_CONFIG_HOME") {
            return at(Path::new(dir).join("prt/config.toml"), "XDG_CONFIG_HOME");
        }
        let home = self.var("HOME")?;
        at(Path::new(home).join(".config/prt/config.toml"), "HOME")
    }

    /// Loads the configuration `args` point at into [`Ctx::config`]. A missing file at the
    /// default place is no configuration; a missing file named on purpose, or a broken one,
    /// is an error.
    pub fn load_config(&mut self, args: &ConfigArgs) -> anyhow::Result<()> {
        // `main` already chose the language of the flag or environment, so a broken file is
        // reported in it; the file's own `lang` counts once it is read.
        let Some(location) = self.config_location(args) else {
            return Ok(());
        };
        match Config::load(&location.path)? {
            Some(config) => self.config = config,
            None if location.explicit() => anyhow::bail!(
                "configuration file {} (from {}) does not exist",
                location.path.display(),
                location.source
            ),
            None => {}
        }
        i18n::set(self.language(args));
        Ok(())
    }

    /// The language to speak: `--lang`, then `PRT_LANG`, then the configuration's `lang`,
    /// then the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set (as in POSIX locale
    /// lookup); English when none names a language prt speaks.
    #[must_use]
    pub fn language(&self, args: &ConfigArgs) -> Lang {
        if let Some(flag) = args.lang {
            return match flag {
                LangArg::En => Lang::En,
                LangArg::Ru => Lang::Ru,
                LangArg::Zh => Lang::Zh,
            };
        }
        let named = |name| {
            self.var(name)
                .and_then(|v| Lang::from_locale(&v.to_string_lossy()))
        };
        if let Some(lang) = named("PRT_LANG") {
            return lang;
        }
        if let Some(lang) = self.config.lang {
            return match lang {
                LangSetting::En => Lang::En,
                LangSetting::Ru => Lang::Ru,
                LangSetting::Zh => Lang::Zh,
            };
        }
        // The first locale variable that is set decides, even for a language prt lacks.
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|name| self.var(name))
            .and_then(|v| Lang::from_locale(&v.to_string_lossy()))
            .unwrap_or_default()
    }

    /// The format to write: the flag; else, on a terminal, the configuration's `format` or a
    /// table; else NDJSON. The configured format is a preference for the screen: a pipe
    /// carries NDJSON unless the command line says otherwise, so `prt scan | prt filter`
    /// works whatever the configuration says.
    #[must_use]
    pub fn format(&self, args: &OutputArgs) -> Format {
        if let Some(format) = args.format {
            return format.into();
        }
        if !self.stdout_tty {
            return Format::Ndjson;
        }
        match self.config.format {
            Some(FormatSetting::Table) | None => Format::Table,
            Some(FormatSetting::Ndjson) => Format::Ndjson,
            Some(FormatSetting::Json) => Format::Json,
            Some(FormatSetting::Csv) => Format::Csv,
        }
    }

    /// Whether to colour: `--color` first, then the configuration's `color`, then
    /// `CLICOLOR_FORCE`, then `NO_COLOR`, then whether stdout is a terminal.
    #[must_use]
    pub fn colour(&self, flag: Option<ColorChoice>) -> bool {
        let set = |name| self.var(name).is_some_and(|v| v != "0");
        let configured = self.config.color.map(|color| match color {
            ColorSetting::Auto => ColorChoice::Auto,
            ColorSetting::Always => ColorChoice::Always,
            ColorSetting::Never => ColorChoice::Never,
        });
        match flag.or(configured).unwrap_or_default() {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto => self.stdout_tty,
        }
    }

    /// Standard output, line-buffered on a terminal and block-buffered otherwise. A write
    /// that fails says it was standard output that failed; one to a stdout that was closed
    /// when prt started fails too (see [`Stdout`]).
    #[must_use]
    pub fn stdout(&self) -> Box<dyn Write> {
        let lock = Stdout::new(io::stdout().lock());
        if self.stdout_tty {
            Box::new(LineWriter::new(lock))
        } else {
            Box::new(BufWriter::with_capacity(64 * 1024, lock))
        }
    }

    /// How a table on standard output looks, with `color` as the flag says.
    #[must_use]
    pub fn table_options(&self, color: Option<ColorChoice>) -> TableOptions {
        TableOptions {
            width: if self.stdout_tty { self.width } else { None },
            height: if self.stdout_tty { self.height } else { None },
            style: Style {
                enabled: self.colour(color),
            },
            netns_names: None,
        }
    }

    /// The writer for an acting stage's result records, on standard output.
    #[must_use]
    pub fn results(&self, args: &OutputArgs, headers: &[Msg]) -> ResultSink<Box<dyn Write>> {
        ResultSink::new(
            self.format(args),
            self.stdout(),
            headers,
            self.table_options(args.color),
        )
    }

    /// The record writer `args` asks for, on standard output.
    #[must_use]
    pub fn sink(&self, args: &OutputArgs) -> Box<dyn RecordSink> {
        self.sink_with(args, self.table_options(args.color))
    }

    /// The same, with a table laid out by `table`.
    #[must_use]
    pub fn sink_with(&self, args: &OutputArgs, table: TableOptions) -> Box<dyn RecordSink> {
        output::sink(self.format(args), self.stdout(), table)
    }

    /// A note for the person at the terminal, on stderr, prefixed with the stage name.
    pub fn note(&self, message: &str) {
        super::exit::report(&self.label, message);
    }

    /// An error the stage goes on after (an input file that cannot be opened, as grep
    /// goes on to the next): printed now, and the exit status is 2 at the end.
    pub fn error(&self, err: &anyhow::Error) {
        self.errored.set(true);
        super::exit::report(&self.label, &super::exit::describe(err));
    }

    /// Whether [`Ctx::error`] was called.
    #[must_use]
    pub fn errored(&self) -> bool {
        self.errored.get()
    }

    /// A note of which there may be one per record (a skipped line, a failed --exec): the
    /// first [`NOTE_CAP`] of each `kind` are given, the rest only counted, for one total
    /// line per kind at the end ([`Ctx::note_totals`]). The one place notes are capped.
    pub fn note_capped(&self, kind: &'static str, message: &str) {
        let count = {
            let mut noted = self.noted.borrow_mut();
            if let Some((_, count)) = noted.iter_mut().find(|(k, _)| *k == kind) {
                *count += 1;
                *count
            } else {
                noted.push((kind, 1));
                1
            }
        };
        if count <= NOTE_CAP {
            self.note(message);
        }
    }

    /// One line per kind of capped note that went over the cap: `... and 19990 more like
    /// this`. Called once, when the stage ends (however it ends).
    pub fn note_totals(&self) {
        let noted = std::mem::take(&mut *self.noted.borrow_mut());
        for (_, count) in noted {
            if count > NOTE_CAP {
                self.note(&i18n::trf(Msg::NotesMore, &[&(count - NOTE_CAP)]));
            }
        }
    }
}

/// Standard output as every stage writes it: a failed write names standard output (with
/// the error's kind kept, so a closed pipe is still recognised as one), and writing to a
/// stdout that was closed when prt started is an error rather than lost in silence.
pub struct Stdout<W> {
    inner: W,
}

/// A write error on standard output, as its message reads.
#[derive(Debug)]
struct StdoutError(String);

impl std::fmt::Display for StdoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StdoutError {}

impl<W: Write> Stdout<W> {
    /// Wraps the real standard output (or a stand-in in tests).
    pub fn new(inner: W) -> Stdout<W> {
        Stdout { inner }
    }

    fn check() -> io::Result<()> {
        if super::exit::stdout_closed() {
            return Err(closed_stdout_error());
        }
        Ok(())
    }
}

/// The error of writing to a standard output that was closed when prt started.
#[must_use]
pub fn closed_stdout_error() -> io::Error {
    io::Error::other(StdoutError(i18n::tr(Msg::StdoutClosed).to_owned()))
}

/// The error `err` from writing standard output, saying so (its kind kept).
#[must_use]
pub fn stdout_error(err: &io::Error) -> io::Error {
    let message = i18n::trf(Msg::StdoutWrite, &[err]);
    io::Error::new(err.kind(), StdoutError(message))
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::check()?;
        self.inner.write(buf).map_err(|e| stdout_error(&e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Self::check()?;
        self.inner.write_all(buf).map_err(|e| stdout_error(&e))
    }

    fn flush(&mut self) -> io::Result<()> {
        Self::check()?;
        self.inner.flush().map_err(|e| stdout_error(&e))
    }
}

/// What to tell the user when `--all-netns` could not see every namespace: said once, on
/// stderr, terminal or not, since the user asked for every namespace and did not get it.
#[must_use]
pub fn netns_note(namespaces: &NamespaceReport) -> Option<String> {
    if namespaces.denied > 0 {
        Some(i18n::trf(Msg::NetnsDenied, &[&namespaces.denied]))
    } else if namespaces.unreadable > 0 {
        Some(i18n::trf(Msg::NetnsUnreadable, &[&namespaces.unreadable]))
    } else {
        None
    }
}

/// Columns and lines of the terminal on `fd`, from `TIOCGWINSZ`.
fn terminal_size(fd: i32) -> Option<(u16, u16)> {
    // SAFETY: winsize is plain data; TIOCGWINSZ fills it or fails, and failure is checked.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &raw mut size) };
    (rc == 0 && size.ws_col > 0).then_some((size.ws_col, size.ws_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_precedence() {
        let plain = Ctx::detached("t", &[]);
        assert!(!plain.colour(None));
        assert!(plain.colour(Some(ColorChoice::Always)));
        let forced = Ctx::detached("t", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
        assert!(forced.colour(Some(ColorChoice::Auto)));
        assert!(!forced.colour(Some(ColorChoice::Never)));
        let mut tty = Ctx::detached("t", &[("NO_COLOR", "1")]);
        tty.stdout_tty = true;
        assert!(!tty.colour(None));
        tty.config.color = Some(ColorSetting::Always);
        assert!(tty.colour(None), "the configuration beats NO_COLOR");
        assert!(!tty.colour(Some(ColorChoice::Never)), "the flag beats both");
        let mut tty = Ctx::detached("t", &[("NO_COLOR", "")]);
        tty.stdout_tty = true;
        assert!(tty.colour(None), "an empty NO_COLOR is unset");
    }

    #[test]
    fn language_precedence() {
        let flag = ConfigArgs {
            config: None,
            lang: Some(LangArg::Zh),
        };
        let none = ConfigArgs::default();
        let all = [
            ("PRT_LANG", "ru"),
            ("LC_ALL", "zh_CN.UTF-8"),
            ("LANG", "en_US.UTF-8"),
        ];
        assert_eq!(Ctx::detached("t", &all).language(&flag), Lang::Zh);
        assert_eq!(Ctx::detached("t", &all).language(&none), Lang::Ru);
        let mut configured = Ctx::detached("t", &all[1..]);
        configured.config.lang = Some(LangSetting::Ru);
        assert_eq!(configured.language(&none), Lang::Ru, "config before locale");
        assert_eq!(Ctx::detached("t", &all[1..]).language(&none), Lang::Zh);
        assert_eq!(
            Ctx::detached("t", &[("LC_MESSAGES", "ru_RU"), ("LANG", "zh_CN")]).language(&none),
            Lang::Ru
        );
        // LC_ALL set to a language prt lacks still wins over LANG: English.
        assert_eq!(
            Ctx::detached("t", &[("LC_ALL", "de_DE"), ("LANG", "ru_RU")]).language(&none),
            Lang::En
        );
        assert_eq!(Ctx::detached("t", &[]).language(&none), Lang::En);
    }

    #[test]
    fn config_location_precedence() {
        let flag = ConfigArgs {
            config: Some(PathBuf::from("/f.toml")),
            lang: None,
        };
        let none = ConfigArgs::default();
        let ctx = Ctx::detached(
            "t",
            &[
                ("PRT_CONFIG", "/p.toml"),
                ("XDG_CONFIG_HOME", "/x"),
                ("HOME", "/h"),
            ],
        );
        let path = |ctx: &Ctx, args| ctx.config_location(args).map(|l| l.path);
        assert_eq!(path(&ctx, &flag), Some(PathBuf::from("/f.toml")));
        assert_eq!(path(&ctx, &none), Some(PathBuf::from("/p.toml")));
        let ctx = Ctx::detached("t", &[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(path(&ctx, &none), Some(PathBuf::from("/x/prt/config.toml")));
        let ctx = Ctx::detached("t", &[("XDG_CONFIG_HOME", ""), ("HOME", "/h")]);
        assert_eq!(
            path(&ctx, &none),
            Some(PathBuf::from("/h/.config/prt/config.toml"))
        );
        assert_eq!(path(&Ctx::detached("t", &[]), &none), None);
    }

    #[test]
    fn format_defaults_by_destination() {
        let mut ctx = Ctx::detached("t", &[]);
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Ndjson);
        ctx.stdout_tty = true;
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Table);
        let csv = OutputArgs {
            format: Some(FormatArg::Csv),
            ..OutputArgs::default()
        };
        assert_eq!(ctx.format(&csv), Format::Csv);
        ctx.config.format = Some(FormatSetting::Json);
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Json);
        assert_eq!(ctx.format(&csv), Format::Csv);
    }

    #[test]
    fn the_configured_format_is_for_the_terminal_only() {
        // See: issue 14
        let mut ctx = Ctx::detached("t", &[]);
        ctx.config.format = Some(FormatSetting::Table);
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Ndjson);
        let table = OutputArgs {
            format: Some(FormatArg::Table),
            ..OutputArgs::default()
        };
        assert_eq!(ctx.format(&table), Format::Table, "the flag still wins");
        ctx.stdout_tty = true;
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Table);
        ctx.config.format = Some(FormatSetting::Ndjson);
        assert_eq!(ctx.format(&OutputArgs::default()), Format::Ndjson);
    }
}

/// Where an acting stage (kill, fw, detail) reads records when no TARGET is given:
/// `--input FILE` (else stdin) and `--skip-invalid`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RecordArgs {
    /// Read records from this file instead of stdin ('-' is stdin).
    #[arg(long, value_name = "FILE", conflicts_with = "targets")]
    pub input: Vec<PathBuf>,
    /// Report malformed lines and bad values on stderr and go on, instead of exit status 2.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// The kind of note for a malformed line skipped with `--skip-invalid`.
pub const SKIPPED_LINE: &str = "skipped-line";

/// The records `filter` and `alert` read from their FILEs (or stdin), one at a time: a file
/// that cannot be opened is said and passed over like grep does (exit 2 at the end), a
/// malformed line is an error unless `--skip-invalid` (then a capped note), and it tells a
/// live stream (a producer still writing a while after its first line) from finished input.
pub struct RecordStream {
    input: Reader,
    skip_invalid: bool,
    first_line: Option<std::time::Instant>,
}

/// What [`RecordStream::next`] found.
#[allow(
    clippy::large_enum_variant,
    reason = "one per record, moved out at once: boxing would allocate on the hot path"
)]
pub enum Next<'a> {
    /// A record.
    Record(RawRecord<'a>),
    /// A line or a file passed over (already said on stderr).
    Skipped,
    /// The end of every input.
    End,
}

impl RecordStream {
    /// The records of `files`, or of stdin when there are none.
    #[must_use]
    pub fn new(files: Vec<PathBuf>, skip_invalid: bool) -> RecordStream {
        RecordStream {
            input: Reader::new(files.into_iter().map(Input::from_arg).collect()),
            skip_invalid,
            first_line: None,
        }
    }

    /// Whether the next record has to come from the producer: the moment to flush.
    #[must_use]
    pub fn would_wait(&self) -> bool {
        self.input.would_wait()
    }

    /// Whether the input is a live stream (stdin still sending a while after its first line).
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.first_line
            .is_some_and(|since| self.input.is_live(since))
    }

    /// The next record, or why there is none this time.
    pub fn next(&mut self, ctx: &Ctx) -> anyhow::Result<Next<'_>> {
        let line = match self.input.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(Next::End),
            Err(err @ reader::Error::Open { .. }) => {
                ctx.error(&err.into());
                return Ok(Next::Skipped);
            }
            Err(err) => return Err(err.into()),
        };
        self.first_line.get_or_insert_with(std::time::Instant::now);
        match line.record() {
            Ok(record) => Ok(Next::Record(record)),
            Err(err @ reader::Error::Malformed { .. }) if self.skip_invalid => {
                ctx.note_capped(SKIPPED_LINE, &i18n::trf(Msg::SkippedLine, &[&err]));
                Ok(Next::Skipped)
            }
            Err(err) => Err(err.into()),
        }
    }
}

/// What [`RecordArgs::read`] hands on.
pub enum RecordEvent<'a> {
    /// A record, and where it is (`line 3`).
    Record(&'a RawRecord<'a>, &'a str),
    /// The producer paused: what came so far is a whole tick of a live stream.
    Pause,
}

impl RecordArgs {
    /// Reads every record and hands it to `each`. Stdin left on a terminal is an error that
    /// says what to give instead (`no_input`, which names the stage with `{0}`). An error
    /// from `each` for one record (a bad pid, a bad address) counts as bad input: reported
    /// and skipped with `--skip-invalid`, fatal otherwise.
    pub fn read(
        &self,
        ctx: &Ctx,
        no_input: Msg,
        mut each: impl FnMut(RecordEvent<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if self.input.is_empty() && io::stdin().is_terminal() {
            anyhow::bail!(i18n::trf(no_input, &[&ctx.label]));
        }
        let mut reader = Reader::new(self.input.iter().cloned().map(Input::from_arg).collect());
        loop {
            if reader.would_wait() {
                each(RecordEvent::Pause)?;
            }
            let Some(line) = reader.next_line()? else {
                return Ok(());
            };
            let place = format!("line {}", line.number);
            let handled = line
                .record()
                .map_err(anyhow::Error::from)
                .and_then(|record| each(RecordEvent::Record(&record, &place)));
            match handled {
                Ok(()) => {}
                Err(err) if self.skip_invalid => {
                    let note = i18n::trf(Msg::SkippedLine, &[&format!("{err:#}")]);
                    ctx.note_capped(SKIPPED_LINE, &note);
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// Where an acting stage (kill, detail) finds its processes: its arguments, or else the
/// records [`RecordArgs`] reads.
pub struct TargetInput<'a> {
    /// `PID`, `:PORT`, `PORT/tcp`, `PORT/udp` arguments.
    pub specs: &'a [TargetSpec],
    /// Where records come from otherwise.
    pub records: &'a RecordArgs,
}

impl TargetInput<'_> {
    /// Hands the processes named to `act` in batches. With `streaming`, a batch ends whenever
    /// the producer pauses (a `prt watch` has written its tick), so a stream is acted on
    /// as it comes instead of at an end that never comes; otherwise there is one batch.
    /// `act` is called at least once, with an empty batch if nothing was named.
    pub fn for_each_batch(
        &self,
        ctx: &Ctx,
        streaming: bool,
        mut act: impl FnMut(Targets) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if !self.specs.is_empty() {
            return act(self.resolve_specs(ctx)?);
        }
        let mut batch = Targets::new();
        let mut acted = false;
        self.records
            .read(ctx, Msg::NoTargets, |event| match event {
                RecordEvent::Record(record, place) => Ok(batch.add_record(record, place)?),
                RecordEvent::Pause if streaming && !batch.is_empty() => {
                    acted = true;
                    act(std::mem::take(&mut batch))
                }
                RecordEvent::Pause => Ok(()),
            })?;
        if !acted || !batch.is_empty() {
            act(batch)?;
        }
        Ok(())
    }

    /// The processes the arguments name.
    fn resolve_specs(&self, ctx: &Ctx) -> anyhow::Result<Targets> {
        let mut targets = Targets::new();
        let needs_scan = self.specs.iter().any(|s| matches!(s, TargetSpec::Port(..)));
        let entries = if needs_scan {
            let options = SocketArgs {
                listen: true,
                ..SocketArgs::default()
            }
            .options();
            crate::scan::scan(&options)?.entries
        } else {
            Vec::new()
        };
        for &spec in self.specs {
            if targets.add_spec(spec, &entries) == 0
                && let TargetSpec::Port(..) = spec
            {
                ctx.note(&i18n::trf(Msg::NothingListens, &[&spec]));
            }
        }
        Ok(targets)
    }
}

/// The answer to a question asked on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The user said yes.
    Yes,
    /// The user said anything else, or closed the terminal.
    No,
    /// Nobody to ask: no terminal is attached (cron, a script, CI).
    NoTerminal,
}

/// Shows `lines` and asks `question` on the controlling terminal, reading the answer there
/// too, so it works while stdin is a pipe of records. A terminal counts as attached when
/// stdin or stderr is one and `/dev/tty` opens.
#[must_use]
pub fn ask_on_terminal(ctx: &Ctx, lines: &[String], question: &str) -> Answer {
    use std::io::BufRead as _;
    if !(ctx.stderr_tty || io::stdin().is_terminal()) {
        return Answer::NoTerminal;
    }
    let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        return Answer::NoTerminal;
    };
    let mut writer = &tty;
    let mut shown = String::new();
    for line in lines {
        shown.push_str(&output::sanitize::terminal(line));
        shown.push('\n');
    }
    shown.push_str(question);
    shown.push(' ');
    shown.push_str(i18n::tr(Msg::YesNo));
    shown.push(' ');
    if writer
        .write_all(shown.as_bytes())
        .and_then(|()| writer.flush())
        .is_err()
    {
        return Answer::NoTerminal;
    }
    let mut reply = String::new();
    match io::BufReader::new(&tty).read_line(&mut reply) {
        Ok(_) if i18n::is_yes(&reply) => Answer::Yes,
        _ => Answer::No,
    }
}
