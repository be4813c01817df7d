//! Human-facing text in English, Russian and Chinese: table headers, status words in
//! tables, the watch header and port board, prompts, notes and the command line's errors.
//!
//! Sits beside [`crate::model`]: data only. The language is one process-wide switch
//! ([`set`]), chosen once by the command line layer (`--lang`, `PRT_LANG`, the
//! configuration, `LC_ALL` / `LC_MESSAGES` / `LANG`). Machine formats (NDJSON, JSON, CSV)
//! never pass through here: their keys and values are the same in every language.
//!
//! Every [`Msg`] has a text in each table; the tables are exhaustive `match`es, so a key
//! missing from one does not compile, and a test checks that placeholders (`{0}`, `{1}`)
//! agree across the three.

mod en;
mod ru;
mod zh;

use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};

/// A language prt speaks: `--lang` and the configuration's `lang` (one enum for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Русский.
    Ru,
    /// 中文.
    Zh,
}

impl Lang {
    /// Every language.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Zh];

    /// The language a locale or `--lang` value names: `ru`, `ru_RU.UTF-8`, `zh_CN`, `en`,
    /// `C`, `POSIX`. `None` for a language prt does not speak (the caller looks further).
    #[must_use]
    pub fn from_locale(value: &str) -> Option<Lang> {
        let language = value
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match language.as_str() {
            "en" | "c" | "posix" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// `en`, `ru`, `zh`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Zh => "zh",
        }
    }
}

static CURRENT: AtomicU8 = AtomicU8::new(0);

/// Switches the whole process to `lang`.
pub fn set(lang: Lang) {
    let index = match lang {
        Lang::En => 0,
        Lang::Ru => 1,
        Lang::Zh => 2,
    };
    CURRENT.store(index, Ordering::Relaxed);
}

/// The language in use.
#[must_use]
pub fn current() -> Lang {
    match CURRENT.load(Ordering::Relaxed) {
        1 => Lang::Ru,
        2 => Lang::Zh,
        _ => Lang::En,
    }
}

