//! `--format sarif` and `--format github`: the SARIF log validates against the official SARIF
//! 2.1.0 schema (tests/data, see its README) and meets GitHub code scanning's constraints; the
//! workflow commands are escaped as the Actions toolkit does. Golden outputs with paths scrubbed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use common::{json, repo, run_in};
use serde_json::Value;

fn sarif_for(args: &[&str]) -> (Option<i32>, Value) {
    let policies = repo().join("examples/policies");
    let mut all = vec!["--no-config", "--format", "sarif", "--rules-dir", policies.to_str().unwrap()];
    all.extend(args);
    let out = run_in(&repo().join("fixtures/_streams"), &all, None);
    (out.status.code(), json(&out))
}

fn schema_errors(log: &Value) -> Vec<String> {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let mut errors = Vec::new();
    // The schema declares draft-04; draft 7 also checks the `uri-reference` format of file URIs.
    for validator in [jsonschema::draft4::new(&schema).unwrap(), jsonschema::draft7::new(&schema).unwrap()] {
        errors.extend(validator.iter_errors(log).map(|e| format!("{e} at {}", e.instance_path())));
    }
    errors
}

#[test]
fn sarif_validates_against_the_2_1_0_schema_and_github_constraints() {
    let (code, log) = sarif_for(&["helm-stream.yaml", "broken.yaml", "bom-crlf.yaml"]);
    assert_eq!(code, Some(2), "broken.yaml has a parse error");
    let errors = schema_errors(&log);
    assert!(errors.is_empty(), "schema violations:\n{}", errors.join("\n"));

    let run = &log["runs"][0];
    assert_eq!(log["runs"].as_array().unwrap().len(), 1, "one run per file (GitHub rejects several of one tool)");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 17 && rules.len() <= 25_000);
    for r in rules {
        let id = r["id"].as_str().unwrap();
        assert!(!id.is_empty() && id.len() <= 255 && r["name"].as_str().unwrap().len() <= 255, "{id}");
        for d in ["shortDescription", "fullDescription"] {
            let text = r[d]["text"].as_str().unwrap();
            assert!(!text.is_empty() && text.chars().count() <= 1024, "{id} {d} is {} chars", text.chars().count());
        }
        assert!(!r["help"]["text"].as_str().unwrap().is_empty() && r["help"]["markdown"].is_string(), "{id}");
        assert!(r["properties"]["tags"].as_array().unwrap().len() <= 10);
        if id.starts_with("LL") {
            assert!(r["helpUri"].as_str().unwrap().contains("docs/rules.md#"), "{id}");
        }
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 25_000);
    let mut related = 0;
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "ruleIndex points at the result's rule");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let locations = r["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let region = &locations[0]["physicalLocation"]["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[k].as_u64().unwrap() >= 1, "{k} in {r}");
        }
        assert!(
            (region["endLine"].as_u64(), region["endColumn"].as_u64())
                >= (region["startLine"].as_u64(), region["startColumn"].as_u64())
        );
        let uri = locations[0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with("./") && !uri.starts_with('/'), "repository-relative URI: {uri}");
        if let Some(rel) = r["relatedLocations"].as_array() {
            related += 1;
            assert_eq!(rel[0]["id"], 1);
            assert!(r["message"]["text"].as_str().unwrap().contains("](1)"), "the message links the template");
            assert!(rel[0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap().contains("templates/"));
        }
    }
    assert!(related > 0, "Helm # Source: headers become related locations");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap();
    assert!(root.starts_with("file:///") && root.ends_with('/'));
    let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert!(notes.iter().any(|n| n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.yaml"));
}

/// The results and notifications, with the machine-specific root scrubbed, for the golden file.
fn golden_sarif(log: &Value) -> String {
    let run = &log["runs"][0];
    let ids: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let view = serde_json::json!({
        "rules": ids,
        "results": run["results"],
        "invocations": run["invocations"],
    });
    serde_json::to_string_pretty(&view).unwrap()
}

#[test]
fn sarif_and_github_golden_outputs() {
    let (_, log) = sarif_for(&["helm-stream.yaml", "broken.yaml"]);
    insta::assert_snapshot!("sarif_helm_stream", golden_sarif(&log));
    let out = run_in(
        &repo().join("fixtures/_streams"),
        &["--no-config", "--format", "github", "helm-stream.yaml", "broken.yaml"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("github_helm_stream", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn github_commands_escape_messages_and_properties() {
    let tmp = tempfile::tempdir().unwrap();
    // A file name with `,` and `:` and a rule message with `%` and a newline (from the user rule).
    let rule = "code: ORG900\nname: percent\nseverity: info\nsummary: s\nmatch: {kinds: [ConfigMap]}\n\
                assert: [{path: $.data.ratio, equals: \"50%\"}]\nmessage: \"ratio {value}\\nmust be 50%\"\n";
    std::fs::write(tmp.path().join("rule.yaml"), rule).unwrap();
    std::fs::write(
        tmp.path().join("a,b:c.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {ratio: \"10%\"}\n",
    )
    .unwrap();
    let out = run_in(
        tmp.path(),
        &["--no-config", "--format", "github", "--rules-dir", "rule.yaml", "--select", "ORG900", "a,b:c.yaml"],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "::notice file=a%2Cb%3Ac.yaml,line=4,col=15,endLine=4,endColumn=20,title=ORG900 percent::ratio `10%25`%0Amust be 50%25"
    );
    assert_eq!(out.status.code(), Some(0), "info is below the default --fail-on");
}
