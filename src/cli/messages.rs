//! What prt says on stderr: an error and its causes as one line, each said once, under the
//! stage's name. The only place that prints a message (ripgrep's `messages.rs`).

use std::io::{self, Write};

use crate::output::sanitize;

/// An error and its causes as one line, `context: cause: cause`, each cause said once: a
/// cause whose text the message already holds (an error that shows its source in its own
/// text and names it as its source too) is not repeated.
#[must_use]
pub fn describe(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

/// Writes `prt STAGE: message` on stderr. The only place prt prints an error.
pub fn report(label: &str, message: &str) {
    let message = sanitize::message(message);
    // Nothing useful can be done if stderr itself is gone.
    let _ = writeln!(io::stderr().lock(), "{label}: {message}");
}

/// Whether `err` comes from writing to a closed pipe, wherever it sits in the chain.
#[must_use]
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(io::ErrorKind::BrokenPipe)
    })
}
