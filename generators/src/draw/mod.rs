//! The hot core of the generator: drawing one case file as plain data (indices, dates, flags; no strings,
//! no allocation) from its own random stream. Strings are rendered later from this draw, either into typed
//! records ([`crate::bundle`]) or straight into JSONL/CSV buffers ([`crate::emit`]); both use the same
//! rendering functions ([`crate::render`]), so the two paths cannot disagree.
//!
//! [`Drawer::draw`] takes the parts of a case file in a fixed order, each from the same stream (the order
//! of the random draws is the determinism promise: never reorder the steps): the basis (audience, request
//! kind, requested rights, filing date, age), the persons (`people`), the evaluation, the timeline, the
//! rights and the appeal (`decision`), then the documents and the notes (`file`).

mod decision;
mod file;
mod people;
mod types;

pub use decision::{NOTIFIED, addressees, legal_max_months};
pub use types::{
    AppealDraw, CaseDraw, DocDraw, EMAIL_DOMAINS, ForcedRepresentation, MAX_DOCS, MAX_NOTES,
    MAX_STATUS, NoteDraw, PersonDraw, RepDraw, RightDraw, forced_representation,
};

use crate::birth::BirthPlan;
use crate::config::{GenConfig, Weights};
use crate::date::Date;
use crate::model::{Audience, RequestKind, Right};
use crate::plan::{Plan, TenantPlan};
use crate::rng::{Domain, Stream, StreamFactory};

/// Everything shared by the draws of one world: config, plan and stream factories.
#[derive(Debug, Clone)]
pub struct Drawer {
    /// The config.
    pub config: GenConfig,
    /// The plan.
    pub plan: Plan,
    cases: StreamFactory,
    births: BirthPlan,
    slice: crate::tag::Slice,
}

/// What the first draws of a case file decide and every later step reads.
#[derive(Debug, Clone, Copy)]
struct Basis {
    /// The reference date of the world.
    reference: Date,
    /// The representation forced on this case file by its index in its tenant.
    forced: Option<ForcedRepresentation>,
    /// A child's case file.
    child: bool,
    /// A first request (not a renewal).
    first: bool,
    /// Requested rights, by [`Right`] index.
    requested: [bool; 8],
    /// Age of the applicant at the filing (capped at 62 with an RQTH request).
    age: i32,
}

impl Basis {
    /// Whether right `r` is requested.
    fn has(&self, r: Right) -> bool {
        self.requested[r as usize]
    }

    /// Whether the case file has a forced ended representation.
    fn ended(&self) -> bool {
        self.forced == Some(ForcedRepresentation::Ended)
    }
}

impl Drawer {
    /// A drawer for `config`.
    pub fn new(config: &GenConfig) -> Result<Drawer, crate::GenError> {
        let plan = Plan::new(config)?;
        let tenants: Vec<(usize, u64)> = plan.tenants.iter().map(|t| (t.dept, t.cases)).collect();
        let slice = config.slice();
        let births =
            BirthPlan::new(config.seed, slice, &tenants).map_err(crate::GenError::Config)?;
        Ok(Drawer {
            config: config.clone(),
            plan,
            cases: StreamFactory::new(config.seed, Domain::Case),
            births,
            slice,
        })
    }

    /// The tenant plan of a draw.
    pub fn tenant(&self, d: &CaseDraw) -> &TenantPlan {
        &self.plan.tenants[d.tenant]
    }

    /// Draw case file `g` (whose tenant is `tenant` in the plan) into `d`, overwriting it.
    pub fn draw(&self, g: u64, tenant: usize, d: &mut CaseDraw) {
        let tp = &self.plan.tenants[tenant];
        let mut s = self.cases.stream(g);
        reset(d, g, tenant, tp);
        let b = self.basis(&mut s, d);
        self.applicant(&mut s, d, &b);
        self.representatives(&mut s, d, &b);
        people::contact_details(&mut s, d, tp, b.child, b.reference);
        let aah_outcome = decision::evaluation(&mut s, d, &self.config.weights, &b);
        let t = self.timeline(&mut s, d, tp, &b);
        self.rights(&mut s, d, &b, aah_outcome, &t);
        decision::appeal(&mut s, d, &self.config.weights, b.reference);
        file::documents(&mut s, d, b.child, b.has(Right::Pps));
        file::notes(&mut s, d, tp, &t, b.reference);
        render_names(d, tp);
    }

