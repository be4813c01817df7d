//! The full-screen live view, like `top`: any source of rows fills it, the view does the
//! rest — the terminal, the keys, the selection, the scroll, the prompts.
//!
//! Layout, top to bottom: the source's header (time, counts, rates), a controls line (the
//! sort, the filter, PAUSED and the keys; or a prompt, or the last action's result), the
//! table's heading, as many rows as fit, and a "+N more" line when they do not all fit.
//! Every row starts with a selection column: `>` marks the selected row in text, so it
//! shows without colour too (with colour the row is also drawn in reverse).
//!
//! Keys: `q` quit; `s` / `S` the next sort column / the other direction; `/` edit the
//! filter (the language of `prt filter`; Enter applies, Esc cancels, an error stays in the
//! prompt); `p` pause (scans go on, the view freezes); arrows, PgUp, PgDn, Home, End move
//! the selection; Enter shows the detail of the selected row's process (`prt detail`'s
//! data; Esc or q back); `k` sends it TERM through `prt kill`'s safe kill after a y/N.
//!
//! The terminal is taken with crossterm (alternate screen, hidden cursor, raw mode so keys
//! come without Enter) and given back on every way out: quit, Ctrl-C (a key in raw mode:
//! status 130), SIGINT and SIGTERM (the caller ends the view), an error (drop), a panic
//! (hook), and Ctrl-Z (given back before stopping, taken again on `fg`).

use std::io::{self, Write};
use std::ops::Range;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{execute, queue};

use super::common::{Ctx, SocketArgs};
use crate::act::kill::{self, KillOptions, Signal};
use crate::act::target::{Target, TargetSpec, Targets};
use crate::detail::{self, DetailOptions};
use crate::enrich::Enricher;
use crate::enrich::containers::Containers;
use crate::i18n::{self, Msg};
use crate::model::PortEntry;
use crate::output::{Style, TableOptions, detail_view, key_values, table};
use crate::query::{self, Query};

/// What a live view shows: rows the source can sort, filter and lay out as a table.
pub(crate) trait Rows {
    /// The first line for a screen `width` columns wide: what is shown, when, how much.
    fn header(&self, width: usize) -> String;
    /// Names of the columns `s` steps through, the first the default.
    fn sort_names(&self) -> Vec<&'static str>;
    /// Orders the rows by the `column`th sort column and keeps those `filter` matches.
    fn arrange(&mut self, column: usize, reverse: bool, filter: Option<&Query>);
    /// How many rows there are after [`Rows::arrange`].
    fn len(&self) -> usize;
    /// The table for `width` columns, laid out for all rows but holding only those in
    /// `window`: its heading, then exactly one line per row.
    fn table(&self, width: u16, window: Range<usize>) -> String;
    /// The socket behind row `index`, whose process Enter describes and `k` kills.
    fn entry(&self, index: usize) -> Option<&PortEntry>;
    /// What row `index` is across updates (a socket's inode), so the selection stays on
    /// it when rows come and go above it; `None` when it has no identity.
    fn id(&self, index: usize) -> Option<u64>;
}

/// What the caller does after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on.
    Go,
    /// `q`: end normally.
    Quit,
    /// Ctrl-C: end as SIGINT would have.
    Interrupt,
    /// Ctrl-Z: stop as SIGTSTP would have.
    Suspend,
}

/// What the caller's wait between scans was cut short by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal changed size.
    Resize,
}

/// Waits up to `timeout` for a key or a resize; `None` when nothing came (or the terminal
/// cannot be read, in which case it simply waits).
pub(crate) fn next_input(timeout: Duration) -> Option<Input> {
    match event::poll(timeout) {
        Ok(true) => match event::read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Some(Input::Key(key)),
            Ok(Event::Resize(..)) => Some(Input::Resize),
            _ => None,
        },
        Ok(false) => None,
        Err(_) => {
            std::thread::sleep(timeout);
            None
        }
    }
}

/// What the view is doing besides showing the table.
enum Mode {
    Table,
    /// `/`: the filter being typed, and why the last Enter was refused.
    Filter {
        text: String,
        error: Option<String>,
    },
    /// `k`: waiting for y/N about this process.
    Confirm(Target),
    /// Enter: a process's detail, scrolled to line `top`.
    Detail {
        lines: Vec<String>,
        top: usize,
    },
}

