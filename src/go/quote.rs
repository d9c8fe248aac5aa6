//! Go string quoting: `strconv.Quote`, `strconv.Unquote`,
//! `strconv.CanBackquote` and `unicode.IsPrint`.

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and
/// the ASCII space.
pub fn is_print(c: char) -> bool {
    use std::sync::LazyLock;
    static PRINT: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"^[\p{L}\p{M}\p{N}\p{P}\p{S}]$").ok());
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let mut buf = [0u8; 4];
    PRINT
        .as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buf)))
}

/// Go's `strconv.Quote` for a valid UTF-8 string: double quotes around
/// `s`, with `"` and `\\` escaped, non-printable characters (see [`is_print`])
/// as `\a`…`\v`, `\xHH`, `\uHHHH` or `\UHHHHHHHH`.
pub fn quote(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ if is_print(c) => out.push(c),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            _ if c < ' ' || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            _ if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.Unquote` for a double-quoted string literal (`"..."`,
/// quotes included).
///
/// Escapes: `\a \b \f \n \r \t \v \\ \"`, `\xHH` and three-digit octal
/// (bytes), `\uHHHH` and `\UHHHHHHHH` (code points). `None` on a syntax error
/// (unknown escape, raw newline or `"` inside) or when the result is not valid
/// UTF-8 (which Alertmanager's UTF-8 matcher parser rejects as well).
pub fn unquote(s: &str) -> Option<String> {
    unquote_with(s, b'"')
}

/// A PromQL string literal's value, as Prometheus' `strutil.Unquote`
/// (util/strutil/quote.go) reads it: `"..."` and `'...'` with Go's escapes
/// (`\'` only inside single quotes, `\"` only inside double quotes) or a
/// raw `` `...` `` string taken as is. `None` on a syntax error or invalid
/// UTF-8.
pub fn unquote_promql(s: &str) -> Option<String> {
    match s.as_bytes().first()? {
        b'`' => {
            let inner = s.strip_prefix('`')?.strip_suffix('`')?;
            (!inner.contains('`')).then(|| inner.to_string())
        }
        b'\'' => unquote_with(s, b'\''),
        _ => unquote_with(s, b'"'),
    }
}

/// [`unquote`] with `q` (`"` or `'`) as the quote character.
fn unquote_with(s: &str, q: u8) -> Option<String> {
    let qc = char::from(q);
    let inner = s.strip_prefix(qc)?.strip_suffix(qc)?;
    let b = inner.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => return None,
            _ if c == q => return None,
            b'\\' => {
                let e = *b.get(i + 1)?;
                i += 2;
                match e {
                    b'a' => out.push(0x07),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'v' => out.push(0x0b),
                    b'\\' => out.push(b'\\'),
                    _ if e == q => out.push(q),
                    b'x' | b'u' | b'U' => {
                        let n = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let digits = b.get(i..i + n)?;
                        let mut v: u32 = 0;
                        for &d in digits {
                            v = (v << 4) | (d as char).to_digit(16)?;
                        }
                        i += n;
                        if e == b'x' {
                            out.push(u8::try_from(v).ok()?);
                        } else {
                            let ch = char::from_u32(v)?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                    b'0'..=b'7' => {
                        let digits = b.get(i..i + 2)?;
                        let mut v = u32::from(e - b'0');
                        for &d in digits {
                            if !(b'0'..=b'7').contains(&d) {
                                return None;
                            }
                            v = (v << 3) | u32::from(d - b'0');
                        }
                        i += 2;
                        out.push(u8::try_from(v).ok()?);
                    }
                    _ => return None,
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Go's `strconv.CanBackquote`: whether `s` can be written as a raw
/// (backquoted) string literal: no backquote, no control character other than
/// tab, no U+FEFF.
pub fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{feff}' && (c == '\t' || !(c < ' ' || c == '\x7f')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_as_go() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\n\t\x01\x7f"), r#""\n\t\x01\x7f""#);
        assert_eq!(quote("é☃"), "\"é☃\"");
        assert_eq!(quote("\u{200b}"), r#""\u200b""#);
        assert_eq!(quote("\u{e0001}"), r#""\U000e0001""#);
    }

    #[test]
    fn unquote_as_go() {
        assert_eq!(unquote(r#""a\x41\101\u00e9\n""#).as_deref(), Some("aAAé\n"));
        assert_eq!(unquote(r#""\q""#), None);
        assert_eq!(unquote(r#""a"b""#), None);
        assert_eq!(unquote("\"a\nb\""), None);
        assert_eq!(unquote(r#""\xff""#), None, "invalid UTF-8");
        assert_eq!(unquote("abc"), None);
        assert_eq!(unquote(&quote("x\u{1}\"y")).as_deref(), Some("x\u{1}\"y"));
    }

    #[test]
    fn unquote_promql_strings() {
        assert_eq!(unquote_promql(r#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(unquote_promql(r"'a\'b\n'").as_deref(), Some("a'b\n"));
        assert_eq!(unquote_promql(r#"'a"b'"#).as_deref(), Some("a\"b"));
        assert_eq!(
            unquote_promql(r#""a\'b""#),
            None,
            "Go: \\' only in single quotes"
        );
        assert_eq!(unquote_promql(r"`a\d`").as_deref(), Some(r"a\d"));
        assert_eq!(unquote_promql("'"), None);
        assert_eq!(unquote_promql("\""), None);
    }

    #[test]
    fn backquote() {
        assert!(can_backquote("a\tb{.*}"));
        assert!(!can_backquote("a`b"));
        assert!(!can_backquote("a\nb"));
    }
}
