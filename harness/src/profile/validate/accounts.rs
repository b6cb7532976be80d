//! `[accounts]`: where identities come from, and the accounts already present.

use std::collections::{BTreeMap, BTreeSet};

use super::{ROOTS_CREDENTIAL, ROOTS_IDENTITY, ROOTS_OWN_UPDATE, ROOTS_SECRETS, Validator, quoted};
use crate::profile::error::{KeyPath, ProfileError};
use crate::profile::model::{Accounts, ExistingAccount};
use crate::profile::raw::{self, AccountSource};

impl Validator<'_> {
    pub(super) fn accounts(&self, raw: raw::RawAccounts) -> Result<Accounts, ProfileError> {
        let at = KeyPath::root("accounts");
        match raw.source {
            AccountSource::Provision | AccountSource::Register | AccountSource::None
                if !raw.existing.is_empty() =>
            {
                return Err(self.err(&at.key("existing"), "existing accounts are listed but accounts are not `source = \"existing\"`: expected `source = \"existing\"`"));
            }
            AccountSource::Existing if raw.existing.is_empty() => {
                return Err(self.err(&at.key("source"), "`source = \"existing\"` but no account is listed: expected [[accounts.existing]] entries"));
            }
            AccountSource::Register if raw.register.is_none() => {
                return Err(self.err(&at.key("source"), "`source = \"register\"` but no sign-up call: expected [accounts.register], the call every identity makes to create its own account"));
            }
            AccountSource::Provision | AccountSource::Existing | AccountSource::None
                if raw.register.is_some() =>
            {
                return Err(self.err(&at.key("register"), "[accounts.register] is only called with `source = \"register\"`: remove it, or set `source = \"register\"`"));
            }
            _ => {}
        }
        let mark = self.mark();
        let register = self.keep(
            raw.register
                .as_ref()
                .map(|e| {
                    self.endpoint_extracting(
                        &at.key("register"),
                        e,
                        ROOTS_IDENTITY,
                        &["id", "token"],
                    )
                })
                .transpose(),
        );
        let update = self.keep(
            raw.update
                .as_ref()
                .map(|e| self.endpoint(&at.key("update"), e, ROOTS_OWN_UPDATE))
                .transpose(),
        );
        let password = self.keep(
            raw.password
                .as_ref()
                .map(|e| self.credential_change(&at.key("password"), e))
                .transpose(),
        );
        let existing: Vec<Option<ExistingAccount>> = raw
            .existing
            .into_iter()
            .enumerate()
            .map(|(i, account)| {
                self.keep(self.existing_account(at.key("existing").index(i), account))
            })
            .collect();
        self.since(mark)?;
        Ok(Accounts {
            source: raw.source,
            holders: raw.holders,
            existing: existing.into_iter().flatten().collect(),
            register: register.flatten(),
            update: update.flatten(),
            password: password.flatten(),
        })
    }

    /// `[accounts.password]`: an endpoint that sends the new secret (`{{probe.secret}}`) and names its
    /// target account (`{{identity.*}}`).
    fn credential_change(
        &self,
        at: &KeyPath,
        raw: &raw::RawEndpoint,
    ) -> Result<crate::profile::Endpoint, ProfileError> {
        let endpoint = self.endpoint(at, raw, ROOTS_CREDENTIAL)?;
        let paths: Vec<Vec<String>> = endpoint
            .templates()
            .into_iter()
            .flat_map(|(_, t)| t.paths())
            .collect();
        let reads = |root: &str, field: Option<&str>| {
            paths.iter().any(|p| {
                p.first().is_some_and(|r| r == root)
                    && field.is_none_or(|f| p.get(1).is_some_and(|x| x == f))
            })
        };
        if !reads("probe", Some("secret")) {
            return Err(self.err(
                at,
                "a credential change must send the new secret: expected `{{probe.secret}}` in its path, query or body",
            ));
        }
        if !reads("identity", None) {
            return Err(self.err(
                at,
                "a credential change must name the account it changes: expected `{{identity.id}}` (or another `{{identity.*}}` value) in its path or body",
            ));
        }
        Ok(endpoint)
    }

    /// `[[accounts.existing]]`: one account already present.
    fn existing_account(
        &self,
        origin: KeyPath,
        account: raw::RawExistingAccount,
    ) -> Result<ExistingAccount, ProfileError> {
        if !self.is_role(&account.role) {
            return Err(self.err(
                &origin.key("role"),
                format!(
                    "unknown role `{}`: expected one of {}",
                    account.role,
                    quoted(&self.role_names())
                ),
            ));
        }
        let password = account
            .password
            .as_deref()
            .map(|t| self.template(&origin.key("password"), t, ROOTS_SECRETS))
            .transpose()?;
        let token = account
            .token
            .as_deref()
            .map(|t| self.template(&origin.key("token"), t, ROOTS_SECRETS))
            .transpose()?;
        if password.is_none() && token.is_none() {
            return Err(self.err(&origin, "an existing account needs a `password` or a `token` (usually `\"{{secrets.NAME}}\"`)"));
        }
        let mut attributes = BTreeMap::new();
        for (name, value) in &account.attributes {
            let key = origin.key("attributes").key(name);
            attributes.insert(name.clone(), self.template(&key, value, ROOTS_SECRETS)?);
        }
        Ok(ExistingAccount {
            tenant: account.tenant,
            role: account.role,
            login: account.login,
            password,
            token,
            id: account.id,
            attributes,
            origin,
        })
    }

    /// Every `{{identity.attributes.NAME}}` a template uses must be declared by every existing account.
    pub(super) fn check_attributes(&self, accounts: &Accounts) {
        let names: BTreeSet<&String> = accounts
            .existing
            .iter()
            .flat_map(|a| a.attributes.keys())
            .collect();
        for account in &accounts.existing {
            if let Some(missing) = names.iter().find(|n| !account.attributes.contains_key(**n)) {
                self.report(self.err(&account.origin, format!("another account declares the attribute `{missing}` and this one does not: expected `attributes = {{ {missing} = \"...\" }}` on every existing account")));
            }
        }
    }
}
