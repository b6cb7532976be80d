//! Each realism check of the domain reference, asserted as a property over generated worlds, and check 10
//! (aggregate shares) over a streamed world large enough for it to mean something.

use cloison_generators::realism::{self, CheckResult};
use cloison_generators::strategy::world_with;
use cloison_generators::stream::{DigestSink, StreamOptions, stream};
use cloison_generators::{CaseBundle, GenConfig, World};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Assert `check` on every case file of `world`, naming the first failure.
fn every_case(
    world: &World,
    check: impl Fn(&World, &CaseBundle) -> CheckResult,
) -> Result<(), TestCaseError> {
    for c in &world.cases {
        if let Err(e) = check(world, c) {
            return Err(TestCaseError::fail(e));
        }
    }
    Ok(())
}

fn tenant_code<'a>(w: &'a World, c: &CaseBundle) -> &'a str {
    &w.tenant(c.case_file.tenant_id)
        .expect("case tenants exist")
        .code
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn check_1_nir(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| c.persons.iter().try_for_each(realism::check_nir))?;
    }

    #[test]
    fn check_2_eligibility(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_eligibility(c))?;
    }

    #[test]
    fn check_3_rates(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_rates(c))?;
    }

    #[test]
    fn check_4_dates(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_dates(c))?;
    }

    #[test]
    fn check_5_validity(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_validity(c))?;
    }

    #[test]
    fn check_6_representation(w in world_with(1..=3, 1..=60)) {
        let reference = w.config().reference_date;
        every_case(&w, |_, c| realism::check_representation(c, reference))?;
    }

    #[test]
    fn check_7_address(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |w, c| c.persons.iter().try_for_each(|p| realism::check_address(p, tenant_code(w, c))))?;
    }

    #[test]
    fn check_8_tenant(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_tenant(c))?;
    }

    #[test]
    fn check_9_same_bytes_whatever_the_thread_count(
        seed in any::<u64>(), tenants in 1usize..=4, cases in 1u64..=300, threads in 2usize..=4,
    ) {
        let config = GenConfig::new(seed, tenants, cases);
        prop_assert_eq!(realism::check_determinism(&config, 1, threads), Ok(()));
    }

    #[test]
    fn check_12_nirs_in_a_reserved_range(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| c.persons.iter().try_for_each(realism::check_nir_reserved))?;
    }

    #[test]
    fn check_13_birthplace(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| c.persons.iter().try_for_each(realism::check_birthplace))?;
    }

    #[test]
    fn check_14_notification(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_notification(c))?;
    }

    #[test]
    fn check_15_ages_and_roles(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_ages_and_roles(c))?;
    }

    #[test]
    fn check_16_calendar(w in world_with(1..=3, 1..=60)) {
        let reference = w.config().reference_date;
        every_case(&w, |w, c| realism::check_calendar(c, tenant_code(w, c), reference))?;
    }

    #[test]
    fn check_17_shared_values(w in world_with(1..=3, 1..=60)) {
        every_case(&w, |_, c| realism::check_shared_values(c))?;
    }

    #[test]
    fn check_11_identifiers(w in world_with(1..=3, 1..=60)) {
        prop_assert_eq!(realism::check_accounts(&w.agents), Ok(()));
        every_case(&w, |_, c| realism::check_identifiers(c))?;
    }
}

#[test]
fn check_10_shares_within_two_points_at_scale() {
    // Shares only make sense at scale: 40,000 case files over every departement, checked while streaming.
    let config = GenConfig {
        tenants: cloison_generators::TenantSelection::All,
        ..GenConfig::new(2025, 1, 40_000)
    };
    let opts = StreamOptions {
        verify: true,
        threads: 2,
        ..StreamOptions::default()
    };
    let summary = stream(&config, &opts, &mut DigestSink::default(), &|_| {}).unwrap();
    let report = summary.report.unwrap();
    assert!(report.passed(), "{}", report.summary());
    assert!(
        report.tallies[9].checked >= 15,
        "check 10 compared too few shares:\n{}",
        report.summary()
    );
    // Check 18: the population figures (born abroad, top countries, departement of birth, first names by
    // decade) were compared, and are within 2 points.
    assert!(
        report.tallies[17].checked >= 60,
        "check 18 compared too few figures:\n{}",
        report.summary()
    );
    for name in [
        "born abroad",
        "born in Algérie, of those born abroad",
        "born in Maroc, of those born abroad",
        "living in their departement of birth, of those born in France",
        "first name Nathalie (1970s, F)",
    ] {
        assert!(
            report.shares.iter().any(|(n, _, _)| n == name),
            "{name} not compared:\n{}",
            report.summary()
        );
    }
}

