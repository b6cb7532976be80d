//! Containers: `--target image:cloison-portal:dev` deployed, probed and removed; the containers of a run
//! that was killed before its teardown removed by the next `image:` run.
//!
//! These tests need a Docker engine. Without one they skip and say so; with `CLOISON_REQUIRE_DOCKER=1` (set
//! by `.ci/run` when `docker info` answers) they fail instead, so that a skip never passes for a success in
//! CI. The portal image is built by CI's own step (`scripts/build-portal-image.sh`), never by a test; the
//! orphan test builds a metadata-only `FROM scratch` image of its own (no layer, nothing pulled).

use std::collections::HashMap;
use std::time::Duration;

use cloison_harness::cli::EXIT_FINDINGS;
use cloison_harness::run::{RunArgs, execute};
use cloison_harness::target::{self, LABEL_PID, Owner, TargetSpec};
use futures_util::StreamExt as _;
use testcontainers::bollard::Docker;
use testcontainers::bollard::query_parameters::{
    BuildImageOptions, ListContainersOptions, RemoveContainerOptions, RemoveImageOptions,
};

const IMAGE: &str = "cloison-portal:dev";
/// Set to `1` to make the container tests fail, instead of skipping, when no engine or image is there.
const REQUIRE: &str = "CLOISON_REQUIRE_DOCKER";

/// Skip (print why, return None) or, under `CLOISON_REQUIRE_DOCKER=1`, fail.
fn unavailable<T>(test: &str, why: &str) -> Option<T> {
    if std::env::var(REQUIRE).is_ok_and(|v| v == "1") {
        panic!("{test}: {REQUIRE}=1 but {why}");
    }
    println!("SKIPPED {test}: {why} (set {REQUIRE}=1 to make this a failure)");
    None
}

