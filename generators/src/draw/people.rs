//! The persons of a case file: the applicant, the representatives (a protection measure's tutor, curator
//! or empowered family member; a minor's parents), and their contact details and accounts.

use crate::date::{Date, days_in_month};
use crate::geo::geo;
use crate::ident::BANK_CODES;
use crate::model::{Protection, RepresentationKind};
use crate::plan::TenantPlan;
use crate::rng::Stream;
use crate::text;

use super::types::{CaseDraw, PersonDraw, RepDraw};
use super::{Basis, Drawer};

impl Drawer {
    /// Draw the applicant (slot 0), born to be `b.age` at the filing.
    pub(super) fn applicant(&self, s: &mut Stream, d: &mut CaseDraw, b: &Basis) {
        let p0 = 3 * d.g;
        self.person(s, &mut d.persons[0], p0, p0, p0, d.tenant, None);
        d.persons[0].birth = birth_for_age(d.filing, b.age, d.persons[0].birth.0 as u32);
    }

    /// Draw the protection of an adult (and its representative) or the parents of a child, and the slot of
    /// the person agents talk to.
    pub(super) fn representatives(&self, s: &mut Stream, d: &mut CaseDraw, b: &Basis) {
        if !b.child && (b.forced.is_some() || s.chance(self.config.weights.protected_adult_share)) {
            self.protection(s, d, b);
        } else if b.child {
            self.parents(s, d, b);
        } else {
            d.contact = 0;
        }
    }

    /// The protection measure of an adult and its representative.
    fn protection(&self, s: &mut Stream, d: &mut CaseDraw, b: &Basis) {
        let ended = b.ended();
        let birth = d.persons[0].birth;
        let p0 = 3 * d.g;
        let (prot, kind) = match s.below(20) {
            // A forced ended representation is a curatelle that the judge lifted (mainlevee) after
            // the filing: the person, who acted with the curator's assistance, now acts alone.
            _ if ended => (Protection::Curatelle, RepresentationKind::Curateur),
            0..=8 => (Protection::Tutelle, RepresentationKind::Tuteur),
            9..=17 => (Protection::Curatelle, RepresentationKind::Curateur),
            _ => (
                Protection::HabilitationFamiliale,
                RepresentationKind::HabilitationFamiliale,
            ),
        };
        // The representative is a woman (slot 1) or a man (slot 2) \[est.: half and half\]: slots have a
        // sex (see `birth::FEMALE_SHARE`).
        let rs: usize = if s.chance(0.5) { 1 } else { 2 };
        let pr = p0 + rs as u64;
        self.person(s, &mut d.persons[rs], pr, pr, pr, d.tenant, None);
        let rep_age = 30 + s.below(40) as i32;
        d.persons[rs].birth = birth_for_age(d.filing, rep_age, d.persons[rs].birth.0 as u32);
        // The measure started once both the protected person and the representative were of age.
        let earliest = birth.add_years(18).max(d.persons[rs].birth.add_years(18));
        let start = d.filing.add_days(-(s.between(60, 15 * 365)));
        // The curatelle of a forced ended representation was lifted between the filing and the
        // reference date (the filing is at least a year back): the person is no longer protected.
        let end = ended.then(|| d.filing.add_days(s.between(1, b.reference.0 - d.filing.0)));
        d.persons[0].protection = if ended { Protection::None } else { prot };
        d.reps[0] = Some(RepDraw {
            kind,
            slot: rs as u8,
            start: start.max(earliest),
            end,
        });
        // Agents deal with whoever acts for the person: the tutor or the empowered family member (they
        // represent the person); under curatelle, the person, assisted.
        d.contact = match prot {
            Protection::Tutelle | Protection::HabilitationFamiliale if !ended => rs as u8,
            _ => 0,
        };
    }

    /// The parents of a child: one, or two (the second, the father, carries the child's surname too).
    fn parents(&self, s: &mut Stream, d: &mut CaseDraw, b: &Basis) {
        let birth = d.persons[0].birth;
        let adult_now = birth.age_on(b.reference) >= 18;
        let p0 = 3 * d.g;
        let two = s.chance(0.65);
        let household = p0;
        let c0 = d.persons[0].commune;
        self.person(
            s,
            &mut d.persons[1],
            p0 + 1,
            household,
            household,
            d.tenant,
            Some(c0),
        );
        d.persons[1].postcode = d.persons[0].postcode;
        let parent_age = b.age + 20 + s.below(22) as i32;
        d.persons[1].birth = birth_for_age(d.filing, parent_age, d.persons[1].birth.0 as u32);
        let end = if adult_now {
            Some(birth.add_years(18))
        } else {
            None
        };
        d.reps[0] = Some(RepDraw {
            kind: RepresentationKind::Parent,
            slot: 1,
            start: birth,
            end,
        });
        if two {
            // The second parent (the father: slots have a sex) carries the child's surname too.
            self.person(
                s,
                &mut d.persons[2],
                p0 + 2,
                household,
                household,
                d.tenant,
                Some(c0),
            );
            d.persons[2].postcode = d.persons[0].postcode;
            let parent_age = b.age + 20 + s.below(24) as i32;
            d.persons[2].birth = birth_for_age(d.filing, parent_age, d.persons[2].birth.0 as u32);
            d.reps[1] = Some(RepDraw {
                kind: RepresentationKind::Parent,
                slot: 2,
                start: birth,
                end,
            });
        }
        d.contact = if adult_now { 0 } else { 1 };
    }

