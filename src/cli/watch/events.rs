//! The kernel's event sources as a watch uses them (Linux): opened once, waited on between
//! ticks, each event turned into its record by the session at once. See
//! [`crate::events`] for the sources and the plan this follows.

use std::collections::VecDeque;
use std::time::Duration;

use crate::cli::common::Ctx;
use crate::events::destroy::{DestroyEvents, SocketEvent};
use crate::events::process::{ProcessEvent, ProcessEvents};
use crate::events::tcp_state::{
    Connections, Lifecycle, REORDER_WINDOW, TcpStateEvent, TcpStateEvents,
};
use crate::events::{Event, Sources};
use crate::i18n::{self, Msg};
use crate::model::Timestamp;
use crate::scan::netns::{self, Namespace};
use crate::scan::process::own_netns;
use crate::session::Session;
use crate::sys;
use crate::track::Change;

/// The open sources of one watch, and what it has said about them.
pub(super) struct Events {
    sources: Sources,
    all_netns: bool,
    /// The `Lost` note is said once per watch.
    lost_noted: bool,
    /// A namespace that could not be subscribed in is said once per watch.
    namespace_noted: bool,
    buffer: Vec<Event>,
    /// Connections and listeners as the tracepoint tells them begin (root only).
    connections: Connections,
    began: Vec<Lifecycle>,
    /// Whether the tracepoint is open: destroy events then wait for it (see `held`).
    tcp_state: bool,
    /// Destroy events with when they were read (`CLOCK_MONOTONIC`). The tracepoint hands
    /// out a change only [`REORDER_WINDOW`] after it happened; a destroy event is held as
    /// long, so the beginning of a connection of a millisecond comes out before its end.
    held: VecDeque<(Duration, Event)>,
}

impl Events {
    /// Opens the destroy subscription of this namespace and the proc connector; says once
    /// on stderr which could not be opened, and why. With `all_netns`, the other
    /// namespaces are subscribed in as scans list them ([`Events::follow`]).
    pub(super) fn open(ctx: &Ctx, all_netns: bool) -> Events {
        let mut sources = Sources::new();
        match DestroyEvents::open() {
            Ok(events) => sources.add_destroy(own_netns(), events),
            Err(err) => unavailable(ctx, Msg::EventsDestroySource, &err),
        }
        match ProcessEvents::open() {
            Ok(events) => sources.add(Box::new(events)),
            Err(err) => unavailable(ctx, Msg::EventsProcessSource, &err),
        }
        let tcp_state = match TcpStateEvents::open() {
            Ok(events) => {
                sources.add(Box::new(events));
                true
            }
            Err(err) => {
                unavailable(ctx, Msg::EventsTcpStateSource, &err);
                false
            }
        };
        Events {
            sources,
            all_netns,
            lost_noted: false,
            namespace_noted: false,
            buffer: Vec::new(),
            connections: Connections::default(),
            began: Vec::new(),
            tcp_state,
            held: VecDeque::new(),
        }
    }

    /// Whether the tracepoint is open: every TCP state change is then told as it happens,
    /// and a scan may be skipped when nothing changed ([`Session::refresh_unless_settled`]).
    pub(super) fn tells_every_tcp_change(&self) -> bool {
        self.tcp_state
    }

    /// Whether any source is open: records then say where they came from.
    pub(super) fn any(&self) -> bool {
        !self.sources.is_empty()
    }

    /// Tells the tracepoint's connection helper of a listener a scan saw, so connections it
    /// accepts get its process before their owner shows itself.
    pub(super) fn note_listener(&mut self, local: std::net::SocketAddr, pid: u32) {
        self.connections.note_listener(local, pid);
    }

    /// With `--all-netns`: subscribes in the namespaces of `listed` not subscribed in yet.
    pub(super) fn follow(&mut self, ctx: &Ctx, listed: &[Namespace]) {
        if !self.all_netns {
            return;
        }
        for namespace in listed {
            if self.sources.watches(Some(namespace.inode)) {
                continue;
            }
            match netns::run_inside(namespace, DestroyEvents::open).and_then(|opened| opened) {
                Ok(events) => self.sources.add_destroy(Some(namespace.inode), events),
                Err(err) => {
                    if !self.namespace_noted {
                        self.namespace_noted = true;
                        unavailable(ctx, Msg::EventsDestroySource, &err);
                    }
                    // Not tried again every tick: marked as watched, without a source.
                    self.sources.add_none(Some(namespace.inode));
                }
            }
        }
    }

