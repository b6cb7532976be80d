//! The world plan: which tenants, how many case files each (proportional to population times a drawn request
//! rate), their processing times and agents. Computed once from the config, before any case is drawn; every
//! case then depends only on the plan and its own index.

use crate::config::GenConfig;
use crate::error::GenError;
use crate::geo::geo;
use crate::model::{AccountId, AgentFunction, Role, TenantId};
use crate::rng::{Domain, StreamFactory};

/// Account ids of agents start here (person accounts use person ids, far below).
pub const AGENT_ACCOUNT_BASE: u64 = 1 << 40;

/// One tenant of the plan.
#[derive(Debug, Clone)]
pub struct TenantPlan {
    /// Departement index in [`crate::geo::Geo::departements`].
    pub dept: usize,
    /// Tenant id.
    pub id: TenantId,
    /// Global index of its first case file.
    pub first_case: u64,
    /// Number of case files.
    pub cases: u64,
    /// Requests per 1,000 inhabitants.
    pub request_rate: u32,
    /// Mean processing time in days.
    pub mean_days: u32,
    /// Number of agents (the last one is the tenant administrator).
    pub agents: u32,
    /// Global index of its first agent.
    pub agent_base: u64,
    /// Value index of its first agent (surnames and logins): `agent_base` in the world's slice
    /// ([`crate::tag`]).
    pub agent_value_base: u64,
    /// Added to a case file's sequence number in its case number: the world's slice ([`crate::tag`]).
    pub case_base: u64,
    /// `mdph75`-style lower-case label used in agent logins.
    pub login_domain: String,
    /// `MDPH 75 - Paris`.
    pub name: String,
}

impl TenantPlan {
    /// Function of the tenant's `k`-th agent (`None` for the administrator, the last one).
    pub fn agent_role(&self, k: u32) -> (Role, Option<AgentFunction>) {
        if k + 1 == self.agents {
            (Role::TenantAdmin, None)
        } else {
            let f = [
                AgentFunction::Instruction,
                AgentFunction::Evaluation,
                AgentFunction::Secretariat,
            ][(k % 3) as usize];
            (Role::Agent, Some(f))
        }
    }

    /// Account id of the tenant's `k`-th agent.
    pub fn agent_account(&self, k: u32) -> AccountId {
        AccountId(AGENT_ACCOUNT_BASE + self.agent_base + u64::from(k))
    }

    /// A non-admin agent with the given function, chosen by `r`.
    pub fn agent_with(&self, f: AgentFunction, r: u32) -> u32 {
        let per = (self.agents - 1) / 3; // agents of each function (at least 1)
        let i = if per == 0 { 0 } else { r % per };
        i * 3 + f as u32
    }
}

/// The plan of a world.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Tenants in code order.
    pub tenants: Vec<TenantPlan>,
    /// Total number of case files.
    pub cases: u64,
}

impl Plan {
    /// The plan of `config`.
    pub fn new(config: &GenConfig) -> Result<Plan, GenError> {
        let depts = config.resolve_tenants()?;
        let g = geo();
        let streams = StreamFactory::new(config.seed, Domain::Tenant);
        let mut tenants = Vec::with_capacity(depts.len());
        let mut weights = Vec::with_capacity(depts.len());
        for &d in &depts {
            let mut s = streams.stream(d as u64);
            let request_rate = 11 + (s.unit().powf(0.7) * 96.0) as u32;
            let mean_days = 52 + (s.unit().powf(1.8) * 228.0) as u32;
            weights.push(g.departements[d].population as f64 * f64::from(request_rate));
            let code = g.departements[d].code;
            tenants.push(TenantPlan {
                dept: d,
                id: TenantId(d as u64 + 1),
                first_case: 0,
                cases: 0,
                request_rate,
                mean_days,
                agents: 0,
                agent_base: 0,
                agent_value_base: 0,
                case_base: 0,
                login_domain: format!("mdph{}", code.to_ascii_lowercase()),
                name: format!("MDPH {} - {}", code, g.departements[d].name),
            });
        }
        // Largest remainder allocation of the case files.
        let total: f64 = weights.iter().sum();
        let mut alloc: Vec<(u64, f64, usize)> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let exact = config.cases as f64 * w / total;
                (exact.floor() as u64, exact - exact.floor(), i)
            })
            .collect();
        let assigned: u64 = alloc.iter().map(|a| a.0).sum();
        let mut order: Vec<usize> = (0..alloc.len()).collect();
        order.sort_by(|&a, &b| alloc[b].1.total_cmp(&alloc[a].1).then(a.cmp(&b)));
        for &i in order
            .iter()
            .cycle()
            .take((config.cases - assigned) as usize)
        {
            alloc[i].0 += 1;
        }
        // Every tenant gets a case file when there are enough.
        if config.cases >= alloc.len() as u64 {
            for i in 0..alloc.len() {
                if alloc[i].0 == 0 {
                    let donor = (0..alloc.len())
                        .max_by_key(|&j| (alloc[j].0, std::cmp::Reverse(j)))
                        .unwrap_or(0);
                    alloc[donor].0 -= 1;
                    alloc[i].0 += 1;
                }
            }
        }
        let slice = config.slice();
        let mut first = 0;
        let mut agent_base = 0;
        for (t, a) in tenants.iter_mut().zip(&alloc) {
            t.first_case = first;
            t.cases = a.0;
            first += a.0;
            t.agents = 3 * (1 + (a.0 / 6000) as u32) + 1;
            t.agent_base = agent_base;
            t.agent_value_base = slice.agent(agent_base);
            t.case_base = slice.case_base();
            agent_base += u64::from(t.agents);
        }
        Ok(Plan {
            tenants,
            cases: config.cases,
        })
    }

    /// Index in [`Plan::tenants`] of the tenant of case `g`.
    pub fn tenant_of(&self, g: u64) -> usize {
        self.tenants
            .partition_point(|t| t.first_case + t.cases <= g)
            .min(self.tenants.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_allocated_exactly_and_every_tenant_has_some() {
        for (tenants, cases) in [(1usize, 0u64), (3, 5), (3, 200), (101, 101), (101, 10_000)] {
            let plan = Plan::new(&GenConfig::new(9, tenants, cases)).unwrap();
            assert_eq!(plan.tenants.iter().map(|t| t.cases).sum::<u64>(), cases);
            if cases >= tenants as u64 {
                assert!(plan.tenants.iter().all(|t| t.cases > 0));
            }
            for g in 0..cases {
                let t = &plan.tenants[plan.tenant_of(g)];
                assert!(t.first_case <= g && g < t.first_case + t.cases);
            }
            for t in &plan.tenants {
                assert!((11..=107).contains(&t.request_rate) && (52..=280).contains(&t.mean_days));
                assert_eq!(t.agent_role(t.agents - 1).0, Role::TenantAdmin);
                for f in AgentFunction::ALL {
                    for r in 0..10 {
                        assert_eq!(t.agent_role(t.agent_with(*f, r)).1, Some(*f));
                    }
                }
            }
        }
    }
}