/// A Docker engine that answers a ping, with the API version negotiated.
async fn engine(test: &str) -> Option<Docker> {
    let answer = async {
        let docker = Docker::connect_with_local_defaults()
            .map_err(|e| format!("no Docker engine client: {e}"))?;
        let docker = tokio::time::timeout(Duration::from_secs(5), docker.negotiate_version())
            .await
            .map_err(|_| "no Docker engine answers within 5 s".to_string())?
            .map_err(|e| format!("no Docker engine answers: {e}"))?;
        docker
            .ping()
            .await
            .map_err(|e| format!("the Docker engine does not answer a ping: {e}"))?;
        Ok::<_, String>(docker)
    };
    match answer.await {
        Ok(docker) => Some(docker),
        Err(why) => unavailable(test, &why),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_image_is_deployed_labelled_probed_and_removed() {
    let test = "the_portal_image_is_deployed_labelled_probed_and_removed";
    let Some(docker) = engine(test).await else {
        return;
    };
    if let Err(e) = docker.inspect_image(IMAGE).await {
        return unavailable(
            test,
            &format!("{IMAGE} is not built (scripts/build-portal-image.sh): {e}"),
        )
        .unwrap_or(());
    }
    let ours = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![format!("{LABEL_PID}={}", std::process::id())],
        )])),
        ..Default::default()
    };
    let args = RunArgs {
        target: TargetSpec::Image {
            name: "cloison-portal".into(),
            tag: "dev".into(),
        },
        flaws: vec!["document-idor".into()],
        cases: 8,
        ..RunArgs::default()
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    let run = async {
        let result = execute(&args).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };
    // While the run goes on, its container carries the labels of this process.
    let watch = async {
        let mut labelled = None;
        while !done.load(std::sync::atomic::Ordering::SeqCst) && labelled.is_none() {
            labelled = docker
                .list_containers(Some(ours.clone()))
                .await
                .ok()
                .and_then(|c| c.into_iter().next());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        labelled
    };
    let (result, labelled) = tokio::join!(run, watch);
    let result = result.expect("the container run completes");
    let labels = labelled
        .and_then(|c| c.labels)
        .expect("the run's container was seen, labelled with this process");
    assert_eq!(Owner::from_labels(&labels), Some(Owner::current()));
    assert!(labels.contains_key(target::LABEL_RUN));
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", result.report.summary());
    assert!(
        result
            .report
            .root_causes
            .iter()
            .any(|f| f.family == cloison_suites::Family::DirectRead
                && f.endpoint == "resources.document.download")
    );
    let left = docker
        .list_containers(Some(ours))
        .await
        .expect("list containers");
    assert!(left.is_empty(), "the container is removed after the run");
}

/// A tar archive holding one file (ustar), for a build context.
fn tar_of(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..108].copy_from_slice(b"0000644\0");
    header[108..116].copy_from_slice(b"0000000\0");
    header[116..124].copy_from_slice(b"0000000\0");
    header[124..136].copy_from_slice(format!("{:011o}\0", content.len()).as_bytes());
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = header.to_vec();
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

/// A metadata-only image (`FROM scratch`, no layer): containers can be created from it, none can start.
async fn scratch_image(docker: &Docker, tag: &str) -> Result<(), String> {
    let dockerfile = "FROM scratch\nCMD [\"/nothing\"]\n";
    let context = tar_of("Dockerfile", dockerfile.as_bytes());
    let options = BuildImageOptions {
        t: Some(tag.to_string()),
        rm: true,
        ..Default::default()
    };
    let mut stream = docker.build_image(
        options,
        None,
        Some(testcontainers::bollard::body_full(context.into())),
    );
    while let Some(step) = stream.next().await {
        let step = step.map_err(|e| format!("building {tag}: {e}"))?;
        if let Some(error) = step.error_detail.and_then(|d| d.message) {
            return Err(format!("building {tag}: {error}"));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_run_removes_the_containers_a_killed_run_left() {
    let test = "a_later_run_removes_the_containers_a_killed_run_left";
    let Some(docker) = engine(test).await else {
        return;
    };
    let tag = format!("cloison-test-orphans:{}", std::process::id());
    scratch_image(&docker, &tag)
        .await
        .expect("the scratch image");
    let me = Owner::current();
    // A process that has exited: the run it stood for was killed before its teardown.
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn true");
    child.wait().expect("wait");
    let killed = Owner {
        pid: child.id(),
        start: Some("1".into()),
        ..me.clone()
    };
    let elsewhere = Owner {
        host: "another-host.invalid".into(),
        ..killed.clone()
    };
    let create = |owner: &Owner, run: &str| {
        let body = testcontainers::bollard::models::ContainerCreateBody {
            image: Some(tag.clone()),
            labels: Some(owner.labels(run)),
            ..Default::default()
        };
        let docker = docker.clone();
        async move {
            docker
                .create_container(None, body)
                .await
                .expect("create a container")
                .id
        }
    };
    let orphan = create(&killed, "killed-run").await;
    let live = create(&me, "live-run").await;
    let remote = create(&elsewhere, "remote-run").await;

    // The next image run (here one whose image cannot start: its deployment fails) removes the orphan first.
    let spec = TargetSpec::Image {
        name: "cloison-test-orphans".into(),
        tag: std::process::id().to_string(),
    };
    let deployed = target::deploy(&spec, &[], false).await;
    assert!(
        matches!(&deployed, Err(target::DeployError::Failed(m)) if m.contains("did not start")),
        "the scratch image cannot start"
    );
    let exists = |id: String| {
        let docker = docker.clone();
        async move { docker.inspect_container(&id, None).await.is_ok() }
    };
    let (orphan_left, live_left, remote_left) = (
        exists(orphan.clone()).await,
        exists(live.clone()).await,
        exists(remote.clone()).await,
    );
    // The failed deployment's own container is removed before deploy returns.
    let of_image = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("ancestor".to_string(), vec![tag.clone()])])),
            ..Default::default()
        }))
        .await
        .expect("list")
        .len();
    for id in [&orphan, &live, &remote] {
        let options = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        let _ = docker.remove_container(id, Some(options)).await;
    }
    let _ = docker
        .remove_image(&tag, None::<RemoveImageOptions>, None)
        .await;
    assert!(!orphan_left, "the killed run's container is removed");
    assert!(live_left, "a live run's container is left alone");
    assert!(
        remote_left,
        "a container of another host's run is left alone"
    );
    assert_eq!(
        of_image, 2,
        "only the live and the remote containers are left"
    );
}
