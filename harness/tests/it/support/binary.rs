//! Running the `cloison` binary against a mock with `--target url:`, and reading its exit code and JSON
//! report.

use std::net::SocketAddr;
use std::process::Command;

use cloison_harness::cli::EXIT_OK;
use serde_json::Value;

use super::files::ProfileFiles;

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

    /// The run exited with `code`.
    pub fn assert_exit(&self, code: u8) {
        assert_eq!(self.exit, i32::from(code), "{}", self.summary());
    }

    /// Exit 0, outcome clean, and every control run passed.
    pub fn assert_clean(&self) {
        self.assert_exit(EXIT_OK);
        assert_eq!(self.report["outcome"], "clean");
        let coverage = &self.report["coverage"];
        assert_eq!(coverage["controls_passed"], coverage["controls_run"]);
    }

    /// The first root cause `wanted` accepts; the test fails, saying `what` was missing, if there is none.
    pub fn cause(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> &Value {
        self.causes()
            .into_iter()
            .find(|c| wanted(c))
            .unwrap_or_else(|| panic!("{what}: {}", self.summary()))
    }

    /// Every root cause is on `endpoint`.
    pub fn assert_only_on(&self, endpoint: &str, what: &str) {
        assert!(
            self.causes().iter().all(|c| c["endpoint"] == endpoint),
            "{what}: {}",
            self.summary()
        );
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

/// Run `cloison run --target url:http://ADDR` with the profile, in a blocking task. The report is
/// `Value::Null` if none was written.
pub(crate) async fn run_binary(addr: SocketAddr, spec: RunSpec<'_>) -> BinaryRun {
    let files = ProfileFiles::write(spec.name, spec.profile, spec.secrets);
    let report_path = files.path("report.json");
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
        files.profile.display().to_string(),
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
