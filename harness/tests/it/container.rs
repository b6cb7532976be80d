//! `--target image:cloison-portal:dev`: the reference portal's container image, started through the Docker
//! engine, seeded and probed like the embedded portal, and removed afterwards. Skips with a clear message
//! when no Docker engine answers or the image is not built (`scripts/build-portal-image.sh`, which CI
//! runs before the tests).

use std::time::Duration;

use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::run::{RunArgs, execute};
use cloison_harness::target::TargetSpec;
use testcontainers::bollard::Docker;

const IMAGE: &str = "cloison-portal:dev";

async fn engine_with_image() -> Result<Docker, String> {
    let docker = Docker::connect_with_local_defaults()
        .map_err(|e| format!("no Docker engine client: {e}"))?;
    let docker = tokio::time::timeout(Duration::from_secs(5), docker.negotiate_version())
        .await
        .map_err(|_| "no Docker engine answers within 5 s".to_string())?
        .map_err(|e| format!("no Docker engine answers: {e}"))?;
    docker
        .inspect_image(IMAGE)
        .await
        .map_err(|e| format!("{IMAGE} is not built (scripts/build-portal-image.sh): {e}"))?;
    Ok(docker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_image_is_deployed_probed_and_removed() {
    let docker = match engine_with_image().await {
        Ok(docker) => docker,
        Err(why) => {
            println!("SKIPPED: the container path needs a Docker engine and {IMAGE}: {why}");
            return;
        }
    };
    let count = || async {
        docker
            .list_containers(
                None::<testcontainers::bollard::query_parameters::ListContainersOptions>,
            )
            .await
            .map(|c| {
                c.iter()
                    .filter(|c| c.image.as_deref() == Some(IMAGE))
                    .count()
            })
            .unwrap_or(0)
    };
    let before = count().await;
    let args = RunArgs {
        target: TargetSpec::Image {
            name: "cloison-portal".into(),
            tag: "dev".into(),
        },
        flaws: vec!["document-idor".into()],
        cases: 8,
        ..RunArgs::default()
    };
    let result = execute(&args).await.expect("the container run completes");
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", result.report.summary());
    assert!(
        result
            .report
            .root_causes
            .iter()
            .any(|f| f.family == cloison_suites::Family::DirectRead
                && f.endpoint == "resources.document.download")
    );
    assert_eq!(
        count().await,
        before,
        "the container is removed after the run"
    );
}
