#!/usr/bin/env python3
"""Issue 13 (hostile input): time, peak RSS and exit code per item.

Each item of issue 13 gets one generated input (at the sizes the issue
states), run through an mlalert binary in a fresh temporary directory under
an address-space limit (`prlimit --as`, else `ulimit -v`) and a wall-clock
timeout. Peak RSS comes from `/usr/bin/time -f %M` when present, else from
`getrusage(RUSAGE_CHILDREN)` in a wrapper process. One Markdown table row is
printed per case; with `--bin2`, the two binaries' results side by side
(typically before and after the fixes).

    bench/hostile.py --bin PATH [--bin2 PATH] [--timeout 120] [--mem-mib 4096]
                     [--only 1,2,12b]

Columns per binary: wall time (s), peak RSS (MiB), exit code (or
`killed: SIG…` / `timeout >N s`), `ok` (the fixed behaviour holds: a check
per item) and a short note. Output of the binary is never printed beyond a
200-character excerpt; large outputs are only counted.

Python 3 standard library only.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HEAD_CAP = 16 << 20  # bytes of stdout/stderr kept from the start
TAIL_CAP = 1 << 20  # and from the end
EXCERPT = 200  # most characters of any output shown in the table


# --------------------------------------------------------------------------
# Running one case
# --------------------------------------------------------------------------


class Capture:
    """Counts a stream's bytes, keeping its head and tail only."""

    def __init__(self, pipe):
        self.total = 0
        self.head = bytearray()
        self.tail = bytearray()
        self._pipe = pipe
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while True:
            chunk = self._pipe.read(1 << 16)
            if not chunk:
                break
            self.total += len(chunk)
            room = HEAD_CAP - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                if len(self.tail) > TAIL_CAP:
                    del self.tail[: len(self.tail) - TAIL_CAP]

    def join(self):
        self._thread.join()

    @property
    def complete(self):
        return self.total == len(self.head)

    @property
    def text(self):
        """Head (and tail, when some was dropped), lossily decoded."""
        if self.complete or not self.tail:
            return self.head.decode("utf-8", "replace")
        return (self.head.decode("utf-8", "replace") + "\n[…]\n"
                + self.tail.decode("utf-8", "replace"))


class Run:
    """What one limited run did."""

    def __init__(self):
        self.code = None  # exit code, None when killed or timed out
        self.signal = None  # signal number that killed the process
        self.timed_out = False
        self.wall = 0.0  # seconds
        self.rss_kib = None  # peak RSS
        self.out = ""  # stdout head (+ tail)
        self.err = ""
        self.out_bytes = 0
        self.out_complete = True

    @property
    def exit(self):
        if self.timed_out:
            return None
        return self.code

    def status(self, timeout):
        if self.timed_out:
            return f"timeout >{timeout:g} s"
        if self.signal is not None:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = f"signal {self.signal}"
            why = ""
            if "memory allocation of" in self.err:
                why = " (alloc failed)"
            elif "has overflowed its stack" in self.err:
                why = " (stack overflow)"
            return f"killed: {name}{why}"
        if self.code == 101 and "panicked at" in self.err:
            return "101 (panic)"
        return str(self.code)

    def json(self):
        """stdout as JSON, or None (incomplete, empty or not JSON)."""
        if not self.out_complete:
            return None
        try:
            return json.loads(self.out)
        except ValueError:
            return None


class Runner:
    def __init__(self, timeout, mem_mib):
        self.timeout = timeout
        self.mem_mib = mem_mib
        self.prlimit = shutil.which("prlimit")
        self.gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

    def run(self, binary, args, cwd, env=None):
        """Runs `binary ARGS` in `cwd` under the limits; stdin is empty."""
        run = Run()
        fd, timefile = tempfile.mkstemp(prefix="hostile-time.")
        os.close(fd)
        cmd = [binary] + list(args)
        if self.gnu_time:
            cmd = [self.gnu_time, "-o", timefile, "-f", "%M %e"] + cmd
        else:
            cmd = [sys.executable, "-c", _RUSAGE_WRAPPER, timefile] + cmd
        limit = self.mem_mib * 1024 * 1024
        if self.prlimit:
            cmd = [self.prlimit, f"--as={limit}", "--"] + cmd
        else:
            cmd = ["sh", "-c", f'ulimit -v {limit // 1024}; exec "$0" "$@"'] + cmd
        full_env = dict(os.environ)
        full_env.pop("NO_COLOR", None)
        full_env.update(env or {})
        start = time.monotonic()
        p = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        out, err = Capture(p.stdout), Capture(p.stderr)
        try:
            p.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            run.timed_out = True
            _kill_tree(p)
        run.wall = time.monotonic() - start
        out.join()
        err.join()
        run.out, run.err = out.text, err.text
        run.out_bytes, run.out_complete = out.total, out.complete
        code = p.returncode
        # The measuring wrapper reports the child: its peak RSS and how it ended.
        try:
            with open(timefile) as f:
                lines = [ln.strip() for ln in f if ln.strip()]
        except OSError:
            lines = []
        for ln in lines:
            if "terminated by signal" in ln:
                run.signal = int(ln.rsplit(" ", 1)[1])
            elif ln.startswith("SIGNAL "):
                run.signal = int(ln.split()[1])
        if lines:
            parts = lines[-1].split()
            if parts and parts[0].isdigit():
                run.rss_kib = int(parts[0])
            if len(parts) > 1 and not run.timed_out:
                try:
                    run.wall = float(parts[1])
                except ValueError:
                    pass
        if code is not None and code < 0:
            run.signal = -code  # the wrapper itself was killed
        elif run.signal is None and not run.timed_out:
            run.code = code
        os.unlink(timefile)
        return run


