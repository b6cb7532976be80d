//! The arguments of `cloison run`, and the command line that replays a run.

use std::path::PathBuf;

use clap::Args;
use clap::builder::TypedValueParser as _;
use cloison_generators::{GenConfig, RunTag, TenantSelection};
use cloison_suites::outcome::FailOn;

use crate::http::shell_quote;
use crate::reporters::OutputArgs;
use crate::target::TargetSpec;

/// Arguments of `cloison run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Target: `embedded` (the reference portal in-process; `embedded:realistic` with its realism knobs on:
    /// few workers, slow password checks, short sessions, overlapping writes that fail), `deploy` (the
    /// containers of the profile's [deploy]), `image:NAME[:TAG]` (the profile's [deploy] with this
    /// application image), or `url:URL` (an existing deployment; a non-loopback host needs --allow-remote).
    #[arg(long, default_value = "embedded", value_parser = parse_target)]
    pub target: TargetSpec,
    /// Target profile (TOML); default: the reference portal's, embedded.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// The platform's OpenAPI 3.x document (JSON file or http(s) URL); overrides the profile's `openapi`.
    /// Every operation of it is then probed generically and reported in `coverage.operations`.
    #[arg(long, value_name = "FILE|URL")]
    pub openapi: Option<String>,
    /// Secrets file (TOML strings) for `{{secrets.NAME}}`; overrides the profile's `secrets_file`.
    #[arg(long)]
    pub secrets: Option<PathBuf>,
    /// Seed of the world: the same seed gives the same data, probes and verdict.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run tag, 0 to 99: which slice of every value space the world uses, so that the worlds of two tags
    /// share no value (a target that kept an earlier run's records cannot show this run's canaries);
    /// default: the seed's, `seed mod 100`. The replay command fixes it.
    #[arg(long, value_name = "TAG", value_parser = parse_run_tag)]
    pub run_tag: Option<RunTag>,
    /// Proceed when the preflight finds records on the target before seeding (this run's values: a replay on
    /// a target that was not reset; values of an earlier cloison run). Values not of this run's world are
    /// never proof of anything; without this flag such a target ends the run with exit 2.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Tenants (MDPH), as `cloison generate --tenants` reads them: a count (1-101, no leading zero) or
    /// departement codes separated by commas (`75,2A,971`; `01` is the Ain, `13,` the Bouches-du-Rhone).
    #[arg(long, default_value = "2", value_parser = parse_tenants)]
    pub tenants: TenantSelection,
    /// Number of case files, 1 to 1,000,000.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub cases: u64,
    /// Authorization flaw to switch on (repeatable): in the embedded reference portal (see fixtures/FLAWS.md),
    /// or in containers whose profile's [deploy] reads `{{options.flaws}}` (the values, comma-separated).
    #[arg(long = "flaw", value_name = "NAME")]
    pub flaws: Vec<String>,
    /// Allow a url: target that is not on this machine (cloison writes synthetic data there).
    #[arg(long)]
    pub allow_remote: bool,
    /// Where the report goes, in which formats.
    #[command(flatten)]
    pub outputs: OutputArgs,
    /// The most requests in flight at once, 1 to 1024: a ceiling. cloison starts with 2 and adapts to the
    /// target (more while answers come fast, half as many after a timeout, a dropped connection, a 429/503
    /// or a burst of 5xx); POST and PATCH go one at a time.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024).map(|n| n as usize))]
    pub concurrency: usize,
    /// At most this many requests per second (1 to 100000), redirect hops and retries included, shared by
    /// every identity: a ceiling over the adaptive pace, for fragile, rate-limited or remote targets.
    /// Default: no limit.
    #[arg(long, value_name = "PER_SECOND", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: Option<u32>,
    /// The longest timeout of one request, in seconds (1 to 3600): a ceiling. POST and PATCH wait this
    /// long; requests that may be sent again wait 4 times the latency observed (95th percentile, at least
    /// 3 s), doubled at each retry, up to this.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Retries on 429 and 503 (and transport errors of idempotent requests), 0 to 20.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// How long to wait for the target's health check after deployment, in seconds (1 to 3600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub startup_timeout: u64,
    /// Probes drawn per cell (family x endpoint x caller role x relation x kind x variation); default: the
    /// profile's `[probing] per_cell`, else 3.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub per_cell: Option<u32>,
    /// Overall deadline of the run, in seconds (1 to 86400): past it, no more probe is sent and the run
    /// reports what it could not cover; setup that hangs past it (plus a minute) ends the run as a target
    /// failure.
    #[arg(long, default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub deadline: u64,
    /// Do not shrink failing cells to minimal reproducers (saves the extra requests).
    #[arg(long)]
    pub no_shrink: bool,
    /// Keep the embedded portal up after the run, and print its URL and the credentials that replaying the
    /// reproducers needs, until Ctrl-C (or SIGTERM).
    #[arg(long)]
    pub keep_target: bool,
    /// Print no progress: no bars on a terminal, no progress lines (one per phase and every 5 s) off one.
    #[arg(long)]
    pub quiet: bool,
    /// Run only shard K of N of the probe space (by a stable hash of each probe's identifier; controls
    /// run in every shard); `cloison report merge` combines the shards' JSON reports.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::shard::Shard>,
    /// Which findings fail the run (exit 1): `proven` (foreign data received, a change read back; the
    /// default: status-only findings are then warnings, listed with their evidence) or `suspicious` (every
    /// finding, status-only ones too).
    #[arg(long, value_name = "TIER", default_value = "proven", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// A previous JSON report (the last release's, say): each finding is then `new` or `unchanged`, the
    /// baseline's findings this run does not show are `absent`, and only new findings fail the run
    /// (proven ones; `--fail-on suspicious` widens to every tier).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Accepted risks (TOML, `[[accept]]` tables: fingerprint, reason, owner, expires): an accepted finding
    /// does not fail the run until its expiry date (inclusive), and is reported as accepted.
    #[arg(long, value_name = "FILE")]
    pub accept: Option<PathBuf>,
    /// The day acceptances are checked against (`YYYY-MM-DD`); default: today (UTC). For tests.
    #[arg(long, value_name = "YYYY-MM-DD", hide = true, value_parser = parse_day)]
    pub today: Option<cloison_generators::date::Date>,
    /// Deploy nothing and send nothing: load the profile, generate the world, plan the probes, and print
    /// the plan (families that apply and those skipped with why, cells, probes per endpoint, the writes
    /// and deletes the run would send). Exit 0, or 2 on a usage error.
    #[arg(long)]
    pub dry_run: bool,
}