    /// The basis of a case file: audience, request kind, requested rights, filing date and age.
    fn basis(&self, s: &mut Stream, d: &mut CaseDraw) -> Basis {
        let w = &self.config.weights;
        let reference = self.config.reference_date;
        let forced = forced_representation(d.seq - 1);
        let child = s.chance(w.child_share);
        d.audience = if child {
            Audience::Child
        } else {
            Audience::Adult
        };
        d.request_kind = if s.chance(w.first_request_share) {
            RequestKind::First
        } else {
            RequestKind::Renewal
        };
        let first = d.request_kind == RequestKind::First;
        let requested = requested_rights(s, w, child);
        let mut b = Basis {
            reference,
            forced,
            child,
            first,
            requested,
            age: 0,
        };
        b.age = filing_and_age(s, d, w, &b);
        b
    }
}

/// Clear the parts of `d` a draw may leave unset, and set its indices.
fn reset(d: &mut CaseDraw, g: u64, tenant: usize, tp: &TenantPlan) {
    d.g = g;
    d.tenant = tenant;
    d.seq = g - tp.first_case + 1;
    d.n_statuses = 0;
    d.n_docs = 0;
    d.n_notes = 0;
    d.appeal = None;
    d.reps = [None; 2];
    d.admissibility = None;
    d.evaluation = None;
    d.decision_date = None;
    d.notification = None;
    d.pch_exception = false;
    d.persons = [PersonDraw::EMPTY; 3];
}

/// Requested rights: independent inclusion with probability share x mean count keeps every right's
/// expected share of requests equal to its weight.
fn requested_rights(s: &mut Stream, w: &Weights, child: bool) -> [bool; 8] {
    let shares = if child {
        &w.child_rights
    } else {
        &w.adult_rights
    };
    let mut requested = [false; 8];
    for r in Right::ALL {
        let p = shares.get(*r) * w.rights_per_case;
        requested[*r as usize] = p > 0.0 && s.chance(p);
    }
    if !requested.iter().any(|x| *x) {
        requested[s.weighted(&shares.0)] = true;
    }
    requested
}

/// Draw the filing date into `d`, and the age of the applicant at the filing. A forced ended
/// representation needs its end (an 18th birthday, a lifted measure) between the filing and the reference
/// date: such a case file was filed at least a year before.
fn filing_and_age(s: &mut Stream, d: &mut CaseDraw, w: &Weights, b: &Basis) -> i32 {
    let min_back = if b.ended() { 366 } else { 0 };
    d.filing = b
        .reference
        .add_days(-(min_back + s.below(3 * 365 - min_back as u32) as i32));
    // A schooling plan (PPS) is for a child of school age: from 3 (compulsory instruction, code de
    // l'education art. L131-1).
    let school = if b.has(Right::Pps) { 3 } else { 0 };
    let age = if b.child {
        match b.forced {
            // Under 15 at filing, so still a minor at the reference date (at most 3 years later).
            Some(ForcedRepresentation::Active) => school + s.below(15 - school as u32) as i32,
            // 17 at filing, a year or more before the reference date: 18 by then.
            Some(ForcedRepresentation::Ended) => 17,
            None => school + s.below(19 - school as u32) as i32,
        }
    } else if s.chance(w.adult_60_plus_share) {
        let max = if b.has(Right::Rqth) { 62 } else { 95 };
        60 + (s.unit().powf(1.6) * f64::from(max - 60 + 1)) as i32
    } else {
        20 + s.below(40) as i32
    };
    if b.has(Right::Rqth) { age.min(62) } else { age }
}

/// Render, once per draw, the surnames and first names of the persons and the case number (no draws).
fn render_names(d: &mut CaseDraw, tp: &TenantPlan) {
    let mut name = Vec::with_capacity(16);
    for pd in d.persons.iter_mut().filter(|p| p.present) {
        pd.first_name = people::first_name_index(pd);
        name.clear();
        crate::ident::write_person_surname(&mut name, pd.surname_of);
        pd.surname_len = name.len().min(16) as u8;
        pd.surname[..usize::from(pd.surname_len)]
            .copy_from_slice(&name[..usize::from(pd.surname_len)]);
    }
    let mut number = Vec::with_capacity(32);
    crate::render::write_case_number(&mut number, tp, d);
    d.case_number_len = number.len().min(32);
    d.case_number[..d.case_number_len].copy_from_slice(&number[..d.case_number_len]);
}
