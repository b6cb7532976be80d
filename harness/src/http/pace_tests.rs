//! Tables of what requests came to, and the window and timeout they lead to.

use super::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

fn ok(ms: u64) -> Signal {
    Signal::Answered {
        status: 200,
        latency: MS(ms),
    }
}

fn status(status: u16) -> Signal {
    Signal::Answered {
        status,
        latency: MS(5),
    }
}

/// Feed `signals`, each from a request sent in the current episode; the window after each.
fn windows(ceiling: usize, signals: &[Signal]) -> Vec<usize> {
    let mut controller = Controller::new(ceiling, Duration::from_secs(10));
    signals
        .iter()
        .map(|signal| {
            let epoch = controller.epoch();
            controller.observe(epoch, *signal);
            controller.window()
        })
        .collect()
}

#[test]
fn the_window_follows_what_requests_came_to() {
    let table: Vec<(&str, usize, Vec<Signal>, Vec<usize>)> = vec![
        (
            "fast answers ramp up by one each, to the ceiling",
            6,
            vec![ok(1); 6],
            vec![3, 4, 5, 6, 6, 6],
        ),
        (
            "a timeout halves the window; growth is then one per window of answers",
            16,
            vec![
                ok(1),
                ok(1),
                ok(1),
                ok(1),
                ok(1),
                ok(1),
                Signal::TimedOut,
                ok(1),
                ok(1),
                ok(1),
                ok(1),
                ok(1),
                ok(1),
                ok(1),
                ok(1),
            ],
            vec![3, 4, 5, 6, 7, 8, 4, 4, 4, 4, 5, 5, 5, 5, 5],
        ),
        (
            "a dropped connection, a 429 and a 503 each halve it, never under one",
            16,
            vec![ok(1), ok(1), Signal::Dropped, status(429), status(503)],
            vec![3, 4, 2, 1, 1],
        ),
        (
            "a lone 5xx neither grows nor shrinks it; a burst of them shrinks it",
            16,
            vec![ok(1), ok(1), status(500), ok(1), status(500), status(502)],
            vec![3, 4, 4, 5, 5, 2],
        ),
        (
            "an answer slower than half the timeout does not grow it",
            16,
            vec![ok(1), ok(6_000), ok(1)],
            vec![3, 3, 4],
        ),
        (
            "4xx answers are answers: the window grows",
            4,
            vec![status(404), status(401), status(403)],
            vec![3, 4, 4],
        ),
        (
            "a ceiling of one stays at one",
            1,
            vec![ok(1); 3],
            vec![1, 1, 1],
        ),
    ];
    for (what, ceiling, signals, expected) in table {
        assert_eq!(windows(ceiling, &signals), expected, "{what}");
    }
}

#[test]
fn requests_sent_before_a_shrink_do_not_shrink_the_window_again() {
    let mut controller = Controller::new(16, Duration::from_secs(10));
    for _ in 0..10 {
        controller.observe(0, ok(1));
    }
    assert_eq!(controller.window(), 12);
    // Every request in flight times out at once: one shrink for the episode.
    let sent_before = controller.epoch();
    for _ in 0..8 {
        controller.observe(sent_before, Signal::TimedOut);
    }
    assert_eq!(controller.window(), 6);
    // A request sent after the shrink that fails again shrinks it again.
    controller.observe(controller.epoch(), Signal::Dropped);
    assert_eq!(controller.window(), 3);
    let report = controller.report(None);
    // The least window is the first one, 2.
    assert_eq!(
        (report.min_window, report.max_window, report.final_window),
        (2, 12, 3)
    );
    assert_eq!(
        report.shrinks,
        Shrinks {
            timeouts: 1,
            resets: 1,
            ..Shrinks::default()
        }
    );
    assert_eq!(report.requests, 19);
}