/// The live view of rows `R` on the terminal.
pub(crate) struct Live<R: Rows> {
    screen: Screen,
    rows: Option<R>,
    /// The latest rows while paused, shown on resuming.
    held: Option<R>,
    style: Style,
    sort: usize,
    reverse: bool,
    filter: Option<(String, Query)>,
    paused: bool,
    selected: usize,
    /// The first row on screen.
    top: usize,
    /// Rows that fit on the screen at the last frame: a page for PgUp and PgDn.
    page: usize,
    /// The table as last laid out, for which width and rows: a redraw with nothing
    /// changed (a resize to the same width, a key that moved nothing) re-uses it.
    laid_out: Option<(u16, Range<usize>, String)>,
    mode: Mode,
    /// The last action's result, shown on the controls line until the next key.
    status: Option<String>,
}

impl<R: Rows> Live<R> {
    /// Takes the terminal on `out`: alternate screen, no cursor, raw mode.
    pub(crate) fn enter(out: Box<dyn Write>, style: Style) -> io::Result<Live<R>> {
        Ok(Live {
            screen: Screen::enter(out)?,
            rows: None,
            held: None,
            style,
            sort: 0,
            reverse: false,
            filter: None,
            paused: false,
            selected: 0,
            top: 0,
            page: 1,
            laid_out: None,
            mode: Mode::Table,
            status: None,
        })
    }

    /// New rows from the source; kept aside while paused. The selection follows its row.
    pub(crate) fn update(&mut self, mut rows: R) {
        let filter = self.filter.as_ref().map(|(_, q)| q);
        rows.arrange(self.sort, self.reverse, filter);
        if self.paused {
            self.held = Some(rows);
            return;
        }
        let selected = self.rows.as_ref().and_then(|old| old.id(self.selected));
        if let Some(id) = selected
            && let Some(index) = (0..rows.len()).find(|&i| rows.id(i) == Some(id))
        {
            self.selected = index;
        }
        self.rows = Some(rows);
        self.laid_out = None;
        self.clamp();
    }

