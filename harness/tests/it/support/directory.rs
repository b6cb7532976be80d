//! Who a provisioned mock knows: its tenants, its accounts (login, password, role, tenant) and the
//! representations between accounts. Each mock keeps its own identifiers, routes and answers; this is the
//! bookkeeping they share.

use std::borrow::Borrow;

use serde_json::Value;

use super::answer::text;

/// An account the operator created.
#[derive(Debug)]
pub(crate) struct Account<Id> {
    pub id: Id,
    pub login: String,
    pub password: String,
    pub role: String,
    pub tenant: String,
}

/// `agent` acts for `principal` until the representation ends.
#[derive(Debug)]
pub(crate) struct Representation<Id> {
    pub agent: Id,
    pub principal: Id,
    pub ended: bool,
}

/// Tenants, accounts and representations, in the order the operator created them.
#[derive(Debug)]
pub(crate) struct Directory<Id> {
    pub tenants: Vec<String>,
    pub accounts: Vec<Account<Id>>,
    /// Numbered from 1 in this order.
    pub representations: Vec<Representation<Id>>,
}

impl<Id> Default for Directory<Id> {
    fn default() -> Self {
        Directory {
            tenants: Vec::new(),
            accounts: Vec::new(),
            representations: Vec::new(),
        }
    }
}

impl<Id: PartialEq> Directory<Id> {
    /// The account `id` (a `&str` for a `String` identifier).
    pub fn account<Q: PartialEq + ?Sized>(&self, id: &Q) -> Option<&Account<Id>>
    where
        Id: Borrow<Q>,
    {
        self.accounts.iter().find(|a| a.id.borrow() == id)
    }

    /// Add the account `id` of `tenant`: its login, password and role are the strings of `body` at the
    /// platform's names for them, in that order.
    pub fn enrol(
        &mut self,
        id: Id,
        tenant: String,
        body: &Value,
        [login, password, role]: [&str; 3],
    ) {
        self.accounts.push(Account {
            id,
            login: text(body, login),
            password: text(body, password),
            role: text(body, role),
            tenant,
        });
    }

    /// The account these credentials sign in.
    pub fn signed_in(&self, login: &str, password: &str) -> Option<&Account<Id>> {
        self.accounts
            .iter()
            .find(|a| a.login == login && a.password == password)
    }

    /// May `account` act for `principal`: itself, or a representation not ended.
    pub fn acts_for<Q: PartialEq + ?Sized>(&self, account: &Account<Id>, principal: &Q) -> bool
    where
        Id: Borrow<Q>,
    {
        account.id.borrow() == principal
            || self
                .representations
                .iter()
                .any(|r| r.agent == account.id && r.principal.borrow() == principal && !r.ended)
    }

    /// Record that `agent` acts for `principal`; the representation's number.
    pub fn represent(&mut self, agent: Id, principal: Id) -> usize {
        self.representations.push(Representation {
            agent,
            principal,
            ended: false,
        });
        self.representations.len()
    }

    /// End the representation numbered `number`; `false` if there is none.
    pub fn end(&mut self, number: usize) -> bool {
        match number
            .checked_sub(1)
            .and_then(|i| self.representations.get_mut(i))
        {
            Some(r) => {
                r.ended = true;
                true
            }
            None => false,
        }
    }
}

/// The number in an identifier of the form `PREFIXnumber` (`M3`, `px12`), written as the mock writes it.
pub(crate) fn numbered(id: &str, prefix: &str) -> Option<usize> {
    let number: usize = id.strip_prefix(prefix)?.parse().ok()?;
    (format!("{prefix}{number}") == id).then_some(number)
}
