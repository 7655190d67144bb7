//! The `portolan` binary as CI jobs and users run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn portolan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portolan"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run portolan")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn example_catalog_is_clean() {
    let out = portolan(&["validate", "catalog/example"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.ends_with("92 entities in 12 files: 0 errors, 0 warnings\n"), "{text}");
}

#[test]
fn a_template_validates_with_its_skeleton_next_to_it() {
    for template in ["templates/go-service/template.yaml", "templates/rust-service/template.yaml"] {
        let out = portolan(&["validate", "--no-dangling", template]);
        assert_eq!(out.status.code(), Some(0), "{template}: {}", stdout(&out));
        assert!(stdout(&out).contains("1 entities in 1 files: 0 errors"), "{}", stdout(&out));
    }
    let out = portolan(&["validate", "templates"]);
    assert!(stdout(&out).contains("2 catalog file(s) inside template skeletons were not checked"), "{}", stdout(&out));
}

#[test]
fn errors_exit_1_with_compiler_style_lines() {
    let out = portolan(&["validate", "--no-dangling", "../shared/fixtures/realworld/evoila__tap-workshop/catalog/component.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out).replace("../shared/fixtures/realworld/", "");
    insta::assert_snapshot!(text);
}

#[test]
fn json_lists_entities_and_diagnostics() {
    let out = portolan(&["validate", "--format", "json", "../shared/fixtures/realworld/b4mad__racing-manifests/catalog/systems/pitwall.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let diag = &doc["files"][0]["diagnostics"][0];
    assert_eq!(diag["severity"], "error");
    assert_eq!(diag["line"], 24);
    assert_eq!(diag["column"], 1);
    assert!(diag["message"].as_str().unwrap_or_default().contains("duplicate key"));
    assert_eq!(doc["summary"]["errors"], 1);

    let out = portolan(&["validate", "--format", "json", "catalog/example"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let first = &doc["files"][0]["entities"][0];
    assert_eq!(first["ref"], "location:default/spokewise-example");
    assert_eq!(first["kind"], "Location");
}

#[test]
fn usage_and_io_failures_exit_2() {
    assert_eq!(portolan(&["validate", "no/such/path.yaml"]).status.code(), Some(2));
    assert_eq!(portolan(&["validate"]).status.code(), Some(2));
    assert_eq!(portolan(&["validate", "--format", "xml", "catalog/example"]).status.code(), Some(2));
    let empty = tempfile::tempdir().expect("tempdir");
    let out = portolan(&["validate", empty.path().to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_realworld_folder_validates_without_a_crash() {
    let root = repo().join("../shared/fixtures/realworld");
    let mut folders: Vec<_> = std::fs::read_dir(&root).expect("fixtures").filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    folders.sort();
    for folder in folders {
        let out = Command::new(env!("CARGO_BIN_EXE_portolan")).arg("validate").arg(&folder).output().expect("run");
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1 | 2)), "{}: {code:?} {}", folder.display(), String::from_utf8_lossy(&out.stderr));
        if code == Some(2) {
            assert!(String::from_utf8_lossy(&out.stderr).contains("no catalog-info"), "{}", folder.display());
        }
    }
}

/// Kills the server when the test ends, whatever happens.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(200)).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn serve_answers_http_with_the_example_catalog() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let data = tempfile::tempdir().expect("data dir");
    let child = Command::new(env!("CARGO_BIN_EXE_portolan"))
        .args(["serve", "--listen", &addr.to_string()])
        .env("PORTOLAN_DATA_DIR", data.path())
        .current_dir(repo())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start portolan serve");
    let _server = Running(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let health = loop {
        if let Some(r) = http_get(addr, "/healthz") {
            break r;
        }
        assert!(std::time::Instant::now() < deadline, "portolan serve did not answer on {addr}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let home = http_get(addr, "/").expect("home page");
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    assert!(home.contains("96 entities"), "the example catalog and the golden-path templates (and their generated Locations) are served: {home}");
    let api = http_get(addr, "/api/catalog/entities/by-name/api/default/trips-api").expect("api");
    assert!(api.starts_with("HTTP/1.1 200"), "{api}");
    assert!(data.path().join("portolan.db").exists(), "SQLite file under the data dir");
}
