//! `prt config [--path | --check [FILE]]`: where the configuration lives, and whether it is
//! valid.
//!
//! `--path` prints the file prt reads (whether or not it exists). `--check` parses FILE, or
//! that file, alert rules' `when` expressions included, and reports the first problem with
//! its line and column. Exit: 0 when the file
//! is valid (or absent from its default place), 2 otherwise.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::common::{ConfigArgs, Ctx};
use super::exit::{Exit, Stage};
use crate::alert::Rule;
use crate::config::Config;

const EXAMPLES: &str = "\
Examples:
  prt config --path                       the file prt reads
  prt config --check                      is it valid?
  prt config --check ./prt.toml           check another file before installing it
  $EDITOR \"$(prt config --path)\"";

/// Show where the configuration file is, or check one.
#[derive(Debug, clap::Parser)]
#[command(name = "config", version, after_help = EXAMPLES)]
pub struct Args {
    /// Print the path of the configuration file (the default).
    #[arg(long, conflicts_with = "check")]
    pub path: bool,
    /// Check the configuration file (or FILE), alert rules' filter expressions included,
    /// and report the first error.
    #[arg(long)]
    pub check: bool,
    /// The file to check instead of the configuration file.
    #[arg(value_name = "FILE", requires = "check")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
}

impl Stage for Args {
    const NAME: &'static str = "config";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        let location = ctx.config_location(&self.config);
        let mut out = ctx.stdout();
        if !self.check {
            match &location {
                Some(location) => writeln!(out, "{}", location.path.display())?,
                None => anyhow::bail!(
                    "no configuration file: none of --config, PRT_CONFIG, XDG_CONFIG_HOME or HOME is set"
                ),
            }
            out.flush()?;
            return Ok(Exit::Success);
        }
        let (path, must_exist) = match (self.file, location) {
            (Some(file), _) => (file, true),
            (None, Some(location)) => {
                let explicit = location.explicit();
                (location.path, explicit)
            }
            (None, None) => anyhow::bail!("nothing to check: no configuration file is set"),
        };
        match Config::load(&path)? {
            Some(config) => {
                check_rules(&config, &path)?;
                writeln!(
                    out,
                    "{}: ok ({} known ports, {} alert rules)",
                    path.display(),
                    config.known_ports.len(),
                    config.alerts.len()
                )?;
            }
            None if must_exist => anyhow::bail!("{} does not exist", path.display()),
            None => writeln!(out, "{}: not present; the defaults apply", path.display())?,
        }
        out.flush()?;
        Ok(Exit::Success)
    }
}

/// Builds every `[[alerts]]` rule as `prt alert` would, so a `when` that does not parse (or a
/// rule without a name) fails the check, naming the rule, the file and the place, instead of
/// failing the first `prt alert` that reads the file. The rules are the configuration's only
/// filter expressions.
fn check_rules(config: &Config, path: &Path) -> anyhow::Result<()> {
    for rule in &config.alerts {
        Rule::from_config(rule, Some(path))?;
    }
    Ok(())
}
