//! A world whose case files are drawn again each time they are asked for: its tenants and agents are held,
//! its case files are not. Every case file draws from its own random stream ([`crate::draw`]), so drawing
//! one again gives it byte for byte, in about 11 µs (50,000 case files in 0.6 s on the reference machine);
//! a run over 50,000 case files held 365 MiB of bundles for its whole length before (issue 23).
//!
//! [`Cases`] is what a consumer of either kind of world needs: the held [`World`] lends its case files,
//! the [`LazyWorld`] draws them.

use std::borrow::Cow;

use crate::bundle;
use crate::canary::CanaryRegistry;
use crate::config::GenConfig;
use crate::draw::{CaseDraw, Drawer, MAX_DOCS};
use crate::error::GenError;
use crate::model::{Account, CaseBundle, CaseId, Document, DocumentId, Tenant, TenantId};
use crate::world::{World, render_document};

/// What a consumer needs of a world, whether it holds its case files or draws them when asked.
pub trait Cases: std::fmt::Debug {
    /// The config the world was generated from.
    fn config(&self) -> &GenConfig;
    /// Tenants, in departement code order.
    fn tenants(&self) -> &[Tenant];
    /// Agent and administrator accounts of every tenant.
    fn agents(&self) -> &[Account];
    /// The number of case files.
    fn case_count(&self) -> usize;
    /// The case file at position `g` (global order, tenant by tenant).
    fn case_at(&self, g: usize) -> Option<Cow<'_, CaseBundle>>;
    /// Every case file, in global order.
    fn each_case(&self) -> Box<dyn Iterator<Item = Cow<'_, CaseBundle>> + '_>;

    /// The tenant with this id.
    fn tenant_by_id(&self, id: TenantId) -> Option<&Tenant> {
        self.tenants().iter().find(|t| t.id == id)
    }
}

impl Cases for World {
    fn config(&self) -> &GenConfig {
        World::config(self)
    }
    fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }
    fn agents(&self) -> &[Account] {
        &self.agents
    }
    fn case_count(&self) -> usize {
        self.cases.len()
    }
    fn case_at(&self, g: usize) -> Option<Cow<'_, CaseBundle>> {
        self.cases.get(g).map(Cow::Borrowed)
    }
    fn each_case(&self) -> Box<dyn Iterator<Item = Cow<'_, CaseBundle>> + '_> {
        Box::new(self.cases.iter().map(Cow::Borrowed))
    }
}

/// A world that holds its tenants and agents and draws a case file each time one is asked for. Build it
/// with [`LazyWorld::new`]; [`LazyWorld::held`] gives the same world in memory.
#[derive(Debug, Clone)]
pub struct LazyWorld {
    drawer: Drawer,
    /// Tenants, in departement code order.
    pub tenants: Vec<Tenant>,
    /// Agent and administrator accounts of every tenant.
    pub agents: Vec<Account>,
}

impl LazyWorld {
    /// The world of `config`, its case files drawn when asked. Deterministic, like [`World::generate`]:
    /// the case files it draws are the ones that world holds.
    pub fn new(config: &GenConfig) -> Result<LazyWorld, GenError> {
        let drawer = Drawer::new(config)?;
        let tenants = drawer.plan.tenants.iter().map(bundle::tenant).collect();
        let agents = drawer
            .plan
            .tenants
            .iter()
            .flat_map(|tp| (0..tp.agents).map(move |k| (tp, k)))
            .map(|(tp, k)| bundle::agent(config.seed, tp, k))
            .collect();
        Ok(LazyWorld {
            drawer,
            tenants,
            agents,
        })
    }

    /// The same world with every case file drawn and held.
    pub fn held(&self) -> World {
        World::from_parts(
            self.drawer.clone(),
            self.tenants.clone(),
            self.agents.clone(),
            self.each_case().collect(),
        )
    }

    /// The config this world was generated from.
    pub fn config(&self) -> &GenConfig {
        &self.drawer.config
    }

    /// The tenant with this id.
    pub fn tenant(&self, id: TenantId) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// The number of case files.
    pub fn case_count(&self) -> usize {
        usize::try_from(self.drawer.plan.cases).unwrap_or(usize::MAX)
    }

    /// The case file at position `g`, drawn.
    pub fn case_at(&self, g: usize) -> Option<CaseBundle> {
        let g = u64::try_from(g)
            .ok()
            .filter(|&g| g < self.drawer.plan.cases)?;
        let mut d = CaseDraw::default();
        self.drawer.draw(g, self.drawer.plan.tenant_of(g), &mut d);
        Some(bundle::bundle(&self.drawer, &d))
    }