/// The keys of every translated text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Msg {
    // Table headers.
    HeadProto,
    HeadLocal,
    HeadRemote,
    HeadState,
    HeadPid,
    HeadProcess,
    HeadUser,
    HeadService,
    HeadAge,
    HeadNetns,
    HeadPorts,
    HeadSignal,
    HeadOutcome,
    HeadMessage,
    HeadAction,
    HeadTarget,
    HeadCommand,
    // The watch header and the port board.
    WatchHeader,
    /// Heading of the live view's marker column (`+` new, `-` gone, `!` suspicious).
    HeadMark,
    /// The live view's last line when rows do not fit: `+{0} more`.
    MoreRows,
    WatchTraffic,
    Up,
    Down,
    Since,
    // Words in the kill and fw tables.
    Signalled,
    Exited,
    Killed,
    NotPermitted,
    Gone,
    Refused,
    SkippedDryRun,
    /// Kill outcome: the socket is still held after the signals.
    StillHeld,
    Applied,
    Unchanged,
    Failed,
    ActionBlock,
    ActionUnblock,
    ActionSetup,
    ActionReset,
    // The detail view's labels.
    LabelPid,
    LabelProcess,
    LabelExe,
    LabelCmdline,
    LabelCwd,
    LabelUser,
    LabelParents,
    LabelStarted,
    LabelState,
    LabelCpu,
    LabelRss,
    LabelThreads,
    LabelOpenFiles,
    LabelSockets,
    LabelCgroup,
    LabelContainer,
    LabelUnit,
    LabelEnvironment,
    LabelNotes,
    Uptime,
    FilesHint,
    /// The other holders of a socket in the detail view: {0} pids.
    AlsoHeldBy,
    Deleted,
    // Prompts and notes.
    AskOne,
    AskMany,
    AskOneEscalate,
    AskManyEscalate,
    YesNo,
    NotConfirmed,
    NoTerminal,
    NoTerminalNote,
    NothingToSignal,
    NothingToBlock,
    NothingListens,
    NoPid,
    SkippedLine,
    NoRules,
    NoTargets,
    NoBlockTargets,
    NetnsDenied,
    NetnsUnreadable,
    HiddenOwners,
    FellBack,
    JsonEmptyLine,
    JsonNotObject,
    JsonFieldName,
    JsonColon,
    JsonAfterMember,
    JsonAfterElement,
    JsonValue,
    JsonEndInValue,
    JsonNumber,
    JsonEscape,
    JsonUnicodeEscape,
    JsonControl,
    JsonUnterminated,
    JsonTrailing,
    JsonTooDeep,
    JsonUtf8,
    JsonTooLong,
    AtColumn,
    AtLine,
    CannotOpen,
    CannotRead,
    QEmpty,
    QUnmatchedClose,
    /// A filter expression nested deeper than {0} levels.
    QTooDeep,
    QUnexpected,
    QAfter,
    QBefore,
    QLoneOp,
    QExpression,
    QInsideParens,
    QUnclosed,
    QFieldBefore,
    QInField,
    QInStart,
    QValueAfterColon,
    QValueAfterFound,
    QValueAfter,
    QUnknownField,
    QDidYouMean,
    QUnknownValue,
    QBadOp,
    QBadRegex,
    QRangeOp,
    QEmptyRange,
    QNumber,
    QOutOfRange,
    QAddress,
    QState,
    QProto,
    QStatus,
    QNetwork,
    QPrefix,
    QUnterminated,
    UnknownReason,
    CfgEmptyService,
    CfgDuration,
    CfgUnit,
    CfgRange,
    CfgPort,
    CfgProto,
    RuleNeedsName,
    RuleError,
    FwBadProto,
    FwNoLocalPort,
    FwNoRemote,
    FwNotIp,
    FwSkipped,
    FwLoopback,
    FwUnspecified,
    FwOwn,
    FwPrivate,
    BadSpec,
    BadPid,
    BadStarted,
    BadSignal,
    BadBlock,
    // Issue 21 (safety): output, notes, --exec, kill, the record reader.
    StdoutClosed,
    StdoutWrite,
    NotesMore,
    ExecTimedOut,
    KillThread,
    JsonNumberRange,
    JsonSurrogate,
    // Issue 18 (traffic): the per-process and per-remote view.
    HeadContainer,
    HeadConns,
    HeadRateIn,
    HeadRateOut,
    HeadTotalIn,
    HeadTotalOut,
    /// A group of sockets whose process is hidden: its owner's uid {0}.
    HiddenOwner,
    /// The header of `prt watch --traffic --by`: time {0}, scan {1}, groups {2},
    /// interval {3}.
    TrafficHeader,
    // Issue 15: the live view's controls line, prompts and its detail page.
    LiveSort,
    LivePaused,
    LiveFilter,
    LiveKeys,
    LiveFilterPrompt,
    LiveKillAsk,
    LiveDetailKeys,
    LiveNoProcess,
    CsvNoColumn,
    /// The live view's header on a narrow screen.
    WatchHeaderShort,
    // Issue 19 (metrics): prt metrics.
    MetricsListen,
    MetricsWrite,
    MetricsNoInput,
    // Issue 16 (events): prt watch's event sources.
    /// An event source could not be opened: {0} which, {1} why.
    EventsUnavailable,
    /// The kernel dropped events.
    EventsLost,
    /// The names of the sources, for EventsUnavailable.
    EventsDestroySource,
    EventsProcessSource,
    /// The tracepoint source's name, for EventsUnavailable.
    EventsTcpStateSource,
}

