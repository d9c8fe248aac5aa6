//! What a label matcher's regex really needs: PromQL regexes are fully
//! anchored (`^(?:…)$`), so `^`/`$` at the ends are redundant, and a regex
//! without metacharacters is an equality.

/// The literal string a regex matches, when it has no metacharacters
/// (escaped punctuation such as `\.` counts as literal).
pub fn literal_value(re: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if n.is_ascii_punctuation() => out.push(n),
                _ => return None,
            },
            '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                return None;
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// The byte ranges of a leading `^` and a trailing unescaped `$`.
pub fn redundant_anchors(re: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    if re.starts_with('^') {
        out.push(0..1);
    }
    if re.len() > usize::from(re.starts_with('^')) && re.ends_with('$') {
        let backslashes = re[..re.len() - 1]
            .chars()
            .rev()
            .take_while(|c| *c == '\\')
            .count();
        if backslashes % 2 == 0 {
            out.push(re.len() - 1..re.len());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_anchors() {
        assert_eq!(literal_value("bert-base"), Some("bert-base".into()));
        assert_eq!(literal_value("a\\.b"), Some("a.b".into()));
        assert_eq!(literal_value("a|b"), None);
        assert_eq!(literal_value("a.*"), None);
        assert_eq!(redundant_anchors("^llama.*$"), vec![0..1, 8..9]);
        assert!(redundant_anchors("cost\\$").is_empty());
        assert_eq!(redundant_anchors("^"), vec![0..1]);
    }
}
