"""PEP 517 build backend that packages mlalert's release binary as a wheel.

The pre-commit hooks with ``language: python`` (``.pre-commit-hooks.yaml``)
install the hook repository with ``pip install .``; ``pyproject.toml`` names
this module as the build backend. Building the wheel downloads the release
archive of this version for the machine's platform, checks its SHA-256
against the release's ``SHA256SUMS`` file, and puts the ``mlalert``
executable in the wheel as a script, which pip installs into the hook's
environment. Nothing is compiled, and the backend needs nothing but the
Python standard library (``requires = []``).

Release assets (built by the release workflow)::

    {base}/v{version}/mlalert-v{version}-{target}.tar.gz   (``mlalert`` at the root)
    {base}/v{version}/mlalert-v{version}-{target}.zip      (Windows: ``mlalert.exe``)
    {base}/v{version}/SHA256SUMS                           (``<hex>  <asset name>``)

``base`` is ``https://github.com/mlalert/mlalert/releases/download``, or the
value of ``MLALERT_RELEASE_BASE_URL`` (a mirror, or a local server in the
tests). A missing release, an unsupported platform or a checksum mismatch
fails the install with a message; it never falls back to compiling (the
``*-rust`` hooks do that).
"""

import base64
import hashlib
import io
import os
import platform
import re
import sys
import sysconfig
import tarfile
import urllib.error
import urllib.request
import zipfile

#: Where the releases are, unless ``MLALERT_RELEASE_BASE_URL`` says otherwise.
DEFAULT_BASE_URL = "https://github.com/mlalert/mlalert/releases/download"
#: The environment variable that overrides :data:`DEFAULT_BASE_URL`.
BASE_URL_ENV = "MLALERT_RELEASE_BASE_URL"
#: The hooks that build mlalert from source instead.
RUST_HOOKS = "mlalert-lint-rust, mlalert-test-rust and mlalert-lint-project-rust"

#: (``platform.system()``, normalised ``platform.machine()``) -> release target.
TARGETS = {
    ("linux", "x86_64"): "x86_64-unknown-linux-musl",
    ("linux", "aarch64"): "aarch64-unknown-linux-musl",
    ("darwin", "x86_64"): "x86_64-apple-darwin",
    ("darwin", "aarch64"): "aarch64-apple-darwin",
    ("windows", "x86_64"): "x86_64-pc-windows-msvc",
}

_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


class InstallError(Exception):
    """An install that cannot go on; the message says why and what to do."""


def project():
    """The ``name``, ``version`` and ``description`` of ``[project]`` in pyproject.toml."""
    with open("pyproject.toml", encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if section is None:
        raise InstallError("pyproject.toml has no [project] table")
    fields = dict(re.findall(r'^(name|version|description)\s*=\s*"([^"]*)"', section.group(1), re.M))
    for key in ("name", "version"):
        if key not in fields:
            raise InstallError("pyproject.toml: [project] has no %s" % key)
    return fields


def target(system=None, machine=None):
    """The release target for a platform (default: this machine's)."""
    system = (system or platform.system()).lower()
    raw = machine or platform.machine()
    arch = _MACHINES.get(raw.lower(), raw.lower())
    found = TARGETS.get((system, arch))
    if found is None:
        raise InstallError(
            "no mlalert release binary for this platform (%s %s); release binaries exist for %s.\n"
            "Use the hooks that build mlalert from source instead: %s (language: rust, needs cargo)."
            % (system, raw, ", ".join(sorted(TARGETS.values())), RUST_HOOKS)
        )
    return found


def asset_name(version, tgt):
    """The release archive's file name: ``mlalert-v{version}-{target}.tar.gz`` (``.zip`` on Windows)."""
    ext = "zip" if "windows" in tgt else "tar.gz"
    return "mlalert-v%s-%s.%s" % (version, tgt, ext)


def release_url(version, name, base=None):
    """The URL of a release asset of ``version``."""
    if base is None:
        base = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    return "%s/v%s/%s" % (base.rstrip("/"), version, name)


def _fetch(url, version):
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise InstallError(
                "no mlalert release v%s at %s (HTTP 404): the hook repository's `rev` is not a "
                "released version, or the release has no binary for this platform.\n"
                "Pin `rev` to a release tag (`pre-commit autoupdate`), or use the hooks that build mlalert "
                "from source: %s (language: rust, needs cargo)." % (version, url, RUST_HOOKS)
            )
        raise InstallError("downloading %s failed: HTTP %s %s" % (url, e.code, e.reason))
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise InstallError(
            "downloading %s failed: %s\n"
            "Without access to the release, use the hooks that build mlalert from source: %s "
            "(language: rust, needs cargo)." % (url, reason, RUST_HOOKS)
        )


def expected_sha256(sums, name):
    """The SHA-256 that a ``SHA256SUMS`` text (sha256sum's format) gives for ``name``."""
    for line in sums.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[1].lstrip("*") == name and re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
            return parts[0].lower()
    return None


def _executable(archive, name, exe):
    """The bytes of ``exe`` at the root of the release archive."""
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(archive)) as z:
                for info in z.infolist():
                    if info.filename.lstrip("./") == exe and not info.is_dir():
                        return z.read(info)
        else:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as t:
                for member in t.getmembers():
                    if member.name.lstrip("./") == exe and member.isfile():
                        return t.extractfile(member).read()
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as e:
        raise InstallError("%s is not a readable archive: %s" % (name, e))
    raise InstallError("%s has no %s at its root" % (name, exe))


