//! Label/value views for people (`prt detail` on a terminal): labels aligned, values
//! sanitized for the terminal, placeholders dimmed.

use unicode_width::UnicodeWidthStr;

use super::{TableOptions, sanitize};

/// Renders `sections` of label/value pairs for people: `label  value`, labels aligned,
/// a blank line between sections, long lists one item per line under their label.
#[must_use]
pub fn key_values(sections: &[Vec<(String, Vec<String>)>], options: &TableOptions) -> String {
    let style = options.style;
    let label_width = sections
        .iter()
        .flatten()
        .map(|(label, _)| UnicodeWidthStr::width(label.as_str()))
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (index, section) in sections.iter().enumerate() {
        if index > 0 {
            text.push('\n');
        }
        for (label, values) in section {
            let pad = " ".repeat(label_width - UnicodeWidthStr::width(label.as_str()));
            let mut values = values.iter();
            let first = values
                .next()
                .map_or_else(|| style.dim("-"), |v| sanitize::terminal(v).into_owned());
            text.push_str(&format!("{}{pad}  {first}\n", style.bold(label)));
            for value in values {
                let indent = " ".repeat(label_width + 2);
                text.push_str(&format!("{indent}{}\n", sanitize::terminal(value)));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_align_labels() {
        let text = key_values(
            &[vec![
                ("pid".to_owned(), vec!["7".to_owned()]),
                (
                    "open files".to_owned(),
                    vec!["a".to_owned(), "b".to_owned()],
                ),
            ]],
            &TableOptions::default(),
        );
        assert_eq!(text, "pid         7\nopen files  a\n            b\n");
    }
}
