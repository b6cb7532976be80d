//! The in-memory world for small sizes: typed records of every tenant, agent and case file.

use crate::config::GenConfig;
use crate::draw::{CaseDraw, Drawer, MAX_DOCS};
use crate::error::GenError;
use crate::model::*;
use crate::pdf;
use crate::render;

/// A generated world held in memory. Build it with [`World::generate`]; for large worlds stream instead
/// ([`crate::stream`]).
///
/// In every tenant, by construction: agents and a tenant administrator; in its first case file, a
/// representation active at the reference date; in its second, one ended at or before it; both with a
/// representative who has a portal account ([`crate::draw::forced_representation`]).
#[derive(Debug, Clone)]
pub struct World {
    drawer: Drawer,
    /// Tenants, in departement code order.
    pub tenants: Vec<Tenant>,
    /// Agent and administrator accounts of every tenant.
    pub agents: Vec<Account>,
    /// One bundle per case file, in global order (tenant by tenant).
    pub cases: Vec<CaseBundle>,
}

impl World {
    /// Generate the world of `config`. Deterministic: the same config and version give the same world.
    pub fn generate(config: &GenConfig) -> Result<World, GenError> {
        Ok(crate::lazy::LazyWorld::new(config)?.held())
    }

    /// A world of these parts (its case files drawn by `drawer`, in global order).
    pub(crate) fn from_parts(
        drawer: Drawer,
        tenants: Vec<Tenant>,
        agents: Vec<Account>,
        cases: Vec<CaseBundle>,
    ) -> World {
        World {
            drawer,
            tenants,
            agents,
            cases,
        }
    }

    /// The config this world was generated from.
    pub fn config(&self) -> &GenConfig {
        &self.drawer.config
    }

    /// The tenant with this id.
    pub fn tenant(&self, id: TenantId) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// Every person (applicants and representatives).
    pub fn persons(&self) -> impl Iterator<Item = &Person> {
        self.cases.iter().flat_map(|c| &c.persons)
    }

    /// Every legal representation.
    pub fn representations(&self) -> impl Iterator<Item = &Representation> {
        self.cases.iter().flat_map(|c| &c.representations)
    }

    /// Every portal account: agents and administrators first, then applicants and representatives.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.agents
            .iter()
            .chain(self.cases.iter().flat_map(|c| &c.accounts))
    }

    /// Every case file.
    pub fn case_files(&self) -> impl Iterator<Item = &CaseFile> {
        self.cases.iter().map(|c| &c.case_file)
    }

    /// Every status event.
    pub fn status_events(&self) -> impl Iterator<Item = &StatusEvent> {
        self.cases.iter().flat_map(|c| &c.status_events)
    }

    /// Every requested right.
    pub fn requests(&self) -> impl Iterator<Item = &RightRequest> {
        self.cases.iter().flat_map(|c| &c.requests)
    }

    /// Every document (metadata).
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.cases.iter().flat_map(|c| &c.documents)
    }

    /// Every evaluation.
    pub fn evaluations(&self) -> impl Iterator<Item = &Evaluation> {
        self.cases.iter().filter_map(|c| c.evaluation.as_ref())
    }

    /// Every decision.
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.cases.iter().flat_map(|c| &c.decisions)
    }

    /// Every appeal.
    pub fn appeals(&self) -> impl Iterator<Item = &Appeal> {
        self.cases.iter().flat_map(|c| &c.appeals)
    }

    /// Every agent note.
    pub fn notes(&self) -> impl Iterator<Item = &Note> {
        self.cases.iter().flat_map(|c| &c.notes)
    }

    /// The case bundle of a case id.
    pub fn case(&self, id: CaseId) -> Option<&CaseBundle> {
        self.cases
            .get(id.0.checked_sub(1)? as usize)
            .filter(|c| c.case_file.id == id)
    }

    /// The document with this id: in the case file its id names (ids are `case * MAX_DOCS + k + 1`), not
    /// by a search of the world; by a search where the world's case files are not all of its plan's.
    pub fn document(&self, id: DocumentId) -> Option<&Document> {
        let g = usize::try_from(id.0.checked_sub(1)? / MAX_DOCS as u64).ok()?;
        let in_case = self
            .cases
            .get(g)
            .and_then(|c| c.documents.iter().find(|d| d.id == id));
        in_case.or_else(|| self.documents().find(|d| d.id == id))
    }

    /// The PDF bytes of a document of this world (see [`document_bytes`]).
    pub fn document_bytes(&self, doc: &Document) -> Vec<u8> {
        render_document(&self.drawer, doc.id).unwrap_or_default()
    }

    /// The canary registry of this world (see [`crate::canary`]).
    pub fn canaries(&self) -> crate::canary::CanaryRegistry {
        crate::canary::CanaryRegistry::from_world(self)
    }
}

/// The PDF bytes of document `id` in the world of `config`: a pure function of the config and the document
/// (the case file is re-drawn from its own stream), small, valid, with the person's name, the case number
/// and the document's unique reference in its text. `None` if the id is not a document of that world.
pub fn document_bytes(config: &GenConfig, id: DocumentId) -> Result<Option<Vec<u8>>, GenError> {
    Ok(render_document(&Drawer::new(config)?, id))
}

pub(crate) fn render_document(drawer: &Drawer, id: DocumentId) -> Option<Vec<u8>> {
    let n = id.0.checked_sub(1)?;
    let (g, k) = (n / MAX_DOCS as u64, (n % MAX_DOCS as u64) as usize);
    if g >= drawer.plan.cases {
        return None;
    }
    let mut d = CaseDraw::default();
    drawer.draw(g, drawer.plan.tenant_of(g), &mut d);
    Some(document_pdf(drawer, &d, k)).filter(|_| k < d.n_docs)
}

/// The PDF of document `k` of a draw.
pub(crate) fn document_pdf(drawer: &Drawer, d: &CaseDraw, k: usize) -> Vec<u8> {
    let doc = &d.docs[k];
    pdf::render(
        &render::document_lines(drawer, d, k),
        pdf::content_len(doc.kind, doc.pad),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_is_found_by_its_id_and_no_other_id_finds_one() {
        let world = World::generate(&GenConfig::new(3, 3, 60)).expect("world");
        for d in world.documents() {
            assert_eq!(world.document(d.id), Some(d));
        }
        let last = world.documents().map(|d| d.id.0).max().unwrap_or(0);
        for id in [0, last + 1, last + MAX_DOCS as u64 * 10] {
            assert_eq!(world.document(DocumentId(id)), None, "{id}");
        }
    }
}
