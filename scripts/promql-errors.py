#!/usr/bin/env python3
"""Regenerate the PromQL error reference tables in tests/it/promql/.

Reads tests/it/promql/errors.in (one PromQL expression per line), writes every
expression as one alerting rule into a single rule file, runs
`promtool check rules --lint=none` on it and records, per expression, the text
promtool prints after `could not parse expression: ` (or `OK` when promtool
accepts the expression).

promtool does not stop at the first bad rule: it reports every rule's error,
so one rule file holds all expressions. Each rule is named E0001, E0002, ...
and promtool's report lines are matched back to the expressions by that name.

Tables written (python3, standard library only):

  errors.tsv               promtool 3.5.3, default flags
  errors-experimental.tsv  promtool 3.5.3 with
                           --enable-feature=promql-experimental-functions,
                           only the expressions whose message differs from
                           errors.tsv
  errors-2x.tsv            promtool 2.x (default /work/tmp/prom2/usr/bin/promtool,
                           e.g. Debian bookworm's 2.42 unpacked with
                           `apt-get download prometheus` and `dpkg-deb -x`);
                           skipped with a note when that promtool is missing

Escaping, the same in errors.in and in both TSV columns:
  \\n newline, \\t tab, \\r carriage return, \\\\ backslash, and \\e alone on a
  line for the empty expression. Any other backslash sequence in errors.in is
  an error, so a PromQL backslash is always written \\\\ (PromQL `"\\q"` is
  written `"\\\\q"`). Lines are not trimmed; lines starting with `#` are
  comments and empty or whitespace-only lines are skipped (write a
  whitespace-only expression with escapes, e.g. ` \\t`).

A message that does not come after `could not parse expression: ` (rulefmt's
own checks, e.g. `field 'expr' must be set in rule` for the empty expression)
is written as promtool's text after the rule's name, prefixed with `rulefmt: `.
A message that spans several lines keeps its newlines as \\n; several report
lines for one rule (not seen so far) would be joined by \\n as well.

Usage: scripts/promql-errors.py [--promtool P] [--promtool2 P] [--check]
  --check  regenerate into memory and fail if a committed table differs.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "tests", "it", "promql")
INPUT = os.path.join(DIR, "errors.in")

DEFAULT_PROMTOOL = "/opt/prom3/usr/bin/promtool"
DEFAULT_PROMTOOL2 = "/work/tmp/prom2/usr/bin/promtool"
EXPERIMENTAL = "promql-experimental-functions"

PARSE_PREFIX = "could not parse expression: "
RULEFMT_PREFIX = "rulefmt: "
# `rules.yml: 5:11: group "g", rule 1, "E0001": <message>`; the position is
# absent for some rulefmt errors.
REPORT_RE = re.compile(
    r'^rules\.yml: (?:\d+:\d+: )?group "g", rule \d+, "(E\d{4,})": (.*)$'
)


def decode(line, lineno):
    """errors.in escaping -> expression text."""
    if line == "\\e":
        return ""
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = line[i + 1 : i + 2]
        mapped = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(nxt)
        if mapped is None:
            sys.exit(
                "%s:%d: unknown escape \\%s (write a PromQL backslash as \\\\)"
                % (INPUT, lineno, nxt)
            )
        out.append(mapped)
        i += 2
    return "".join(out)


def encode(text):
    """Text -> TSV/errors.in escaping."""
    if text == "":
        return "\\e"
    return (
        text.replace("\\", "\\\\")
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )


def read_input():
    exprs = []
    with open(INPUT, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("#") or line.strip() == "":
                continue
            exprs.append(decode(line, lineno))
    seen = set()
    for e in exprs:
        if e in seen:
            sys.exit("duplicate expression in %s: %s" % (INPUT, encode(e)))
        seen.add(e)
    return exprs


def yaml_quote(text):
    """A YAML double-quoted scalar that go-yaml reads back as exactly `text`.

    Backslash, double quote and everything outside YAML's printable set (plus
    the YAML line breaks U+0085, U+2028, U+2029 and the BOM) are escaped;
    everything else, including non-ASCII, is written as it is.
    """
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif (
            o < 0x20
            or 0x7F <= o <= 0x9F
            or o in (0x2028, 0x2029, 0xFEFF)
            or 0xD800 <= o <= 0xDFFF
            or o in (0xFFFE, 0xFFFF)
        ):
            out.append("\\u%04x" % o if o <= 0xFFFF else "\\U%08x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def rule_file(exprs):
    lines = [
        "# generated by scripts/promql-errors.py",
        "groups:",
        "- name: g",
        "  rules:",
    ]
    for i, e in enumerate(exprs, 1):
        lines.append("  - alert: E%04d" % i)
        lines.append("    expr: " + yaml_quote(e))
    return "\n".join(lines) + "\n"


def promtool_version(promtool):
    out = subprocess.run(
        [promtool, "--version"], capture_output=True, text=True, check=True
    )
    m = re.search(r"version (\d+\.\d+\.\d+)", out.stdout + out.stderr)
    if not m:
        sys.exit("cannot read the version of " + promtool)
    return m.group(1)


def run(promtool, exprs, features=None):
    """Return one message per expression ("OK" when accepted)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "rules.yml"), "w", encoding="utf-8") as f:
            f.write(rule_file(exprs))
        cmd = [promtool, "check", "rules", "--lint=none"]
        if features:
            cmd.append("--enable-feature=" + features)
        cmd.append("rules.yml")
        proc = subprocess.run(
            cmd, cwd=tmp, capture_output=True, text=True, encoding="utf-8", errors="backslashreplace"
        )
    # promtool writes `Checking rules.yml` / `SUCCESS` to stdout and
    # `FAILED:` plus one report per bad rule to stderr. A message with a
    # newline continues on the next line(s) without the `rules.yml: ` prefix.
    reports = {}
    current = None
    err = proc.stderr[:-1] if proc.stderr.endswith("\n") else proc.stderr
    for line in err.split("\n") if err else []:
        m = REPORT_RE.match(line)
        if m:
            current = m.group(1)
            reports.setdefault(current, []).append(m.group(2))
        elif line == "  FAILED:" and current is None:
            continue
        elif current is not None:
            reports[current][-1] += "\n" + line
        else:
            sys.exit("unexpected promtool output: %r\n%s" % (line, proc.stderr))
    if proc.returncode not in (0, 1) or (proc.returncode == 1) != bool(reports):
        sys.exit(
            "promtool exited %d\nstdout:\n%s\nstderr:\n%s"
            % (proc.returncode, proc.stdout, proc.stderr)
        )
    names = {"E%04d" % i for i in range(1, len(exprs) + 1)}
    if not set(reports) <= names:
        sys.exit("promtool reported unknown rules: %s" % (set(reports) - names))
    messages = []
    for i in range(1, len(exprs) + 1):
        msgs = reports.get("E%04d" % i)
        if not msgs:
            messages.append("OK")
            continue
        texts = []
        for msg in msgs:
            if msg.startswith(PARSE_PREFIX):
                texts.append(msg[len(PARSE_PREFIX) :])
            else:
                texts.append(RULEFMT_PREFIX + msg)
        messages.append("\n".join(texts))
    return messages


