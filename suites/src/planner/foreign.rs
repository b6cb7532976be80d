//! Foreign creates: every role files child records (documents, notes, traces) under case files of the pool
//! under which it may not write them, in its own tenant and in another. The parent's owner lists the
//! children afterwards: the probe's marker among them is proven tampering (see [`crate::verdict`]).

use crate::family::Family;
use crate::population::RecordKind;
use crate::probes::Relation;
use crate::surface::EndpointRef;

use super::builder::Builder;
use super::index::{Index, Pool};
use super::reserved::{WriteCell, pooled};

impl<'a> Builder<'a> {
    /// Per cell (create endpoint, role, relation), creates under pool case files where the role may not
    /// write records of the endpoint's kind (the policy's notion of who may change a record, as for direct
    /// writes): each probe names the parent case file, with others to fall back on; a cell that no case file
    /// of the pool fits is planned as not sent.
    pub(super) fn foreign_creates(&mut self, pool: &Pool<'a>, all: &Index<'a>) {
        let creates: Vec<&EndpointRef> = self.surface.child_creates().collect();
        let mut turn = 0;
        for endpoint in creates {
            let victims = pooled(pool, all, RecordKind::Case);
            for role in self.roles() {
                for relation in [Relation::SameTenant, Relation::OtherTenant] {
                    let cell = WriteCell {
                        family: Family::ForeignCreate,
                        endpoint,
                        role,
                        relation,
                    };
                    self.write_cell(all, cell, &victims, &mut turn);
                }
            }
        }
    }
}