impl Msg {
    /// Every key, for the completeness test.
    pub const ALL: [Msg; 191] = [
        Msg::HeadProto,
        Msg::HeadLocal,
        Msg::HeadRemote,
        Msg::HeadState,
        Msg::HeadPid,
        Msg::HeadProcess,
        Msg::HeadUser,
        Msg::HeadService,
        Msg::HeadAge,
        Msg::HeadNetns,
        Msg::HeadPorts,
        Msg::HeadSignal,
        Msg::HeadOutcome,
        Msg::HeadMessage,
        Msg::HeadAction,
        Msg::HeadTarget,
        Msg::HeadCommand,
        Msg::WatchHeader,
        Msg::HeadMark,
        Msg::MoreRows,
        Msg::WatchTraffic,
        Msg::Up,
        Msg::Down,
        Msg::Since,
        Msg::Signalled,
        Msg::Exited,
        Msg::Killed,
        Msg::NotPermitted,
        Msg::Gone,
        Msg::Refused,
        Msg::SkippedDryRun,
        Msg::StillHeld,
        Msg::Applied,
        Msg::Unchanged,
        Msg::Failed,
        Msg::ActionBlock,
        Msg::ActionUnblock,
        Msg::ActionSetup,
        Msg::ActionReset,
        Msg::LabelPid,
        Msg::LabelProcess,
        Msg::LabelExe,
        Msg::LabelCmdline,
        Msg::LabelCwd,
        Msg::LabelUser,
        Msg::LabelParents,
        Msg::LabelStarted,
        Msg::LabelState,
        Msg::LabelCpu,
        Msg::LabelRss,
        Msg::LabelThreads,
        Msg::LabelOpenFiles,
        Msg::LabelSockets,
        Msg::LabelCgroup,
        Msg::LabelContainer,
        Msg::LabelUnit,
        Msg::LabelEnvironment,
        Msg::LabelNotes,
        Msg::Uptime,
        Msg::FilesHint,
        Msg::AlsoHeldBy,
        Msg::Deleted,
        Msg::AskOne,
        Msg::AskMany,
        Msg::AskOneEscalate,
        Msg::AskManyEscalate,
        Msg::YesNo,
        Msg::NotConfirmed,
        Msg::NoTerminal,
        Msg::NoTerminalNote,
        Msg::NothingToSignal,
        Msg::NothingToBlock,
        Msg::NothingListens,
        Msg::NoPid,
        Msg::SkippedLine,
        Msg::NoRules,
        Msg::NoTargets,
        Msg::NoBlockTargets,
        Msg::NetnsDenied,
        Msg::NetnsUnreadable,
        Msg::HiddenOwners,
        Msg::FellBack,
        Msg::JsonEmptyLine,
        Msg::JsonNotObject,
        Msg::JsonFieldName,
        Msg::JsonColon,
        Msg::JsonAfterMember,
        Msg::JsonAfterElement,
        Msg::JsonValue,
        Msg::JsonEndInValue,
        Msg::JsonNumber,
        Msg::JsonEscape,
        Msg::JsonUnicodeEscape,
        Msg::JsonControl,
        Msg::JsonUnterminated,
        Msg::JsonTrailing,
        Msg::JsonTooDeep,
        Msg::JsonUtf8,
        Msg::JsonTooLong,
        Msg::AtColumn,
        Msg::AtLine,
        Msg::CannotOpen,
        Msg::CannotRead,
        Msg::QEmpty,
        Msg::QUnmatchedClose,
        Msg::QTooDeep,
        Msg::QUnexpected,
        Msg::QAfter,
        Msg::QBefore,
        Msg::QLoneOp,
        Msg::QExpression,
        Msg::QInsideParens,
        Msg::QUnclosed,
        Msg::QFieldBefore,
        Msg::QInField,
        Msg::QInStart,
        Msg::QValueAfterColon,
        Msg::QValueAfterFound,
        Msg::QValueAfter,
        Msg::QUnknownField,
        Msg::QDidYouMean,
        Msg::QUnknownValue,
        Msg::QBadOp,
        Msg::QBadRegex,
        Msg::QRangeOp,
        Msg::QEmptyRange,
        Msg::QNumber,
        Msg::QOutOfRange,
        Msg::QAddress,
        Msg::QState,
        Msg::QProto,
        Msg::QStatus,
        Msg::QNetwork,
        Msg::QPrefix,
        Msg::QUnterminated,
        Msg::UnknownReason,
        Msg::CfgEmptyService,
        Msg::CfgDuration,
        Msg::CfgUnit,
        Msg::CfgRange,
        Msg::CfgPort,
        Msg::CfgProto,
        Msg::RuleNeedsName,
        Msg::RuleError,
        Msg::FwBadProto,
        Msg::FwNoLocalPort,
        Msg::FwNoRemote,
        Msg::FwNotIp,
        Msg::FwSkipped,
        Msg::FwLoopback,
        Msg::FwUnspecified,
        Msg::FwOwn,
        Msg::FwPrivate,
        Msg::BadSpec,
        Msg::BadPid,
        Msg::BadStarted,
        Msg::BadSignal,
        Msg::BadBlock,
        Msg::StdoutClosed,
        Msg::StdoutWrite,
        Msg::NotesMore,
        Msg::ExecTimedOut,
        Msg::KillThread,
        Msg::JsonNumberRange,
        Msg::JsonSurrogate,
        Msg::HeadContainer,
        Msg::HeadConns,
        Msg::HeadRateIn,
        Msg::HeadRateOut,
        Msg::HeadTotalIn,
        Msg::HeadTotalOut,
        Msg::HiddenOwner,
        Msg::TrafficHeader,
        Msg::LiveSort,
        Msg::LivePaused,
        Msg::LiveFilter,
        Msg::LiveKeys,
        Msg::LiveFilterPrompt,
        Msg::LiveKillAsk,
        Msg::LiveDetailKeys,
        Msg::LiveNoProcess,
        Msg::CsvNoColumn,
        Msg::WatchHeaderShort,
        Msg::MetricsListen,
        Msg::MetricsWrite,
        Msg::MetricsNoInput,
        Msg::EventsUnavailable,
        Msg::EventsLost,
        Msg::EventsDestroySource,
        Msg::EventsProcessSource,
        Msg::EventsTcpStateSource,
    ];
}

/// The text of `msg` in `lang`.
#[must_use]
pub fn text_in(lang: Lang, msg: Msg) -> &'static str {
    match lang {
        Lang::En => en::text(msg),
        Lang::Ru => ru::text(msg),
        Lang::Zh => zh::text(msg),
    }
}

