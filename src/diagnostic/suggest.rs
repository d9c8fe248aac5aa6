//! "Did you mean" suggestions: one edit distance and one closest-name search
//! for every layer (lints, config, model) that suggests a name for a typo.

/// Levenshtein distance between `a` and `b`: the fewest single-character
/// insertions, deletions and substitutions (counted in `char`s, not bytes)
/// that turn one into the other.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The option closest to `candidate` by [`edit_distance`], if it is at most
/// `max_distance` edits away; ties go to the earlier option, `None` when no
/// option is close enough (or there are none).
pub fn closest<'a>(
    candidate: &str,
    options: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
) -> Option<&'a str> {
    options
        .into_iter()
        .map(|o| (edit_distance(candidate, o), o))
        .filter(|(d, _)| *d <= max_distance)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

/// True when `b` is `a` with two adjacent characters swapped
/// (`descripiton` and `description`): one slip of the fingers, though
/// [`edit_distance`] counts it as two edits.
pub fn is_transposition(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    diff.len() == 2
        && diff[1] == diff[0] + 1
        && a[diff[0]] == b[diff[1]]
        && a[diff[1]] == b[diff[0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpositions() {
        assert!(is_transposition("descripiton", "description"));
        assert!(is_transposition("runbook_ulr", "runbook_url"));
        assert!(!is_transposition("dashboard_uid", "dashboard_url"));
        assert!(!is_transposition("same", "same"));
        assert!(!is_transposition("abc", "abcd"));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("critical", "crtiical"), 2);
        // Characters, not bytes.
        assert_eq!(edit_distance("é", "e"), 1);
    }

    #[test]
    fn closest_within_the_limit_earliest_on_ties() {
        assert_eq!(
            closest(
                "DCGM_FI_DEV_GPU_TEMPP",
                ["DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_FB_USED"],
                3
            ),
            Some("DCGM_FI_DEV_GPU_TEMP")
        );
        assert_eq!(closest("abc", ["xyzw"], 2), None);
        assert_eq!(closest("ab", ["ax", "xb"], 1), Some("ax"));
        assert_eq!(closest("ab", [], 5), None);
    }
}
