//! Release artefacts: the asset names agree between
//! .github/workflows/release.yml, scripts/release-build.sh, the `cargo
//! binstall` metadata in Cargo.toml, the action and the Dockerfile; the
//! script's packing and checksums work (on the test binary: the release
//! build itself runs in the release workflow).

use std::path::Path;
use std::process::Command;

use mlalert::source::TextMap;
use mlalert::yaml::{Node, parse_stream};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The release targets, as the issue and every consumer name them.
const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(REPO).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn scalar(n: &Node) -> String {
    n.as_scalar().map(|s| s.value.clone()).unwrap_or_default()
}

/// The asset name for `target` (the convention every consumer follows).
fn asset(target: &str) -> String {
    let ext = if target.contains("-windows-") {
        "zip"
    } else {
        "tar.gz"
    };
    format!("mlalert-v{}-{target}.{ext}", env!("CARGO_PKG_VERSION"))
}

fn script() -> Command {
    let mut c = Command::new("bash");
    c.arg(Path::new(REPO).join("scripts/release-build.sh"));
    c
}

/// `sha256sum FILE`'s hex digest (or `shasum -a 256`).
fn sha256(file: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(file)
        .output()
        .or_else(|_| {
            Command::new("shasum")
                .args(["-a", "256"])
                .arg(file)
                .output()
        })
        .expect("sha256sum or shasum");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_workflow_builds_every_target_with_the_script() {
    let text = read(".github/workflows/release.yml");
    let (docs, err) = parse_stream(&text, &TextMap::Shift(0));
    assert!(err.is_none(), "release.yml: {err:?}");
    let root = &docs[0].root;
    let tags = root
        .get("on")
        .and_then(|o| o.get("push"))
        .and_then(|p| p.get("tags"))
        .and_then(Node::as_seq)
        .expect("on.push.tags");
    assert_eq!(tags.iter().map(scalar).collect::<Vec<_>>(), ["v*"]);
    let jobs = root.get("jobs").expect("jobs");
    let build = jobs.get("build").expect("jobs.build");
    let targets: Vec<String> = build
        .get("strategy")
        .and_then(|s| s.get("matrix"))
        .and_then(|m| m.get("include"))
        .and_then(Node::as_seq)
        .expect("matrix.include")
        .iter()
        .map(|e| e.get("target").map(scalar).expect("target"))
        .collect();
    assert_eq!(targets, TARGETS);
    let runs = |job: &Node| -> Vec<String> {
        job.get("steps")
            .and_then(Node::as_seq)
            .expect("steps")
            .iter()
            .filter_map(|s| s.get("run").map(scalar))
            .collect()
    };
    for (name, job) in jobs.as_map().expect("jobs map") {
        for run in runs(job) {
            assert!(
                !run.contains("${{"),
                "{}: expressions reach scripts through `env:`: {run}",
                scalar(name)
            );
        }
    }
    assert!(
        runs(build)
            .iter()
            .any(|r| r == "scripts/release-build.sh \"$TARGET\" dist"),
        "the build job packs with scripts/release-build.sh"
    );
    let publish = jobs.get("publish").expect("jobs.publish");
    let publish_runs = runs(publish).join("\n");
    assert!(publish_runs.contains("scripts/release-build.sh --sums dist"));
    assert!(publish_runs.contains("gh release upload \"$TAG\" dist/*"));
    assert_eq!(
        publish
            .get("permissions")
            .and_then(|p| p.get("contents"))
            .map(scalar)
            .as_deref(),
        Some("write")
    );
}

#[test]
fn binstall_metadata_names_the_release_assets() {
    let cargo = read("Cargo.toml");
    let section = cargo
        .split("[package.metadata.binstall]\n")
        .nth(1)
        .expect("[package.metadata.binstall]");
    let value = |key: &str| -> String {
        section
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("binstall {key}"))
            .to_string()
    };
    assert_eq!(value("bin-dir"), "{ bin }{ binary-ext }");
    assert_eq!(value("pkg-fmt"), "tgz");
    let windows = cargo
        .split("[package.metadata.binstall.overrides.x86_64-pc-windows-msvc]\n")
        .nth(1)
        .expect("a Windows override");
    assert!(windows.starts_with("pkg-fmt = \"zip\"\n"), "{windows}");
    let url = value("pkg-url");
    for target in TARGETS {
        let suffix = if target.contains("-windows-") {
            ".zip"
        } else {
            ".tar.gz"
        };
        let expanded = url
            .replace("{ name }", "mlalert")
            .replace("{ version }", env!("CARGO_PKG_VERSION"))
            .replace("{ target }", target)
            .replace("{ archive-suffix }", suffix);
        assert_eq!(
            expanded,
            format!(
                "https://github.com/mlalert/mlalert/releases/download/v{}/{}",
                env!("CARGO_PKG_VERSION"),
                asset(target)
            )
        );
    }
}