# Fallback when GNU time is missing: run the command, write "RSS_KIB WALL"
# (and "SIGNAL n" when it was killed) to the file, exit with its code.
_RUSAGE_WRAPPER = r"""
import resource, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:])
code = p.wait()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    if code < 0:
        f.write("SIGNAL %d\n" % -code)
    f.write("%d %.2f\n" % (ru.ru_maxrss, time.monotonic() - t0))
sys.exit(code if code >= 0 else 128 - code)
"""


def _kill_tree(p):
    """Kills the measured program (so the wrapper still reports), then the
    whole process group we started."""
    try:
        with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
        for k in kids:
            with open(f"/proc/{k}/task/{k}/children") as f:
                kids += [int(x) for x in f.read().split()]
        for k in reversed(kids):
            os.kill(k, signal.SIGKILL)
        p.wait(timeout=5)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    p.wait()


# --------------------------------------------------------------------------
# Generators (the shapes of tests/it/hostile/*.rs, at the sizes)
# --------------------------------------------------------------------------


def write(d, name, text):
    path = os.path.join(d, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode) as f:
        f.write(text)


def alert_file(exprs):
    s = "groups:\n- name: g\n  rules:\n"
    for i, e in enumerate(exprs):
        s += f"  - alert: A{i}\n    expr: '{e}'\n    for: 5m\n    labels: {{severity: page}}\n"
    return s


def flow_rules(n):
    """A one-line flow-style rule file with `n` alerts, each with findings."""
    rules = ", ".join(f"{{alert: Alert{i}, expr: up == 0}}" for i in range(n))
    return f"{{groups: [{{name: g, rules: [{rules}]}}]}}\n"


def many_alerts(n):
    out = ["groups:\n- name: g\n  rules:\n"]
    for i in range(n):
        sev = ["critical", "warning", "info"][i % 3]
        out.append(
            f"  - alert: Alert{i}\n    expr: sum by (node, team) (metric_{i % 97}) > 1\n"
            f"    for: 5m\n    labels: {{severity: {sev}, team: t{i % 20}}}\n"
            f"    annotations: {{summary: s, runbook_url: 'https://r/x'}}\n")
    return "".join(out)


def inhibiting_config(rules):
    s = ["route:\n  receiver: default\n  group_by: [alertname]\n  routes:\n"]
    s += [f"  - matchers: [team=t{t}]\n    receiver: r{t}\n" for t in range(20)]
    s.append("receivers:\n- name: default\n")
    s += [f"- name: r{t}\n  webhook_configs: [{{url: 'http://x/{t}'}}]\n" for t in range(20)]
    s.append("inhibit_rules:\n")
    for j in range(rules):
        if j % 2 == 0:
            s.append(f"- source_matchers: [alertname=Alert{j * 3}]\n"
                     "  target_matchers: ['severity=~\"warning|info\"']\n  equal: [node]\n")
        else:
            s.append("- source_matchers: [severity=critical]\n"
                     "  target_matchers: ['severity=~\"warning|info\"']\n  equal: [team, node]\n")
    return "".join(s)


RULES = "groups:\n- name: g\n  rules:\n  - alert: Good\n    expr: up == 0\n    for: 5m\n    labels: {severity: critical}\n"
RULES_A = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n"
AM = "route:\n  receiver: default\nreceivers:\n- name: default\n"


def git(d, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                    "-c", "commit.gpgsign=false", "-c", "protocol.file.allow=always",
                    *args], cwd=d, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def diff_repo(d):
    git(d, "init", "-q")
    write(d, "old.yaml", "groups:\n- name: g\n  rules:\n  - alert: Old\n    expr: up == 0\n")
    write(d, "broken.yaml", "groups: [\n")
    git(d, "add", "-A")
    git(d, "commit", "-q", "-m", "base")


def am_with_secrets():
    am = ("global:\n  smtp_auth_password: SECRETSMTPPASSWORD\nroute:\n  receiver: r0\n"
          "  group_wait: 0s\nreceivers:\n")
    for i in range(5):
        am += (f"- name: r{i}\n  slack_configs:\n"
               f"  - api_url: https://hooks.slack.com/services/T0/B0/SECRETSLACK{i}\n"
               f"    http_config:\n      bearer_token: SECRETBEARER{i}\n"
               f"      basic_auth: {{username: u, password: SECRETPASSWORD{i}}}\n"
               f"  pagerduty_configs:\n  - routing_key: SECRETROUTING{i}\n")
    return am


