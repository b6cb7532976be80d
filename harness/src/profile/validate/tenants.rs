//! `[tenants]` and `[provisioning]`: how tenants and identities come to exist.

use super::{
    ROOTS_IDENTITY, ROOTS_REPRESENTATION, ROOTS_SECRETS, ROOTS_TENANT, ROOTS_TENANT_CREATE,
    Validator,
};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{
    Accounts, Endpoint, ExistingAccount, ExistingTenant, Provisioning, TenantRef, Tenants,
};
use crate::profile::raw::{self, AccountSource, TenantMode};

impl Validator<'_> {
    /// `[tenants]`: the mode (defaulting from the accounts' source), and what that mode needs.
    pub(super) fn tenants(
        &self,
        raw: Option<raw::RawTenants>,
        accounts: &Accounts,
    ) -> Result<Tenants, ProfileError> {
        let at = KeyPath::root("tenants");
        let raw = raw.unwrap_or_default();
        let mode = self.tenant_mode(&raw, accounts)?;
        let create = match (&raw.create, mode) {
            (Some(e), TenantMode::Register) => Some(self.endpoint_extracting(
                &at.key("create"),
                e,
                ROOTS_TENANT_CREATE,
                &["id", "credential", "code"],
            )?),
            (None, TenantMode::Register) => {
                return Err(self.err(&at.key("mode"), "`mode = \"register\"` but no call creates a tenant: expected [tenants.create], called anonymously for the first identity of each tenant"));
            }
            (Some(_), _) => {
                return Err(self.err(&at.key("create"), "[tenants.create] is only called with `mode = \"register\"`: remove it, or set `mode = \"register\"`"));
            }
            (None, _) => None,
        };
        if !raw.existing.is_empty() && mode != TenantMode::Existing {
            return Err(self.err(&at.key("existing"), "[[tenants.existing]] is only read with `mode = \"existing\"`: remove it, or set `mode = \"existing\"`"));
        }
        let existing = self.existing_tenants(&raw.existing)?;
        let tenants = Tenants {
            mode,
            create,
            existing,
        };
        let mark = self.mark();
        for account in &accounts.existing {
            self.keep(self.account_tenant(account, &tenants));
        }
        self.since(mark)?;
        Ok(tenants)
    }

    /// How tenants come to exist: the mode given, else the one the accounts' source implies.
    fn tenant_mode(
        &self,
        raw: &raw::RawTenants,
        accounts: &Accounts,
    ) -> Result<TenantMode, ProfileError> {
        let mode = match (raw.mode, accounts.source) {
            (Some(mode), _) => mode,
            (None, AccountSource::Provision) => TenantMode::Provision,
            (None, AccountSource::Existing) => TenantMode::Existing,
            (None, _) if raw.create.is_some() => TenantMode::Register,
            (None, _) if !raw.existing.is_empty() => TenantMode::Existing,
            (None, _) => {
                return Err(self.err(&KeyPath::root("accounts").key("source"), "say how tenants come to exist: expected `[tenants] mode = \"none\"` (no tenants), `\"register\"` (with [tenants.create]), `\"existing\"` or `\"provision\"`"));
            }
        };
        if accounts.source == AccountSource::Existing
            && !matches!(mode, TenantMode::Existing | TenantMode::None)
        {
            return Err(self.err(&KeyPath::root("tenants").key("mode"), "existing accounts belong to tenants that exist too: expected `mode = \"existing\"` or `mode = \"none\"`"));
        }
        Ok(mode)
    }

    /// `[[tenants.existing]]`: each with its code, or none with one.
    fn existing_tenants(
        &self,
        raw: &[raw::RawExistingTenant],
    ) -> Result<Vec<ExistingTenant>, ProfileError> {
        let at = KeyPath::root("tenants");
        let mut existing = Vec::new();
        for (i, tenant) in raw.iter().enumerate() {
            let origin = at.key("existing").index(i);
            let credential = tenant
                .credential
                .as_deref()
                .map(|t| self.template(&origin.key("credential"), t, ROOTS_SECRETS))
                .transpose()?;
            existing.push(ExistingTenant {
                code: tenant.code.clone(),
                id: tenant.id.clone(),
                credential,
                origin,
            });
        }
        let coded = existing.iter().filter(|t| t.code.is_some()).count();
        if coded != 0 && coded != existing.len() {
            let first = existing
                .iter()
                .find(|t| t.code.is_none())
                .map_or(at.clone(), |t| t.origin.clone());
            return Err(self.err(&first, "some tenants name their `code` and this one does not: expected a `code` on every [[tenants.existing]] entry, or on none (tenants are then bound by position)"));
        }
        Ok(existing)
    }

    /// The tenant an existing account names, against the mode and the tenants listed.
    fn account_tenant(
        &self,
        account: &ExistingAccount,
        tenants: &Tenants,
    ) -> Result<(), ProfileError> {
        let key = account.origin.key("tenant");
        let existing = &tenants.existing;
        let coded = existing.iter().any(|t| t.code.is_some());
        match (&account.tenant, tenants.mode) {
            (Some(_), TenantMode::None) => {
                Err(self.err(&key, "the platform has no tenants (`[tenants] mode = \"none\"`): remove `tenant`"))
            }
            (None, TenantMode::None) => Ok(()),
            (None, _) => {
                Err(self.err(&account.origin, "an existing account of a platform with tenants names its tenant: expected `tenant = 1` (its position among the world's tenants) or `tenant = \"75\"` (a departement code)"))
            }
            (Some(TenantRef::Position(0)), _) => Err(self.err(
                &key,
                "positions start at 1: expected `tenant = 1` for the first tenant",
            )),
            (Some(TenantRef::Position(n)), _) if !existing.is_empty() && *n > existing.len() => {
                Err(self.err(&key, format!("tenant {n}, but [[tenants.existing]] lists {} tenant(s): expected 1 to {}", existing.len(), existing.len())))
            }
            (Some(TenantRef::Code(code)), _)
                if coded && !existing.iter().any(|t| t.code.as_deref() == Some(code)) =>
            {
                Err(self.err(
                    &key,
                    format!("`{code}` is not the code of any [[tenants.existing]] entry"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// `[provisioning]`: required when accounts are provisioned; each call checked.
    pub(super) fn provisioning(
        &self,
        raw: Option<&raw::RawProvisioning>,
        accounts: &Accounts,
        tenants: &Tenants,
    ) -> Result<Option<Provisioning>, ProfileError> {
        let Some(raw) = raw else {
            if accounts.source == AccountSource::Provision {
                return Err(self.err(
                    &KeyPath::root("accounts").key("source"),
                    "accounts are provisioned but the profile has no [provisioning] table: expected \
                     [provisioning] with `operator`, `tenant` and `identity`, or `source = \"existing\"`",
                ));
            }
            return Ok(None);
        };
        let at = KeyPath::root("provisioning");
        let mark = self.mark();
        let identity = self.keep(self.provisioning_identity(raw, accounts));
        let tenant = self.keep(self.provisioning_tenant(raw, tenants));
        let operator = self.keep(self.header(&at.key("operator"), &raw.operator, ROOTS_SECRETS));
        let representation = self.keep(
            raw.representation
                .as_ref()
                .map(|e| self.endpoint(&at.key("representation"), e, ROOTS_REPRESENTATION))
                .transpose(),
        );
        let end_representation = self.keep(
            raw.end_representation
                .as_ref()
                .map(|e| self.endpoint(&at.key("end_representation"), e, ROOTS_REPRESENTATION))
                .transpose(),
        );
        let (
            Some(identity),
            Some(tenant),
            Some(operator),
            Some(representation),
            Some(end_representation),
        ) = (
            identity,
            tenant,
            operator,
            representation,
            end_representation,
        )
        else {
            return Err(self.taken(mark));
        };
        Ok(Some(Provisioning {
            operator,
            tenant,
            identity,
            representation,
            end_representation,
        }))
    }

    /// `[provisioning.identity]`: called exactly when accounts are provisioned, giving the identity's id.
    fn provisioning_identity(
        &self,
        raw: &raw::RawProvisioning,
        accounts: &Accounts,
    ) -> Result<Option<Endpoint>, ProfileError> {
        let at = KeyPath::root("provisioning");
        match (&raw.identity, accounts.source) {
            (Some(e), AccountSource::Provision) => {
                let identity = self.endpoint(&at.key("identity"), e, ROOTS_IDENTITY)?;
                if !identity.extract.iter().any(|(name, _)| name == "id") {
                    return Err(self.err(&at.key("identity"), "expected `extract = { id = \"/...\" }`: the platform's identifier of the new identity"));
                }
                Ok(Some(identity))
            }
            (None, AccountSource::Provision) => {
                Err(self.err(&at, "accounts are provisioned: expected [provisioning.identity], the operator's call that creates an identity"))
            }
            (Some(_), _) => {
                Err(self.err(&at.key("identity"), "[provisioning.identity] is only called with `[accounts] source = \"provision\"`: remove it"))
            }
            (None, _) => Ok(None),
        }
    }

    /// `[provisioning.tenant]`: called exactly when tenants are provisioned.
    fn provisioning_tenant(
        &self,
        raw: &raw::RawProvisioning,
        tenants: &Tenants,
    ) -> Result<Option<Endpoint>, ProfileError> {
        let at = KeyPath::root("provisioning");
        match (&raw.tenant, tenants.mode) {
            (Some(e), TenantMode::Provision) => Ok(Some(self.endpoint_extracting(
                &at.key("tenant"),
                e,
                ROOTS_TENANT,
                &["id", "code"],
            )?)),
            (None, TenantMode::Provision) => {
                Err(self.err(&at, "tenants are provisioned: expected [provisioning.tenant], or `[tenants] mode = \"none\"` for a platform without tenants"))
            }
            (Some(_), mode) => {
                let why = match mode {
                    TenantMode::None => "the platform has no tenants (`[tenants] mode = \"none\"`)",
                    TenantMode::Register => "tenants are created by [tenants.create]",
                    _ => "tenants exist already (`[tenants] mode = \"existing\"`)",
                };
                Err(self.err(
                    &at.key("tenant"),
                    format!("[provisioning.tenant] would never be called: {why}; remove it"),
                ))
            }
            (None, _) => Ok(None),
        }
    }
}
