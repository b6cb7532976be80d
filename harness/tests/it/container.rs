//! Containers: the reference portal deployed through its profile's `[deploy]` (`--target deploy` and
//! `--target image:`), probed and removed; a service on the run's private network reached by its name; a
//! Ctrl-C during deployment; the containers and networks of a run that was killed before its teardown
//! removed by the next container run; `[deploy]` usage errors (these need no engine).
//!
//! These tests need a Docker engine. Without one they skip and say so; with `CLOISON_REQUIRE_DOCKER=1` (set
//! by `.ci/run` when `docker info` answers) they fail instead, so that a skip never passes for a success in
//! CI. The portal image is built by CI's own step (`scripts/build-portal-image.sh`), never by a test; the
//! orphan test builds a metadata-only `FROM scratch` image of its own (no layer, nothing pulled).

use std::collections::HashMap;
use std::time::Duration;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use cloison_harness::cli::{EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use cloison_harness::profile::{Profile, REFERENCE_PORTAL};
use cloison_harness::report::Outcome;
use cloison_harness::run::{RunArgs, execute};
use cloison_harness::target::{
    self, DeployError, DeployRequest, LABEL_PID, LABEL_RUN, Owner, TargetSpec,
};
use futures_util::StreamExt as _;
use serde_json::Map;
use testcontainers::bollard::Docker;
use testcontainers::bollard::query_parameters::{
    BuildImageOptions, ListContainersOptions, ListNetworksOptions, RemoveContainerOptions,
    RemoveImageOptions,
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

/// The engine, and the portal image built: or a skip (a failure under `CLOISON_REQUIRE_DOCKER=1`).
async fn engine_with_portal(test: &str) -> Option<Docker> {
    let docker = engine(test).await?;
    if let Err(e) = docker.inspect_image(IMAGE).await {
        return unavailable(
            test,
            &format!("{IMAGE} is not built (scripts/build-portal-image.sh): {e}"),
        );
    }
    Some(docker)
}

/// The containers and networks labelled `label` (`KEY=VALUE`), as identifiers.
async fn labelled(docker: &Docker, label: &str) -> (Vec<String>, Vec<String>) {
    let filters = Some(HashMap::from([(
        "label".to_string(),
        vec![label.to_string()],
    )]));
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: filters.clone(),
            ..Default::default()
        }))
        .await
        .expect("list containers")
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    let networks = docker
        .list_networks(Some(ListNetworksOptions { filters }))
        .await
        .expect("list networks")
        .into_iter()
        .filter_map(|n| n.id)
        .collect();
    (containers, networks)
}

/// Everything this test process started: containers and networks labelled with its process id.
fn this_process() -> String {
    format!("{LABEL_PID}={}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_portal_deployed_through_its_profile_shows_its_flaw_and_is_clean_without() {
    let test =
        "the_reference_portal_deployed_through_its_profile_shows_its_flaw_and_is_clean_without";
    let Some(docker) = engine_with_portal(test).await else {
        return;
    };
    let ours = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([("label".to_string(), vec![this_process()])])),
        ..Default::default()
    };
    // The reference profile (the default) says how to run the portal: --target deploy needs nothing else,
    // and --flaw reaches the container through its {{options.flaws}}.
    let args = RunArgs {
        target: TargetSpec::Deploy,
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
    let (result, seen) = tokio::join!(run, watch);
    let result = result.expect("the container run completes");
    let labels = seen
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
    assert!(
        result.report.deployment.contains(IMAGE),
        "{}",
        result.report.deployment
    );
    assert_eq!(
        labelled(&docker, &this_process()).await,
        (vec![], vec![]),
        "the container and the run's network are removed after the run"
    );

    // Without --flaw, the same deployment (here named by its image: the profile's [deploy] with it) is clean.
    let clean = RunArgs {
        target: TargetSpec::Image {
            name: "cloison-portal".into(),
            tag: "dev".into(),
        },
        ..RunArgs::default()
    };
    let result = execute(&clean).await.expect("the clean run completes");
    assert_eq!(
        result.report.outcome,
        Outcome::Clean,
        "{}",
        result.report.summary()
    );
    assert_eq!(result.exit, EXIT_OK);
    assert_eq!(labelled(&docker, &this_process()).await, (vec![], vec![]));
}

