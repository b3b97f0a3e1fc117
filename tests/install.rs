//! Reproducible installs (SPEC section 8): `rust-version` is the highest Rust version that any
//! package in Cargo.lock requires, the YAML parser that decides byte spans is pinned with `=`
//! (pre-commit installs without `--locked`), the documented install commands use `--locked`, and
//! the README recipes name no release tag that does not exist.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::process::Command;

use common::repo;
use serde_json::Value;

/// `cargo metadata` for this crate, resolved from Cargo.lock as it is (`--locked`).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `1.89` and `1.89.0` compare equal; missing parts are 0.
fn version(text: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = text.split('.').map(|p| p.parse().unwrap_or_else(|_| panic!("version {text}"))).collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn rust_version_is_the_highest_any_locked_dependency_requires() {
    let meta = metadata();
    let packages = meta["packages"].as_array().unwrap();
    let ours = packages.iter().find(|p| p["name"] == "leaselint").unwrap();
    let declared = ours["rust_version"].as_str().expect("Cargo.toml sets rust-version");
    let lock = std::fs::read_to_string(repo().join("Cargo.lock")).unwrap();
    let locked = lock.matches("[[package]]").count();
    assert_eq!(packages.len(), locked, "cargo metadata lists every package of Cargo.lock");
    let (highest, by) = packages
        .iter()
        .filter(|p| p["name"] != "leaselint")
        .filter_map(|p| {
            let required = p["rust_version"].as_str()?;
            Some((
                version(required),
                format!("{} {} (rust-version {required})", p["name"].as_str()?, p["version"].as_str()?),
            ))
        })
        .max()
        .expect("some dependency declares rust-version");
    assert_eq!(
        version(declared),
        highest,
        "Cargo.toml has rust-version = \"{declared}\", but the highest any package in Cargo.lock requires is {by}"
    );
}

#[test]
fn the_yaml_parser_is_pinned_exactly() {
    let meta = metadata();
    let ours = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == "leaselint").unwrap();
    let dep = ours["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == "granit-parser").unwrap();
    let req = dep["req"].as_str().unwrap();
    assert!(
        req.starts_with('='),
        "granit-parser decides byte spans: pin it with `=` (pre-commit ignores Cargo.lock), not `{req}`"
    );
    let locked = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == "granit-parser").unwrap();
    assert_eq!(format!("={}", locked["version"].as_str().unwrap()), req, "Cargo.lock has the pinned version");
}

#[test]
fn documented_installs_are_locked_and_explain_the_pin() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for line in readme.lines().filter(|l| l.contains("cargo install") && l.contains("--path")) {
        assert!(line.contains("cargo install --locked"), "README install without --locked: {line}");
    }
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let pin = manifest.lines().find(|l| l.starts_with("granit-parser = ")).expect("granit-parser in Cargo.toml");
    assert!(readme.contains(&format!("`{pin}`")), "README quotes the pin as Cargo.toml has it: `{pin}`");
    let words = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("without `--locked`"), "README says why the parser is pinned (pre-commit)");
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    assert!(action.contains("cargo install --locked"), "the Action installs --locked");
    let hooks = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.contains("language: rust"), "pre-commit builds the hooks with cargo");
}

/// The tags of this repository (none when git or the tags are not there).
fn tags() -> Vec<String> {
    Command::new("git")
        .args(["tag", "--list"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A ref the recipes may name: a placeholder, a full commit SHA, or a tag that exists.
fn is_pinnable(reference: &str, tags: &[String]) -> bool {
    (reference.starts_with('<') && reference.ends_with('>'))
        || (reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit()))
        || tags.iter().any(|t| t == reference)
}

#[test]
fn readme_recipes_name_no_release_that_does_not_exist() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let tags = tags();
    let mut refs = Vec::new();
    for line in readme.lines() {
        let line = line.split(" #").next().unwrap_or(line).trim();
        if let Some((_, rest)) = line.split_once("leaselint/leaselint@") {
            refs.push(rest.trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("rev:") {
            refs.push(rest.trim().to_string());
        }
    }
    assert!(refs.len() >= 3, "the pre-commit and both Action recipes are found: {refs:?}");
    for reference in refs {
        assert!(is_pinnable(&reference, &tags), "README pins `{reference}`, which is no commit SHA and no tag here");
    }
}
