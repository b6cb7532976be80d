//! Running one case: start its target (the embedded portal, or a platform's variant on a free port with its
//! profile written to a temporary directory), run cloison at default flags, and read the report's root
//! causes as [`Detection`]s.

use std::path::PathBuf;
use std::time::Instant;

use cloison_suites::score::Detection;

use super::cases::{Case, CaseTarget};
use crate::exit::CliError;
use crate::report::{Outcome, Report};
use crate::run::{RunArgs, execute};
use crate::target::TargetSpec;

/// What a case's run gave.
#[derive(Debug, Clone)]
pub struct CaseRun {
    /// The report's root causes, as detections.
    pub detections: Vec<Detection>,
    /// The run's outcome.
    pub outcome: Outcome,
    /// Its exit code.
    pub exit: u8,
    /// Probes of the probe phase.
    pub probes: usize,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// The detections of a report: one per root cause, every tier. The endpoint key names the operation; the
/// reproducer's request is not its method and path (an escalation at sign-up is reproduced by a read).
pub fn detections(report: &Report) -> Vec<Detection> {
    report
        .root_causes
        .iter()
        .map(|cause| Detection {
            family: Some(cause.family.name().to_string()),
            endpoint: Some(cause.endpoint.clone()),
            method: None,
            path: None,
            role: Some(cause.role.clone()),
            relation: Some(cause.relation.clone()),
            rule: Some(cause.family.name().to_string()),
            probes: Some(cause.first_detection.probes),
            seconds: Some(cause.first_detection.seconds),
        })
        .collect()
}

/// Probes executed over every family.
fn probes_sent(report: &Report) -> usize {
    report.coverage.families.iter().map(|f| f.probes).sum()
}

/// A directory of this process for a case's profile, removed when dropped.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    /// `TMP/cloison-bench-PID-NAME`, created afresh.
    pub fn create(name: &str) -> std::io::Result<Self> {
        let safe: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let dir = std::env::temp_dir().join(format!("cloison-bench-{}-{safe}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    /// Write `NAME.toml` (the profile) and an empty `NAME.secrets.toml` beside it.
    pub fn write_profile(&self, name: &str, profile: &str) -> std::io::Result<PathBuf> {
        let path = self.0.join(format!("{name}.toml"));
        std::fs::write(&path, profile)?;
        std::fs::write(self.0.join(format!("{name}.secrets.toml")), "")?;
        Ok(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn failed(what: String) -> impl FnOnce(std::io::Error) -> CliError {
    move |e| CliError::Failed(anyhow::Error::new(e).context(what))
}

/// Run `case` at default flags.
pub async fn run_case(case: &Case) -> Result<CaseRun, CliError> {
    let started = Instant::now();
    let (result, probes) = match &case.target {
        CaseTarget::Portal {
            flaw,
            realistic,
            seed,
        } => {
            let args = RunArgs {
                target: if *realistic {
                    TargetSpec::EmbeddedRealistic
                } else {
                    TargetSpec::Embedded
                },
                tenants: cloison_generators::TenantSelection::Count(2),
                seed: *seed,
                flaws: flaw.iter().map(|f| f.name().to_string()).collect(),
                quiet: true,
                ..RunArgs::default()
            };
            let run = execute(&args)
                .await
                .map_err(|e| e.context(format!("case {}", case.name)))?;
            let probes = probes_sent(&run.report);
            (run, probes)
        }
        CaseTarget::Platform {
            platform,
            variant,
            world,
        } => {
            let router = platform.router(variant).ok_or_else(|| {
                CliError::usage(format!("case {}: no variant {variant:?}", case.name))
            })?;
            let served = cloison_fixtures::corpus::kit::serve(router)
                .await
                .map_err(failed(format!("case {}: serving the platform", case.name)))?;
            let dir = ScratchDir::create(&case.name)
                .map_err(failed(format!("case {}: a temporary directory", case.name)))?;
            let profile = dir
                .write_profile(platform.name, platform.profile)
                .map_err(failed(format!("case {}: writing its profile", case.name)))?;
            let url = served.url().parse().map_err(|e| {
                CliError::usage(format!("case {}: bad URL {}: {e}", case.name, served.url()))
            })?;
            let args = RunArgs {
                target: TargetSpec::Url(url),
                profile: Some(profile),
                seed: world.seed,
                tenants: cloison_generators::TenantSelection::Count(world.tenants),
                cases: world.cases,
                quiet: true,
                ..RunArgs::default()
            };
            let run = execute(&args)
                .await
                .map_err(|e| e.context(format!("case {}", case.name)))?;
            drop(served);
            let probes = probes_sent(&run.report);
            (run, probes)
        }
    };
    Ok(CaseRun {
        detections: detections(&result.report),
        outcome: result.report.outcome,
        exit: result.exit,
        probes,
        seconds: started.elapsed().as_secs_f64(),
    })
}
