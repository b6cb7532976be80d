//! The `caller` context (`{{caller.*}}`, see [`crate::profile::caller`]): the identity that sends a request
//! and its own tenant, beside the record's values; and the values an identity lends to a request sent
//! without credentials (the anonymous family's [`cloison_suites::Variant::UserUrl`]), none of its
//! credentials among them.

use serde_json::Value;

use super::executor::Executor;

/// The `caller` value: the identity's context (`{{identity.*}}`) with its own tenant under `tenant`.
pub(crate) fn caller_value(identity: &Value, tenant: Value) -> Value {
    let mut caller = identity.clone();
    if let Value::Object(map) = &mut caller {
        map.insert("tenant".into(), tenant);
    }
    caller
}

/// A caller's values without its credentials (password, token, tenant credential): what a request sent
/// without credentials may borrow.
pub(crate) fn without_credentials(mut caller: Value) -> Value {
    if let Value::Object(map) = &mut caller {
        map.remove("password");
        map.remove("token");
        if let Some(Value::Object(tenant)) = map.get_mut("tenant") {
            tenant.remove("credential");
        }
    }
    caller
}

impl Executor<'_> {
    /// The `caller` context of an identity: its `{{identity.*}}` values and, under `tenant`, its own tenant
    /// with the platform's identifier, code and credential once known (`Null` for an unknown key). The
    /// OpenAPI reach fills a path's parent parameters from it.
    pub(crate) fn caller_ctx(&self, key: &str) -> Value {
        let Some(account) = self.plan.account(key) else {
            return Value::Null;
        };
        let identity = self
            .plan
            .identity_context(self.profile, account, self.account_id(key));
        caller_value(&identity, self.tenant_ctx(account))
    }

    /// Lend an identity's values to a request sent without credentials: `{{identity.*}}` and
    /// `{{caller.*}}` in `ctx` become that identity's, without any credential, and so does `{{tenant.*}}`
    /// where no record gives it (a collection's is its caller's own tenant).
    pub(crate) fn lend_caller(&self, ctx: &mut Value, key: &str) {
        let caller = without_credentials(self.caller_ctx(key));
        if ctx["tenant"].is_null() {
            ctx["tenant"] = caller["tenant"].clone();
        }
        let mut identity = caller.clone();
        if let Value::Object(map) = &mut identity {
            map.remove("tenant");
        }
        ctx["identity"] = identity;
        ctx["caller"] = caller;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_lent_caller_keeps_its_values_and_none_of_its_credentials() {
        let identity = json!({ "login": "ada", "id": "7", "password": "pw", "token": "tk" });
        let tenant = json!({ "code": "75", "id": "p1", "credential": "key-75" });
        let caller = caller_value(&identity, tenant);
        assert_eq!(caller["tenant"]["credential"], "key-75");
        assert_eq!(caller["login"], "ada");
        let lent = without_credentials(caller);
        assert_eq!(
            lent,
            json!({ "login": "ada", "id": "7", "tenant": { "code": "75", "id": "p1" } })
        );
    }
}
