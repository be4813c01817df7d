//! nftables: one atomic `nft -f -` transaction per run.

use super::{Action, Block, Invocation, Split, Step};

/// prt's table with its sets; declaring it again changes nothing that exists.
const SETS: &str = "\
table inet prt {
\tset blocked_v4 { type ipv4_addr; }
\tset blocked_v6 { type ipv6_addr; }
\tset blocked_tcp { type inet_service; }
\tset blocked_udp { type inet_service; }
}
";

/// The chains and their rules, rewritten whole (flush, then add) so they never pile
/// up however often prt runs.
const CHAINS: &str = "\
table inet prt {
\tchain input { type filter hook input priority -10; policy accept; }
\tchain output { type filter hook output priority -10; policy accept; }
}
flush chain inet prt input
flush chain inet prt output
add rule inet prt input ip saddr @blocked_v4 drop
add rule inet prt input ip6 saddr @blocked_v6 drop
add rule inet prt input tcp dport @blocked_tcp drop
add rule inet prt input udp dport @blocked_udp drop
add rule inet prt output ip daddr @blocked_v4 drop
add rule inet prt output ip6 daddr @blocked_v6 drop
";

pub(super) fn plan(action: Action, blocks: &[Block]) -> Vec<Step> {
    let nft_f = || Invocation::new(&["nft", "-f", "-"]);
    if action == Action::Reset {
        return vec![
            Step::new(
                Action::Reset,
                Vec::new(),
                Invocation::new(&["nft", "delete", "table", "inet", "prt"]),
            )
            .only_if(Invocation::new(&["nft", "list", "table", "inet", "prt"])),
        ];
    }
    if blocks.is_empty() {
        return Vec::new();
    }
    let split = Split::of(blocks);
    let sets = [
        ("blocked_v4", &split.v4),
        ("blocked_v6", &split.v6),
        ("blocked_tcp", &split.tcp),
        ("blocked_udp", &split.udp),
    ];
    let mut ruleset = String::from(SETS);
    match action {
        Action::Block => {
            ruleset.push_str(CHAINS);
            for (set, elements) in sets.iter().filter(|(_, e)| !e.is_empty()) {
                ruleset.push_str(&format!(
                    "add element inet prt {set} {{ {} }}\n",
                    elements.join(", ")
                ));
            }
        }
        // Adding then deleting in one transaction removes an element whether or not
        // it was there, so undo never fails on what is already gone.
        _ => {
            for (set, elements) in sets.iter().filter(|(_, e)| !e.is_empty()) {
                let list = elements.join(", ");
                ruleset.push_str(&format!("add element inet prt {set} {{ {list} }}\n"));
                ruleset.push_str(&format!("delete element inet prt {set} {{ {list} }}\n"));
            }
        }
    }
    vec![Step::new(
        action,
        blocks.to_vec(),
        nft_f().with_stdin(ruleset),
    )]
}
