//! Well-known port names: a built-in table, and the configuration's overrides on top.

use std::collections::HashMap;

use crate::model::{Proto, State};

/// Built-in names, `(port, tcp name, udp name)`, sorted by port; `None` where the protocol
/// has no well-known use of the port. Drawn from IANA's service name registry and common
/// deployments (databases, monitoring, orchestration); names are short lowercase tokens.
const KNOWN_PORTS: &[(u16, Option<&str>, Option<&str>)] = &[
    (7, Some("echo"), Some("echo")),
    (9, Some("discard"), Some("discard")),
    (13, Some("daytime"), Some("daytime")),
    (17, Some("qotd"), None),
    (19, Some("chargen"), None),
    (20, Some("ftp-data"), None),
    (21, Some("ftp"), None),
    (22, Some("ssh"), None),
    (23, Some("telnet"), None),
    (25, Some("smtp"), None),
    (37, Some("time"), Some("time")),
    (43, Some("whois"), None),
    (49, Some("tacacs"), Some("tacacs")),
    (53, Some("dns"), Some("dns")),
    (67, None, Some("dhcp")),
    (68, None, Some("dhcp-client")),
    (69, None, Some("tftp")),
    (70, Some("gopher"), None),
    (79, Some("finger"), None),
    (80, Some("http"), None),
    (88, Some("kerberos"), Some("kerberos")),
    (102, Some("iso-tsap"), None),
    (110, Some("pop3"), None),
    (111, Some("rpcbind"), Some("rpcbind")),
    (113, Some("ident"), None),
    (119, Some("nntp"), None),
    (123, None, Some("ntp")),
    (135, Some("msrpc"), Some("msrpc")),
    (137, None, Some("netbios-ns")),
    (138, None, Some("netbios-dgm")),
    (139, Some("netbios-ssn"), None),
    (143, Some("imap"), None),
    (161, None, Some("snmp")),
    (162, None, Some("snmptrap")),
    (177, None, Some("xdmcp")),
    (179, Some("bgp"), None),
    (194, Some("irc"), None),
    (199, Some("smux"), None),
    (220, Some("imap3"), None),
    (389, Some("ldap"), Some("ldap")),
    (427, Some("svrloc"), Some("svrloc")),
    (443, Some("https"), Some("quic")),
    (444, Some("snpp"), None),
    (445, Some("microsoft-ds"), None),
    (464, Some("kpasswd"), Some("kpasswd")),
    (465, Some("smtps"), None),
    (500, None, Some("isakmp")),
    (502, Some("modbus"), None),
    (512, Some("exec"), None),
    (513, Some("login"), Some("who")),
    (514, Some("shell"), Some("syslog")),
    (515, Some("printer"), None),
    (520, None, Some("rip")),
    (521, None, Some("ripng")),
    (530, Some("rpc"), None),
    (540, Some("uucp"), None),
    (543, Some("klogin"), None),
    (544, Some("kshell"), None),
    (546, None, Some("dhcpv6-client")),
    (547, None, Some("dhcpv6")),
    (548, Some("afp"), None),
    (554, Some("rtsp"), Some("rtsp")),
    (563, Some("nntps"), None),
    (587, Some("submission"), None),
    (593, Some("http-rpc-epmap"), None),
    (623, None, Some("ipmi")),
    (631, Some("ipp"), None),
    (636, Some("ldaps"), None),
    (646, Some("ldp"), Some("ldp")),
    (749, Some("kerberos-adm"), None),
    (853, Some("dns-over-tls"), Some("dns-over-quic")),
    (860, Some("iscsi"), None),
    (873, Some("rsync"), None),
    (902, Some("vmware-auth"), None),
    (989, Some("ftps-data"), None),
    (990, Some("ftps"), None),
    (992, Some("telnets"), None),
    (993, Some("imaps"), None),
    (995, Some("pop3s"), None),
    (1080, Some("socks"), None),
    (1194, Some("openvpn"), Some("openvpn")),
    (1241, Some("nessus"), None),
    (1433, Some("mssql"), None),
    (1434, None, Some("mssql-browser")),
    (1521, Some("oracle"), None),
    (1701, None, Some("l2tp")),
    (1723, Some("pptp"), None),
    (1812, None, Some("radius")),
    (1813, None, Some("radius-acct")),
    (1883, Some("mqtt"), None),
    (1900, None, Some("ssdp")),
    (2049, Some("nfs"), Some("nfs")),
    (2082, Some("cpanel"), None),
    (2083, Some("cpanel-ssl"), None),
    (2181, Some("zookeeper"), None),
    (2222, Some("ssh-alt"), None),
    (2375, Some("docker"), None),
    (2376, Some("docker-tls"), None),
    (2377, Some("docker-swarm"), None),
    (2379, Some("etcd-client"), None),
    (2380, Some("etcd-server"), None),
    (2483, Some("oracle-db"), None),
    (2484, Some("oracle-db-ssl"), None),
    (3000, Some("grafana"), None),
    (3050, Some("firebird"), None),
    (3128, Some("squid"), None),
    (3260, Some("iscsi-target"), None),
    (3268, Some("ldap-gc"), None),
    (3269, Some("ldap-gc-ssl"), None),
    (3306, Some("mysql"), None),
    (3389, Some("rdp"), Some("rdp")),
    (3478, Some("stun"), Some("stun")),
    (3690, Some("svn"), None),
    (3868, Some("diameter"), None),
    (4222, Some("nats"), None),
    (4369, Some("epmd"), None),
    (4500, None, Some("ipsec-nat-t")),
    (4505, Some("salt-publish"), None),
    (4506, Some("salt-request"), None),
    (4567, Some("galera"), None),
    (4789, None, Some("vxlan")),
    (4848, Some("glassfish"), None),
    (5044, Some("logstash-beats"), None),
    (5060, Some("sip"), Some("sip")),
    (5061, Some("sips"), None),
    (5201, Some("iperf3"), None),
    (5222, Some("xmpp-client"), None),
    (5269, Some("xmpp-server"), None),
    (5353, None, Some("mdns")),
    (5355, Some("llmnr"), Some("llmnr")),
    (5432, Some("postgresql"), None),
    (5433, Some("postgresql-alt"), None),
    (5601, Some("kibana"), None),
    (5666, Some("nrpe"), None),
    (5672, Some("amqp"), None),
    (5683, None, Some("coap")),
    (5900, Some("vnc"), None),
    (5938, Some("teamviewer"), Some("teamviewer")),
    (5984, Some("couchdb"), None),
    (5985, Some("winrm"), None),
    (5986, Some("winrm-https"), None),
    (6000, Some("x11"), None),
    (6379, Some("redis"), None),
    (6443, Some("kubernetes-api"), None),
    (6514, Some("syslog-tls"), None),
    (6667, Some("irc"), None),
    (6697, Some("ircs"), None),
    (6881, Some("bittorrent"), Some("bittorrent")),
    (7000, Some("cassandra-cluster"), None),
    (7001, Some("weblogic"), None),
    (7199, Some("cassandra-jmx"), None),
    (7474, Some("neo4j"), None),
    (7687, Some("neo4j-bolt"), None),
    (8000, Some("http-alt"), None),
    (8008, Some("http-alt"), None),
    (8009, Some("ajp"), None),
    (8080, Some("http-alt"), None),
    (8081, Some("http-alt"), None),
    (8086, Some("influxdb"), None),
    (8088, Some("http-alt"), None),
    (8123, Some("home-assistant"), None),
    (8200, Some("vault"), None),
    (8300, Some("consul-server"), None),
    (8301, Some("consul-lan"), Some("consul-lan")),
    (8302, Some("consul-wan"), Some("consul-wan")),
    (8332, Some("bitcoin-rpc"), None),
    (8333, Some("bitcoin"), None),
    (8443, Some("https-alt"), None),
    (8500, Some("consul"), None),
    (8600, Some("consul-dns"), Some("consul-dns")),
    (8883, Some("mqtts"), None),
    (8888, Some("http-proxy-alt"), None),
    (9000, Some("cslistener"), None),
    (9001, Some("tor-orport"), None),
    (9042, Some("cassandra"), None),
    (9050, Some("tor-socks"), None),
    (9051, Some("tor-control"), None),
    (9090, Some("prometheus"), None),
    (9091, Some("prometheus-pushgateway"), None),
    (9092, Some("kafka"), None),
    (9093, Some("alertmanager"), None),
    (9100, Some("node-exporter"), None),
    (9150, Some("tor-browser"), None),
    (9200, Some("elasticsearch"), None),
    (9300, Some("elasticsearch-cluster"), None),
    (9418, Some("git"), None),
    (9443, Some("https-alt"), None),
    (10000, Some("webmin"), None),
    (10050, Some("zabbix-agent"), None),
    (10051, Some("zabbix-server"), None),
    (10250, Some("kubelet"), None),
    (10255, Some("kubelet-readonly"), None),
    (10256, Some("kube-proxy"), None),
    (11211, Some("memcached"), Some("memcached")),
    (15672, Some("rabbitmq-mgmt"), None),
    (16509, Some("libvirt"), None),
    (17500, Some("dropbox"), Some("dropbox")),
    (19999, Some("netdata"), None),
    (22000, Some("syncthing"), Some("syncthing")),
    (25565, Some("minecraft"), None),
    (26257, Some("cockroachdb"), None),
    (27015, None, Some("steam")),
    (27017, Some("mongodb"), None),
    (28015, Some("rethinkdb"), None),
    (32400, Some("plex"), None),
    (50000, Some("db2"), None),
    (51820, None, Some("wireguard")),
    (61613, Some("stomp"), None),
];