def counted(n, what):
    """A note: how many `what` a JSON report has."""
    return "no JSON report" if n is None else f"{what} × {n}"


def count_code(run, code):
    """Diagnostics with `code` in a JSON report, or None without one."""
    v = run.json()
    if not isinstance(v, dict):
        return None
    return sum(1 for x in v.get("diagnostics", []) if x.get("code") == code)


# --------------------------------------------------------------------------
# The cases: each prepares `d` and returns (args, env, check); check(run, d)
# returns (ok, note).
# --------------------------------------------------------------------------

CASES = []


def case(item, desc):
    def register(f):
        CASES.append((item, desc, f))
        return f
    return register


@case("1", "finding past column 65535, human output")
def item1(d):
    """Before: miette's graphical handler panicked (`Formatting argument out
    of range`, exit 101, all output lost) on a finding past column 65535."""
    text = flow_rules(2600)
    write(d, "flow.yaml", text)
    write(d, "other.yaml", "groups:\n- name: g\n  rules:\n  - alert: B\n    expr: up == 0\n")
    last = text.index("Alert2599") + 1

    def check(r, d):
        ok = (r.exit == 1 and f"flow.yaml:1:{last}: warning ML101" in r.out
              and "other.yaml:4:12: warning ML101" in r.out)
        return ok, f"{r.out_bytes / 1e6:.1f} MB stdout"
    return ["lint", "--color", "never", "flow.yaml", "other.yaml"], None, check


@case("2", "20,000 × `-` and 16,000-term `or` chain")
def item2(d):
    """Before: stack overflow (SIGABRT) in label inference; the `or` chain
    reached 1 GB first. Now a positioned ML902 error per expression."""
    neg = "-" * 20000 + "up > 0"
    orc = " or ".join(["up"] * 16000)
    write(d, "deep.yaml", alert_file([neg, orc, "up == 0"]))
    write(d, "ok.yaml", alert_file(["up == 0"]))

    def check(r, d):
        n = count_code(r, "ML902")
        return r.exit == 1 and n == 2, counted(n, "ML902")
    return ["lint", "--format", "json", "deep.yaml", "ok.yaml"], None, check


@case("3", "1 MiB anchored scalar × 3,000 aliases")
def item3(d):
    """Before: aliases counted in nodes, not bytes: 3 GB RSS and exit 0.
    Now a yaml-syntax error (ML901) at the alias over the byte budget."""
    big = "x" * (1 << 20)
    parts = ["groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n"
             f"    annotations:\n      description: &a {big}\n"]
    parts += [f"  - alert: A{i}\n    expr: up == 0\n    for: 5m\n    annotations:\n"
              "      description: *a\n" for i in range(3000)]
    write(d, "bomb.yaml", "".join(parts))
    write(d, "ok.yaml", RULES_A)

    def check(r, d):
        return r.exit == 2 and "MiB of values" in r.out, counted(count_code(r, "ML901"), "ML901")
    return ["lint", "--format", "json", "bomb.yaml", "ok.yaml"], None, check


@case("4", "ConfigMap: anchored 1,000-rule file × 800 keys")
def item4(d):
    """Before: each embedded document got a fresh alias budget: over 3.7 GB
    and abort. Now one budget for the outer file, one ML901."""
    parts = ["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
             "  r0.yaml: &r |\n    groups:\n    - name: g\n      rules:\n"]
    parts += [f"      - {{alert: A{i}, expr: up == 0}}\n" for i in range(1000)]
    parts += [f"  r{i}.yaml: *r\n" for i in range(1, 800)]
    write(d, "cm.yaml", "".join(parts))

    def check(r, d):
        n = count_code(r, "ML901")
        return r.exit == 2 and n == 1, counted(n, "ML901")
    return ["lint", "--format", "json", "cm.yaml"], None, check


@case("5", "`test`: template doubling, 40 nested `{{template}}`")
def item5(d):
    """Before: template expansion in `mlalert test` was unbounded in output
    size and work. Now each stops with an expansion error."""
    ones = " ".join(["1"] * 40)
    nested = '{{define \\"t0\\"}}{{end}}'
    for i in range(1, 41):
        nested += (f'{{{{define \\"t{i}\\"}}}}{{{{template \\"t{i-1}\\" .}}}}'
                   f'{{{{template \\"t{i-1}\\" .}}}}{{{{end}}}}')
    nested += '{{template \\"t40\\" .}}'
    rules = ("groups:\n- name: g\n  rules:\n  - alert: T\n    expr: up > 0\n    annotations:\n"
             f'      double: "{{{{ $x := \\"ab\\" }}}}{{{{ range $i := args {ones} }}}}'
             f'{{{{ $x = printf \\"%s%s\\" $x $x }}}}{{{{ end }}}}{{{{ $x }}}}"\n'
             f'      nested: "{nested}"\n')
    write(d, "rules.yaml", rules)
    write(d, "t.yaml", "rule_files: [rules.yaml]\ntests:\n- interval: 1m\n  input_series:\n"
          "  - series: up\n    values: '1x10'\n  alert_rule_test:\n  - alertname: T\n"
          "    eval_time: 1m\n")

    def check(r, d):
        ok = (r.exit == 1 and "expansion builds more than 67108864 bytes" in r.out
              and "expansion makes more than 1000000 function and template calls" in r.out)
        return ok, f"{r.out_bytes / 1e6:.1f} MB stdout"
    return ["test", "t.yaml"], None, check


