//! The server as its own process: started with a generated cluster, asked over TLS with the CA
//! it wrote, then stopped by its process id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use leaselint_test_apiserver::client::Client;

#[test]
fn the_binary_serves_a_generated_cluster_until_killed() {
    let dir = tempfile_dir();
    let log = dir.join("requests.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leaselint-test-apiserver"))
        .args(["--dir", dir.to_str().unwrap(), "--nodes", "5", "--pods", "300", "--deployments", "10"])
        .args(["--statefulsets", "2", "--per-pod-leases", "20", "--namespaces", "3", "--max-page", "100"])
        .args(["--request-log", log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let result = std::panic::catch_unwind(|| {
        assert_eq!(fields.first(), Some(&"ready"), "{line}");
        let addr = fields[1].trim_start_matches("https://").parse().unwrap();
        let kubeconfig = std::fs::read_to_string(fields[2]).unwrap();
        assert!(kubeconfig.contains("certificate-authority-data:") && kubeconfig.contains(fields[1]));
        let ca = std::fs::read_to_string(dir.join("ca.crt")).unwrap();
        let client = Client::from_pem(addr, &ca, Some("leaselint-test-token".to_string())).unwrap();
        let page = client.get("/api/v1/pods?limit=500").unwrap().json();
        assert_eq!(page["items"].as_array().unwrap().len(), 100, "pages of at most --max-page");
        let leases = client.get("/apis/coordination.k8s.io/v1/leases").unwrap().json();
        assert_eq!(leases["items"].as_array().unwrap().len(), 5 + 1 + 20);
        // The request log is flushed every 200 ms.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) < 2 && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.lines().next().unwrap().contains("\"path\":\"/api/v1/pods\""), "{text}");
    });
    Command::new("kill").arg(pid.to_string()).status().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("leaselint-test-apiserver-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
