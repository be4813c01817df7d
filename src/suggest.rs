//! "Did you mean ...?": the nearest name to a misspelt one, for fields in filter
//! expressions and for subcommands.

/// The name in `names` nearest to `typed`, if it is close enough to be a likely typo: within
/// an edit distance of 2, or a third of the name for long names. Case is ignored.
pub fn closest<'a>(typed: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = typed.to_lowercase();
    names
        .into_iter()
        .map(|name| (edit_distance(&typed, &name.to_lowercase()), name))
        .filter(|&(distance, name)| distance <= 2.max(name.chars().count() / 3))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance over characters.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
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
    }
}