@case("6", "`test`: 8 groups × 20M input samples (8 threads)")
def item6(d):
    """Before: the sample cap was per test group and groups ran in parallel:
    8 groups at the cap used 3.8 GB with 8 threads. Now one budget for the
    run (groups wait for their share). Run with RAYON_NUM_THREADS=8."""
    # A series line expands to fewer than 5,000,000 values (MAX_VALUES, the
    # same before and after): five of 4,000,000 make the 20M cap per group.
    series = "".join(f"  - series: 'up{{i=\"{i}\"}}'\n    values: '0+1x3999999'\n"
                     for i in range(5))
    samples = ", ".join(f"{{labels: 'up{{i=\"{i}\"}}', value: 0}}" for i in range(5))
    t = "tests:\n"
    for _ in range(8):
        t += (f"- interval: 1m\n  input_series:\n{series}"
              "  promql_expr_test:\n  - expr: up\n    eval_time: 0m\n"
              f"    exp_samples: [{samples}]\n")
    write(d, "t.yaml", t)

    def check(r, d):
        return r.exit == 0 and "SUCCESS" in r.out, ""
    return ["test", "t.yaml"], {"RAYON_NUM_THREADS": "8"}, check


@case("7", "`lint /dev/zero`")
def item7(d):
    """Before: size limits only looked at stat(): /dev/zero was read until
    memory ran out. Now one reader with a byte limit: exit 2 at the limit."""
    def check(r, d):
        out = r.out + r.err
        why = next((ln.strip(" ×") for ln in out.splitlines() if "×" in ln), "")
        return r.exit == 2 and "MiB limit" in out, why[:80]
    return ["lint", "/dev/zero"], None, check


@case("8", "30 KB one-line file, human output")
def item8(d):
    """Before: human output grew with line length × findings and was built
    in memory (240 MB). Now streamed, each snippet line bounded."""
    text = flow_rules(1000)
    write(d, "one.yaml", text)

    def check(r, d):
        findings = r.out.count(": warning ")
        widest = max((len(ln) for ln in r.out.splitlines()), default=0)
        ok = (r.exit == 1 and r.out_complete and widest <= 200
              and r.out_bytes < max(findings, 1) * 1500)
        return ok, f"{r.out_bytes / 1e6:.1f} MB stdout, widest line {widest}"
    return ["lint", "--color", "never", "one.yaml"], None, check


@case("9", "1 MiB of `{{` without `}}`")
def item9(d):
    """Before: the Helm-template detector rescanned the rest of the file for
    every `{{` (over 20 s). Now one linear scan."""
    write(d, "t.yaml", 'a: "' + "{{" * (1 << 19) + '"\n')

    def check(r, d):
        return r.exit == 0, ""
    return ["lint", "t.yaml"], None, check


@case("10", "`up + up + … > 0`, 4,000 terms")
def item10(d):
    """Before: the scalar check re-walked the left side at every node (over
    20 s). Now memoised per node; 4,000 terms also pass the depth limit
    (MAX_DEPTH 1000), so the fixed binary reports ML902 at once."""
    write(d, "r.yaml", alert_file([" + ".join(["up"] * 4000) + " > 0"]))

    def check(r, d):
        return r.exit in (1, 2) and r.signal is None, "ML902" if "ML902" in r.out else ""
    return ["lint", "r.yaml"], None, check


@case("10b", "`up + … > 0` and `/ on (job)`, 999 terms")
def item10b(d):
    """Item 10 at the depth limit (999 terms), so both binaries analyse the
    whole chain: before, 1,000 terms took 2.5 s."""
    chain = " + ".join(["up"] * 999) + " > 0"
    on = " / on (job) ".join(['up{job="a"}'] * 999) + " > 0"
    write(d, "r.yaml", alert_file([chain, on]))

    def check(r, d):
        return r.exit == 1 and "ML902" not in r.out, ""
    return ["lint", "r.yaml"], None, check


@case("11", "8,000 alerts × 4 findings, human output")
def item11(d):
    """Before: human rendering cloned and scanned the whole file per finding
    (18.7 s; JSON 0.12 s). Now linear in findings."""
    text = "groups:\n- name: g\n  rules:\n" + "".join(
        f"  - alert: alert_{i}\n    expr: rate(x[1m]) > 0.5\n" for i in range(8000))
    write(d, "many.yaml", text)

    def check(r, d):
        return r.exit == 1 and "many.yaml:16000:12:" in r.out, f"{r.out_bytes / 1e6:.1f} MB stdout"
    return ["lint", "--color", "never", "many.yaml"], None, check


