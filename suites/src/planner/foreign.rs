//! Foreign creates: every role files child records (documents, notes, traces) under case files of the pool
//! it may not write, in its own tenant and in another. The parent's owner lists the children afterwards: the
//! probe's marker among them is proven tampering (see [`crate::verdict`]).

use crate::family::Family;
use crate::probes::Relation;
use crate::surface::EndpointRef;

use super::builder::Builder;
use super::index::{Index, Pool};
use super::reserved::pooled;

impl<'a> Builder<'a> {
    /// Per cell (create endpoint, role, relation), creates aimed at children of pool case files the role may
    /// not write (the policy's notion of who may change a record, as for direct writes): each probe names a
    /// child record of the pool, whose case file is the parent and whose values fill the request, with
    /// others to fall back on; a cell that no record of the pool fits is planned as not sent.
    pub(super) fn foreign_creates(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
        let creates: Vec<&EndpointRef> = self.surface.child_creates().collect();
        let mut turn = 0;
        for endpoint in creates {
            let victims = pooled(pool, all, endpoint.kind);
            for role in self.roles() {
                for relation in [Relation::SameTenant, Relation::OtherTenant] {
                    self.write_cell(
                        all,
                        endpoint,
                        role,
                        relation,
                        &victims,
                        &mut turn,
                        Family::ForeignCreate,
                    );
                }
            }
        }
    }
}
