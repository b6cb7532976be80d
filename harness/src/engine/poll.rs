//! Answers that say "accepted, look there later": an answer `202 Accepted` with a location to poll (its
//! `Location` header, or the JSON field the endpoint's `poll.location` names), as exports and long
//! functions give. The location is polled with `GET`s under the caller's own credentials (none for an
//! anonymous caller), waiting `Retry-After` or the endpoint's `poll.interval` between looks, until an answer
//! other than `202` (the result, whose redirects are followed as any), within `poll.budget`. The result is
//! the answer judged and scanned: the `202` and every look before it are kept as the responses that led to it
//! (they reached the caller too, and are scanned with it).

use std::time::{Duration, Instant};

use crate::http::{Exchange, RenderedBody, RenderedRequest};
use crate::oracle::Observed;
use crate::profile::{Endpoint, Poll};

use super::executor::Executor;

/// The longest `Retry-After` obeyed between two looks.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Where an answer says to look for its result: a `202` with a location (the JSON field `poll.location`
/// names, else its `Location` header); `None` for any other answer.
pub(crate) fn pending_location(observed: &Observed, poll: &Poll) -> Option<String> {
    if observed.status != 202 {
        return None;
    }
    let location = match &poll.location {
        Some(pointer) => serde_json::from_slice::<serde_json::Value>(&observed.body)
            .ok()?
            .pointer(pointer)?
            .as_str()?
            .to_string(),
        None => observed
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"))?
            .1
            .clone(),
    };
    (!location.trim().is_empty()).then(|| location.trim().to_string())
}

/// How long to wait before the next look: the answer's `Retry-After` in seconds (at most
/// [`MAX_RETRY_AFTER`]), else the endpoint's interval.
pub(crate) fn wait_before_next(observed: &Observed, poll: &Poll) -> Duration {
    observed
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        .map_or(poll.interval, |secs| {
            Duration::from_secs(secs).min(MAX_RETRY_AFTER)
        })
}

/// The URL to look at: `location` resolved against the URL that gave it, on the target's own origin only
/// (the caller's credentials go nowhere else).
pub(crate) fn resolve(base_url: &str, from: &str, location: &str) -> Result<String, String> {
    let (Ok(base), Ok(from)) = (reqwest::Url::parse(base_url), reqwest::Url::parse(from)) else {
        return Err(format!("cannot resolve `{location}` against {from}"));
    };
    let next = from
        .join(location)
        .map_err(|e| format!("`{location}` is not a location: {e}"))?;
    let same_origin = next.scheme() == base.scheme()
        && next.host_str() == base.host_str()
        && next.port_or_known_default() == base.port_or_known_default();
    if same_origin {
        Ok(next.to_string())
    } else {
        Err(format!(
            "`{location}` is on another origin than the target's: not polled with the caller's credentials"
        ))
    }
}

/// The result of polling: `answer`'s `202` and each look before the result, then the result's own
/// redirects, as the responses that led to the result.
fn chain(mut looks: Vec<Observed>, mut result: Observed) -> Observed {
    let mut earlier = Vec::new();
    for mut look in looks.drain(..) {
        earlier.append(&mut look.redirects);
        earlier.push(look);
    }
    earlier.append(&mut result.redirects);
    result.redirects = earlier;
    result
}