/// `--today`: a date, `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<cloison_generators::date::Date, String> {
    cloison_generators::date::Date::parse_iso(text)
        .ok_or_else(|| format!("`{text}` is not a date: expected YYYY-MM-DD"))
}

/// `--fail-on`: `proven` or `suspicious`.
pub fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    text.parse()
}

fn parse_target(text: &str) -> Result<TargetSpec, String> {
    text.parse()
}

/// `--run-tag`: 0 to 99.
fn parse_run_tag(text: &str) -> Result<RunTag, String> {
    text.parse()
        .map_err(|e: cloison_generators::GenError| e.to_string())
}

/// `--tenants`, read as `cloison generate` reads it, and checked (a count in range, known codes).
fn parse_tenants(text: &str) -> Result<TenantSelection, String> {
    let tenants = TenantSelection::parse(text);
    let config = GenConfig {
        tenants: tenants.clone(),
        cases: 1,
        ..GenConfig::default()
    };
    config.resolve_tenants().map_err(|e| e.to_string())?;
    Ok(tenants)
}

impl RunArgs {
    /// The generator's configuration of this run's world.
    pub fn gen_config(&self) -> GenConfig {
        GenConfig {
            seed: self.seed,
            tenants: self.tenants.clone(),
            cases: self.cases,
            run_tag: self.run_tag,
            ..GenConfig::default()
        }
    }