def download_binary(version, tgt=None):
    """Downloads the release archive of ``version``, checks it against SHA256SUMS and returns the executable."""
    tgt = tgt or target()
    name = asset_name(version, tgt)
    sums_url = release_url(version, "SHA256SUMS")
    url = release_url(version, name)
    sums = _fetch(sums_url, version).decode("utf-8", "replace")
    expected = expected_sha256(sums, name)
    if expected is None:
        raise InstallError(
            "%s lists no checksum for %s: the release has no binary for this platform.\n"
            "Use the hooks that build mlalert from source: %s (language: rust, needs cargo)."
            % (sums_url, name, RUST_HOOKS)
        )
    archive = _fetch(url, version)
    actual = hashlib.sha256(archive).hexdigest()
    if actual != expected:
        raise InstallError(
            "checksum mismatch for %s: SHA256SUMS says %s, the download is %s. "
            "The download is corrupt or not the released file; nothing was installed." % (url, expected, actual)
        )
    return _executable(archive, name, "mlalert.exe" if "windows" in tgt else "mlalert")


def _wheel_tag():
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "py3-none-%s" % plat


def _dist_info(fields):
    dist = "%s-%s.dist-info" % (fields["name"], fields["version"])
    metadata = (
        "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nLicense: Apache-2.0\n"
        "Home-page: https://github.com/mlalert/mlalert\nRequires-Python: >=3.8\n"
        % (fields["name"], fields["version"], fields.get("description", ""))
    )
    wheel = "Wheel-Version: 1.0\nGenerator: mlalert_build\nRoot-Is-Purelib: false\nTag: %s\n" % _wheel_tag()
    return dist, {dist + "/METADATA": metadata.encode(), dist + "/WHEEL": wheel.encode()}


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\n" % (path, digest, len(data))


def _fail(e):
    sys.stderr.write("\nmlalert: %s\n\n" % e)
    raise SystemExit(1)


def get_requires_for_build_wheel(config_settings=None):
    """PEP 517: nothing to install before building (standard library only)."""
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    """PEP 517: writes the ``.dist-info`` directory without downloading anything."""
    try:
        target()
        dist, files = _dist_info(project())
    except InstallError as e:
        _fail(e)
    for path, data in files.items():
        dest = os.path.join(metadata_directory, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
    return dist


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 517: a wheel holding the release binary as the ``mlalert`` script."""
    try:
        fields = project()
        tgt = target()
        binary = download_binary(fields["version"], tgt)
    except InstallError as e:
        _fail(e)
    dist, files = _dist_info(fields)
    exe = "mlalert.exe" if "windows" in tgt else "mlalert"
    script = "%s-%s.data/scripts/%s" % (fields["name"], fields["version"], exe)
    wheel_name = "%s-%s-%s.whl" % (fields["name"], fields["version"], _wheel_tag())
    record = dist + "/RECORD"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as z:
        lines = []
        for path, data, mode in [(script, binary, 0o755)] + [(p, d, 0o644) for p, d in files.items()]:
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
            lines.append(_record_line(path, data))
        lines.append("%s,,\n" % record)
        z.writestr(zipfile.ZipInfo(record, date_time=(1980, 1, 1, 0, 0, 0)), "".join(lines))
    return wheel_name