impl Executor<'_> {
    /// Follow an answer `202` with a location to its result (see the module): the exchange whose answer is
    /// the result, or `answer` itself when it is not pending. `Err`: the result was not ready within the
    /// budget, or the location could not be polled (the target failed to deliver what it accepted).
    pub(super) async fn follow_pending(
        &self,
        actor: Option<&str>,
        endpoint: &Endpoint,
        answer: Exchange,
    ) -> Result<Exchange, String> {
        let poll = &endpoint.poll;
        let Some(mut location) = pending_location(&answer.observed, poll) else {
            return Ok(answer);
        };
        let key = endpoint.origin.to_string();
        let started = Instant::now();
        let mut from = answer.request.url.clone();
        let mut looks = vec![answer.observed.clone()];
        loop {
            let last = looks.last().unwrap_or(&answer.observed);
            let wait = wait_before_next(last, poll);
            if started.elapsed() + wait > poll.budget {
                return Err(format!(
                    "{key} answered 202 and its result at {location} was not ready within {} s ({} look(s)): raise `poll.budget` if the target needs longer",
                    poll.budget.as_secs_f64(),
                    looks.len() - 1
                ));
            }
            if self.stop_reason().is_some() {
                return Err(format!(
                    "{key}: the run stopped while waiting for its result at {location}"
                ));
            }
            tokio::time::sleep(wait).await;
            let url = resolve(&self.settings.base_url, &from, &location)
                .map_err(|why| format!("{key} answered 202: {why}"))?;
            let look = self.look(actor, endpoint, &url).await?;
            from = url;
            match pending_location(&look.observed, poll) {
                Some(next) => location = next,
                None if look.observed.status == 202 => {}
                None => {
                    return Ok(Exchange {
                        observed: chain(looks, look.observed),
                        ..answer
                    });
                }
            }
            looks.push(look.observed);
        }
    }

    /// One `GET` of `url` as the caller.
    async fn look(
        &self,
        actor: Option<&str>,
        endpoint: &Endpoint,
        url: &str,
    ) -> Result<Exchange, String> {
        let session = match actor {
            Some(key) => self
                .session(key)
                .ok_or_else(|| format!("{key} has no session"))?,
            None => self.anonymous.clone(),
        };
        let request = RenderedRequest {
            method: reqwest::Method::GET,
            url: url.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: RenderedBody::None,
            anonymous: actor.is_none(),
            login_redirect: self.profile.refusals_for(endpoint).login_redirect.clone(),
            read: false,
        };
        session
            .send_rendered(&self.settings, &request, None)
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Observed {
        Observed {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            redirects: Vec::new(),
            truncated: false,
        }
    }

    #[test]
    fn only_a_202_with_a_location_is_pending() {
        let header = Poll::default();
        let field = Poll {
            location: Some("/links/status".into()),
            ..Poll::default()
        };
        let body = r#"{"links": {"status": "/jobs/7"}}"#;
        let rows = [
            (
                answer(202, &[("Location", "/jobs/7")], ""),
                &header,
                Some("/jobs/7"),
            ),
            (
                answer(202, &[("location", " /jobs/7 ")], ""),
                &header,
                Some("/jobs/7"),
            ),
            (answer(200, &[("Location", "/jobs/7")], ""), &header, None),
            (answer(201, &[("Location", "/jobs/7")], ""), &header, None),
            (answer(202, &[], ""), &header, None),
            (answer(202, &[], body), &field, Some("/jobs/7")),
            (answer(202, &[("Location", "/jobs/7")], "{}"), &field, None),
            (answer(202, &[], "not json"), &field, None),
            (answer(202, &[("Location", "")], ""), &header, None),
        ];
        for (observed, poll, expected) in rows {
            assert_eq!(
                pending_location(&observed, poll).as_deref(),
                expected,
                "{observed:?}"
            );
        }
    }

    #[test]
    fn retry_after_sets_the_wait_within_bounds() {
        let poll = Poll {
            interval: Duration::from_millis(250),
            ..Poll::default()
        };
        let rows = [
            (vec![], Duration::from_millis(250)),
            (vec![("Retry-After", "2")], Duration::from_secs(2)),
            (vec![("retry-after", "0")], Duration::ZERO),
            (vec![("Retry-After", "3600")], MAX_RETRY_AFTER),
            (
                vec![("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
                Duration::from_millis(250),
            ),
        ];
        for (headers, expected) in rows {
            assert_eq!(
                wait_before_next(&answer(202, &headers, ""), &poll),
                expected,
                "{headers:?}"
            );
        }
    }

    #[test]
    fn locations_resolve_on_the_target_origin_only() {
        let base = "http://127.0.0.1:8080";
        let from = "http://127.0.0.1:8080/api/exports?all=1";
        assert_eq!(
            resolve(base, from, "/api/jobs/3").as_deref(),
            Ok("http://127.0.0.1:8080/api/jobs/3")
        );
        assert_eq!(
            resolve(base, from, "jobs/3").as_deref(),
            Ok("http://127.0.0.1:8080/api/jobs/3")
        );
        assert!(resolve(base, from, "http://elsewhere.test/jobs/3").is_err());
        assert!(resolve(base, from, "https://127.0.0.1:8080/jobs/3").is_err());
    }

    #[test]
    fn the_looks_before_the_result_are_kept_in_order() {
        let mut first_look = answer(202, &[("Location", "/jobs/1")], "b");
        first_look.redirects = vec![answer(303, &[], "a")];
        let mut result = answer(200, &[], "d");
        result.redirects = vec![answer(302, &[], "c")];
        let chained = chain(vec![answer(202, &[], "0"), first_look], result);
        let bodies: Vec<&[u8]> = chained.redirects.iter().map(|o| &o.body[..]).collect();
        assert_eq!(bodies, [&b"0"[..], b"a", b"b", b"c"]);
        assert_eq!(chained.body, b"d");
        assert!(chained.redirects.iter().all(|o| o.redirects.is_empty()));
    }
}
