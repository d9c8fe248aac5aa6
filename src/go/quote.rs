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
            _ if raw_byte(c).is_some() => {
                let _ = write!(out, "\\x{:02x}", raw_byte(c).unwrap_or(0));
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

/// First code point of the range that stands for raw bytes: byte `b` of a
/// string that is not valid UTF-8 is kept as `U+10FF00 + b` (private use,
/// plane 16), as Python's `surrogateescape` keeps undecodable bytes. Go
/// strings are byte strings: Prometheus parses `"\xff"` and fails only
/// where a label name must be valid UTF-8; mlalert's strings are UTF-8, and
/// this keeps those bytes visible to that check ([`has_raw_bytes`]) and to
/// [`quote`], which prints them back as `\xff`.
pub const RAW_BYTE_BASE: u32 = 0x10FF00;

/// Whether `s` holds bytes that were not valid UTF-8 (see [`RAW_BYTE_BASE`]).
pub fn has_raw_bytes(s: &str) -> bool {
    s.chars().any(|c| raw_byte(c).is_some())
}

fn raw_byte(c: char) -> Option<u8> {
    (c as u32)
        .checked_sub(RAW_BYTE_BASE)
        .filter(|b| (0x80..=0xff).contains(b))
        .map(|b| b as u8)
}

/// `bytes` as a string, each byte of an invalid UTF-8 sequence kept as a
/// [`RAW_BYTE_BASE`] code point.
fn decode_keeping_raw_bytes(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for &b in chunk.invalid() {
                    out.extend(char::from_u32(RAW_BYTE_BASE + u32::from(b)));
                }
            }
            out
        }
    }
}

/// [`unquote_promql`] that accepts escapes making the string invalid UTF-8
/// (`"\xff"`), as Prometheus' parser does, keeping those bytes as
/// [`RAW_BYTE_BASE`] code points.
pub fn unquote_promql_bytes(s: &str) -> Option<String> {
    match s.as_bytes().first()? {
        b'`' => unquote_promql(s),
        b'\'' => unquote_bytes_with(s, b'\'').map(decode_keeping_raw_bytes),
        _ => unquote_bytes_with(s, b'"').map(decode_keeping_raw_bytes),
    }
}

/// [`unquote`] with `q` (`"` or `'`) as the quote character.
fn unquote_with(s: &str, q: u8) -> Option<String> {
    String::from_utf8(unquote_bytes_with(s, q)?).ok()
}

/// The bytes of the Go-quoted string `s` with quote character `q`.
fn unquote_bytes_with(s: &str, q: u8) -> Option<Vec<u8>> {
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
    Some(out)
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

    #[test]
    fn invalid_utf8_escapes_are_kept_as_raw_bytes() {
        let s = unquote_promql_bytes("\"a\\xc5z\"").unwrap();
        assert!(has_raw_bytes(&s));
        assert_eq!(quote(&s), "\"a\\xc5z\"");
        // Valid escapes decode as before, with no raw byte.
        let s = unquote_promql_bytes("\"\\xc3\\xa9\"").unwrap();
        assert_eq!(s, "é");
        assert!(!has_raw_bytes(&s));
        // The strict form still refuses them.
        assert_eq!(unquote_promql("\"\\xff\""), None);
        assert_eq!(unquote_promql_bytes("\"\\xff"), None);
    }
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