def table(title, exprs, messages, keep=None):
    rows = ["# expression\t%s" % title]
    for i, (e, m) in enumerate(zip(exprs, messages)):
        if keep is None or keep[i]:
            rows.append("%s\t%s" % (encode(e), encode(m)))
    return "\n".join(rows) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--promtool", default=DEFAULT_PROMTOOL)
    ap.add_argument("--promtool2", default=DEFAULT_PROMTOOL2)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    exprs = read_input()
    outputs = {}

    v3 = promtool_version(args.promtool)
    base = run(args.promtool, exprs)
    outputs["errors.tsv"] = table("promtool %s message" % v3, exprs, base)

    exp = run(args.promtool, exprs, EXPERIMENTAL)
    differs = [a != b for a, b in zip(base, exp)]
    outputs["errors-experimental.tsv"] = table(
        "promtool %s --enable-feature=%s message (only where it differs from errors.tsv)"
        % (v3, EXPERIMENTAL),
        exprs,
        exp,
        differs,
    )

    if os.access(args.promtool2, os.X_OK):
        v2 = promtool_version(args.promtool2)
        outputs["errors-2x.tsv"] = table(
            "promtool %s message" % v2, exprs, run(args.promtool2, exprs)
        )
    else:
        print("note: %s not found, errors-2x.tsv left as it is" % args.promtool2)

    stale = []
    for name, text in outputs.items():
        path = os.path.join(DIR, name)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
    if stale:
        sys.exit("out of date: " + ", ".join(stale))
    print(
        "%d expressions, %d accepted by promtool %s, %d differ with %s"
        % (len(exprs), base.count("OK"), v3, sum(differs), EXPERIMENTAL)
    )


if __name__ == "__main__":
    main()
