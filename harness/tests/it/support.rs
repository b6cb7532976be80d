//! What the mock platforms share: serve a router on a free port, write a profile and its secrets, run the
//! `cloison` binary against it with `--target url:`, and read its exit code and JSON report.

use std::net::SocketAddr;
use std::process::Command;

use axum::Router;
use serde_json::Value;

/// A router served on 127.0.0.1 on a free port, until the handle is aborted or dropped with the runtime.
pub(crate) async fn serve(router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, handle)
}

/// A finished `cloison run`: exit code, JSON report and standard error.
pub(crate) struct BinaryRun {
    pub exit: i32,
    pub report: Value,
    pub stderr: String,
}

impl BinaryRun {
    /// What to print when an assertion fails.
    pub fn summary(&self) -> String {
        format!(
            "exit {}, outcome {}, reasons {}, root causes {}, failures {}\n{}",
            self.exit,
            self.report["outcome"],
            self.report["reasons"],
            self.report["root_causes"],
            self.report["failures"],
            self.stderr
        )
    }

    /// The root causes of the report.
    pub fn causes(&self) -> Vec<&Value> {
        self.report["root_causes"]
            .as_array()
            .map(|c| c.iter().collect())
            .unwrap_or_default()
    }
}

/// Settings of one run of the binary.
pub(crate) struct RunSpec<'a> {
    /// The profile's text.
    pub profile: &'a str,
    /// The profile's file name; its secrets file is `NAME.secrets.toml` beside it.
    pub name: &'a str,
    /// The secrets file's text.
    pub secrets: &'a str,
    pub seed: u64,
    pub tenants: usize,
    pub cases: u64,
}

/// Run `cloison run --target url:http://ADDR` with the profile, in a blocking task.
pub(crate) async fn run_binary(addr: SocketAddr, spec: RunSpec<'_>) -> BinaryRun {
    let dir = tempfile::tempdir().expect("tempdir");
    let profile_path = dir.path().join(format!("{}.toml", spec.name));
    std::fs::write(&profile_path, spec.profile).expect("write profile");
    std::fs::write(
        dir.path().join(format!("{}.secrets.toml", spec.name)),
        spec.secrets,
    )
    .expect("write secrets");
    let report_path = dir.path().join("report.json");
    let args: Vec<String> = vec![
        "run".into(),
        "--quiet".into(),
        "--no-shrink".into(),
        "--tenants".into(),
        spec.tenants.to_string(),
        "--cases".into(),
        spec.cases.to_string(),
        "--seed".into(),
        spec.seed.to_string(),
        "--target".into(),
        format!("url:http://{addr}"),
        "--profile".into(),
        profile_path.display().to_string(),
        "--json".into(),
        report_path.display().to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_cloison"))
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .expect("cloison runs")
    })
    .await
    .expect("the run finishes");
    let report = std::fs::read(&report_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    BinaryRun {
        exit: output.status.code().unwrap_or(-1),
        report,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Decode standard base64 (padding optional); `None` for anything else. For mocks that read HTTP Basic.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = text.trim_end_matches('=').bytes().collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Some(out)
}