#[test]
fn the_timeout_of_a_request_that_may_be_sent_again_follows_the_latencies() {
    let ceiling = Duration::from_secs(30);
    let table: Vec<(&str, Vec<u64>, bool, u32, Duration)> = vec![
        (
            "too few latencies: the ceiling",
            vec![10; MIN_SAMPLES - 1],
            true,
            0,
            ceiling,
        ),
        (
            "fast answers: the floor",
            vec![10; MIN_SAMPLES],
            true,
            0,
            TIMEOUT_FLOOR,
        ),
        (
            "slow answers: four times their 95th percentile",
            vec![2_000; 40],
            true,
            0,
            Duration::from_secs(8),
        ),
        (
            "each retry doubles it",
            vec![2_000; 40],
            true,
            1,
            Duration::from_secs(16),
        ),
        ("never over the ceiling", vec![2_000; 40], true, 3, ceiling),
        (
            "a request that cannot be sent again waits the ceiling",
            vec![10; 40],
            false,
            0,
            ceiling,
        ),
    ];
    for (what, latencies, idempotent, retry, expected) in table {
        let mut controller = Controller::new(16, ceiling);
        for ms in latencies {
            controller.observe(controller.epoch(), ok(ms));
        }
        assert_eq!(controller.timeout(idempotent, retry), expected, "{what}");
    }
    // A ceiling under the floor wins.
    let mut controller = Controller::new(16, Duration::from_secs(1));
    for _ in 0..MIN_SAMPLES {
        controller.observe(controller.epoch(), ok(1));
    }
    assert_eq!(controller.timeout(true, 0), Duration::from_secs(1));
}

fn report(shrinks: Shrinks, rate: Option<u32>) -> PaceReport {
    PaceReport {
        concurrency: 16,
        rate,
        timeout_ceiling_seconds: 10.0,
        initial_window: 2,
        final_window: 1,
        min_window: 1,
        max_window: 9,
        writes_in_flight: 1,
        timeout_seconds: 3.0,
        requests: 120,
        shrinks,
    }
}

#[test]
fn a_failed_run_says_which_flag_to_change_and_what_was_used() {
    assert_eq!(report(Shrinks::default(), None).advice(), None);
    /// Shrinks, `--rate`, what the advice says, what it does not.
    type Row = (
        Shrinks,
        Option<u32>,
        &'static [&'static str],
        &'static [&'static str],
    );
    let table: Vec<Row> = vec![
        (
            Shrinks {
                timeouts: 2,
                ..Shrinks::default()
            },
            None,
            &[
                "2 timeout(s)",
                "--timeout (used: 10; e.g. --timeout 60)",
                "--concurrency 16",
                "e.g. --concurrency 1",
            ],
            &["--rate"],
        ),
        (
            Shrinks {
                busy: 1,
                ..Shrinks::default()
            },
            Some(20),
            &["1 429/503", "used: --rate 20; e.g. --rate 10"],
            &["--timeout", "--concurrency"],
        ),
        (
            Shrinks {
                resets: 3,
                server_errors: 1,
                ..Shrinks::default()
            },
            None,
            &[
                "3 dropped connection(s), 1 burst(s) of 5xx",
                "--concurrency 1",
                "none was set; e.g. --rate 5",
            ],
            &["--timeout"],
        ),
    ];
    for (shrinks, rate, has, lacks) in table {
        let advice = report(shrinks, rate).advice().expect("advice");
        for text in has {
            assert!(advice.contains(text), "{text} in {advice}");
        }
        for text in lacks {
            assert!(!advice.contains(text), "no {text} in {advice}");
        }
    }
    let line = report(Shrinks::default(), Some(5)).line();
    assert!(
        line.contains("ceiling --concurrency 16") && line.contains("at most 5/s (--rate)"),
        "{line}"
    );
    assert!(line.ends_with("the window never shrank"), "{line}");
}

#[tokio::test]
async fn requests_wait_for_a_slot_and_writes_go_one_at_a_time() {
    let pacer = std::sync::Arc::new(Pacer::new(16, Duration::from_secs(10), None));
    // The window starts at two: a third read waits until one ends.
    let first = pacer.slot(true).await;
    let _second = pacer.slot(true).await;
    let waiting = {
        let pacer = pacer.clone();
        tokio::spawn(async move {
            let mut slot = pacer.slot(true).await;
            slot.answered(200);
        })
    };
    tokio::time::sleep(MS(20)).await;
    assert!(!waiting.is_finished(), "a third request waits");
    let mut first = first;
    first.answered(200);
    drop(first);
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the third request is let through")
        .expect("joined");
    assert_eq!(pacer.report().max_window, 4, "each answer grew the window");
    // A write waits for the write before it, even with room in the window.
    let write = pacer.slot(false).await;
    let next_write = {
        let pacer = pacer.clone();
        tokio::spawn(async move {
            let _slot = pacer.slot(false).await;
        })
    };
    tokio::time::sleep(MS(20)).await;
    assert!(!next_write.is_finished(), "the second write waits");
    drop(write);
    tokio::time::timeout(Duration::from_secs(5), next_write)
        .await
        .expect("the second write goes once the first ended")
        .expect("joined");
}