    /// Acts on a key; `ctx` serves the detail and the kill.
    pub(crate) fn key(&mut self, key: KeyEvent, ctx: &Ctx) -> Flow {
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            // Raw mode turns Ctrl-C and Ctrl-Z into keys; they keep their usual meaning.
            match key.code {
                KeyCode::Char('c') => return Flow::Interrupt,
                KeyCode::Char('z') => return Flow::Suspend,
                _ => {}
            }
        }
        self.status = None;
        match std::mem::replace(&mut self.mode, Mode::Table) {
            Mode::Table => return self.table_key(key, ctx),
            Mode::Filter { text, error } => self.filter_key(key, text, error),
            Mode::Confirm(target) => self.confirm_key(key, &target),
            Mode::Detail { lines, top } => self.detail_key(key, lines, top),
        }
        Flow::Go
    }

    fn table_key(&mut self, key: KeyEvent, ctx: &Ctx) -> Flow {
        // The commands are plain letters. A control chord is not one of them: a NUL byte
        // reaches us as Ctrl-Space (`script` writes one when its input ends) and must not
        // pause the view as Space does; nor may Ctrl-S sort or Ctrl-K kill.
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return Flow::Go;
        }
        match key.code {
            KeyCode::Char('q' | 'Q') => return Flow::Quit,
            KeyCode::Char('s') => {
                let names = self.rows.as_ref().map_or(1, |r| r.sort_names().len());
                self.sort = (self.sort + 1) % names.max(1);
                self.rearrange();
            }
            KeyCode::Char('S') => {
                self.reverse = !self.reverse;
                self.rearrange();
            }
            KeyCode::Char('/') => {
                let text = self
                    .filter
                    .as_ref()
                    .map(|(t, _)| t.clone())
                    .unwrap_or_default();
                self.mode = Mode::Filter { text, error: None };
            }
            KeyCode::Char('p' | ' ') => {
                self.paused = !self.paused;
                if let Some(rows) = self.held.take().filter(|_| !self.paused) {
                    self.update(rows);
                }
            }
            KeyCode::Char('k') => match self.selected_target() {
                Ok(target) => self.mode = Mode::Confirm(target),
                Err(why) => self.status = Some(why),
            },
            KeyCode::Enter => match self.selected_target() {
                Ok(target) => self.mode = describe(&target, ctx),
                Err(why) => self.status = Some(why),
            },
            code => {
                self.selected = moved(code, self.selected, self.len(), self.page);
            }
        }
        Flow::Go
    }

    fn filter_key(&mut self, key: KeyEvent, mut text: String, error: Option<String>) {
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Enter if text.trim().is_empty() => {
                self.filter = None;
                self.rearrange();
                return;
            }
            KeyCode::Enter => match query::parse(&text) {
                Ok(query) => {
                    self.filter = Some((text, query));
                    self.rearrange();
                    return;
                }
                Err(err) => {
                    self.mode = Mode::Filter {
                        text,
                        error: Some(err.to_string()),
                    };
                    return;
                }
            },
            KeyCode::Backspace => {
                text.pop();
            }
            // Ctrl-U empties the line, as in a shell; other control keys type nothing.
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
            _ => {
                self.mode = Mode::Filter { text, error };
                return;
            }
        }
        // The error was about the text before this edit.
        self.mode = Mode::Filter { text, error: None };
    }

    fn confirm_key(&mut self, key: KeyEvent, target: &Target) {
        if !matches!(key.code, KeyCode::Char('y' | 'Y')) {
            self.status = Some(i18n::tr(Msg::NotConfirmed).to_owned());
            return;
        }
        let options = KillOptions {
            signal: Signal::TERM,
            escalate: None,
            dry_run: false,
        };
        let results = kill::kill(std::slice::from_ref(target), &options);
        self.status = results.first().map(|result| {
            format!(
                "{} {}: {}",
                result.pid.map_or_else(String::new, |p| p.to_string()),
                i18n::tr(result.outcome.word()),
                result.message
            )
        });
    }

    fn detail_key(&mut self, key: KeyEvent, lines: Vec<String>, top: usize) {
        if matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('q' | 'Q') | KeyCode::Enter
        ) {
            return;
        }
        let top = moved(key.code, top, lines.len(), self.page);
        self.mode = Mode::Detail { lines, top };
    }

    /// The process of the selected row, as `prt kill` and `prt detail` name one.
    fn selected_target(&self) -> Result<Target, String> {
        let entry = self
            .rows
            .as_ref()
            .and_then(|rows| rows.entry(self.selected));
        let no_process = || i18n::tr(Msg::LiveNoProcess).to_owned();
        let pid = entry.and_then(|e| e.pid).ok_or_else(no_process)?;
        let mut targets = Targets::new();
        targets.add_spec(
            TargetSpec::Pid(pid),
            entry.map(std::slice::from_ref).unwrap_or_default(),
        );
        targets.targets.into_iter().next().ok_or_else(no_process)
    }

    fn rearrange(&mut self) {
        self.laid_out = None;
        let filter = self.filter.as_ref().map(|(_, q)| q);
        if let Some(rows) = self.rows.as_mut() {
            rows.arrange(self.sort, self.reverse, filter);
        }
        self.clamp();
    }

    fn len(&self) -> usize {
        self.rows.as_ref().map_or(0, Rows::len)
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.len().saturating_sub(1));
    }

    /// Draws the view for the terminal's size now.
    pub(crate) fn draw(&mut self, size: (u16, u16)) -> io::Result<()> {
        let frame = self.frame(size);
        self.screen.draw(&frame)
    }

    /// The screenful for `columns` x `lines`.
    fn frame(&mut self, (columns, lines): (u16, u16)) -> String {
        let width = usize::from(columns);
        let lines = usize::from(lines.max(4));
        let Some(rows) = self.rows.as_ref() else {
            return String::new();
        };
        let mut frame = vec![self.style.bold(&table::clip(&rows.header(width), width))];
        frame.push(self.controls(rows, width));
        if let Mode::Detail { lines: detail, top } = &self.mode {
            let room = lines - 2;
            self.page = room.max(1);
            frame.extend(
                detail
                    .iter()
                    .skip(*top)
                    .take(room)
                    .map(|l| table::cut(l, width)),
            );
            return frame.join("\n");
        }
        // One column for the selection marker; the heading takes one line.
        let table_width = columns.saturating_sub(1).max(1);
        let count = rows.len();
        let below = lines.saturating_sub(3);
        let room = if count <= below {
            count
        } else {
            below.saturating_sub(1)
        }
        .max(1);
        self.page = room;
        // Keep the selection on screen, scrolling as little as possible.
        self.top = self
            .top
            .min(self.selected)
            .max((self.selected + 1).saturating_sub(room));
        self.top = self.top.min(count.saturating_sub(room));
        let window = self.top..(self.top + room).min(count);
        let fresh =
            |(w, rows, _): &(u16, Range<usize>, String)| *w == table_width && *rows == window;
        if !self.laid_out.as_ref().is_some_and(fresh) {
            let text = rows.table(table_width, window.clone());
            self.laid_out = Some((table_width, window.clone(), text));
        }
        let table: Vec<&str> = self
            .laid_out
            .as_ref()
            .map(|(_, _, text)| text.lines().collect())
            .unwrap_or_default();
        let heading = table.len().saturating_sub(window.len());
        for line in &table[..heading] {
            frame.push(table::cut(&format!(" {line}"), width));
        }
        for (line, index) in table[heading..].iter().zip(window.clone()) {
            let line = if index == self.selected {
                self.style.reverse(&format!(">{line}"))
            } else {
                format!(" {line}")
            };
            frame.push(table::cut(&line, width));
        }
        let shown = count.min(room).min(count - self.top);
        if shown < count {
            let more = i18n::trf(Msg::MoreRows, &[&(count - shown)]);
            frame.push(self.style.dim(&table::clip(&more, width)));
        }
        frame.truncate(lines);
        frame.join("\n")
    }

    /// The second line: a prompt, the last result, or the sort, filter, pause and keys.
    fn controls(&self, rows: &R, width: usize) -> String {
        let text = match &self.mode {
            Mode::Filter { text, error } => {
                let prompt = i18n::trf(Msg::LiveFilterPrompt, &[&format!("{text}_")]);
                return match error {
                    Some(error) => {
                        let mut line = format!("{prompt}  {error}");
                        if unicode_width::UnicodeWidthStr::width(line.as_str()) > width {
                            // Narrow: the mistake matters more than the prompt's words.
                            line = format!("/{text}_  {error}");
                        }
                        self.style.red(&table::clip(&line, width))
                    }
                    None => table::clip(&prompt, width),
                };
            }
            Mode::Confirm(target) => {
                // Short enough for the question to fit a narrow screen: the start time is
                // checked by the kill itself.
                let mut who = format!(
                    "{} {}",
                    target.pid,
                    target.process.as_deref().unwrap_or("?")
                );
                for port in &target.ports {
                    who.push(' ');
                    who.push_str(port);
                }
                let ask = i18n::trf(Msg::LiveKillAsk, &[&Signal::TERM, &who]);
                format!("{ask} {}", i18n::tr(Msg::YesNo))
            }
            Mode::Detail { .. } => i18n::tr(Msg::LiveDetailKeys).to_owned(),
            Mode::Table => self.status.clone().unwrap_or_else(|| self.summary(rows)),
        };
        self.style.reverse(&table::clip(
            &crate::output::sanitize::terminal(&text),
            width,
        ))
    }

    /// `PAUSED  sort LOCAL ↑  filter EXPR  │ keys`.
    fn summary(&self, rows: &R) -> String {
        let names = rows.sort_names();
        let name = names.get(self.sort).copied().unwrap_or("");
        let arrow = if self.reverse { "↓" } else { "↑" };
        let mut text = String::new();
        if self.paused {
            text.push_str(i18n::tr(Msg::LivePaused));
            text.push_str("  ");
        }
        text.push_str(&i18n::trf(Msg::LiveSort, &[&name, &arrow]));
        if let Some((filter, _)) = &self.filter {
            text.push_str("  ");
            text.push_str(&i18n::trf(Msg::LiveFilter, &[filter]));
        }
        text.push_str("  │ ");
        text.push_str(i18n::tr(Msg::LiveKeys));
        text
    }

    /// Ctrl-Z: gives the terminal back, stops, and takes it again when continued.
    pub(crate) fn suspend(&mut self) -> io::Result<()> {
        self.screen.release()?;
        signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGTSTP)?;
        self.screen.take()
    }

    /// Gives the terminal back.
    pub(crate) fn leave(mut self) -> io::Result<()> {
        self.screen.release()
    }
}

