//! The human renderer on hostile text (issue 13): a fuzzed file with one
//! line padded past column 65535 (with ASCII, multi-byte or control
//! characters), `\n`, `\r\n` or lone `\r` line ends, a diagnostic with fuzzed
//! spans (not necessarily on character boundaries), labels in the same and
//! in another file, secret spans, and a message with control characters.
//!
//! Checked for every input:
//! * no panic (miette's graphical handler panicked past column 65535);
//! * without color, no control character but line feeds in the output, and
//!   no source line in a snippet wider than the excerpt's bound;
//! * the snippet header's `path:line:column` is the finding's;
//! * the output stays bounded whatever the lines' lengths.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use mlalert::diagnostic::input::yaml_syntax;
use mlalert::lint::Diagnostic;
use mlalert::render::{self, human, snippet};
use mlalert::source::{SourceFile, Span};
use mlalert_fuzz::guard;

fuzz_target!(init: mlalert_fuzz::init(), |data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut u) else { return };
    guard(|| run(&input));
});

#[derive(Arbitrary, Debug)]
struct Input {
    text: String,
    /// Where the padding goes, as a fraction of the text.
    pad_at: u16,
    /// How many padding characters (up to 200,000).
    pad_len: u32,
    pad: Pad,
    line_end: LineEnd,
    primary: (u32, u32),
    labels: Vec<(u32, u32, bool)>,
    secrets: Vec<(u32, u32)>,
    message: String,
    help: Option<String>,
    color: bool,
    /// Wrap width past the minimum of 40 columns.
    width: u8,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Pad {
    Ascii,
    TwoByte,
    Escape,
    Bidi,
    Tab,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum LineEnd {
    Lf,
    CrLf,
    Cr,
}

fn run(input: &Input) {
    let mut text = match input.line_end {
        LineEnd::Lf => input.text.clone(),
        LineEnd::CrLf => input.text.replace('\n', "\r\n"),
        LineEnd::Cr => input.text.replace('\n', "\r"),
    };
    let n = (input.pad_len % 200_000) as usize;
    let pad = match input.pad {
        Pad::Ascii => "a".repeat(n),
        Pad::TwoByte => "é".repeat(n),
        Pad::Escape => "\x1b[2J".repeat(n / 4 + 1),
        Pad::Bidi => "\u{202e}".repeat(n / 3 + 1),
        Pad::Tab => "\t".repeat(n),
    };
    let mut at = text.len() * usize::from(input.pad_at) / usize::from(u16::MAX).max(1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.insert_str(at, &pad);
    let len = text.len();
    // Offsets anywhere in the text (or just past it), biased towards the padding.
    let offset = |x: u32| {
        let x = x as usize;
        if x % 2 == 0 {
            (at + x / 2) % (len + 1)
        } else {
            (x / 2) % (len + 1)
        }
    };
    let span = |(a, b): (u32, u32)| Span::new(offset(a), offset(b));
    let mut diag = Diagnostic::new(&yaml_syntax::META, 0, span(input.primary), &input.message);
    diag.help = input.help.clone();
    for &(a, b, elsewhere) in input.labels.iter().take(8) {
        diag.labels.push(mlalert::diagnostic::Label {
            file: usize::from(elsewhere),
            span: span((a, b)),
            message: input.message.clone(),
        });
    }
    let files = [
        SourceFile::from_text("f\x1b.yaml", text, 0),
        SourceFile::from_text("other.yaml", "a: 1\nb: 2\n".to_string(), 0),
    ];
    let secrets = vec![
        input
            .secrets
            .iter()
            .take(8)
            .map(|&(a, b)| span((a, b)))
            .collect::<Vec<_>>(),
    ];
    let diags = [diag];
    let resolved = render::resolve(&diags, &files);
    let options = human::Options {
        color: input.color,
        summary: true,
        width: 40 + usize::from(input.width),
    };
    let mut out = Vec::new();
    human::render(&mut out, &resolved, &diags, &files, &secrets, options).expect("write to a Vec");
    let out = String::from_utf8(out).expect("human output is UTF-8");
    let texts = input.message.len() * (2 + diags[0].labels.len() * 2)
        + input.help.as_ref().map_or(0, |h| h.len() * 2);
    let spans = 1 + diags[0].labels.len();
    assert!(
        out.len() <= 8 * 1024 + spans * 8 * 1024 + texts * 12,
        "output of {} bytes for {spans} spans",
        out.len()
    );
    if input.color {
        return;
    }
    if let Some(c) = out
        .chars()
        .find(|&c| c != '\n' && render::escaped_char(c).is_some())
    {
        panic!("control character {c:?} in the output: {out:?}");
    }
    let r = &resolved[0];
    let header = format!("[f␛.yaml:{}:{}]", r.start.line, r.start.column);
    assert!(
        !out.contains("[f␛.yaml:") || out.contains(&header),
        "snippet header disagrees with the finding ({header}): {out}"
    );
    for line in out.lines() {
        // Source lines of a snippet: `NNN │ text`.
        if let Some((num, rest)) = line.split_once(" │ ")
            && !num.trim().is_empty()
            && num.trim().chars().all(|c| c.is_ascii_digit())
        {
            let width = rest.chars().count();
            // A tab is expanded by miette; `<secret>` and `\u{…}` count their characters.
            assert!(
                width <= snippet::MAX_WIDTH * 4 + 16,
                "snippet line of {width} characters: {line:?}"
            );
        }
    }
}
