//! Well-known port names.

use crate::model::{Proto, State};

/// Built-in names, `(port, tcp name, udp name)`; `None` where the protocol has no
/// well-known use of the port. Sources: IANA's service name registry and `/etc/services`.
const KNOWN_PORTS: &[(u16, Option<&str>, Option<&str>)] = &[
    (20, Some("ftp-data"), None),
    (21, Some("ftp"), None),
    (22, Some("ssh"), None),
    (23, Some("telnet"), None),
    (25, Some("smtp"), None),
    (53, Some("dns"), Some("dns")),
    (67, None, Some("dhcp")),
    (68, None, Some("dhcp-client")),
    (69, None, Some("tftp")),
    (80, Some("http"), None),
    (88, Some("kerberos"), Some("kerberos")),
    (110, Some("pop3"), None),
    (111, Some("rpcbind"), Some("rpcbind")),
    (123, None, Some("ntp")),
    (137, None, Some("netbios-ns")),
    (138, None, Some("netbios-dgm")),
    (139, Some("netbios-ssn"), None),
    (143, Some("imap"), None),
    (161, None, Some("snmp")),
    (162, None, Some("snmptrap")),
    (179, Some("bgp"), None),
    (389, Some("ldap"), None),
    (443, Some("https"), Some("quic")),
    (445, Some("microsoft-ds"), None),
    (465, Some("smtps"), None),
    (500, None, Some("isakmp")),
    (514, None, Some("syslog")),
    (546, None, Some("dhcpv6-client")),
    (547, None, Some("dhcpv6")),
    (587, Some("submission"), None),
    (631, Some("ipp"), None),
    (636, Some("ldaps"), None),
    (853, Some("dns-over-tls"), Some("dns-over-quic")),
    (873, Some("rsync"), None),
    (993, Some("imaps"), None),
    (995, Some("pop3s"), None),
    (1080, Some("socks"), None),
    (1194, Some("openvpn"), Some("openvpn")),
    (1433, Some("mssql"), None),
    (1521, Some("oracle"), None),
    (1883, Some("mqtt"), None),
    (2049, Some("nfs"), Some("nfs")),
    (2375, Some("docker"), None),
    (2376, Some("docker-tls"), None),
    (2379, Some("etcd-client"), None),
    (2380, Some("etcd-server"), None),
    (3128, Some("squid"), None),
    (3306, Some("mysql"), None),
    (3389, Some("rdp"), None),
    (3478, None, Some("stun")),
    (4369, Some("epmd"), None),
    (5060, Some("sip"), Some("sip")),
    (5353, None, Some("mdns")),
    (5432, Some("postgresql"), None),
    (5672, Some("amqp"), None),
    (5900, Some("vnc"), None),
    (6379, Some("redis"), None),
    (6443, Some("kubernetes-api"), None),
    (8080, Some("http-alt"), None),
    (8443, Some("https-alt"), None),
    (9000, Some("cslistener"), None),
    (9042, Some("cassandra"), None),
    (9050, Some("tor-socks"), None),
    (9090, Some("prometheus"), None),
    (9092, Some("kafka"), None),
    (9150, Some("tor-browser"), None),
    (9200, Some("elasticsearch"), None),
    (10250, Some("kubelet"), None),
    (11211, Some("memcached"), Some("memcached")),
    (27017, Some("mongodb"), None),
    (51820, None, Some("wireguard")),
];

/// The well-known name of `port` for `proto`.
#[must_use]
pub fn port_name(proto: Proto, port: u16) -> Option<&'static str> {
    let index = KNOWN_PORTS
        .binary_search_by_key(&port, |&(p, _, _)| p)
        .ok()?;
    let (_, tcp, udp) = KNOWN_PORTS[index];
    match proto {
        Proto::Tcp => tcp,
        Proto::Udp => udp,
    }
}

/// The service a socket serves or uses: for a listening socket its local port's name; for
/// a connection the local port's name if it has one (an accepted connection to a server),
/// else the remote port's (a connection out to `:5432` is `postgresql`).
#[must_use]
pub fn service_for(
    proto: Proto,
    state: Option<State>,
    local_port: Option<u16>,
    remote_port: Option<u16>,
) -> Option<&'static str> {
    let local = local_port.and_then(|port| port_name(proto, port));
    if state.is_some_and(State::is_listening) || remote_port.is_none_or(|port| port == 0) {
        return local;
    }
    local.or_else(|| remote_port.and_then(|port| port_name(proto, port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(KNOWN_PORTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn names_by_protocol_and_direction() {
        assert_eq!(port_name(Proto::Tcp, 22), Some("ssh"));
        assert_eq!(port_name(Proto::Udp, 22), None);
        assert_eq!(port_name(Proto::Udp, 443), Some("quic"));
        assert_eq!(
            service_for(Proto::Tcp, Some(State::Listen), Some(5432), None),
            Some("postgresql")
        );
        assert_eq!(
            service_for(
                Proto::Tcp,
                Some(State::Established),
                Some(51000),
                Some(5432)
            ),
            Some("postgresql"),
            "outgoing: the remote port's name"
        );
        assert_eq!(
            service_for(Proto::Tcp, Some(State::Established), Some(22), Some(51000)),
            Some("ssh")
        );
        assert_eq!(
            service_for(Proto::Tcp, Some(State::Listen), Some(40000), None),
            None
        );
    }
}