#[test]
fn checks_catch_broken_records() {
    let w = World::generate(&GenConfig::new(3, 2, 40)).unwrap();
    let mut c = w
        .cases
        .iter()
        .find(|c| c.decisions.iter().any(|d| d.end_date.is_some()))
        .unwrap()
        .clone();
    let mut p = c.persons[0].clone();
    p.nir
        .replace_range(13..15, if &p.nir[13..15] == "01" { "02" } else { "01" });
    assert!(realism::check_nir(&p).is_err());
    let mut p = c.persons[0].clone();
    p.postcode = "99999".into();
    assert!(realism::check_address(&p, &w.tenants[0].code).is_err());
    let d = c
        .decisions
        .iter_mut()
        .find(|d| d.end_date.is_some())
        .unwrap();
    d.end_date = Some(d.start_date.unwrap().add_years(30));
    assert!(realism::check_validity(&c).is_err());
    c.notes.iter_mut().for_each(|n| n.tenant_id.0 += 1);
    c.documents[0].tenant_id.0 += 1;
    assert!(realism::check_tenant(&c).is_err());
    c.persons[0].email = Some("someone@gmail.com".into());
    assert!(realism::check_identifiers(&c).is_err());
}

#[test]
fn real_birth_communes_opt_in_keeps_nirs_valid_and_leaves_the_safe_range() {
    let config = GenConfig {
        real_birth_communes: true,
        ..GenConfig::new(4, 3, 200)
    };
    let w = World::generate(&config).unwrap();
    let mut real = 0;
    for p in w.persons() {
        realism::check_nir(p).unwrap();
        if !p.nir[5..].starts_with("99") && &p.nir[7..10] != "000" && !p.nir[5..].starts_with("97")
        {
            real += 1;
        }
    }
    assert!(real > 0, "no NIR carries a real commune code");
    let safe = World::generate(&GenConfig::new(4, 3, 200)).unwrap();
    assert!(
        safe.persons().all(|p| p.nir[5..].starts_with("99")
            || p.nir[7..10] == *"000"
            || p.nir[8..10] == *"00")
    );
}

/// Checks 2, 3, 4 and 6 each refuse a record broken against the rule they name, so their properties
/// above can fail.
#[test]
fn checks_catch_broken_rules() {
    use cloison_generators::{IncapacityBand, Outcome, Right};

    let w = World::generate(&GenConfig::new(5, 2, 300)).unwrap();
    let reference = w.config().reference_date;

    // Check 2: an adult asking for AEEH (a child's allowance).
    let mut adult = w
        .cases
        .iter()
        .find(|c| c.persons[0].birth_date.age_on(c.case_file.filing_date) >= 20)
        .expect("an adult case file")
        .clone();
    realism::check_eligibility(&adult).unwrap();
    adult.requests[0].right = Right::Aeeh;
    assert!(realism::check_eligibility(&adult).is_err());

    // Check 3: an AAH granted under 50 %.
    let mut granted = w
        .cases
        .iter()
        .find(|c| {
            c.decisions
                .iter()
                .any(|d| d.right == Right::Aah && d.outcome == Outcome::Accord)
        })
        .expect("a granted AAH")
        .clone();
    realism::check_rates(&granted).unwrap();
    granted.evaluation.as_mut().expect("evaluated").band = IncapacityBand::Under50;
    assert!(realism::check_rates(&granted).is_err());

    // Check 4: a medical certificate 13 months older than the filing.
    let mut late = w.cases[0].clone();
    realism::check_dates(&late).unwrap();
    late.case_file.medical_certificate_date = late.case_file.filing_date.add_months(-13);
    assert!(realism::check_dates(&late).is_err());

    // Check 6: a minor without a representative.
    let mut minor = w
        .cases
        .iter()
        .find(|c| c.persons[0].birth_date.age_on(reference) < 18)
        .expect("a minor's case file")
        .clone();
    realism::check_representation(&minor, reference).unwrap();
    minor.representations.clear();
    assert!(realism::check_representation(&minor, reference).is_err());
}

