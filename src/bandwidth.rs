//! System-wide receive and transmit rates, from interface byte counters.
//!
//! Linux counters come from `/proc/net/dev`; macOS's from `netstat -ib` (the parser is here,
//! tested on sample output, for the macOS backend to call). A rate is computed
//! per interface over the interfaces present in both samples and over the real time between
//! them, so interfaces coming and going, or a counter reset, never make the total spike or
//! drop to zero. Loopback is kept per interface but left out of the total.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

/// Byte counters of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Interface name (`eth0`, `lo`, `en0`).
    pub name: String,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
}

impl InterfaceCounters {
    /// Whether this is a loopback interface (`lo`, `lo0`).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.name == "lo"
            || self
                .name
                .strip_prefix("lo")
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
    }
}

/// Counters of every interface at one moment.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When the counters were read.
    pub at: Instant,
    /// One entry per interface.
    pub interfaces: Vec<InterfaceCounters>,
}

impl Sample {
    /// Reads `/proc/net/dev` now.
    pub fn read() -> io::Result<Sample> {
        let text = std::fs::read_to_string("/proc/net/dev")?;
        Ok(Sample {
            at: Instant::now(),
            interfaces: parse_proc_net_dev(&text),
        })
    }
}

/// Bytes per second of one interface.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceRate {
    /// Interface name.
    pub name: String,
    /// Received bytes per second.
    pub rx: f64,
    /// Sent bytes per second.
    pub tx: f64,
    /// Loopback: not in the totals.
    pub loopback: bool,
}

/// Rates between two samples.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rates {
    /// Received bytes per second, loopback excluded.
    pub rx: f64,
    /// Sent bytes per second, loopback excluded.
    pub tx: f64,
    /// Per interface, loopback included, in name order.
    pub interfaces: Vec<InterfaceRate>,
}

/// The rates from `before` to `after`. Interfaces missing from either sample, and counters
/// that went backwards (a reset or a re-created interface), are left out; with no time
/// between the samples every rate is zero.
#[must_use]
pub fn rates(before: &Sample, after: &Sample) -> Rates {
    let elapsed = after.at.saturating_duration_since(before.at);
    rates_over(&before.interfaces, &after.interfaces, elapsed)
}

/// [`rates`] over explicit counters and elapsed time.
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    reason = "a byte rate needs no more than 52 bits of precision"
)]
pub fn rates_over(
    before: &[InterfaceCounters],
    after: &[InterfaceCounters],
    elapsed: Duration,
) -> Rates {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return Rates::default();
    }
    let earlier: HashMap<&str, &InterfaceCounters> =
        before.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut interfaces: Vec<InterfaceRate> = after
        .iter()
        .filter_map(|now| {
            let then = earlier.get(now.name.as_str())?;
            let rx = now.rx_bytes.checked_sub(then.rx_bytes)?;
            let tx = now.tx_bytes.checked_sub(then.tx_bytes)?;
            Some(InterfaceRate {
                name: now.name.clone(),
                rx: rx as f64 / seconds,
                tx: tx as f64 / seconds,
                loopback: now.is_loopback(),
            })
        })
        .collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let (rx, tx) = interfaces
        .iter()
        .filter(|i| !i.loopback)
        .fold((0.0, 0.0), |(rx, tx), i| (rx + i.rx, tx + i.tx));
    Rates { rx, tx, interfaces }
}

/// Parses `/proc/net/dev`: two header lines, then `name: rx_bytes ... (8 fields) tx_bytes ...`.
/// Lines that do not have that shape are skipped.
#[must_use]
pub fn parse_proc_net_dev(text: &str) -> Vec<InterfaceCounters> {
    text.lines()
        .filter_map(|line| {
            let (name, counters) = line.split_once(':')?;
            let fields: Vec<u64> = counters
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            Some(InterfaceCounters {
                name: name.trim().to_owned(),
                rx_bytes: *fields.first()?,
                tx_bytes: *fields.get(8)?,
            })
        })
        .collect()
}