/// A selection or scroll position after a movement key, within `len` items.
fn moved(code: KeyCode, at: usize, len: usize, page: usize) -> usize {
    let last = len.saturating_sub(1);
    match code {
        KeyCode::Up => at.saturating_sub(1),
        KeyCode::Down => (at + 1).min(last),
        KeyCode::PageUp => at.saturating_sub(page),
        KeyCode::PageDown => (at + page).min(last),
        KeyCode::Home => 0,
        KeyCode::End => last,
        _ => at,
    }
}

/// The detail page of `target`'s process: what `prt detail` shows on a terminal.
fn describe(target: &Target, ctx: &Ctx) -> Mode {
    let options = DetailOptions {
        files: false,
        env_values: false,
        sample: Duration::from_millis(200),
    };
    let mut sockets = crate::scan::scan(&SocketArgs::default().options())
        .map(|scan| scan.entries)
        .unwrap_or_default();
    Enricher::new(&ctx.config)
        .with_containers(None)
        .enrich(&mut sockets);
    let details = detail::describe(
        std::slice::from_ref(target),
        &sockets,
        &options,
        &mut Containers::new(),
    );
    let text = match details.first() {
        Some(Ok(detail)) => {
            key_values::key_values(&detail_view::sections(detail), &TableOptions::default())
        }
        Some(Err(gone)) => gone.reason.clone(),
        None => i18n::tr(Msg::LiveNoProcess).to_owned(),
    };
    let lines = text
        .lines()
        .map(|l| crate::output::sanitize::terminal(l).into_owned())
        .collect();
    Mode::Detail { lines, top: 0 }
}