@case("12a", "2,000 alerts × 50 inhibit rules: `lint`")
def item12a(d):
    """Before: inhibition tried every alert against every alert per rule
    (16 s). Now indexed by the `equal` labels' values."""
    write(d, "rules.yaml", many_alerts(2000))
    write(d, "am.yaml", inhibiting_config(50))

    def check(r, d):
        return r.exit == 0, ""
    return ["lint", "--quiet", "rules.yaml", "am.yaml"], None, check


@case("12b", "2,000 alerts × 50 inhibit rules: `routes coverage`")
def item12b(d):
    """Before: over 20 s, alerts² × rules. Now indexed."""
    write(d, "rules.yaml", many_alerts(2000))
    write(d, "am.yaml", inhibiting_config(50))

    def check(r, d):
        row = next((ln for ln in r.out.splitlines() if ln.startswith("Alert1 ")), "")
        return r.exit == 0 and "#1 (line " in row, ""
    return ["routes", "coverage", "--config", "am.yaml", "rules.yaml"], None, check


@case("12c", "20,000 sibling routes: `lint`")
def item12c(d):
    """Before: route-shadowed tried every earlier sibling (6–9 s). Now
    indexed; the one shadowed route at the end is still found."""
    am = ["route:\n  receiver: default\n  routes:\n"]
    am += [f"  - matchers: [team=t{i}]\n    receiver: default\n" for i in range(20000)]
    am.append("  - matchers: [team=t7, severity=critical]\n    receiver: default\n")
    am.append("receivers:\n- name: default\n")
    write(d, "siblings.yaml", "".join(am))

    def check(r, d):
        v = r.json() or {}
        n = sum(1 for x in v.get("diagnostics", []) if x.get("name") == "route-shadowed")
        return r.exit == 1 and n == 1, f"route-shadowed × {n}"
    return ["lint", "--format", "json", "siblings.yaml"], None, check


@case("12d", "50,000 receivers: `lint`")
def item12d(d):
    """Before: receiver uniqueness and route references checked pairwise
    (6–9 s). Now with sets."""
    am = ["route:\n  receiver: r0\n  routes:\n"]
    am += [f"  - matchers: [team=t{i}]\n    receiver: r{i}\n" for i in range(1, 50)]
    am.append("receivers:\n")
    am += [f"- name: r{i}\n" for i in range(50000)]
    am.append("- name: r5\n")
    write(d, "receivers.yaml", "".join(am))

    def check(r, d):
        return r.exit == 1 and 'name \\"r5\\" is not unique' in r.out, ""
    return ["lint", "--format", "json", "receivers.yaml"], None, check


def never_equal(d):
    """2,000 alerts, one node each; 50 inhibit rules whose matchers pair
    every warning with every critical alert but whose `equal: [node]`
    never holds."""
    rules = ["groups:\n- name: g\n  rules:\n"]
    for i in range(2000):
        sev = ["critical", "warning", "info"][i % 3]
        rules.append(f"  - alert: Alert{i}\n    expr: up == 0\n    for: 5m\n"
                     f"    labels: {{severity: {sev}, node: n{i}, team: t{i % 20}}}\n"
                     "    annotations: {summary: s, runbook_url: 'https://r/x'}\n")
    write(d, "rules.yaml", "".join(rules))
    am = "route:\n  receiver: default\nreceivers:\n- name: default\ninhibit_rules:\n"
    am += ("- source_matchers: ['severity=~\"warning|info\"', 'team=~\"t.*\"']\n"
           "  target_matchers: [severity=critical]\n  equal: [node]\n") * 50
    write(d, "am.yaml", am)


@case("12e", "inhibit `equal` never holds (2,000 × 50): `lint`")
def item12e(d):
    """Item 12's worst case before (50 s): every pair tried by the matchers,
    none equal on `node`. Now indexed; all 50 rules reported dead."""
    never_equal(d)

    def check(r, d):
        v = r.json() or {}
        n = sum(1 for x in v.get("diagnostics", []) if x.get("name") == "inhibit-rule-dead")
        return r.exit == 1 and n == 50, f"inhibit-rule-dead × {n}"
    return ["lint", "--format", "json", "rules.yaml", "am.yaml"], None, check


@case("12f", "inhibit `equal` never holds (2,000 × 50): `routes coverage`")
def item12f(d):
    """Item 12's worst case before for `routes coverage` (107 s)."""
    never_equal(d)

    def check(r, d):
        lines = r.out.splitlines()
        return r.exit == 0 and len(lines) == 2001, ""
    return ["routes", "coverage", "--config", "am.yaml", "rules.yaml"], None, check