/// `--keep-target` with containers: after the run, the deployment stays up at the URL the notes print,
/// with this run's labels, until it is torn down (on Ctrl-C or SIGTERM, as for the embedded portal);
/// then its containers and network are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_target_keeps_the_containers_up_until_they_are_torn_down() {
    let test = "keep_target_keeps_the_containers_up_until_they_are_torn_down";
    let Some(docker) = engine_with_portal(test).await else {
        return;
    };
    let args = RunArgs {
        target: TargetSpec::Deploy,
        flaws: vec!["case-idor".into()],
        cases: 4,
        keep_target: true,
        ..RunArgs::default()
    };
    let result = execute(&args).await.expect("the run completes");
    assert_eq!(result.exit, EXIT_FINDINGS, "{}", result.report.summary());
    let kept = result.kept.expect("the deployment is kept");
    assert!(
        kept.notes.contains("--keep-target: the deployment (")
            && kept.notes.contains("removes its containers and network"),
        "{}",
        kept.notes
    );
    let url = kept
        .notes
        .split("stays up at ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the URL is printed")
        .to_string();
    let health = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client")
        .get(format!("{url}/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(health.ok(), Some(200), "the portal still answers at {url}");
    let (containers, networks) = labelled(&docker, &this_process()).await;
    assert_eq!(
        (containers.len(), networks.len()),
        (1, 1),
        "the portal and the run's network are still there"
    );
    kept.deployed.teardown().await;
    assert_eq!(
        labelled(&docker, &this_process()).await,
        (vec![], vec![]),
        "removed once torn down"
    );
    assert!(
        cloison_harness::http::client_builder()
            .build()
            .expect("an HTTP client")
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_err()
    );
}

/// The reference profile with its `[deploy]` table replaced by `deploy`.
fn with_deploy(deploy: &str) -> String {
    let start = REFERENCE_PORTAL
        .find("[deploy]\n")
        .expect("the reference profile has a [deploy] table");
    // The last table of the file.
    let end = REFERENCE_PORTAL.len();
    format!(
        "{}{deploy}{}",
        &REFERENCE_PORTAL[..start],
        &REFERENCE_PORTAL[end..]
    )
}

/// An application whose health depends on a service (the portal's `PORTAL_HEALTH_REQUIRES`): healthy only
/// if `backend:8080` answers on the run's network, where the service is named `service`.
fn app_needing_backend(service: &str, timeout: u64) -> Profile {
    let text = with_deploy(&format!(
        r#"[deploy]
image = "{IMAGE}"
port = 8080
environment = {{ PORTAL_OPERATOR_TOKEN = "{{{{secrets.operator_token}}}}", PORTAL_HEALTH_REQUIRES = "backend:8080" }}
health = {{ path = "/healthz", timeout = {timeout} }}

[[deploy.services]]
name = "{service}"
image = "{IMAGE}"
port = 8080
environment = {{ PORTAL_OPERATOR_TOKEN = "{{{{secrets.backend_token}}}}" }}
health = {{ path = "/healthz", timeout = 30 }}
"#
    ));
    Profile::parse(std::path::Path::new("backend.toml"), &text, None).expect("a valid profile")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_is_reached_by_its_name_on_the_runs_network_and_everything_is_removed() {
    let test = "a_service_is_reached_by_its_name_on_the_runs_network_and_everything_is_removed";
    let Some(docker) = engine_with_portal(test).await else {
        return;
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    let secrets = Map::new();
    let profile = app_needing_backend("backend", 30);
    let request = DeployRequest {
        profile: &profile,
        secrets: &secrets,
        flaws: &[],
        allow_remote: false,
        interrupt: &interrupt,
    };
    let deployed = target::deploy(&TargetSpec::Deploy, &request)
        .await
        .expect("the application becomes healthy: it reaches its service by name");
    // Both secrets were generated for the run, and the application's one is what the profile sends.
    for name in ["operator_token", "backend_token"] {
        assert!(
            deployed
                .secrets
                .get(name)
                .and_then(|v| v.as_str())
                .is_some_and(|v| v.len() >= 32),
            "{name} generated: {:?}",
            deployed.secrets
        );
    }
    let health = cloison_harness::http::client_builder()
        .build()
        .expect("an HTTP client")
        .get(format!("{}/healthz", deployed.base_url))
        .send()
        .await
        .expect("the application answers");
    assert_eq!(health.status().as_u16(), 200);
    // Two containers and one network, all of one run, the containers attached to that network.
    let (containers, networks) = labelled(&docker, &this_process()).await;
    assert_eq!(
        (containers.len(), networks.len()),
        (2, 1),
        "{containers:?} {networks:?}"
    );
    let network = docker
        .inspect_network(&networks[0], None)
        .await
        .expect("the run's network");
    let run = network
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_RUN))
        .expect("the network names its run")
        .clone();
    let attached = network.containers.unwrap_or_default();
    for id in &containers {
        assert!(attached.contains_key(id), "{id} is on the run's network");
    }
    let (of_run, _) = labelled(&docker, &format!("{LABEL_RUN}={run}")).await;
    assert_eq!(of_run.len(), 2, "both containers carry the run's label");
    deployed.teardown().await;
    assert_eq!(
        labelled(&docker, &this_process()).await,
        (vec![], vec![]),
        "the containers and the network are removed at teardown"
    );

    // The same application with its service under another name never becomes healthy: the name is what
    // it is reached by. The deployment fails, and removes what it started before returning.
    let misnamed = app_needing_backend("elsewhere", 4);
    let request = DeployRequest {
        profile: &misnamed,
        ..request
    };
    let err = target::deploy(&TargetSpec::Deploy, &request)
        .await
        .expect_err("the application cannot reach `backend`");
    assert!(
        matches!(&err, DeployError::Failed(m) if m.contains("not healthy within 4 s") && m.contains("503")),
        "{err}"
    );
    assert_eq!(labelled(&docker, &this_process()).await, (vec![], vec![]));
}

/// Ctrl-C while the containers start: the run exits 130 and removes its containers and its network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_deploying_removes_the_services_and_the_network() {
    let test = "ctrl_c_while_deploying_removes_the_services_and_the_network";
    let Some(docker) = engine_with_portal(test).await else {
        return;
    };
    // The application waits for a service that is not there: it stays unhealthy until the signal.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let text = with_deploy(&format!(
        r#"[deploy]
image = "{IMAGE}"
port = 8080
environment = {{ PORTAL_OPERATOR_TOKEN = "{{{{secrets.operator_token}}}}", PORTAL_HEALTH_REQUIRES = "nowhere:8080" }}
health = {{ path = "/healthz", timeout = 120 }}

[[deploy.services]]
name = "backend"
image = "{IMAGE}"
environment = {{ PORTAL_OPERATOR_TOKEN = "{{{{secrets.backend_token}}}}" }}
"#
    ));
    let profile = dir.path().join("waiting.toml");
    std::fs::write(&profile, text).expect("write the profile");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["run", "--quiet", "--target", "deploy", "--profile"])
        .arg(&profile)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run cloison");
    let label = format!("{LABEL_PID}={}", child.id());
    // Both containers and the network exist: the deployment is under way.
    let started = std::time::Instant::now();
    loop {
        let (containers, networks) = labelled(&docker, &label).await;
        if containers.len() == 2 && networks.len() == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run did not start its containers: {containers:?} {networks:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("the run ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(i32::from(EXIT_INTERRUPTED)),
        "{stderr}"
    );
    assert_eq!(
        labelled(&docker, &label).await,
        (vec![], vec![]),
        "the interrupted run removed its containers and its network: {stderr}"
    );
}

/// `[deploy]` mistakes of use, refused before any engine is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_targets_need_a_deploy_table_and_a_flaw_needs_a_profile_that_reads_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let without = dir.path().join("without.toml");
    std::fs::write(&without, with_deploy("")).expect("write");
    let no_flaws = dir.path().join("no-flaws.toml");
    std::fs::write(
        &no_flaws,
        with_deploy(
            "[deploy]\nimage = \"app:1\"\nport = 80\nenvironment = { TOKEN = \"{{secrets.operator_token}}\" }",
        ),
    )
    .expect("write");
    let check = |args: &[&str], profile: &std::path::Path, says: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cloison"))
            .args(["run", "--quiet", "--profile"])
            .arg(profile)
            .args(args)
            .output()
            .expect("run cloison");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(i32::from(EXIT_USAGE)),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    };
    check(&["--target", "deploy"], &without, "has no [deploy] table");
    check(
        &["--target", "image:app:2"],
        &without,
        "has no [deploy] table",
    );
    check(
        &["--target", "deploy", "--flaw", "case-idor"],
        &no_flaws,
        "does not read {{options.flaws}}",
    );
    check(
        &["--target", "url:http://127.0.0.1:9", "--flaw", "case-idor"],
        &no_flaws,
        "--flaw applies",
    );
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
    let network = |owner: &Owner, run: &str| {
        let body = testcontainers::bollard::models::NetworkCreateRequest {
            name: format!("cloison-test-{run}-{}", std::process::id()),
            labels: Some(owner.labels(run)),
            ..Default::default()
        };
        let docker = docker.clone();
        async move {
            docker
                .create_network(body)
                .await
                .expect("create a network")
                .id
        }
    };
    let orphan_network = network(&killed, "killed-run").await;
    let live_network = network(&me, "live-run").await;

    // The next container run (here one whose image cannot start: its deployment fails) removes the orphans
    // first. `image:` is the profile's [deploy] with another image.
    let spec = TargetSpec::Image {
        name: "cloison-test-orphans".into(),
        tag: std::process::id().to_string(),
    };
    let profile = Profile::reference_portal().expect("the reference profile");
    let interrupt = Arc::new(AtomicBool::new(false));
    let request = DeployRequest {
        profile: &profile,
        secrets: &Map::new(),
        flaws: &[],
        allow_remote: false,
        interrupt: &interrupt,
    };
    let deployed = target::deploy(&spec, &request).await;
    assert!(
        matches!(&deployed, Err(target::DeployError::Failed(m)) if m.contains("did not start")),
        "the scratch image cannot start: {deployed:?}"
    );
    let network_exists = |id: String| {
        let docker = docker.clone();
        async move { docker.inspect_network(&id, None).await.is_ok() }
    };
    let (orphan_network_left, live_network_left) = (
        network_exists(orphan_network.clone()).await,
        network_exists(live_network.clone()).await,
    );
    for id in [&orphan_network, &live_network] {
        let _ = docker.remove_network(id).await;
    }
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
    assert!(!orphan_network_left, "the killed run's network is removed");
    assert!(live_network_left, "a live run's network is left alone");
}