    /// Draw a person: place of birth and NIR identity from the birth plan ([`crate::birth`]), address in the
    /// tenant (the household's commune when given). The birth date is set by the caller; here `birth.0`
    /// carries a day seed.
    #[allow(clippy::too_many_arguments)]
    fn person(
        &self,
        s: &mut Stream,
        pd: &mut PersonDraw,
        p: u64,
        surname_of: u64,
        address_of: u64,
        t: usize,
        commune: Option<u32>,
    ) {
        let g = geo();
        let tp = &self.plan.tenants[t];
        let seq = p / 3 - tp.first_case;
        let id = self.births.identity(t, 3 * seq + p % 3);
        let slice = self.slice;
        pd.present = true;
        pd.p = p;
        pd.value_of = slice.person(p);
        pd.surname_of = slice.person(surname_of);
        pd.address_of = slice.person(address_of);
        pd.sex = id.sex;
        pd.place = id.place;
        pd.order = id.order;
        pd.nir_place = id.nir_place;
        pd.name_seed = s.u32();
        // Month of birth from the NIR; the day is drawn here and used by `birth_for_age`.
        let day_seed = s.u32() & 0xFFFF;
        pd.birth = Date(((u32::from(id.month)) << 16 | day_seed) as i32);
        pd.commune = match commune {
            Some(c) => c,
            None => g.commune_index_at(tp.dept, s.below_u64(g.drawable_population(tp.dept))) as u32,
        };
        let usable = g.communes[pd.commune as usize].usable_postcodes.len();
        pd.postcode = if usable > 1 {
            s.below(usable as u32) as u8
        } else {
            0
        };
        pd.nir_commune = u32::MAX;
        if self.config.real_birth_communes && usize::from(id.place) < g.departements.len() {
            let d = usize::from(id.place);
            pd.nir_commune = g.commune_index_at(d, s.below_u64(g.drawable_population(d))) as u32;
        }
    }
}

/// Contact details and accounts of the present persons: phone, portal account, IBAN.
pub(super) fn contact_details(
    s: &mut Stream,
    d: &mut CaseDraw,
    tp: &TenantPlan,
    child: bool,
    reference: Date,
) {
    for slot in 0..3 {
        let pd = &mut d.persons[slot];
        if !pd.present {
            continue;
        }
        let age_ref = pd.birth.age_on(reference);
        pd.account = if slot == 0 {
            age_ref >= 18 && matches!(pd.protection, Protection::None | Protection::Curatelle)
        } else {
            true
        };
        if age_ref >= 15 {
            pd.phone_prefix = match s.below(20) {
                0..=8 => 6,
                9..=14 => 7,
                15..=18 => region_phone_prefix(geo().departements[tp.dept].region_code),
                _ => 9,
            };
        }
        let iban_p = match slot {
            0 if age_ref >= 18 => 0.7,
            1 if child => 0.8,
            1 | 2 if !child => 0.3,
            _ => 0.0,
        };
        if s.chance(iban_p) {
            pd.bank = s.below(BANK_CODES.len() as u32) as u8;
            pd.branch = s.below(100_000);
        }
    }
}

/// The first name of a drawn person whose birth date is known: a name of their decade of birth and sex
/// (of the Maghreb and Turkey for persons born there), drawn with the weights of
/// [`text::first_name_weight`].
pub(super) fn first_name_index(pd: &PersonDraw) -> u16 {
    let maghreb = usize::from(pd.place)
        .checked_sub(geo().departements.len())
        .and_then(|k| crate::ident::BIRTH_COUNTRIES.get(k))
        .is_some_and(|c| crate::ident::maghreb_or_turkey(c.0));
    let (list, _) = text::first_name_list(pd.birth.year(), pd.sex, maghreb);
    let mut r = f64::from(pd.name_seed) / 4_294_967_296.0;
    let mut rank = 9;
    for k in 0..10 {
        let w = text::first_name_weight(k);
        if r < w {
            rank = k;
            break;
        }
        r -= w;
    }
    (list * 10 + rank) as u16
}

/// A birth date giving exactly `age` whole years on `on`, in the NIR's month (`seed` packs month and a day
/// seed, see [`Drawer::person`]).
fn birth_for_age(on: Date, age: i32, seed: u32) -> Date {
    let month = seed >> 16;
    let (y, _, _) = on.ymd();
    let mut year = y - age;
    let days = if month == 2 {
        28
    } else {
        days_in_month(year, month)
    };
    let day = 1 + (seed & 0xFFFF) % days;
    let mut b = Date::from_ymd(year, month, day);
    if b.age_on(on) < age {
        year -= 1;
        b = Date::from_ymd(year, month, day);
    }
    b
}

/// Phone prefix of a region's landlines (01 Ile-de-France, 02 north-west, 03 north-east, 04 south-east,
/// 05 south-west); overseas numbers are mobile.
fn region_phone_prefix(region: &str) -> u8 {
    match region {
        "11" => 1,
        "24" | "28" | "52" | "53" => 2,
        "27" | "32" | "44" => 3,
        "84" | "93" | "94" => 4,
        "75" | "76" => 5,
        _ => 6,
    }
}