@case("13", "`test`: `[1y:1ms]`, nested `[1d:1s]`, `range query`")
def item13(d):
    """Before: subqueries of billions of steps and templates nesting `range
    query` ran unbounded (the 10,000-sample limit tripped only after
    loading). Now steps are counted first and fail as promtool does."""
    ones = " ".join(["1"] * 40)
    rules = ("groups:\n- name: g\n  rules:\n  - alert: Q\n    expr: up > 0\n    annotations:\n"
             "      a: '{{ range query \"max_over_time(vector(1)[1d:1s])\" }}{{ range query \"up\" }}"
             "{{ range query \"up\" }}x{{ end }}{{ end }}{{ end }}'\n"
             f"      b: '{{{{ range $i := args {ones} }}}}{{{{ range $j := args {ones} }}}}"
             "{{ query \"up\" }}{{ end }}{{ end }}'\n")
    write(d, "rules.yaml", rules)
    write(d, "t.yaml", "rule_files: [rules.yaml]\ntests:\n- interval: 1m\n  input_series:\n"
          "  - series: up\n    values: '1x10'\n  promql_expr_test:\n"
          "  - expr: max_over_time(up[1y:1ms])\n    eval_time: 5m\n"
          "  - expr: max_over_time(max_over_time(nope[1d:1s])[1d:1s])\n    eval_time: 5m\n"
          "  alert_rule_test:\n  - alertname: Q\n    eval_time: 1m\n")

    def check(r, d):
        n = r.out.count("query processing would load too many samples")
        ok = r.exit == 1 and n >= 3 and "expansion runs more than 1000 queries" in r.out
        return ok, f"too-many-samples × {n}"
    return ["test", "t.yaml"], None, check


@case("14", "`test`: `rule_files` glob of 30,000 files")
def item14(d):
    """Before: matches de-duplicated with Vec::contains (16 s). Now a set."""
    os.mkdir(os.path.join(d, "rules"))
    for i in range(30000):
        with open(os.path.join(d, "rules", f"r{i:05}.yaml"), "w") as f:
            f.write("groups: []\n")
    write(d, "t.yaml", "rule_files: ['rules/*.yaml']\ntests:\n- input_series: []\n")

    def check(r, d):
        return r.exit == 0 and "SUCCESS" in r.out, ""
    return ["test", "t.yaml"], None, check


@case("15", "`routes coverage`: invalid-YAML and non-UTF-8 rule files")
def item15(d):
    """Before: invalid YAML dropped silently (exit 0, alerts missing),
    non-UTF-8 only warned. Now reported as `lint` does, exit 2."""
    write(d, "am.yaml", AM)
    write(d, "rules/good.yaml", RULES)
    write(d, "rules/broken.yaml", "groups:\n- name: g\n  rules:\n  - alert: Lost\n    expr: [unclosed\n")
    write(d, "rules/latin1.yaml", b"groups: []\n# caf\xe9\n")

    def check(r, d):
        ok = (r.exit == 2 and "Good" in r.out
              and "rules/broken.yaml:6:1: invalid YAML" in r.err
              and "rules/latin1.yaml:2: file is not valid UTF-8" in r.err)
        return ok, ""
    return ["routes", "coverage", "--config", "am.yaml", "rules"], None, check


@case("16a", "`--diff-base HEAD`: unchanged broken file, missing path")
def item16a(d):
    """Before: exit 2 but `0 errors, 0 warnings` printed: input errors
    hidden by the diff filter. Now always shown."""
    diff_repo(d)

    def check(r, d):
        ok = (r.exit == 2 and "invalid YAML" in r.out and "missing.yaml" in r.out
              and "2 errors" in r.out)
        return ok, ""
    return ["lint", "--diff-base", "HEAD", "old.yaml", "broken.yaml", "missing.yaml"], None, check


@case("16b", "`--diff-base=--output=pwned.txt`")
def item16b(d):
    """Before: the value reached git as an option, so git wrote the file.
    Now validated and passed after `--end-of-options`."""
    diff_repo(d)

    def check(r, d):
        wrote = os.path.exists(os.path.join(d, "pwned.txt"))
        return r.exit == 2 and not wrote, "git wrote pwned.txt" if wrote else ""
    return ["lint", "--diff-base=--output=pwned.txt", "old.yaml"], None, check


@case("16c", "`--diff-base HEAD`: new alert in a git submodule")
def item16c(d):
    """Before: the repository came from the working directory, so a rule
    file inside a submodule was dropped. Now each file's own repository."""
    sub_src, sup = os.path.join(d, "sub-src"), os.path.join(d, "super")
    os.makedirs(sub_src)
    os.makedirs(sup)
    git(sub_src, "init", "-q")
    write(sub_src, "r.yaml", "groups:\n- name: g\n  rules:\n")
    git(sub_src, "add", "-A")
    git(sub_src, "commit", "-q", "-m", "sub")
    git(sup, "init", "-q")
    write(sup, "top.yaml", "groups: []\n")
    git(sup, "add", "-A")
    git(sup, "commit", "-q", "-m", "super")
    git(sup, "submodule", "add", "-q", sub_src, "sub")
    git(sup, "commit", "-q", "-m", "add sub")
    write(sup, "sub/r.yaml", "groups:\n- name: g\n  rules:\n  - alert: InSub\n    expr: up == 0\n")

    def check(r, d):
        return r.exit == 1 and '"InSub"' in r.out, ""
    # Runs in d; the paths go through the superproject.
    return ["lint", "--diff-base", "HEAD", "sub/r.yaml", "top.yaml"], {"_cwd": "super"}, check


