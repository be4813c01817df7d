//! [`Fields`] for the record types: typed entries and raw NDJSON lines. A record without
//! `service` or `suspicious` gets them computed from its other fields (enrich), so the
//! filter answers the same for records from any source.

use std::borrow::Cow;
use std::net::IpAddr;

use super::{Field, Fields};
use crate::enrich::services::port_name;
use crate::enrich::{SocketFacts, service_for, suspicious_reasons};
use crate::model::{PortEntry, Proto, State, TrackedEntry};
use crate::raw::{Key, RawRecord, RawValue};

fn borrowed(text: Option<&std::sync::Arc<str>>) -> Option<Cow<'_, str>> {
    text.map(|t| Cow::Borrowed(&**t))
}

impl Fields for PortEntry {
    fn number(&self, field: Field) -> Option<u64> {
        match field {
            Field::Port => Some(u64::from(self.local_port)),
            Field::Rport => self.remote_port.map(u64::from),
            Field::Pid => self.pid.map(u64::from),
            Field::Ppid => self.ppid.map(u64::from),
            Field::Uid => self.uid.map(u64::from),
            Field::Inode => Some(self.inode),
            Field::Netns => self.netns,
            Field::RecvQ => self.recv_q,
            Field::SendQ => self.send_q,
            Field::BytesSent => self.traffic.and_then(|t| t.bytes_sent),
            Field::BytesReceived => self.traffic.and_then(|t| t.bytes_received),
            Field::Retrans => self.traffic.and_then(|t| t.retrans),
            Field::RttUs => self.traffic.and_then(|t| t.rtt_us),
            _ => None,
        }
    }

    fn text(&self, field: Field) -> Option<Cow<'_, str>> {
        match field {
            Field::User => borrowed(self.user.as_ref()),
            Field::Process => borrowed(self.process.as_ref()),
            Field::Cmdline => borrowed(self.cmdline.as_ref()),
            Field::Container => borrowed(self.container.as_ref()),
            Field::Interface => borrowed(self.interface.as_ref()),
            Field::State => Some(Cow::Borrowed(self.state.as_str())),
            Field::Proto => Some(Cow::Borrowed(self.proto.as_str())),
            Field::Service => borrowed(self.service.as_ref()).or_else(|| {
                service_for(
                    self.proto,
                    Some(self.state),
                    Some(self.local_port),
                    self.remote_port,
                )
                .map(Cow::Borrowed)
            }),
            _ => None,
        }
    }

    fn addr(&self, field: Field) -> Option<IpAddr> {
        match field {
            Field::Laddr => Some(self.local_addr),
            Field::Raddr => self.remote_addr,
            _ => None,
        }
    }

    /// A typed entry was enriched when it was made: an empty list means checked and clean.
    fn reasons(&self) -> Vec<Cow<'_, str>> {
        self.suspicious
            .iter()
            .map(|r| Cow::Borrowed(r.as_str()))
            .collect()
    }
}

impl Fields for TrackedEntry {
    fn number(&self, field: Field) -> Option<u64> {
        match field {
            Field::RateSent => self.rates.and_then(|r| r.rate_sent),
            Field::RateReceived => self.rates.and_then(|r| r.rate_received),
            _ => self.entry.number(field),
        }
    }

    fn text(&self, field: Field) -> Option<Cow<'_, str>> {
        match field {
            Field::Status => Some(Cow::Borrowed(self.status.as_str())),
            _ => self.entry.text(field),
        }
    }

    fn addr(&self, field: Field) -> Option<IpAddr> {
        self.entry.addr(field)
    }

    fn reasons(&self) -> Vec<Cow<'_, str>> {
        self.entry.reasons()
    }
}

fn key_of(field: Field) -> Key {
    match field {
        Field::Port => Key::LocalPort,
        Field::Rport => Key::RemotePort,
        Field::Laddr => Key::LocalAddr,
        Field::Raddr => Key::RemoteAddr,
        Field::Pid => Key::Pid,
        Field::Ppid => Key::Ppid,
        Field::Uid => Key::Uid,
        Field::Inode => Key::Inode,
        Field::Netns => Key::Netns,
        Field::RecvQ => Key::RecvQ,
        Field::SendQ => Key::SendQ,
        Field::Interface => Key::Interface,
        Field::User => Key::User,
        Field::Process => Key::Process,
        Field::Cmdline => Key::Cmdline,
        Field::State => Key::State,
        Field::Proto => Key::Proto,
        Field::Service => Key::Service,
        Field::Container => Key::Container,
        Field::Status => Key::Status,
        Field::Suspicious => Key::Suspicious,
        Field::BytesSent => Key::BytesSent,
        Field::BytesReceived => Key::BytesReceived,
        Field::Retrans => Key::Retrans,
        Field::RttUs => Key::RttUs,
        Field::RateSent => Key::RateSent,
        Field::RateReceived => Key::RateReceived,
    }
}

fn port(record: &RawRecord<'_>, key: Key) -> Option<u16> {
    record.u64(key).and_then(|p| u16::try_from(p).ok())
}

fn proto(record: &RawRecord<'_>) -> Option<Proto> {
    match record.str(Key::Proto)?.as_ref() {
        "tcp" | "TCP" => Some(Proto::Tcp),
        "udp" | "UDP" => Some(Proto::Udp),
        _ => None,
    }
}

fn state(record: &RawRecord<'_>) -> Option<State> {
    record.str(Key::State)?.parse().ok()
}

impl Fields for RawRecord<'_> {
    fn number(&self, field: Field) -> Option<u64> {
        self.u64(key_of(field))
    }

    fn text(&self, field: Field) -> Option<Cow<'_, str>> {
        let given = self.str(key_of(field));
        if field == Field::Service && given.is_none() {
            return service_for(
                proto(self)?,
                state(self),
                port(self, Key::LocalPort),
                port(self, Key::RemotePort),
            )
            .map(Cow::Borrowed);
        }
        given
    }

    fn addr(&self, field: Field) -> Option<IpAddr> {
        self.value(key_of(field)).and_then(RawValue::as_ip)
    }

    /// A record that carries `suspicious` (even an empty list) was checked by whoever wrote
    /// it, with more facts than the record holds (the executable, capabilities); only a
    /// record without the field gets the rules that its own fields allow.
    fn reasons(&self) -> Vec<Cow<'_, str>> {
        if let Some(given) = self.value(Key::Suspicious) {
            return given.strings();
        }
        let process = self.str(Key::Process);
        let remote_port = port(self, Key::RemotePort);
        let facts = SocketFacts {
            state: state(self),
            local_port: port(self, Key::LocalPort),
            remote_addr: self.addr(Field::Raddr),
            remote_port,
            uid: self.u64(Key::Uid).and_then(|u| u32::try_from(u).ok()),
            process: process.as_deref(),
            remote_port_named: proto(self)
                .zip(remote_port)
                .is_some_and(|(proto, port)| port_name(proto, port).is_some()),
            ..SocketFacts::default()
        };
        suspicious_reasons(&facts)
            .into_iter()
            .map(Cow::Borrowed)
            .collect()
    }
}
