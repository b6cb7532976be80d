//! `[transitions]`: the stateful suite's changes of state.

use super::{ROOTS_CHANGE_ROLE, ROOTS_TRANSFER, Validator};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Provisioning, Transitions};
use crate::profile::raw;

impl Validator<'_> {
    /// `[transitions]`; `provisioning`: the validated `[provisioning]` (`None` where it had mistakes),
    /// whose operator credential a role change needs.
    pub(super) fn transitions(
        &self,
        raw: raw::RawTransitions,
        provisioning: Option<&Option<Provisioning>>,
    ) -> Result<Transitions, ProfileError> {
        let at = KeyPath::root("transitions");
        let mark = self.mark();
        let transfer = self.keep(
            raw.transfer
                .as_ref()
                .map(|e| self.endpoint(&at.key("transfer"), e, ROOTS_TRANSFER))
                .transpose(),
        );
        let change_role = self.keep(
            raw.change_role
                .as_ref()
                .map(|e| self.endpoint(&at.key("change_role"), e, ROOTS_CHANGE_ROLE))
                .transpose(),
        );
        let (Some(transfer), Some(change_role)) = (transfer, change_role) else {
            return Err(self.taken(mark));
        };
        if change_role.is_some() && matches!(provisioning, Some(None)) {
            return Err(self.err(
                &at.key("change_role"),
                "a role change is called with the operator credential: expected a [provisioning] table",
            ));
        }
        Ok(Transitions {
            transfer,
            change_role,
        })
    }
}