    /// The run tag of this run's world: the one fixed, else the seed's.
    pub fn tag(&self) -> RunTag {
        self.gen_config().tag()
    }

    /// The command line that replays this run: the same target, profile, world and flaws give the same
    /// probes and the same verdict.
    pub fn replay_command(&self) -> String {
        let mut command = format!(
            "cloison run --target {} --seed {} --run-tag {} --tenants {} --cases {}",
            shell_quote(&self.target.to_string()),
            self.seed,
            self.tag(),
            self.tenants,
            self.cases
        );
        if let Some(profile) = &self.profile {
            command.push_str(" --profile ");
            command.push_str(&shell_quote(&profile.display().to_string()));
        }
        if let Some(openapi) = &self.openapi {
            command.push_str(" --openapi ");
            command.push_str(&shell_quote(openapi));
        }
        if let Some(secrets) = &self.secrets {
            command.push_str(" --secrets ");
            command.push_str(&shell_quote(&secrets.display().to_string()));
        }
        for flaw in &self.flaws {
            command.push_str(" --flaw ");
            command.push_str(&shell_quote(flaw));
        }
        if let Some(per_cell) = self.per_cell {
            command.push_str(&format!(" --per-cell {per_cell}"));
        }
        // What can change which probes run or how the target answers them (a cell ending in a timeout or a
        // 429, a session expiring under load, a deadline reached): kept when not the default.
        let default = RunArgs::default();
        if self.concurrency != default.concurrency {
            command.push_str(&format!(" --concurrency {}", self.concurrency));
        }
        if let Some(rate) = self.rate {
            command.push_str(&format!(" --rate {rate}"));
        }
        if self.timeout != default.timeout {
            command.push_str(&format!(" --timeout {}", self.timeout));
        }
        if self.retries != default.retries {
            command.push_str(&format!(" --retries {}", self.retries));
        }
        if self.deadline != default.deadline {
            command.push_str(&format!(" --deadline {}", self.deadline));
        }
        if self.no_shrink {
            command.push_str(" --no-shrink");
        }
        if self.allow_remote {
            command.push_str(" --allow-remote");
        }
        if self.allow_dirty {
            command.push_str(" --allow-dirty");
        }
        if let Some(shard) = self.shard {
            command.push_str(&format!(" --shard {shard}"));
        }
        if self.fail_on != FailOn::default() {
            command.push_str(&format!(" --fail-on {}", self.fail_on));
        }
        command
    }
}

