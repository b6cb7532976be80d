//! The streaming hot path: records written straight from a draw into reusable JSONL or CSV buffers, with no
//! intermediate record and no per-field allocation. Keys and order are those of [`crate::model`] (serde) and
//! [`crate::schema`]; tests prove the bytes equal serde's for the same records.

use crate::bundle::ids;
use crate::date::Date;
use crate::draw::{CaseDraw, Drawer};
use crate::geo::geo;
use crate::model::{AppealKind, Role};
use crate::pdf;
use crate::plan::TenantPlan;
use crate::render;
use crate::schema::Entity;

/// An output format of the streaming writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header line; strings quoted, nulls empty.
    Csv,
}

impl Format {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

/// A record encoder writing into a byte buffer. All strings given to it are free of `"`, `\` and control
/// characters by construction (checked in tests), so no escaping pass is needed.
pub trait Enc {
    /// The output buffer.
    fn out(&mut self) -> &mut Vec<u8>;
    /// Start a record.
    fn begin(&mut self);
    /// Start a field.
    fn key(&mut self, name: &'static str);
    /// Write a null value.
    fn null(&mut self);
    /// End a record.
    fn end(&mut self);
}

/// JSONL encoder.
#[derive(Debug, Default)]
pub struct Json {
    /// Output.
    pub buf: Vec<u8>,
    first: bool,
}

impl Enc for Json {
    #[inline]
    fn out(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
    #[inline]
    fn begin(&mut self) {
        self.buf.push(b'{');
        self.first = true;
    }
    #[inline]
    fn key(&mut self, name: &'static str) {
        if self.first {
            self.buf.push(b'"');
            self.first = false;
        } else {
            self.buf.extend_from_slice(b",\"");
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }
    #[inline]
    fn null(&mut self) {
        self.buf.extend_from_slice(b"null");
    }
    #[inline]
    fn end(&mut self) {
        self.buf.extend_from_slice(b"}\n");
    }
}

/// CSV encoder.
#[derive(Debug, Default)]
pub struct Csv {
    /// Output.
    pub buf: Vec<u8>,
    first: bool,
}

impl Enc for Csv {
    #[inline]
    fn out(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
    #[inline]
    fn begin(&mut self) {
        self.first = true;
    }
    #[inline]
    fn key(&mut self, _name: &'static str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
    }
    #[inline]
    fn null(&mut self) {}
    #[inline]
    fn end(&mut self) {
        self.buf.push(b'\n');
    }
}

#[inline]
fn s<E: Enc>(e: &mut E, name: &'static str, v: &str) {
    e.key(name);
    let o = e.out();
    o.push(b'"');
    o.extend_from_slice(v.as_bytes());
    o.push(b'"');
}

#[inline]
fn sf<E: Enc>(e: &mut E, name: &'static str, f: impl FnOnce(&mut Vec<u8>)) {
    e.key(name);
    let o = e.out();
    o.push(b'"');
    f(o);
    o.push(b'"');
}

#[inline]
fn osf<E: Enc>(e: &mut E, name: &'static str, f: impl FnOnce(&mut Vec<u8>) -> bool) {
    e.key(name);
    let o = e.out();
    let mark = o.len();
    o.push(b'"');
    if f(o) {
        o.push(b'"');
    } else {
        o.truncate(mark);
        e.null();
    }
}

#[inline]
fn os<E: Enc>(e: &mut E, name: &'static str, v: Option<&str>) {
    match v {
        Some(v) => s(e, name, v),
        None => {
            e.key(name);
            e.null();
        }
    }
}

#[inline]
fn u<E: Enc>(e: &mut E, name: &'static str, v: u64) {
    e.key(name);
    render::push_u64(e.out(), v);
}

#[inline]
fn ou<E: Enc>(e: &mut E, name: &'static str, v: Option<u64>) {
    e.key(name);
    match v {
        Some(v) => render::push_u64(e.out(), v),
        None => e.null(),
    }
}

#[inline]
fn b<E: Enc>(e: &mut E, name: &'static str, v: bool) {
    e.key(name);
    e.out()
        .extend_from_slice(if v { b"true" } else { b"false" });
}

#[inline]
fn date<E: Enc>(e: &mut E, name: &'static str, d: Date) {
    e.key(name);
    let o = e.out();
    o.push(b'"');
    d.write_iso(o);
    o.push(b'"');
}

#[inline]
fn odate<E: Enc>(e: &mut E, name: &'static str, d: Option<Date>) {
    match d {
        Some(d) => date(e, name, d),
        None => {
            e.key(name);
            e.null();
        }
    }
}

/// Write a tenant record.
pub fn tenant<E: Enc>(e: &mut E, tp: &TenantPlan) {
    let d = &geo().departements[tp.dept];
    e.begin();
    u(e, "id", tp.id.0);
    s(e, "code", d.code);
    s(e, "name", &tp.name);
    s(e, "departement", d.name);
    s(e, "region", d.region_name);
    u(e, "population", d.population);
    u(e, "request_rate_per_1000", u64::from(tp.request_rate));
    u(e, "mean_processing_days", u64::from(tp.mean_days));
    e.end();
}

/// Write the account of agent `k` of a tenant.
pub fn agent<E: Enc>(e: &mut E, seed: u64, tp: &TenantPlan, k: u32) {
    let id = tp.agent_account(k);
    let (role, function) = tp.agent_role(k);
    e.begin();
    u(e, "id", id.0);
    u(e, "tenant_id", tp.id.0);
    sf(e, "login", |o| render::agent_login(o, seed, tp, k));
    sf(e, "password", |o| render::password(o, seed, id.0));
    s(e, "role", role.as_str());
    os(e, "function", function.map(|f| f.as_str()));
    sf(e, "display_name", |o| {
        render::agent_display_name(o, seed, tp, k)
    });
    ou(e, "person_id", None);
    ou(e, "represented_person_id", None);
    e.end();
}

/// The per-entity encoders of one writer.
#[derive(Debug)]
pub struct Encoders<E> {
    /// One encoder per entity, indexed by [`Entity`].
    pub by_entity: Vec<E>,
}

impl<E: Enc + Default> Default for Encoders<E> {
    fn default() -> Self {
        Encoders {
            by_entity: Entity::ALL.iter().map(|_| E::default()).collect(),
        }
    }
}

impl<E: Enc> Encoders<E> {
    /// The encoder of an entity.
    #[inline]
    pub fn get(&mut self, entity: Entity) -> &mut E {
        &mut self.by_entity[entity as usize]
    }
}

/// Write every record of a drawn case file.
pub fn case<E: Enc>(enc: &mut Encoders<E>, drawer: &Drawer, d: &CaseDraw) {
    let tp = drawer.tenant(d);
    let seed = drawer.config.seed;
    persons(enc.get(Entity::Persons), tp, d);
    representations(enc.get(Entity::Representations), tp, d);
    accounts(enc.get(Entity::Accounts), seed, tp, d);
    case_file(enc.get(Entity::CaseFiles), tp, d);
    status_events(enc.get(Entity::StatusEvents), tp, d);
    requests(enc.get(Entity::Requests), tp, d);
    documents(enc.get(Entity::Documents), tp, d);
    evaluation(enc.get(Entity::Evaluations), tp, d);
    decisions(enc.get(Entity::Decisions), tp, d);
    appeals(enc.get(Entity::Appeals), tp, d);
    notes(enc.get(Entity::Notes), tp, d);
}

/// The persons.
fn persons<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let g = geo();
    for pd in d.persons() {
        let commune = &g.communes[pd.commune as usize];
        e.begin();
        u(e, "id", ids::person(pd.p).0);
        u(e, "tenant_id", t);
        s(e, "sex", if pd.sex == 2 { "F" } else { "M" });
        s(e, "first_name", render::first_name(pd));
        sf(e, "surname", |o| render::surname(o, pd));
        date(e, "birth_date", pd.birth);
        sf(e, "birth_place_code", |o| render::birth_place_code(o, pd));
        s(e, "birth_place", render::birth_place_name(pd));
        sf(e, "nir", |o| render::nir(o, pd));
        sf(e, "address_line", |o| render::address_line(o, pd));
        s(e, "postcode", render::postcode(pd));
        s(e, "commune_code", commune.code);
        s(e, "commune", commune.name);
        s(e, "departement", g.departements[commune.departement].code);
        osf(e, "phone", |o| render::phone(o, pd));
        osf(e, "email", |o| render::email(o, pd));
        osf(e, "iban", |o| render::iban(o, pd));
        s(e, "protection", pd.protection.as_str());
        e.end();
    }
}

/// The legal representations of the applicant.
fn representations<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let applicant = ids::person(d.persons[0].p).0;
    for (k, r) in d.reps.iter().enumerate() {
        let Some(r) = r else { continue };
        e.begin();
        u(e, "id", ids::representation(d.g, k).0);
        u(e, "tenant_id", t);
        u(e, "person_id", applicant);
        u(
            e,
            "representative_id",
            ids::person(d.persons[r.slot as usize].p).0,
        );
        s(e, "kind", r.kind.as_str());
        date(e, "start_date", r.start);
        odate(e, "end_date", r.end);
        e.end();
    }
}

/// The portal accounts of the persons who have one.
fn accounts<E: Enc>(e: &mut E, seed: u64, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let applicant = ids::person(d.persons[0].p).0;
    for pd in d.persons().filter(|p| p.account) {
        let pid = ids::person(pd.p).0;
        let rep = pd.slot() != 0;
        e.begin();
        u(e, "id", pid);
        u(e, "tenant_id", t);
        sf(e, "login", |o| {
            render::email(o, pd);
        });
        sf(e, "password", |o| render::password(o, seed, pid));
        s(
            e,
            "role",
            if rep {
                Role::Representative.as_str()
            } else {
                Role::Applicant.as_str()
            },
        );
        ou(e, "function", None);
        sf(e, "display_name", |o| render::display_name(o, pd));
        u(e, "person_id", pid);
        ou(
            e,
            "represented_person_id",
            if rep { Some(applicant) } else { None },
        );
        e.end();
    }
}

/// The case file itself.
fn case_file<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    let applicant = ids::person(d.persons[0].p).0;
    e.begin();
    u(e, "id", case_id);
    u(e, "tenant_id", t);
    u(e, "person_id", applicant);
    sf(e, "case_number", |o| render::case_number(o, tp, d));
    s(e, "audience", d.audience.as_str());
    s(e, "request_kind", d.request_kind.as_str());
    date(e, "filing_date", d.filing);
    odate(e, "admissibility_date", d.admissibility);
    s(e, "status", render::current_status(d).as_str());
    date(e, "form_signed_date", d.form_date);
    date(e, "medical_certificate_date", d.certificate_date);
    sf(e, "medical_certificate_doctor", |o| render::doctor(o, d));
    b(e, "pch_age_exception", d.pch_exception);
    e.end();
}

/// The status history.
fn status_events<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    for (k, (status, dt)) in d.statuses().iter().enumerate() {
        e.begin();
        u(e, "id", ids::status(d.g, k).0);
        u(e, "tenant_id", t);
        u(e, "case_id", case_id);
        s(e, "status", status.as_str());
        date(e, "date", *dt);
        e.end();
    }
}

/// The requested rights.
fn requests<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    for (k, r) in d.rights().iter().enumerate() {
        e.begin();
        u(e, "id", ids::request(d.g, k).0);
        u(e, "tenant_id", t);
        u(e, "case_id", case_id);
        s(e, "right", r.right.as_str());
        s(e, "detail", r.detail);
        e.end();
    }
}

