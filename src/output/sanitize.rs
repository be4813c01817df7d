//! Making system text safe for where it goes: terminals and spreadsheets.
//!
//! Process names, command lines and user names are chosen by whoever started the process.
//! On a terminal, an escape sequence in them could move the cursor, retitle the window or
//! hide text; bidi overrides and zero-width characters can make one name look like another.
//! In a spreadsheet, a cell starting with `=` runs as a formula.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control, bidi-override and zero-width character replaced by a visible
/// escape (`\x1b`, `\u{202e}`); borrowed when nothing needed escaping.
#[must_use]
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            safe.push(c);
        } else if (c as u32) < 0x100 {
            // Writing to a String cannot fail.
            let _ = write!(safe, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(safe, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(safe)
}

/// Like [`terminal`], but keeps line breaks and tabs: for multi-line messages on stderr.
#[must_use]
pub fn message(text: &str) -> Cow<'_, str> {
    if !text.contains(['\n', '\t']) {
        return terminal(text);
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            line.split('\t')
                .map(terminal)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{feff}')
}

/// `cell` made inert for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or carriage return
/// gets a `'` in front, as OWASP's CSV injection guidance recommends.
#[must_use]
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reach_the_terminal_only_as_text() {
        assert_eq!(terminal("nginx"), "nginx");
        assert!(matches!(terminal("nginx"), Cow::Borrowed(_)));
        assert_eq!(terminal("evil\x1b]0;owned\x07"), "evil\\x1b]0;owned\\x07");
        assert_eq!(terminal("a\u{9b}b"), "a\\x9bb");
        assert_eq!(terminal("gpj.\u{202e}exe"), "gpj.\\u{202e}exe");
        assert_eq!(terminal("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(terminal("line\nbreak\ttab"), "line\\x0abreak\\x09tab");
        assert_eq!(terminal("用户"), "用户");
        assert_eq!(message("a\n\tb\x1b"), "a\n\tb\\x1b");
    }

    #[test]
    fn formulas_are_neutralised() {
        for formula in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(formula), format!("'{formula}"));
        }
        assert_eq!(csv_cell("python3 -m http.server"), "python3 -m http.server");
        assert_eq!(csv_cell(""), "");
    }
}