    /// The case file with this id, drawn.
    pub fn case(&self, id: CaseId) -> Option<CaseBundle> {
        let g = usize::try_from(id.0.checked_sub(1)?).ok()?;
        self.case_at(g).filter(|c| c.case_file.id == id)
    }

    /// Every case file in global order, each drawn as the iterator reaches it (one draw buffer reused).
    pub fn each_case(&self) -> impl Iterator<Item = CaseBundle> + '_ {
        let mut d = CaseDraw::default();
        let drawer = &self.drawer;
        drawer
            .plan
            .tenants
            .iter()
            .enumerate()
            .flat_map(move |(ti, tp)| {
                (tp.first_case..tp.first_case + tp.cases).map(move |g| (ti, g))
            })
            .map(move |(ti, g)| {
                drawer.draw(g, ti, &mut d);
                bundle::bundle(drawer, &d)
            })
    }

    /// The document with this id, from the case file its id names (ids are `case * MAX_DOCS + k + 1`).
    pub fn document(&self, id: DocumentId) -> Option<Document> {
        let g = usize::try_from(id.0.checked_sub(1)? / MAX_DOCS as u64).ok()?;
        self.case_at(g)?.documents.into_iter().find(|d| d.id == id)
    }

    /// The PDF bytes of a document of this world (see [`crate::document_bytes`]).
    pub fn document_bytes(&self, doc: &Document) -> Vec<u8> {
        render_document(&self.drawer, doc.id).unwrap_or_default()
    }

    /// The canary registry of this world (see [`crate::canary`]).
    pub fn canaries(&self) -> CanaryRegistry {
        CanaryRegistry::from_world(self)
    }
}

impl Cases for LazyWorld {
    fn config(&self) -> &GenConfig {
        LazyWorld::config(self)
    }
    fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }
    fn agents(&self) -> &[Account] {
        &self.agents
    }
    fn case_count(&self) -> usize {
        LazyWorld::case_count(self)
    }
    fn case_at(&self, g: usize) -> Option<Cow<'_, CaseBundle>> {
        LazyWorld::case_at(self, g).map(Cow::Owned)
    }
    fn each_case(&self) -> Box<dyn Iterator<Item = Cow<'_, CaseBundle>> + '_> {
        Box::new(LazyWorld::each_case(self).map(Cow::Owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lazy_world_draws_the_case_files_the_held_world_holds() {
        let config = GenConfig::new(7, 3, 40);
        let lazy = LazyWorld::new(&config).expect("lazy");
        let held = World::generate(&config).expect("held");
        assert_eq!(lazy.held().cases, held.cases);
        assert_eq!(lazy.tenants, held.tenants);
        assert_eq!(lazy.agents, held.agents);
        assert_eq!(lazy.case_count(), held.cases.len());
        for (g, case) in held.cases.iter().enumerate().rev() {
            assert_eq!(lazy.case_at(g).as_ref(), Some(case), "case {g}");
            assert_eq!(lazy.case(case.case_file.id).as_ref(), Some(case));
            for d in &case.documents {
                assert_eq!(lazy.document(d.id).as_ref(), Some(d));
                assert_eq!(lazy.document_bytes(d), held.document_bytes(d));
            }
        }
        assert_eq!(lazy.case_at(held.cases.len()), None);
        let last = held.documents().map(|d| d.id.0).max().unwrap_or(0);
        assert_eq!(lazy.document(DocumentId(last + 1)), None);
        assert_eq!(lazy.document(DocumentId(0)), None);
    }

    #[test]
    fn both_kinds_of_world_give_the_same_cases_and_registry() {
        let config = GenConfig::new(3, 2, 24);
        let lazy = LazyWorld::new(&config).expect("lazy");
        let held = World::generate(&config).expect("held");
        let (a, b): (&dyn Cases, &dyn Cases) = (&lazy, &held);
        assert_eq!(a.case_count(), b.case_count());
        assert!(a.each_case().eq(b.each_case()));
        assert_eq!(a.case_at(5), b.case_at(5));
        let values = |r: &CanaryRegistry| -> Vec<String> {
            r.canaries().map(|c| c.value.to_string()).collect()
        };
        assert_eq!(values(&lazy.canaries()), values(&held.canaries()));
        assert!(!values(&lazy.canaries()).is_empty());
    }
}