/// Check 12 refuses a NIR that a real person may have: a real country code after `99`, a real commune code.
#[test]
fn check_12_refuses_real_places() {
    let w = World::generate(&GenConfig::new(6, 3, 400)).unwrap();
    let abroad = w
        .persons()
        .find(|p| p.nir[5..].starts_with("99"))
        .expect("someone born abroad")
        .clone();
    realism::check_nir_reserved(&abroad).unwrap();
    for (place, reserved) in [
        ("99352", false),
        ("99101", false),
        ("99100", false),
        ("99000", true),
        ("99099", true),
        ("75056", false),
        ("75000", true),
        ("2A004", false),
        ("2B000", true),
        ("97101", false),
        ("97400", true),
        ("96000", false),
        ("00123", true),
        ("00000", true),
    ] {
        let mut p = abroad.clone();
        let mut first13 = format!("{}{place}{}", &p.nir[..5], &p.nir[10..13]);
        let key = cloison_generators::ident::nir_key(first13.as_bytes()).unwrap();
        first13.push_str(&format!("{key:02}"));
        p.nir = first13;
        realism::check_nir(&p).unwrap();
        assert_eq!(realism::check_nir_reserved(&p).is_ok(), reserved, "{place}");
    }
}

/// Persons born in Corsica before 1976 are coded `20` (birthplace and NIR), since then `2A`/`2B`; check 13
/// refuses the other way round, and a NIR whose departement disagrees with the birthplace.
#[test]
fn check_13_corsica_before_1976_and_nir_agreement() {
    use cloison_generators::Date;
    let config = GenConfig {
        tenants: cloison_generators::TenantSelection::Codes(vec!["2A".into(), "2B".into()]),
        ..GenConfig::new(8, 2, 3000)
    };
    let w = World::generate(&config).unwrap();
    // Persons in the departement's own NIR range (a tagged world has 119 per sex and group; the others
    // are in the `00` range, which names no departement).
    let corsican = |p: &&cloison_generators::Person| {
        matches!(p.birth_place_code.as_str(), "20" | "2A" | "2B") && &p.nir[5..7] != "00"
    };
    let old = w
        .persons()
        .filter(corsican)
        .find(|p| p.birth_date < Date::from_ymd(1976, 1, 1))
        .expect("someone born in Corsica before 1976")
        .clone();
    let young = w
        .persons()
        .filter(corsican)
        .find(|p| p.birth_date >= Date::from_ymd(1976, 1, 1))
        .expect("someone born in Corsica since 1976")
        .clone();
    assert_eq!(old.birth_place_code, "20");
    assert_eq!(old.birth_place, "Corse");
    assert_eq!(&old.nir[5..10], "20000");
    assert!(matches!(young.birth_place_code.as_str(), "2A" | "2B"));
    assert_eq!(&young.nir[5..7], young.birth_place_code);
    for p in [&old, &young] {
        realism::check_nir(p).unwrap();
        realism::check_nir_reserved(p).unwrap();
        realism::check_birthplace(p).unwrap();
    }
    let mut broken = old.clone();
    broken.birth_place_code = "2A".into();
    assert!(realism::check_birthplace(&broken).is_err());
    let mut broken = young.clone();
    broken.birth_place_code = "20".into();
    broken.birth_place = "Corse".into();
    assert!(realism::check_birthplace(&broken).is_err());
    let mut broken = young.clone();
    broken.birth_place_code = "13".into();
    assert!(realism::check_birthplace(&broken).is_err());
}

