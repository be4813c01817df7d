//! `prt completions SHELL`: the shell completion script for prt, on stdout.
//!
//! The same scripts are committed under `completions/`; [`generate`] writes them from the
//! clap definitions, and a test (`tests/it/generated.rs`, which also writes the man pages
//! under `man/`) fails when they are stale.

use std::io::Write as _;
use std::path::Path;

use clap::ValueEnum;
use clap_complete::Shell;

use super::common::Ctx;
use super::exit::{Exit, Stage};

const EXAMPLES: &str = "\
Examples:
  prt completions bash > ~/.local/share/bash-completion/completions/prt
  prt completions zsh > ~/.zfunc/_prt               (with fpath+=~/.zfunc in .zshrc)
  prt completions fish > ~/.config/fish/completions/prt.fish
  prt completions powershell >> $PROFILE";

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

impl From<ShellArg> for Shell {
    fn from(shell: ShellArg) -> Shell {
        match shell {
            ShellArg::Bash => Shell::Bash,
            ShellArg::Zsh => Shell::Zsh,
            ShellArg::Fish => Shell::Fish,
            ShellArg::Elvish => Shell::Elvish,
            ShellArg::Powershell => Shell::PowerShell,
        }
    }
}

/// Print the shell completion script for prt.
#[derive(Debug, clap::Parser)]
#[command(name = "completions", version, after_help = EXAMPLES)]
pub struct Args {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: ShellArg,
}

impl Stage for Args {
    const NAME: &'static str = "completions";

    fn run(self, ctx: &mut Ctx) -> anyhow::Result<Exit> {
        let mut out = ctx.stdout();
        clap_complete::generate(
            Shell::from(self.shell),
            &mut super::command(),
            "prt",
            &mut out,
        );
        out.flush()?;
        Ok(Exit::Success)
    }
}

/// Writes every completion script (`prt.bash`, `_prt`, `prt.fish`, `prt.elv`, `_prt.ps1`)
/// into `completions`.
pub fn generate(completions: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(completions)?;
    for shell in ShellArg::value_variants() {
        clap_complete::generate_to(
            Shell::from(*shell),
            &mut super::command(),
            "prt",
            completions,
        )?;
    }
    Ok(())
}
