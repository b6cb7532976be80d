//! What every client of a run shares: the target's base URL, the timeout, the retry policy, the one HTTP
//! client, which redirects are followed, and the pace of requests (the adaptive [`Pacer`] and the `--rate`
//! ceiling).

use std::time::Duration;

use super::pace::Pacer;
use super::retry::RetryPolicy;
use super::session::Session;

/// How redirects are followed: only for safe methods (GET, HEAD), at most `max_hops` hops, to the target's
/// own origin or to one of `hosts`; never to the login page (that is a refusal, judged as such).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirects {
    /// Hops followed at most (0: none).
    pub max_hops: usize,
    /// Hosts other than the target's own a redirect may lead to: `host` (any port) or `host:port`.
    pub hosts: Vec<String>,
    /// A redirect whose `Location` contains this text leads to the login page: it is not followed. An
    /// endpoint with refusals of its own uses theirs.
    pub login: Option<String>,
}

impl Default for Redirects {
    fn default() -> Self {
        Self {
            max_hops: 5,
            hosts: Vec::new(),
            login: None,
        }
    }
}

impl Redirects {
    /// Whether `url`, on another origin than the target's, is on a listed host.
    pub fn allows(&self, url: &reqwest::Url) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        matches!(url.scheme(), "http" | "https")
            && self.hosts.iter().any(|entry| {
                match entry
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
                {
                    Some((h, p)) => h.eq_ignore_ascii_case(host) && p == port,
                    None => entry.eq_ignore_ascii_case(host),
                }
            })
    }
}

/// Whether two URLs share an origin (scheme, host and port).
pub(super) fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The ceiling of the window of requests in flight where none is given (`--concurrency`'s default).
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Settings shared by every client of a run.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The target's base URL, without a trailing slash.
    pub base_url: String,
    /// The longest timeout of one attempt (connect and whole request): the [`Pacer`] shortens it for
    /// requests that may be sent again.
    pub timeout: Duration,
    /// When a request is sent again (429, 503, transport errors) and how long to wait before.
    pub retry: RetryPolicy,
    /// One HTTP client (connection pool, TLS configuration) shared by every identity: credentials, cookies
    /// included, are added per request, so that memory does not grow with the number of identities.
    pub client: Option<reqwest::Client>,
    /// Which redirects are followed.
    pub redirects: Redirects,
    /// The pace of requests (`--rate`): none by default.
    pub pace: Option<std::sync::Arc<Pace>>,
    /// When the target last answered (shared by every session and clone of the settings).
    pub liveness: std::sync::Arc<super::Liveness>,
    /// The adaptive window and timeouts every request goes through (`--concurrency` and `timeout` are
    /// its ceilings).
    pub pacer: std::sync::Arc<Pacer>,
}

impl HttpSettings {
    /// Settings for a base URL, with `retries` retries after the first attempt and a first backoff of
    /// `backoff`, and the run's shared client.
    pub fn new(
        base_url: String,
        timeout: Duration,
        retries: u32,
        backoff: Duration,
    ) -> Result<Self, reqwest::Error> {
        let mut settings = Self {
            base_url,
            timeout,
            retry: RetryPolicy::new(retries, backoff),
            client: None,
            redirects: Redirects::default(),
            pace: None,
            liveness: std::sync::Arc::default(),
            pacer: std::sync::Arc::new(Pacer::new(DEFAULT_CONCURRENCY, timeout, None)),
        };
        settings.client = Some(Session::client(&settings)?);
        Ok(settings)
    }
}

/// A ceiling on the requests sent per second, shared by every session of a run (`--rate`): each request,
/// redirect hops and retries included, waits for the next free slot. Fragile or remote targets get a steady
/// pace instead of bursts of `--concurrency` requests.
#[derive(Debug)]
pub struct Pace {
    interval: Duration,
    next: std::sync::Mutex<tokio::time::Instant>,
}

impl Pace {
    /// At most `per_second` requests per second (at least one).
    pub fn new(per_second: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: std::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Wait for this request's slot.
    pub async fn wait(&self) {
        let slot = self.take(tokio::time::Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// The slot of a request asked for at `now`: the next free one, never in the past.
    fn take(&self, now: tokio::time::Instant) -> tokio::time::Instant {
        let mut next = match self.next.lock() {
            Ok(next) => next,
            Err(poisoned) => poisoned.into_inner(),
        };
        let slot = (*next).max(now);
        *next = slot + self.interval;
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pace_spreads_requests_asked_at_once_and_never_schedules_in_the_past() {
        let pace = Pace::new(20);
        let start = tokio::time::Instant::now();
        let slots: Vec<_> = (0..4).map(|_| pace.take(start) - start).collect();
        let ms = |n| std::time::Duration::from_millis(n);
        assert_eq!(slots, vec![ms(0), ms(50), ms(100), ms(150)]);
        // Asked long after the last slot: served at once, and the next one is an interval later.
        let later = start + std::time::Duration::from_secs(10);
        assert_eq!(pace.take(later), later);
        assert_eq!(pace.take(later), later + ms(50));
    }

    #[test]
    fn redirects_go_to_listed_hosts_by_name_or_by_name_and_port() {
        let url = |u: &str| reqwest::Url::parse(u).expect("url");
        let redirects = Redirects {
            hosts: vec!["files.example.net".into(), "127.0.0.1:9000".into()],
            ..Redirects::default()
        };
        assert!(redirects.allows(&url("https://FILES.example.net/b/1?sig=x")));
        assert!(redirects.allows(&url("http://files.example.net:8080/b/1")));
        assert!(redirects.allows(&url("http://127.0.0.1:9000/b/1")));
        assert!(!redirects.allows(&url("http://127.0.0.1:9001/b/1")));
        assert!(!redirects.allows(&url("https://evil.example.org/b/1")));
        assert!(!redirects.allows(&url("ftp://files.example.net/b/1")));
        assert!(same_origin(
            &url("http://127.0.0.1:8080/a"),
            &url("http://127.0.0.1:8080/b?c")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:8080/a"),
            &url("https://127.0.0.1:8080/a")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:8080/a"),
            &url("http://localhost:8080/a")
        ));
    }
}