@case("17", "`{{ $labels.prompt_tpl }}` is not Helm")
def item17(d):
    """Before: `tpl ` inside a Prometheus template made the file look like
    Helm: skipped with an info (ML905), its findings lost."""
    write(d, "llm.yaml",
          "groups:\n- name: llm\n  rules:\n  - alert: GPUMemoryRatio\n"
          "    expr: DCGM_FI_DEV_FB_USED / DCGM_FI_DEV_FB_FREE > 0.9\n    for: 5m\n"
          "    annotations:\n      summary: \"template {{ $labels.prompt_tpl }} is slow\"\n")

    def check(r, d):
        return (r.exit == 1 and (count_code(r, "ML201") or 0) > 0
                and count_code(r, "ML905") == 0), ""
    return ["lint", "--format", "json", "llm.yaml"], None, check


@case("18", "Secret `data` not base64 / not UTF-8")
def item18(d):
    """Before: undecodable Secret data skipped silently. Now ML911 each."""
    write(d, "s.yaml",
          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: am\ndata:\n"
          "  alertmanager.yaml: \"route: {receiver: team}\"\n  unpadded.yaml: cm91dGU6IHt9eA\n"
          "  latin1.yaml: cm91dGU6IHtyZWNlaXZlcjogJ7B9\n  ca.der: 3q2+7w==\n")

    def check(r, d):
        n = count_code(r, "ML911")
        return r.exit == 1 and n == 3 and "receiver: team" not in r.out, counted(n, "ML911")
    return ["lint", "--format", "json", "s.yaml"], None, check


@case("19", "symlinked `*.yaml` in a walked directory")
def item19(d):
    """Before: symlinked files in a walked directory were skipped silently.
    Now followed (loops detected, each file once)."""
    os.makedirs(os.path.join(d, "shared"))
    os.makedirs(os.path.join(d, "repo/team"))
    write(d, "shared/gpu.yaml", RULES_A)
    os.symlink(os.path.join(d, "shared/gpu.yaml"), os.path.join(d, "repo/gpu.yaml"))
    os.symlink(os.path.join(d, "shared"), os.path.join(d, "repo/linked"))
    os.symlink(os.path.join(d, "repo"), os.path.join(d, "repo/team/up"))

    def check(r, d):
        n = count_code(r, "ML102")
        return r.exit == 1 and n == 1 and count_code(r, "ML107") == 0, counted(n, "ML102")
    return ["lint", "--format", "json", "repo"], None, check


@case("20", "`routes show --config` with a YAML error")
def item20(d):
    """Before: `no Alertmanager config found`, no position. Now the YAML
    error as `lint` gives it."""
    write(d, "am.yaml", "route:\n  receiver: default\n  routes: [\nreceivers:\n- name: default\n")

    def check(r, d):
        ok = (r.exit == 2 and "am.yaml:" in r.err and "invalid YAML" in r.err
              and "no Alertmanager config found" not in r.err)
        return ok, ""
    return ["routes", "show", "--config", "am.yaml"], None, check


@case("21", "CR-only line ends + one non-ASCII character")
def item21(d):
    """Before: positions on the wrong line and column; the snippet header
    disagreed with the finding."""
    write(d, "cr.yaml", "# é\rgroups:\r- name: g\r  rules:\r  - alert: A\r    expr: up == 0\r")

    def check(r, d):
        ok = (r.exit == 1 and "cr.yaml:5:12: warning ML101" in r.out
              and "[cr.yaml:5:12]" in r.out and " 5 │   - alert: A\n" in r.out)
        return ok, ""
    return ["lint", "--color", "never", "cr.yaml"], None, check


@case("22", "`up @ 1e300 > 0`")
def item22(d):
    """Before: accepted (saturated). Now rejected as Prometheus does."""
    write(d, "r.yaml", alert_file(["up @ 1e300 > 0"]))

    def check(r, d):
        return r.exit == 1 and "timestamp out of bounds for @ modifier" in r.out, ""
    return ["lint", "--format", "json", "r.yaml"], None, check


@case("23", "inline secrets + base64 Secret, human output")
def item23(d):
    """Before: snippets echoed 28 of 30 inline secrets, and the decoded
    Secret data once per finding. Now masked as `<secret>`."""
    am = am_with_secrets()
    write(d, "am.yml", am)
    encoded = base64.b64encode(am.encode()).decode()
    write(d, "secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: am\ndata:\n"
          f"  alertmanager.yaml: {encoded}\n")

    def check(r, d):
        n = r.out.count("SECRET")
        ok = r.exit == 1 and n == 0 and encoded[:40] not in r.out
        return ok, f"`SECRET` × {n}"
    return ["lint", "--color", "never", "am.yml", "secret.yaml"], None, check