/// The documents (their metadata).
fn documents<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    for (k, doc) in d.docs().iter().enumerate() {
        e.begin();
        u(e, "id", ids::document(d.g, k).0);
        u(e, "tenant_id", t);
        u(e, "case_id", case_id);
        u(
            e,
            "person_id",
            ids::person(d.persons[doc.slot as usize].p).0,
        );
        s(e, "kind", doc.kind.as_str());
        sf(e, "file_name", |o| render::document_file_name(o, tp, d, k));
        s(e, "content_type", "application/pdf");
        u(e, "size", pdf::size(doc.kind, doc.pad));
        sf(e, "reference", |o| render::document_reference(o, tp, d, k));
        date(e, "issued_date", doc.issued);
        e.end();
    }
}

/// The evaluation, once done.
fn evaluation<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    if let Some((dt, k)) = d.evaluation {
        e.begin();
        u(e, "id", ids::evaluation(d.g).0);
        u(e, "tenant_id", t);
        u(e, "case_id", case_id);
        u(e, "evaluator_id", tp.agent_account(k).0);
        date(e, "date", dt);
        s(e, "band", d.band.as_str());
        b(e, "work_restriction", d.work_restriction);
        b(e, "improvement_expected", d.improvement_expected);
        e.end();
    }
}

/// The decisions, once taken.
fn decisions<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    if let Some(dt) = d.decision_date {
        for (k, r) in d.rights().iter().enumerate() {
            e.begin();
            u(e, "id", ids::decision(d.g, k).0);
            u(e, "tenant_id", t);
            u(e, "case_id", case_id);
            u(e, "request_id", ids::request(d.g, k).0);
            s(e, "right", r.right.as_str());
            sf(e, "number", |o| render::decision_number(o, tp, d, r.right));
            s(e, "outcome", r.outcome.as_str());
            date(e, "decision_date", dt);
            odate(e, "start_date", r.start);
            odate(e, "end_date", r.end);
            b(e, "no_time_limit", r.no_time_limit);
            os(e, "refusal_reason", r.reason);
            s(e, "notified_to", r.notified_to);
            odate(e, "notification_date", d.notification);
            sf(e, "text", |o| render::decision_text(o, tp, d, k));
            e.end();
        }
    }
}

/// The appeal, if any.
fn appeals<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    if let Some(a) = &d.appeal {
        e.begin();
        u(e, "id", ids::appeal(d.g).0);
        u(e, "tenant_id", t);
        u(e, "case_id", case_id);
        u(e, "decision_id", ids::decision(d.g, a.right as usize).0);
        s(e, "kind", AppealKind::Rapo.as_str());
        date(e, "filed_date", a.filed);
        s(e, "outcome", a.outcome.as_str());
        odate(e, "outcome_date", a.outcome_date);
        e.end();
    }
}

/// The agents' notes.
fn notes<E: Enc>(e: &mut E, tp: &TenantPlan, d: &CaseDraw) {
    let t = tp.id.0;
    let case_id = ids::case(d.g).0;
    for (k, n) in d.notes().iter().enumerate() {
        e.begin();
        u(e, "id", ids::note(d.g, k).0);
        u(e, "tenant_id", t);
        u(e, "case_id", case_id);
        u(e, "author_id", tp.agent_account(n.author).0);
        date(e, "date", n.date);
        sf(e, "text", |o| render::note_text(o, tp, d, k));
        e.end();
    }
}