/// How many ports the built-in table names.
#[must_use]
pub fn builtin_len() -> usize {
    KNOWN_PORTS.len()
}

/// The built-in name of `port` for `proto`.
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

/// The service a socket serves or uses, from the built-in table: see [`PortNames::service_for`].
#[must_use]
pub fn service_for(
    proto: Proto,
    state: Option<State>,
    local_port: Option<u16>,
    remote_port: Option<u16>,
) -> Option<&'static str> {
    by_direction(state, local_port, remote_port, |port| {
        port_name(proto, port)
    })
}

/// Port names: the built-in table with the configuration's `[known_ports]` on top.
#[derive(Debug, Clone, Default)]
pub struct PortNames {
    overrides: HashMap<(u16, Option<Proto>), String>,
}

impl PortNames {
    /// The built-in names only.
    #[must_use]
    pub fn builtin() -> PortNames {
        PortNames::default()
    }

    /// Names `port` for `proto`, or for both protocols when `proto` is `None`. A later
    /// setting of the same port and protocol replaces an earlier one.
    pub fn set(&mut self, port: u16, proto: Option<Proto>, name: &str) {
        self.overrides.insert((port, proto), name.to_owned());
    }

    /// The name of `port` for `proto`: an override for that protocol, else one for both,
    /// else the built-in name.
    #[must_use]
    pub fn name(&self, proto: Proto, port: u16) -> Option<&str> {
        if self.overrides.is_empty() {
            return port_name(proto, port);
        }
        self.overrides
            .get(&(port, Some(proto)))
            .or_else(|| self.overrides.get(&(port, None)))
            .map(String::as_str)
            .or_else(|| port_name(proto, port))
    }

