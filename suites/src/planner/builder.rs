//! The planner's view of the families being planned: the sampled cells and their probes, and whether a
//! family's needs are met by the surface and the world.

use std::collections::BTreeMap;

use crate::family::{Family, Need};
use crate::policy::AccessPolicy;
use crate::population::{Identity, Record};
use crate::probes::{Cell, Expect, Probe, Relation, Variant};
use crate::surface::{CallerUse, Creator, EndpointRef, Op, Param, Surface};

use super::PlanConfig;
use super::index::Index;
use super::rng::Rng;

/// The planner's view of one family being planned.
pub(super) struct Builder<'a> {
    pub(super) index: Index<'a>,
    pub(super) policy: &'a AccessPolicy,
    pub(super) surface: &'a Surface,
    pub(super) config: PlanConfig,
    pub(super) cells: BTreeMap<Family, BTreeMap<Cell, Vec<Probe>>>,
    pub(super) controls: Vec<Probe>,
    /// Cells left out although their family applies, and why.
    pub(super) unplanned: Vec<super::Unplanned>,
    /// The records each probe that changes one may fall back on.
    pub(super) reserve: crate::reserve::Reserve,
}

impl<'a> Builder<'a> {
    pub(super) fn rng(&self, salt: &str) -> Rng {
        Rng::new(self.config.seed, salt)
    }

    pub(super) fn push(&mut self, probe: Probe) {
        self.cells
            .entry(probe.family)
            .or_default()
            .entry(probe.cell.clone())
            .or_default()
            .push(probe);
    }

    /// Plan a probe (see [`Builder::probe`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add(
        &mut self,
        family: Family,
        endpoint: &EndpointRef,
        actor: Option<&Identity>,
        record: Option<&Record>,
        relation: Relation,
        variant: Variant,
        expect: Expect,
    ) {
        let probe = self.probe(family, endpoint, actor, record, relation, variant, expect);
        self.push(probe);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn probe(
        &self,
        family: Family,
        endpoint: &EndpointRef,
        actor: Option<&Identity>,
        record: Option<&Record>,
        relation: Relation,
        variant: Variant,
        expect: Expect,
    ) -> Probe {
        Probe {
            family,
            actor: actor.map(|a| a.key.clone()),
            endpoint: endpoint.key.clone(),
            record: record.map(|r| r.key.to_string()),
            cell: Cell {
                family,
                endpoint: endpoint.key.clone(),
                role: actor.map_or_else(|| "anonymous".to_string(), |a| a.role.clone()),
                relation,
                kind: endpoint.kind,
                via: variant.via(),
            },
            variant,
            expect,
        }
    }

    pub(super) fn roles(&self) -> Vec<&'a str> {
        self.index.roles.keys().copied().collect()
    }

    /// The identity that creates records of a kind reads them back: the steward for owner-created kinds,
    /// an agent of the tenant for agent-created ones.
    pub(super) fn creator_of(&self, record: &'a Record) -> Option<&'a Identity> {
        let population = self.index.population;
        let creator = match self.surface.creators.get(&record.kind) {
            Some(Creator::Agent) => population
                .identities()
                .iter()
                .find(|i| i.role == "agent" && i.tenant == record.tenant),
            _ => population.steward_of(record),
        }?;
        self.policy
            .may_see(population, creator, record)
            .is_allowed()
            .then_some(creator)
    }

    /// Whether the surface and the world meet `need`.
    pub(super) fn need_met(&self, need: Need) -> bool {
        let s = self.surface;
        match need {
            Need::RecordRead => s.record_reads().next().is_some(),
            Need::RecordWrite => s
                .endpoints
                .iter()
                .any(|e| matches!(e.op, Op::Update | Op::Delete) && e.param == Param::Record),
            Need::UpdateBody => s
                .endpoints
                .iter()
                .any(|e| e.op == Op::Update && e.open_body && e.param == Param::Record),
            // A `GET` function only some role of the world may call is a collection to them; one granted to
            // nobody (or to roles the world has none of) is the function-level family's alone.
            Need::Collection => s.collections().any(|e| {
                e.op != Op::Export
                    && e.granted
                        .as_ref()
                        .is_none_or(|g| g.iter().any(|r| self.index.roles.contains_key(r.as_str())))
            }),
            Need::Search => s.with_op(Op::Search).next().is_some(),
            Need::Export => s.with_op(Op::Export).next().is_some(),
            // Some role of the world is not granted a function, or a caller without credentials may call
            // one that changes state.
            Need::Functions => s.endpoints.iter().any(|e| {
                e.granted.as_ref().is_some_and(|g| {
                    self.index.roles.keys().any(|r| !g.iter().any(|x| x == r))
                        || (e.is_unconfined_write() && e.caller == CallerUse::Nothing)
                })
            }),
            Need::Tenancy => !self.surface.no_tenants,
            Need::Tenants => self.index.tenants.len() >= 2,
            Need::Identifiers => !self.index.population.records().is_empty(),
            Need::Transitions => !self.surface.transitions.is_empty(),
            Need::ChildCreate => s.child_creates().next().is_some(),
            Need::RoleRoute | Need::CredentialChange | Need::OwnAccounts => {
                self.accounts_need_met(need)
            }
            Need::SessionLogin => self.surface.session_login,
            Need::AuditTrail => self.surface.audit_trail,
        }
    }
}
