//! pf: anchor `prt` with table `prt_blocked`; each blocked port in anchor
//! `prt/ports/PROTO-PORT`.

use super::{Action, Block, Invocation, Split, Step};
use crate::model::Proto;

const RULES: &str = "\
table <prt_blocked> persist
block drop quick from <prt_blocked> to any
block drop quick from any to <prt_blocked>
anchor \"ports/*\"
";

pub(super) fn plan(action: Action, blocks: &[Block]) -> Vec<Step> {
    let table = |verb: &str, addrs: &[String]| {
        let mut argv = vec!["pfctl", "-a", "prt", "-t", "prt_blocked", "-T", verb];
        argv.extend(addrs.iter().map(String::as_str));
        Invocation::new(&argv)
    };
    if action == Action::Reset {
        return vec![Step::new(
            Action::Reset,
            Vec::new(),
            Invocation::new(&["pfctl", "-a", "prt", "-F", "all"]),
        )];
    }
    let split = Split::of(blocks);
    let addrs: Vec<String> = split.v4.into_iter().chain(split.v6).collect();
    let address_blocks: Vec<Block> = blocks
        .iter()
        .copied()
        .filter(|b| matches!(b, Block::Address(_)))
        .collect();
    let mut steps = Vec::new();
    if action == Action::Block && !blocks.is_empty() {
        steps.push(
            Step::new(
                Action::Setup,
                Vec::new(),
                Invocation::new(&["pfctl", "-a", "prt", "-f", "-"]).with_stdin(RULES.to_owned()),
            )
            .unless(table("show", &[])),
        );
    }
    if !addrs.is_empty() {
        let verb = if action == Action::Block {
            "add"
        } else {
            "delete"
        };
        steps.push(Step::new(action, address_blocks, table(verb, &addrs)));
    }
    for &block in blocks {
        let Block::Port(proto, port) = block else {
            continue;
        };
        let anchor = format!("prt/ports/{}-{port}", proto.as_str());
        let step = if action == Action::Block {
            let rule = format!(
                "block drop in quick proto {} from any to any port {port}\n",
                if proto == Proto::Tcp { "tcp" } else { "udp" }
            );
            Step::new(
                action,
                vec![block],
                Invocation::new(&["pfctl", "-a", &anchor, "-f", "-"]).with_stdin(rule),
            )
        } else {
            Step::new(
                action,
                vec![block],
                Invocation::new(&["pfctl", "-a", &anchor, "-F", "rules"]),
            )
        };
        steps.push(step);
    }
    steps
}