/// Check 14: decisions for a minor go to the parents, under tutelle to the tutor, under curatelle to the
/// person and the curator, and to an adult (18-19 included) alone; each broken way is refused.
#[test]
fn check_14_refuses_wrong_addressees() {
    use cloison_generators::{Outcome, RepresentationKind};
    let w = World::generate(&GenConfig::new(3, 3, 3000)).unwrap();
    let notified = |c: &&CaseBundle| {
        c.decisions
            .iter()
            .any(|d| d.outcome != Outcome::RejetImplicite)
    };
    let in_force = |c: &CaseBundle, kind: RepresentationKind| {
        c.decisions.iter().any(|d| {
            c.representations.iter().any(|r| {
                r.kind == kind
                    && r.start_date <= d.decision_date
                    && r.end_date.is_none_or(|e| e > d.decision_date)
            })
        })
    };
    let mut seen = 0;
    for (kind, wrong) in [
        (RepresentationKind::Parent, "usager"),
        (RepresentationKind::Tuteur, "usager"),
        (RepresentationKind::Curateur, "representant"),
    ] {
        let mut c = w
            .cases
            .iter()
            .filter(notified)
            .find(|c| in_force(c, kind))
            .unwrap_or_else(|| panic!("a decision under {kind}"))
            .clone();
        realism::check_notification(&c).unwrap();
        for d in &mut c.decisions {
            d.notified_to = wrong.into();
        }
        assert!(realism::check_notification(&c).is_err(), "{kind}");
        seen += 1;
    }
    // An adult of 18 or 19 whose parents' authority ended before the decision: the person alone.
    let mut grown = w
        .cases
        .iter()
        .filter(notified)
        .find(|c| {
            c.representations.iter().any(|r| {
                r.kind == RepresentationKind::Parent
                    && r.end_date
                        .is_some_and(|e| c.decisions.iter().all(|d| e <= d.decision_date))
            })
        })
        .expect("a child who came of age before the decision")
        .clone();
    realism::check_notification(&grown).unwrap();
    assert!(
        grown
            .decisions
            .iter()
            .all(|d| d.notified_to.starts_with("usager") && !d.notified_to.contains("representant"))
    );
    for d in &mut grown.decisions {
        d.notified_to = "representant".into();
    }
    assert!(realism::check_notification(&grown).is_err());
    assert_eq!(seen, 3);
}

/// Check 15 refuses a schooling plan for a child under 3 and a tutor who was a minor when appointed.
#[test]
fn check_15_refuses_toddler_pps_and_minor_representatives() {
    use cloison_generators::{RepresentationKind, Right};
    let w = World::generate(&GenConfig::new(4, 3, 2000)).unwrap();
    let mut pps = w
        .cases
        .iter()
        .find(|c| c.requests.iter().any(|r| r.right == Right::Pps))
        .expect("a schooling plan")
        .clone();
    realism::check_ages_and_roles(&pps).unwrap();
    pps.persons[0].birth_date = pps.case_file.filing_date.add_years(-1);
    assert!(realism::check_ages_and_roles(&pps).is_err());
    let mut tutelle = w
        .cases
        .iter()
        .find(|c| {
            c.representations
                .iter()
                .any(|r| r.kind == RepresentationKind::Tuteur)
        })
        .expect("a tutelle")
        .clone();
    realism::check_ages_and_roles(&tutelle).unwrap();
    let start = tutelle.representations[0].start_date;
    let tutor = tutelle.representations[0].representative_id;
    for p in tutelle.persons.iter_mut().filter(|p| p.id == tutor) {
        p.birth_date = start.add_years(-16);
    }
    assert!(realism::check_ages_and_roles(&tutelle).is_err());
}