impl Default for RunArgs {
    fn default() -> Self {
        Self {
            target: TargetSpec::Embedded,
            profile: None,
            openapi: None,
            secrets: None,
            seed: 1,
            run_tag: None,
            allow_dirty: false,
            tenants: TenantSelection::Count(2),
            cases: 16,
            flaws: Vec::new(),
            allow_remote: false,
            outputs: OutputArgs::default(),
            concurrency: 16,
            rate: None,
            timeout: 10,
            retries: 3,
            startup_timeout: 30,
            per_cell: None,
            deadline: 1800,
            keep_target: false,
            no_shrink: false,
            quiet: true,
            shard: None,
            fail_on: FailOn::Proven,
            baseline: None,
            accept: None,
            today: None,
            dry_run: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn run_reads_tenants_as_generate_does() {
        let run_tenants =
            |text: &str| match Cli::try_parse_from(["cloison", "run", "--tenants", text]) {
                Ok(Cli {
                    command: Command::Run(args),
                }) => Ok(args.tenants),
                Ok(_) => Err("not a run".to_string()),
                Err(e) => Err(e.to_string()),
            };
        for text in ["3", "101", "01", "2A", "971", "13,", "75,2A,971"] {
            let generate = crate::generate::GenerateArgs {
                tenants: text.into(),
                ..Cli::try_parse_from(["cloison", "generate"])
                    .ok()
                    .and_then(|c| match c.command {
                        Command::Generate(g) => Some(g),
                        _ => None,
                    })
                    .expect("generate's defaults")
            };
            let generated = crate::generate::config(&generate).expect("generate reads it");
            assert_eq!(run_tenants(text), Ok(generated.tenants), "{text}");
        }
        // `01` is the Ain alone, not one tenant; `13,` is the Bouches-du-Rhone, not 13 tenants.
        assert_eq!(
            run_tenants("01"),
            Ok(TenantSelection::Codes(vec!["01".into()]))
        );
        assert_eq!(
            run_tenants("13,"),
            Ok(TenantSelection::Codes(vec!["13".into()]))
        );
        for refused in ["0", "102", "2A,2A", "", "ZZ"] {
            assert!(run_tenants(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn replay_command_parses_back_to_the_same_run() {
        let args = RunArgs {
            target: "image:cloison-portal:dev".parse().expect("valid target"),
            profile: Some(PathBuf::from("profiles/my-platform.toml")),
            seed: 42,
            tenants: TenantSelection::Count(3),
            cases: 40,
            flaws: vec!["document-idor".into(), "case-idor".into()],
            ..RunArgs::default()
        };
        let replay = args.replay_command();
        assert_eq!(
            replay,
            "cloison run --target 'image:cloison-portal:dev' --seed 42 --run-tag 42 --tenants 3 --cases 40 \
             --profile 'profiles/my-platform.toml' --flaw 'document-idor' --flaw 'case-idor'"
        );
        // No argument here contains a space, so unquoting word by word is what a shell would do.
        let words = replay.split(' ').map(|w| w.trim_matches('\''));
        let Command::Run(parsed) = Cli::try_parse_from(words).expect("replay parses").command
        else {
            panic!("replay is not a run command");
        };
        assert_eq!(parsed.target.to_string(), args.target.to_string());
        assert_eq!(parsed.profile, args.profile);
        assert_eq!(
            (parsed.seed, parsed.tenants, parsed.cases),
            (args.seed, args.tenants, args.cases)
        );
        assert_eq!(parsed.flaws, args.flaws);
        assert_eq!(parsed.run_tag.map(|t| t.get()), Some(42));
    }

    #[test]
    fn replay_keeps_the_pace_and_limits_that_change_what_the_target_answers() {
        let args = RunArgs {
            concurrency: 4,
            rate: Some(50),
            timeout: 30,
            retries: 0,
            deadline: 600,
            no_shrink: true,
            fail_on: FailOn::Suspicious,
            ..RunArgs::default()
        };
        let replay = args.replay_command();
        assert!(replay.ends_with(" --fail-on suspicious"), "{replay}");
        assert!(!RunArgs::default().replay_command().contains("--fail-on"));
        for flag in [
            " --concurrency 4",
            " --rate 50",
            " --timeout 30",
            " --retries 0",
            " --deadline 600",
            " --no-shrink",
        ] {
            assert!(replay.contains(flag), "{flag} missing from {replay}");
        }
        let words = replay.split(' ').map(|w| w.trim_matches('\''));
        let Command::Run(parsed) = Cli::try_parse_from(words).expect("replay parses").command
        else {
            panic!("replay is not a run command");
        };
        assert_eq!(
            (
                parsed.concurrency,
                parsed.rate,
                parsed.timeout,
                parsed.retries
            ),
            (4, Some(50), 30, 0)
        );
        assert_eq!((parsed.deadline, parsed.no_shrink), (600, true));
        assert_eq!(parsed.fail_on, FailOn::Suspicious);
        // Defaults stay out of the command line.
        let plain = RunArgs::default().replay_command();
        assert!(
            !plain.contains("--concurrency") && !plain.contains("--rate"),
            "{plain}"
        );
    }
}
