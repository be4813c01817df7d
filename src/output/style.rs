//! Colours as data: the one place owo-colors is called, switched by a plain flag that the
//! command line layer decided (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, the terminal).

#[cfg(feature = "table")]
use owo_colors::OwoColorize;

/// Whether to colour, and the colours prt uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Colours on.
    pub enabled: bool,
}

#[cfg(feature = "table")]
impl Style {
    /// `text` in green (new rows).
    #[must_use]
    pub fn green(self, text: &str) -> String {
        self.paint(text, |t| t.green().to_string())
    }

    /// `text` in red (gone rows, CLOSE_WAIT, suspicious).
    #[must_use]
    pub fn red(self, text: &str) -> String {
        self.paint(text, |t| t.red().to_string())
    }

    /// `text` in yellow (aging).
    #[must_use]
    pub fn yellow(self, text: &str) -> String {
        self.paint(text, |t| t.yellow().to_string())
    }

    /// `text` in bold (headers).
    #[must_use]
    pub fn bold(self, text: &str) -> String {
        self.paint(text, |t| t.bold().to_string())
    }

    /// `text` in reverse video (rows an alert fired for).
    #[must_use]
    pub fn reverse(self, text: &str) -> String {
        self.paint(text, |t| t.reversed().to_string())
    }

    /// `text` dimmed (placeholders such as `-`).
    #[must_use]
    pub fn dim(self, text: &str) -> String {
        self.paint(text, |t| t.dimmed().to_string())
    }

    fn paint(self, text: &str, colour: impl Fn(&str) -> String) -> String {
        if self.enabled {
            colour(text)
        } else {
            text.to_owned()
        }
    }
}

#[cfg(all(test, feature = "table"))]
mod tests {
    use super::*;

    #[test]
    fn disabled_style_adds_nothing() {
        assert_eq!(Style { enabled: false }.red("x"), "x");
        assert_eq!(Style { enabled: true }.red("x"), "\x1b[31mx\x1b[39m");
    }
}