/// Whether the terminal is taken, for the panic hook.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The terminal as the view holds it; given back on [`Screen::release`] or on drop.
struct Screen {
    out: Box<dyn Write>,
    /// Raw mode could be set (a terminal on stdin or /dev/tty): keys work.
    raw: bool,
}

impl Screen {
    fn enter(out: Box<dyn Write>) -> io::Result<Screen> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // Give the terminal back first, or the message is lost on the alternate
                // screen and the shell is left in raw mode.
                if TAKEN.swap(false, Ordering::SeqCst) {
                    let _ = terminal::disable_raw_mode();
                    let _ = execute!(io::stdout(), Show, LeaveAlternateScreen);
                }
                previous(info);
            }));
        });
        let mut screen = Screen { out, raw: false };
        screen.take()?;
        Ok(screen)
    }

    fn take(&mut self) -> io::Result<()> {
        execute!(self.out, EnterAlternateScreen, Hide)?;
        // Without a terminal to read keys from the view still shows; it only cannot be
        // steered.
        self.raw = terminal::enable_raw_mode().is_ok();
        TAKEN.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn release(&mut self) -> io::Result<()> {
        if !TAKEN.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        if self.raw {
            terminal::disable_raw_mode()?;
        }
        execute!(self.out, Show, LeaveAlternateScreen)
    }

    /// Replaces the screen's contents in one write: home, each line with its rest cleared,
    /// then everything below cleared. No blank flash between frames.
    fn draw(&mut self, frame: &str) -> io::Result<()> {
        queue!(self.out, MoveTo(0, 0))?;
        for (index, line) in frame.lines().enumerate() {
            if index > 0 {
                // No line break after the last line: on the bottom line it would scroll.
                self.out.write_all(b"\r\n")?;
            }
            self.out.write_all(line.as_bytes())?;
            queue!(self.out, Clear(ClearType::UntilNewLine))?;
        }
        queue!(self.out, Clear(ClearType::FromCursorDown))?;
        self.out.flush()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        // Best effort: the terminal may be gone already.
        let _ = self.release();
    }
}