/// The text of `msg` in the current language.
#[must_use]
pub fn tr(msg: Msg) -> &'static str {
    text_in(current(), msg)
}

/// The text of `msg` in the current language with `{0}`, `{1}`, ... filled from `args`.
#[must_use]
pub fn trf(msg: Msg, args: &[&dyn Display]) -> String {
    fill(tr(msg), args)
}

/// `template` with `{N}` replaced by `args[N]`, in one pass over the template: an argument
/// is never searched for placeholders itself (a process may be named `{1}`). A `{N}`
/// without an argument, or any other brace, stays as written.
#[must_use]
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let argument = after.find('}').and_then(|close| {
            let index: usize = after[..close].parse().ok()?;
            Some((args.get(index)?, close))
        });
        if let Some((arg, close)) = argument {
            // Writing into a String cannot fail.
            let _ = write!(text, "{arg}");
            rest = &after[close + 1..];
        } else {
            text.push('{');
            rest = after;
        }
    }
    text.push_str(rest);
    text
}

/// `text` padded with spaces to `width` terminal columns (CJK characters take two), so
/// translated words line up.
#[must_use]
pub fn pad(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// The widest of `msgs` in the current language, in terminal columns.
#[must_use]
pub fn widest(msgs: &[Msg]) -> usize {
    msgs.iter()
        .map(|&m| unicode_width::UnicodeWidthStr::width(tr(m)))
        .max()
        .unwrap_or(0)
}

/// Whether `reply` (typed at a prompt) means yes in the current language (English `y`
/// and `yes` always do).
#[must_use]
pub fn is_yes(reply: &str) -> bool {
    let reply = reply.trim().to_lowercase();
    matches!(reply.as_str(), "y" | "yes")
        || match current() {
            Lang::En => false,
            Lang::Ru => matches!(reply.as_str(), "д" | "да"),
            Lang::Zh => matches!(reply.as_str(), "是" | "好"),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(text: &str) -> Vec<usize> {
        let mut found: Vec<usize> = (0..10)
            .filter(|n| text.contains(&format!("{{{n}}}")))
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn every_key_has_a_text_in_every_language_with_the_same_placeholders() {
        for msg in Msg::ALL {
            let english = text_in(Lang::En, msg);
            assert!(!english.is_empty(), "{msg:?}");
            for lang in [Lang::Ru, Lang::Zh] {
                let text = text_in(lang, msg);
                assert!(
                    !text.trim().is_empty(),
                    "{msg:?} is empty in {}",
                    lang.code()
                );
                assert_eq!(
                    placeholders(text),
                    placeholders(english),
                    "{msg:?} in {} has other placeholders: {text}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn all_lists_every_key_once_in_declaration_order() {
        for (index, msg) in Msg::ALL.iter().enumerate() {
            assert_eq!(*msg as usize, index, "{msg:?} is out of place in Msg::ALL");
        }
    }

    #[test]
    fn translations_differ_from_english_where_words_are_involved() {
        for lang in [Lang::Ru, Lang::Zh] {
            for msg in [
                Msg::HeadProcess,
                Msg::WatchHeader,
                Msg::NotConfirmed,
                Msg::LabelCwd,
            ] {
                assert_ne!(text_in(lang, msg), text_in(Lang::En, msg), "{msg:?}");
            }
        }
    }

    #[test]
    fn locales_name_languages() {
        assert_eq!(Lang::from_locale("ru_RU.UTF-8"), Some(Lang::Ru));
        assert_eq!(Lang::from_locale("zh_CN.utf8"), Some(Lang::Zh));
        assert_eq!(Lang::from_locale("zh-TW"), Some(Lang::Zh));
        assert_eq!(Lang::from_locale("en_GB"), Some(Lang::En));
        assert_eq!(Lang::from_locale("C.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_locale("de_DE"), None);
        assert_eq!(Lang::from_locale(""), None);
    }

    #[test]
    fn padding_counts_terminal_columns() {
        assert_eq!(pad("UP", 4), "UP  ");
        assert_eq!(pad("开启", 6), "开启  ");
        assert_eq!(pad("toolong", 3), "toolong");
    }

    #[test]
    fn filling_placeholders() {
        assert_eq!(fill("{0} of {1}, {0}", &[&1, &"two"]), "1 of two, 1");
    }

    #[test]
    fn fill_substitutes_once_and_never_inside_arguments() {
        assert_eq!(fill("{0} and {1}", &[&"{1}", &"X"]), "{1} and X");
        assert_eq!(fill("{1}{0}{1}", &[&"a", &"b"]), "bab");
        assert_eq!(fill("{2} {x} {", &[&"a"]), "{2} {x} {");
        assert_eq!(fill("端口 {0}：{1}", &[&80, &"nginx"]), "端口 80：nginx");
    }
}