/// Check 16 refuses a CDAPH sitting on a Sunday or on 14 July, a commission date after the decision, and a
/// note reporting an event after itself.
#[test]
fn check_16_refuses_weekends_holidays_and_dates_out_of_order() {
    use cloison_generators::{Date, Outcome};
    let w = World::generate(&GenConfig::new(2, 1, 3000)).unwrap();
    let reference = w.config().reference_date;
    let code = w.tenants[0].code.clone();
    let decided = w
        .cases
        .iter()
        .find(|c| c.decisions.iter().any(|d| d.outcome == Outcome::Accord))
        .expect("a granted decision")
        .clone();
    realism::check_calendar(&decided, &code, reference).unwrap();
    for bad in [Date::from_ymd(2024, 7, 14), Date::from_ymd(2024, 9, 15)] {
        let mut c = decided.clone();
        for d in &mut c.decisions {
            d.decision_date = bad;
        }
        assert!(
            realism::check_calendar(&c, &code, reference).is_err(),
            "{bad}"
        );
    }
    let commission = w
        .cases
        .iter()
        .find(|c| c.notes.iter().any(|n| n.text.contains("commission du ")))
        .expect("a note announcing a commission")
        .clone();
    realism::check_calendar(&commission, &code, reference).unwrap();
    let decision = commission.decisions[0].decision_date;
    let mut late = commission.clone();
    for n in late
        .notes
        .iter_mut()
        .filter(|n| n.text.contains("commission du "))
    {
        let mut fr = Vec::new();
        decision
            .add_days(7)
            .next_working_day(&code)
            .write_fr(&mut fr);
        let at = n.text.find("commission du ").unwrap() + "commission du ".len();
        n.text
            .replace_range(at..at + 10, std::str::from_utf8(&fr).unwrap());
    }
    assert!(realism::check_calendar(&late, &code, reference).is_err());
    let past = w
        .cases
        .iter()
        .find(|c| c.notes.iter().any(|n| n.text.contains("reçues le ")))
        .expect("a note reporting documents received")
        .clone();
    realism::check_calendar(&past, &code, reference).unwrap();
    let mut future = past.clone();
    for n in future
        .notes
        .iter_mut()
        .filter(|n| n.text.contains("reçues le "))
    {
        n.date = n.date.add_days(-20);
    }
    assert!(realism::check_calendar(&future, &code, reference).is_err());
}

/// Check 17 accepts the documented sharing (a child and the parent who carries their surname, a household's
/// address line) and refuses any other: a tutor with the protected adult's surname, a second parent with
/// the child's phone.
#[test]
fn check_17_refuses_undocumented_sharing() {
    use cloison_generators::RepresentationKind;
    let w = World::generate(&GenConfig::new(5, 2, 2000)).unwrap();
    let child = w
        .cases
        .iter()
        .find(|c| c.persons.len() == 3 && c.persons[0].phone.is_some())
        .expect("a child with two parents")
        .clone();
    assert_eq!(child.persons[0].surname, child.persons[1].surname);
    assert_eq!(child.persons[0].surname, child.persons[2].surname);
    // Two parents are a mother and a father.
    assert_eq!(child.persons[1].sex, cloison_generators::Sex::Female);
    assert_eq!(child.persons[2].sex, cloison_generators::Sex::Male);
    assert_eq!(child.persons[0].address_line, child.persons[2].address_line);
    realism::check_shared_values(&child).unwrap();
    let mut broken = child.clone();
    broken.persons[2].phone = broken.persons[0].phone.clone();
    assert!(realism::check_shared_values(&broken).is_err());
    let mut tutelle = w
        .cases
        .iter()
        .find(|c| {
            c.representations
                .iter()
                .any(|r| r.kind == RepresentationKind::Tuteur)
        })
        .expect("a tutelle")
        .clone();
    realism::check_shared_values(&tutelle).unwrap();
    tutelle.persons[1].surname = tutelle.persons[0].surname.clone();
    assert!(realism::check_shared_values(&tutelle).is_err());
}

/// Check 18 refuses a population like the old one: a quarter born abroad, a Mathis born in 1948.
#[test]
fn check_18_refuses_uniform_birthplaces_and_names_out_of_their_decade() {
    use cloison_generators::Date;
    use cloison_generators::realism::Stats;
    let w = World::generate(&GenConfig::new(1, 3, 300)).unwrap();
    let mut stats = Stats::default();
    for c in &w.cases {
        stats.observe(c);
    }
    let (_, failures) = stats.check_population(0.02);
    assert!(failures.is_empty(), "{failures:?}");
    let mut old = w.cases[0].clone();
    old.persons[0].first_name = "Mathis".into();
    old.persons[0].birth_date = Date::from_ymd(1948, 3, 1);
    old.persons[0].sex = cloison_generators::Sex::Male;
    old.persons[0].birth_place_code = "75".into();
    stats.observe(&old);
    let (_, failures) = stats.check_population(0.02);
    assert!(
        failures.iter().any(|f| f.contains("outside the list")),
        "{failures:?}"
    );
    let uniform = Stats {
        persons: [100_000, 23_500],
        born_in_france: [76_500, 535],
        ..Stats::default()
    };
    let (_, failures) = uniform.check_population(0.02);
    assert!(
        failures.iter().any(|f| f.starts_with("born abroad")),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("living in their departement")),
        "{failures:?}"
    );
}
