//! iptables and ip6tables: chains `prt-in` (from INPUT) and `prt-out` (from OUTPUT).

use std::net::IpAddr;

use super::{Action, Block, Invocation, Step, TARGET};
use crate::model::Proto;

const CHAINS: [(&str, &str); 2] = [("prt-in", "INPUT"), ("prt-out", "OUTPUT")];

fn cmd(program: &str, args: &[&str]) -> Invocation {
    let mut words = vec![program, "-w"];
    words.extend_from_slice(args);
    Invocation::new(&words)
}

/// The kinds of rule, one per chain and match, and the blocks each is made for: the
/// program, the chain, and the match arguments with [`TARGET`] where each target goes.
fn groups(blocks: &[Block]) -> Vec<(&'static str, &'static str, Vec<&'static str>, Vec<Block>)> {
    let of = |wanted: &dyn Fn(&Block) -> bool| -> Vec<Block> {
        blocks.iter().copied().filter(|b| wanted(b)).collect()
    };
    let v4 = of(&|b| matches!(b, Block::Address(IpAddr::V4(_))));
    let v6 = of(&|b| matches!(b, Block::Address(IpAddr::V6(_))));
    let tcp = of(&|b| matches!(b, Block::Port(Proto::Tcp, _)));
    let udp = of(&|b| matches!(b, Block::Port(Proto::Udp, _)));
    let mut groups = Vec::new();
    for (program, addrs) in [("iptables", v4), ("ip6tables", v6)] {
        if addrs.is_empty() {
            continue;
        }
        groups.push((program, "prt-in", vec!["-s", TARGET], addrs.clone()));
        groups.push((program, "prt-out", vec!["-d", TARGET], addrs));
    }
    for (proto, ports) in [("tcp", tcp), ("udp", udp)] {
        if ports.is_empty() {
            continue;
        }
        for program in ["iptables", "ip6tables"] {
            let matches = vec!["-p", proto, "--dport", TARGET];
            groups.push((program, "prt-in", matches, ports.clone()));
        }
    }
    groups
}

fn programs_for(blocks: &[Block]) -> Vec<&'static str> {
    let v4 = blocks
        .iter()
        .any(|b| !matches!(b, Block::Address(IpAddr::V6(_))));
    let v6 = blocks
        .iter()
        .any(|b| !matches!(b, Block::Address(IpAddr::V4(_))));
    [("iptables", v4), ("ip6tables", v6)]
        .into_iter()
        .filter_map(|(program, wanted)| wanted.then_some(program))
        .collect()
}

pub(super) fn plan(action: Action, blocks: &[Block]) -> Vec<Step> {
    let mut steps = Vec::new();
    if action == Action::Reset {
        for program in ["iptables", "ip6tables"] {
            for (chain, hook) in CHAINS {
                steps.push(
                    Step::new(
                        Action::Reset,
                        Vec::new(),
                        cmd(program, &["-D", hook, "-j", chain]),
                    )
                    .only_if(cmd(program, &["-C", hook, "-j", chain])),
                );
                steps.push(
                    Step::new(Action::Reset, Vec::new(), cmd(program, &["-F", chain]))
                        .only_if(cmd(program, &["-n", "-L", chain])),
                );
                steps.push(
                    Step::new(Action::Reset, Vec::new(), cmd(program, &["-X", chain]))
                        .only_if(cmd(program, &["-n", "-L", chain])),
                );
            }
        }
        return steps;
    }
    if action == Action::Block {
        for program in programs_for(blocks) {
            for (chain, hook) in CHAINS {
                steps.push(
                    Step::new(Action::Setup, Vec::new(), cmd(program, &["-N", chain]))
                        .unless(cmd(program, &["-n", "-L", chain])),
                );
                steps.push(
                    Step::new(
                        Action::Setup,
                        Vec::new(),
                        cmd(program, &["-I", hook, "-j", chain]),
                    )
                    .unless(cmd(program, &["-C", hook, "-j", chain])),
                );
            }
        }
    }
    // One step per chain and kind of match, run for each of its targets.
    for (program, chain, matches, targets) in groups(blocks) {
        let rule = |verb: &str| {
            let mut args = vec![verb, chain];
            args.extend(&matches);
            args.extend(["-j", "DROP"]);
            cmd(program, &args)
        };
        let step = if action == Action::Block {
            Step::new(Action::Block, targets, rule("-A")).unless(rule("-C"))
        } else {
            Step::new(Action::Unblock, targets, rule("-D")).only_if(rule("-C"))
        };
        steps.push(step.each());
    }
    steps
}