/// The action's "Locate mlalert" step, run for each runner the releases
/// cover, asks for the asset the script writes.
#[test]
fn the_action_asks_for_the_assets_the_script_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stub = dir.path().join("stub");
    std::fs::write(&stub, "not a binary").expect("write");
    let action = read("action.yml");
    let (docs, err) = parse_stream(&action, &TextMap::Shift(0));
    assert!(err.is_none());
    let locate = docs[0]
        .root
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Node::as_seq)
        .expect("steps")
        .iter()
        .find(|s| s.get("id").map(scalar).as_deref() == Some("locate"))
        .and_then(|s| s.get("run").map(scalar))
        .expect("a step with id locate");
    for (os, arch, target) in [
        ("Linux", "X64", TARGETS[0]),
        ("Linux", "ARM64", TARGETS[1]),
        ("macOS", "X64", TARGETS[2]),
        ("macOS", "ARM64", TARGETS[3]),
        ("Windows", "X64", TARGETS[4]),
    ] {
        let output = dir.path().join(format!("output-{os}-{arch}"));
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &locate])
            .env("GITHUB_ACTION_PATH", REPO)
            .env("GITHUB_OUTPUT", &output)
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TOOL_CACHE", dir.path())
            .env("INPUT_VERSION", "")
            .env_remove("MLALERT_RELEASE_BASE_URL")
            .output()
            .expect("bash");
        assert!(out.status.success(), "{out:?}");
        let outputs = std::fs::read_to_string(&output).expect("outputs");
        let asked = outputs
            .lines()
            .find_map(|l| l.strip_prefix("asset="))
            .expect("asset output");
        assert_eq!(asked, asset(target), "{os}/{arch}");
        assert!(
            outputs.contains(&format!(
                "url=https://github.com/mlalert/mlalert/releases/download/v{}\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{outputs}"
        );

        // The script writes exactly that name (the stub packed as the binary).
        let pack = dir.path().join(format!("pack-{target}"));
        let out = script()
            .args([target, pack.to_str().expect("utf-8")])
            .env("MLALERT_PREBUILT_BIN", &stub)
            .output()
            .expect("script");
        assert!(out.status.success(), "{out:?}");
        let mut names: Vec<String> = std::fs::read_dir(&pack)
            .expect("outdir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [asset(target), format!("{}.sha256", asset(target))]);
        if target.contains("-windows-") && Command::new("unzip").arg("-v").output().is_ok() {
            let list = Command::new("unzip")
                .arg("-Z1")
                .arg(pack.join(asset(target)))
                .output()
                .expect("unzip");
            assert_eq!(String::from_utf8_lossy(&list.stdout), "mlalert.exe\n");
        }
    }
}

#[test]
fn packed_binary_runs_and_checksums_verify() {
    let dir = crate::action::packed_release();
    let name = asset(TARGETS[0]);
    let archive = dir.join(&name);
    // `<hex>  <asset>`, as sha256sum prints it, of the archive.
    let line = std::fs::read_to_string(dir.join(format!("{name}.sha256"))).expect(".sha256");
    assert_eq!(line, format!("{}  {name}\n", sha256(&archive)));
    assert_eq!(
        std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS"),
        line
    );

    // `mlalert` at the archive's root, executable, and it runs.
    let list = Command::new("tar")
        .arg("-tzf")
        .arg(&archive)
        .output()
        .expect("tar");
    assert_eq!(String::from_utf8_lossy(&list.stdout), "mlalert\n");
    let out_dir = tempfile::tempdir().expect("tempdir");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(out_dir.path())
        .status()
        .expect("tar");
    assert!(status.success());
    let out = Command::new(out_dir.path().join("mlalert"))
        .arg("--version")
        .output()
        .expect("run the unpacked binary");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("mlalert {}\n", env!("CARGO_PKG_VERSION"))
    );

    // SHA256SUMS holds every asset's line, sorted by name.
    let sums = tempfile::tempdir().expect("tempdir");
    for (n, hex) in [("b.zip", "b"), ("a.tar.gz", "a")] {
        std::fs::write(
            sums.path().join(format!("{n}.sha256")),
            format!("{}  {n}\n", hex.repeat(64)),
        )
        .expect("write");
    }
    let out = script()
        .arg("--sums")
        .arg(sums.path())
        .output()
        .expect("script");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(sums.path().join("SHA256SUMS")).expect("SHA256SUMS"),
        format!("{}  a.tar.gz\n{}  b.zip\n", "a".repeat(64), "b".repeat(64))
    );
    // Without any .sha256 file it fails rather than writing an empty list.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = script()
        .arg("--sums")
        .arg(empty.path())
        .output()
        .expect("script");
    assert!(!out.status.success());
    assert!(!empty.path().join("SHA256SUMS").exists());
}

#[test]
fn the_container_image_is_the_release_build() {
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile
            .contains("RUN scripts/release-build.sh \"$(uname -m)-unknown-linux-musl\" /dist"),
        "the image's binary comes from scripts/release-build.sh"
    );
    let stages: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(
        stages,
        [
            "FROM rust:1-alpine AS build",
            "FROM scratch AS scratch",
            "FROM alpine:3 AS default"
        ]
    );
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l == "target"), "{ignore}");
    // The release workflow pushes both images.
    let release = read(".github/workflows/release.yml");
    assert!(release.contains("target: scratch"));
    assert!(release.contains("uses: docker/build-push-action@"));
}