@case("24", "token as `api_url` scheme, JSON output")
def item24(d):
    """Before: the URL error quoted everything before the first `:` as the
    scheme: the token in every format. Now never quoted."""
    write(d, "am.yml", "route:\n  receiver: s\nreceivers:\n- name: s\n  slack_configs:\n"
          "  - api_url: \"xoxb-1234567890-SECRETTOKEN:x\"\n    channel: \"#a\"\n")

    def check(r, d):
        leak = "secrettoken" in r.out.lower()
        return r.exit == 1 and "unsupported scheme for URL" in r.out and not leak, \
            "token printed" if leak else ""
    return ["lint", "--format", "json", "am.yml"], None, check


@case("25a", "raw ESC / BEL / U+202E in a YAML comment")
def item25a(d):
    """Before: control bytes from the input reached the terminal through
    snippets, even with `--color never`. Now escaped."""
    write(d, "esc.yaml", "groups:\n- name: \"g\\e[2J\"\n  rules:\n"
          "  - alert: A # \x1b[31mRED\x1b]0;title\x07 \u202e\n    expr: up == 0\n")

    def check(r, d):
        bad = [c for c in r.out if (ord(c) < 32 and c != "\n") or ord(c) == 0x7f or c == "\u202e"]
        return r.exit == 1 and not bad, f"{len(bad)} raw control chars"
    return ["lint", "--color", "never", "esc.yaml"], None, check


@case("25b", "`config init` with a dangling `.mlalert.yaml` link")
def item25b(d):
    """Before: wrote through the dangling symlink (created its target)."""
    target = os.path.join(d, "elsewhere.yaml")
    os.symlink(target, os.path.join(d, ".mlalert.yaml"))

    def check(r, d):
        wrote = os.path.exists(target)
        return r.exit == 2 and not wrote, "wrote the link's target" if wrote else ""
    return ["config", "init"], None, check


# --------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------


def cell(s):
    s = str(s).replace("|", "\\|").replace("\n", " ")
    return s[:EXCERPT]


def measure(runner, binary, item, f, keep):
    d = tempfile.mkdtemp(prefix=f"hostile-{item}-")
    try:
        args, env, check = f(d)
        env = dict(env or {})
        cwd = os.path.join(d, env.pop("_cwd")) if "_cwd" in env else d
        r = runner.run(binary, args, cwd, env)
        try:
            ok, note = check(r, d)
        except Exception as e:  # a check must never stop the table
            ok, note = False, f"check failed: {e}"
        if r.signal is not None or r.timed_out:
            ok = False
        if not note and r.exit not in (0, 1, 2):
            lines = r.err.strip().splitlines() or [""]
            why = [ln for ln in lines if any(
                k in ln for k in ("memory allocation of", "overflowed its stack", "panicked at"))]
            note = (why or lines)[-1][:80]
        cmd = " ".join(f"{k}={v}" for k, v in env.items())
        cmd = (cmd + " " if cmd else "") + "mlalert " + " ".join(
            a if a and all(c.isalnum() or c in "-_./=,:" for c in a) else repr(a) for a in args)
        rss = f"{r.rss_kib / 1024:.0f}" if r.rss_kib is not None else "—"
        wall = f">{runner.timeout:g}" if r.timed_out else f"{r.wall:.2f}"
        return cmd, [wall, rss, r.status(runner.timeout), "yes" if ok else "no", note]
    finally:
        if not keep:
            shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="mlalert binary (before)")
    ap.add_argument("--bin2", help="second binary (after), shown side by side")
    ap.add_argument("--timeout", type=float, default=120, help="wall seconds per run")
    ap.add_argument("--mem-mib", type=int, default=4096, help="address-space limit")
    ap.add_argument("--only", help="comma-separated items, e.g. 1,2,12b")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    a = ap.parse_args()
    bins = [os.path.abspath(b) for b in [a.bin, a.bin2] if b]
    for b in bins:
        if not os.access(b, os.X_OK):
            sys.exit(f"hostile.py: not an executable: {b}")
    runner = Runner(a.timeout, a.mem_mib)
    only = set(a.only.split(",")) if a.only else None
    cols = ["time (s)", "peak RSS (MiB)", "exit", "ok", "note"]
    names = ["before", "after"] if len(bins) == 2 else [""]
    head = ["#", "item", "command"] + [f"{n} {c}".strip() for n in names for c in cols]
    print(f"<!-- bench/hostile.py: timeout {a.timeout:g} s, address space {a.mem_mib} MiB"
          f" ({'prlimit --as' if runner.prlimit else 'ulimit -v'}), peak RSS from"
          f" {'/usr/bin/time %M' if runner.gnu_time else 'getrusage'};"
          f" {' vs '.join(bins)} -->")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|", flush=True)
    for item, desc, f in CASES:
        if only and item not in only:
            continue
        row, cmd = [], ""
        for b in bins:
            print(f"[{time.strftime('%H:%M:%S')}] item {item}: {b}", file=sys.stderr, flush=True)
            cmd, cells = measure(runner, b, item, f, a.keep)
            row += cells
        print("| " + " | ".join(cell(x) for x in [item, desc, f"`{cmd}`"] + row) + " |",
              flush=True)


if __name__ == "__main__":
    main()