    /// The service a socket serves or uses: for a listening socket its local port's name;
    /// for a connection the local port's name if it has one (an accepted connection to a
    /// server), else the remote port's (a connection out to `:5432` is `postgresql`).
    #[must_use]
    pub fn service_for(
        &self,
        proto: Proto,
        state: Option<State>,
        local_port: Option<u16>,
        remote_port: Option<u16>,
    ) -> Option<&str> {
        by_direction(state, local_port, remote_port, |port| {
            self.name(proto, port)
        })
    }
}

/// The direction rule of `service_for`, over any way of naming a port. When both ends of
/// a connection have names, the lower port is the server's: clients connect from high
/// ephemeral ports, some of which a table also names (50000 is db2's).
fn by_direction<'a>(
    state: Option<State>,
    local_port: Option<u16>,
    remote_port: Option<u16>,
    name: impl Fn(u16) -> Option<&'a str>,
) -> Option<&'a str> {
    let local = local_port.and_then(|port| Some((port, name(port)?)));
    if state.is_some_and(State::is_listening) || remote_port.is_none_or(|port| port == 0) {
        return local.map(|(_, name)| name);
    }
    let remote = remote_port.and_then(|port| Some((port, name(port)?)));
    match (local, remote) {
        (Some(local), Some(remote)) => Some(if remote.0 < local.0 {
            remote.1
        } else {
            local.1
        }),
        (one, other) => one.or(other).map(|(_, name)| name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_large() {
        assert!(KNOWN_PORTS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(builtin_len() >= 170, "{}", builtin_len());
        for &(port, tcp, udp) in KNOWN_PORTS {
            assert!(tcp.is_some() || udp.is_some(), "{port} names nothing");
            for name in tcp.into_iter().chain(udp) {
                assert!(
                    name.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn tcp_and_udp_differ_where_they_do() {
        assert_eq!(port_name(Proto::Tcp, 443), Some("https"));
        assert_eq!(port_name(Proto::Udp, 443), Some("quic"));
        assert_eq!(port_name(Proto::Tcp, 53), Some("dns"));
        assert_eq!(port_name(Proto::Udp, 53), Some("dns"));
        assert_eq!(port_name(Proto::Udp, 5353), Some("mdns"));
        assert_eq!(port_name(Proto::Tcp, 5353), None);
        assert_eq!(port_name(Proto::Tcp, 22), Some("ssh"));
        assert_eq!(port_name(Proto::Udp, 22), None);
        assert_eq!(port_name(Proto::Udp, 123), Some("ntp"));
        assert_eq!(port_name(Proto::Tcp, 514), Some("shell"));
        assert_eq!(port_name(Proto::Udp, 514), Some("syslog"));
    }

    #[test]
    fn overrides() {
        let mut names = PortNames::builtin();
        names.set(9090, None, "our-prometheus");
        names.set(5353, Some(Proto::Udp), "bonjour");
        names.set(40000, Some(Proto::Tcp), "our-api");
        assert_eq!(names.name(Proto::Tcp, 9090), Some("our-prometheus"));
        assert_eq!(names.name(Proto::Udp, 9090), Some("our-prometheus"));
        assert_eq!(names.name(Proto::Udp, 5353), Some("bonjour"));
        assert_eq!(names.name(Proto::Tcp, 5353), None, "udp only");
        assert_eq!(names.name(Proto::Tcp, 40000), Some("our-api"));
        assert_eq!(names.name(Proto::Udp, 40000), None);
        assert_eq!(names.name(Proto::Tcp, 22), Some("ssh"), "the rest stays");

        // A protocol's own name beats one for both, whichever came first.
        let mut first_both = PortNames::builtin();
        first_both.set(8080, None, "both");
        first_both.set(8080, Some(Proto::Tcp), "tcp-only");
        let mut first_tcp = PortNames::builtin();
        first_tcp.set(8080, Some(Proto::Tcp), "tcp-only");
        first_tcp.set(8080, None, "both");
        for names in [first_both, first_tcp] {
            assert_eq!(names.name(Proto::Tcp, 8080), Some("tcp-only"));
            assert_eq!(names.name(Proto::Udp, 8080), Some("both"));
        }
    }

    #[test]
    fn direction() {
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
            Some("ssh"),
            "accepted: the local port's name"
        );
        assert_eq!(
            service_for(Proto::Tcp, Some(State::Listen), Some(40000), None),
            None
        );
        let mut names = PortNames::builtin();
        names.set(6000, None, "our-service");
        assert_eq!(
            names.service_for(
                Proto::Tcp,
                Some(State::Established),
                Some(50000),
                Some(6000)
            ),
            Some("our-service")
        );
    }
}
