//! "Did you mean ...?": the nearest name to a misspelt one, for fields and values in filter
//! expressions and for subcommands. The distance is strsim's, already in the tree for the
//! argument parser.

/// The name in `names` nearest to `typed`, if it is close enough to be a likely typo: within
/// an edit distance of 2, or a third of the name for long names, and of 1 for names of three
/// letters or fewer (`sctp` is not a typo of `tcp`). Case is ignored.
pub fn closest<'a>(typed: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = typed.to_lowercase();
    names
        .into_iter()
        .map(|name| (edit_distance(&typed, &name.to_lowercase()), name))
        .filter(|&(distance, name)| {
            let length = name.chars().count();
            let limit = if length <= 3 { 1 } else { 2.max(length / 3) };
            distance <= limit
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance over characters (strsim's, which the argument parser suggests with too).
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        let names = ["scan", "watch", "filter"];
        assert_eq!(closest("scna", names), Some("scan"));
        assert_eq!(closest("SACN", names), Some("scan"));
        assert_eq!(closest("frobnicate", names), None);
        assert_eq!(closest("tcpp", ["tcp", "udp"]), Some("tcp"));
        assert_eq!(
            closest("sctp", ["tcp", "udp"]),
            None,
            "short names need a close match"
        );
    }
}
