//! Flags shared by the stages: sockets, output, configuration, language.

use std::io::Write;
use std::path::PathBuf;

pub use crate::config::ColorChoice;
use crate::i18n::Lang;
use crate::model::Proto;
use crate::output::Format;
use crate::scan::{Backend, Family, ScanOptions};

/// `--format` and `--color`, flattened into every stage that prints records.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal (or the configuration's format there),
    /// ndjson otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
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
    #[arg(long, value_enum, value_name = "BACKEND", default_value_t = Backend::for_platform(), hide_default_value = true)]
    pub backend: Backend,
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
            backend: self.backend,
            protocols,
            families,
            listening_only: self.listen,
            attribute: true,
            all_netns: self.all_netns,
            traffic: false,
        }
    }
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
            Some("") => crate::sys::hostname()
                .map(Some)
                .map_err(|err| anyhow::Error::new(err).context("reading the hostname")),
            Some(name) => Ok(Some(name.to_owned())),
        }
    }

    /// `out`, adding the host field to each NDJSON line when asked for.
    pub fn wrap<'a>(&self, out: Box<dyn Write + 'a>) -> anyhow::Result<Box<dyn Write + 'a>> {
        Ok(match self.name()? {
            Some(host) => Box::new(crate::output::ndjson::WithHost::new(out, &host)),
            None => out,
        })
    }
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
    pub lang: Option<Lang>,
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