/// Parses macOS `netstat -ib`: one `<Link#N>` row per interface (the other rows repeat the
/// same counters per address). The address column may be empty, so the counters are read
/// from the right: `... Ibytes Opkts Oerrs Obytes Coll`.
#[must_use]
pub fn parse_netstat_ib(text: &str) -> Vec<InterfaceCounters> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if !fields.get(2)?.starts_with("<Link#") {
                return None;
            }
            let from_right = |n: usize| {
                fields
                    .len()
                    .checked_sub(n)
                    .and_then(|i| fields[i].parse::<u64>().ok())
            };
            Some(InterfaceCounters {
                name: fields[0].trim_end_matches('*').to_owned(),
                rx_bytes: from_right(5)?,
                tx_bytes: from_right(2)?,
            })
        })
        .collect()
}

/// `1.2 MB/s`, `340 kB/s`, `12 B/s`.
#[must_use]
pub fn human_rate(bytes_per_sec: f64) -> String {
    const UNITS: [&str; 5] = ["B/s", "kB/s", "MB/s", "GB/s", "TB/s"];
    let mut value = bytes_per_sec.max(0.0);
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the expected rates are exact in binary")]
mod tests {
    use super::*;

    const PROC_NET_DEV: &str = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000      50    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
";

    const NETSTAT_IB: &str = "Name       Mtu   Network       Address            Ipkts Ierrs     Ibytes    Opkts Oerrs     Obytes  Coll
lo0        16384 <Link#1>                           1200     0     340000     1200     0     340000     0
lo0        16384 127           localhost            1200     -     340000     1200     -     340000     -
en0        1500  <Link#4>    a4:83:e7:01:02:03    90000     0  120000000    40000     0    8000000     0
en0        1500  192.168.1     192.168.1.20        90000     -  120000000    40000     -    8000000     -
utun0*     1380  <Link#12>                             0     0          0        5     0        640     0
";

    fn counters(name: &str, rx: u64, tx: u64) -> InterfaceCounters {
        InterfaceCounters {
            name: name.into(),
            rx_bytes: rx,
            tx_bytes: tx,
        }
    }

    #[test]
    fn parses_proc_net_dev() {
        assert_eq!(
            parse_proc_net_dev(PROC_NET_DEV),
            [counters("lo", 1000, 1000), counters("eth0", 5000, 2000)]
        );
        assert!(
            Sample::read()
                .expect("this kernel's /proc/net/dev")
                .interfaces
                .iter()
                .any(InterfaceCounters::is_loopback)
        );
    }

    #[test]
    fn parses_macos_netstat_ib() {
        assert_eq!(
            parse_netstat_ib(NETSTAT_IB),
            [
                counters("lo0", 340_000, 340_000),
                counters("en0", 120_000_000, 8_000_000),
                counters("utun0", 0, 640)
            ]
        );
    }

    #[test]
    fn rates_exclude_loopback_and_interfaces_not_in_both_samples() {
        let before = [
            counters("lo", 0, 0),
            counters("eth0", 1000, 500),
            counters("gone0", 0, 0),
        ];
        let after = [
            counters("lo", 9000, 9000),
            counters("eth0", 3000, 1500),
            counters("new0", 99_999, 99_999),
        ];
        let rates = rates_over(&before, &after, Duration::from_secs(2));
        assert_eq!((rates.rx, rates.tx), (1000.0, 500.0));
        let names: Vec<&str> = rates.interfaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["eth0", "lo"]);
        assert_eq!(rates.interfaces[1].rx, 4500.0);
    }

    #[test]
    fn a_counter_reset_is_skipped_not_a_spike() {
        let rates = rates_over(
            &[counters("eth0", 10_000, 10_000)],
            &[counters("eth0", 5, 5)],
            Duration::from_secs(1),
        );
        assert_eq!((rates.rx, rates.tx), (0.0, 0.0));
        assert!(rates.interfaces.is_empty());
        assert_eq!(rates_over(&[], &[], Duration::ZERO), Rates::default());
    }

    #[test]
    fn human_rates() {
        assert_eq!(human_rate(12.0), "12 B/s");
        assert_eq!(human_rate(1_234.0), "1.2 kB/s");
        assert_eq!(human_rate(340_000.0), "340 kB/s");
        assert_eq!(human_rate(5_600_000.0), "5.6 MB/s");
    }
}