    /// Waits up to `wait` for events, then turns every waiting one into its record through
    /// `session`, each handed to `emit` as it comes. A zero `wait` is the drain before a
    /// scan: held destroy events are let out too, as the scan would otherwise miss their
    /// sockets and report them gone itself.
    pub(super) fn pump(
        &mut self,
        ctx: &Ctx,
        session: &mut Session,
        wait: Duration,
        mut emit: impl FnMut(Change) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let before_scan = wait.is_zero();
        if before_scan && let Some((read, _)) = self.held.back() {
            // The tracepoint's changes from before the last destroy event read come out
            // within its window: wait for them (2 ms at most), so that the beginnings of
            // those sockets are reported before their ends.
            std::thread::sleep((*read + REORDER_WINDOW).saturating_sub(sys::monotonic_now()));
        }
        let due = self
            .held
            .front()
            .map(|(read, _)| (*read + REORDER_WINDOW).saturating_sub(sys::monotonic_now()));
        let wait = due.map_or(wait, |due| wait.min(due));
        if !wait.is_zero() && !self.sources.wait(wait) && self.held.is_empty() {
            return Ok(());
        }
        // The tracepoint lets out, as it is drained, every change from before this instant
        // less its window: the one cut-off for the destroy events held below. A clock read
        // after the records were written (which can block on a slow reader) would let out
        // the end of a connection whose beginning the tracepoint still holds.
        let drained_at = sys::monotonic_now();
        for err in self.sources.drain(&mut self.buffer) {
            unavailable(ctx, Msg::EventsDestroySource, &err);
        }
        let mut events = std::mem::take(&mut self.buffer);
        if self.tcp_state {
            let read = sys::monotonic_now();
            let mut rest = Vec::with_capacity(events.len());
            for event in events.drain(..) {
                if matches!(event, Event::Socket { .. }) {
                    self.held.push_back((read, event));
                } else {
                    rest.push(event);
                }
            }
            events = rest;
        }
        self.handle(ctx, session, &mut events, &mut emit)?;
        // Destroy events read before the oldest tracepoint change still held could have
        // happened are out of order no longer.
        while let Some((read, _)) = self.held.front()
            && (before_scan || *read + REORDER_WINDOW <= drained_at)
        {
            if let Some((_, event)) = self.held.pop_front() {
                events.push(event);
            }
        }
        self.handle(ctx, session, &mut events, &mut emit)?;
        self.buffer = events;
        Ok(())
    }

    /// Turns `events` into records, emptying it.
    fn handle(
        &mut self,
        ctx: &Ctx,
        session: &mut Session,
        events: &mut Vec<Event>,
        emit: &mut impl FnMut(Change) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let now = Timestamp::now_millis();
        for event in events.drain(..) {
            match event {
                Event::Socket {
                    netns,
                    event: SocketEvent::Destroyed(socket),
                } => {
                    if let Some(change) = session.destroyed(netns, &socket, now) {
                        emit(change)?;
                    }
                }
                Event::Socket {
                    event: SocketEvent::Lost,
                    ..
                }
                | Event::Process(ProcessEvent::Lost)
                | Event::TcpState(TcpStateEvent::Lost { .. }) => {
                    session.note_change();
                    self.lost(ctx);
                }
                Event::Process(event) => session.process_event(&event),
                Event::TcpState(TcpStateEvent::StateChange(change)) => {
                    session.note_change();
                    let began = &mut self.began;
                    self.connections.observe(&change, |lifecycle| {
                        // A connection's end is its destroy event's: that has the final
                        // counters, and the record takes its pid from the beginning.
                        if matches!(lifecycle, Lifecycle::Began(_)) {
                            began.push(lifecycle);
                        }
                    });
                    for lifecycle in self.began.drain(..) {
                        if let Lifecycle::Began(connection) = lifecycle
                            && let Some(change) = session.began(&connection, now)
                        {
                            emit(change)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn lost(&mut self, ctx: &Ctx) {
        if !self.lost_noted {
            self.lost_noted = true;
            ctx.note(i18n::tr(Msg::EventsLost));
        }
    }
}

/// `no socket destroy events: Operation not permitted (os error 1); ...`
fn unavailable(ctx: &Ctx, source: Msg, err: &std::io::Error) {
    ctx.note(&i18n::trf(
        Msg::EventsUnavailable,
        &[&i18n::tr(source), &err],
    ));
}
