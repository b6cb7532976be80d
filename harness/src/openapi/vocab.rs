//! The words cloison recognises in an OpenAPI document: names of record kinds, tenants, accounts and
//! representations in paths, and property names that match a generated value (`nir`, `birth_date`,
//! `password`...). This is the vocabulary of the domain, in English and French, not of any one platform:
//! a name it does not know is left to the user with a `# TODO`.

use cloison_suites::RecordKind;

/// The words of a path segment or property name: lower case, split on anything not alphanumeric, an
/// extension dropped (`cases.csv` -> `cases`), camelCase split (`caseId` -> `case`, `id`).
pub fn words(text: &str) -> Vec<String> {
    let stem = match text.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 5 && !ext.contains('{') => stem,
        _ => text,
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in stem.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A name reduced for comparison: lower case, alphanumeric only (`first_name`, `firstName` -> `firstname`).
pub fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A word in the singular (`cases` -> `case`, `entries` -> `entry`), as English plurals mostly go.
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else {
        word.strip_suffix('s').unwrap_or(word).to_string()
    }
}

/// The record kind a word names (`cases`, `dossier`, `attachments`, `notes`, `decisions`...).
pub fn kind_word(word: &str) -> Option<RecordKind> {
    let found = builtin_kind_word(word);
    if found.is_some() {
        return found;
    }
    NOUNS.with(|nouns| nouns.borrow().get(&singular(word)).copied())
}

thread_local! {
    /// The document's own nouns bound to record kinds while `cloison init` reads it (see [`with_nouns`]).
    static NOUNS: std::cell::RefCell<std::collections::BTreeMap<String, RecordKind>> =
        const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// Run `f` with the document's own nouns (singular) read as the record kinds they are bound to, beside the
/// domain's words: `init` finds a platform's `orders` and `items` this way, in any language.
pub fn with_nouns<T>(
    nouns: std::collections::BTreeMap<String, RecordKind>,
    f: impl FnOnce() -> T,
) -> T {
    let previous = NOUNS.with(|n| n.replace(nouns));
    let out = f();
    NOUNS.with(|n| n.replace(previous));
    out
}

/// The record kind a word of the domain's vocabulary names.
pub fn builtin_kind_word(word: &str) -> Option<RecordKind> {
    match singular(word).as_str() {
        "case" | "casefile" | "dossier" | "application" | "claim" | "demande" => {
            Some(RecordKind::Case)
        }
        "document" | "doc" | "attachment" | "file" | "upload" | "piece" | "justificatif" => {
            Some(RecordKind::Document)
        }
        "note" | "comment" | "memo" | "annotation" | "observation" => Some(RecordKind::Note),
        "decision" | "ruling" | "determination" | "notification" => Some(RecordKind::Decision),
        _ => None,
    }
}

/// Whether a word names tenants (organisations that hold their own data).
pub fn tenant_word(word: &str) -> bool {
    matches!(
        singular(word).as_str(),
        "tenant"
            | "organisation"
            | "organization"
            | "org"
            | "workspace"
            | "company"
            | "agency"
            | "structure"
            | "establishment"
            | "etablissement"
            | "departement"
            | "department"
            | "mdph"
    )
}

/// Whether a word names user accounts.
pub fn account_word(word: &str) -> bool {
    matches!(
        singular(word).as_str(),
        "user" | "account" | "member" | "compte" | "utilisateur" | "people" | "person" | "profile"
    )
}

/// Whether a word names legal representations.
pub fn representation_word(word: &str) -> bool {
    let w = singular(word);
    w.starts_with("represent")
        || w.starts_with("mandat")
        || w.starts_with("proxy")
        || w.starts_with("guardian")
        || w.starts_with("delegat")
        || w == "mandate"
}

/// Whether the last segment of a path under a record says "its content" (a download).
pub fn download_word(word: &str) -> bool {
    matches!(
        word,
        "content"
            | "download"
            | "file"
            | "raw"
            | "data"
            | "blob"
            | "binary"
            | "bytes"
            | "pdf"
            | "contenu"
    )
}

/// Words of a health check.
pub fn health_word(word: &str) -> bool {
    matches!(
        word,
        "health"
            | "healthz"
            | "healthcheck"
            | "status"
            | "statut"
            | "sante"
            | "ping"
            | "live"
            | "livez"
            | "liveness"
            | "ready"
            | "readyz"
            | "readiness"
            | "alive"
            | "heartbeat"
    )
}

/// Words of a login call.
pub fn login_word(word: &str) -> bool {
    matches!(
        word,
        "login"
            | "signin"
            | "sign"
            | "session"
            | "sessions"
            | "token"
            | "tokens"
            | "connexion"
            | "authenticate"
    )
}

/// Words of a logout call.
pub fn logout_word(word: &str) -> bool {
    matches!(word, "logout" | "signout" | "deconnexion" | "revoke")
}

/// Words of an export.
pub fn export_word(word: &str) -> bool {
    matches!(
        word,
        "export" | "exports" | "extract" | "csv" | "xlsx" | "ods" | "report" | "reports"
    )
}

/// Words of a search.
pub fn search_word(word: &str) -> bool {
    matches!(word, "search" | "find" | "lookup" | "query" | "recherche")
}

/// Words at the end of a representation's path that end it.
pub fn ending_word(word: &str) -> bool {
    matches!(
        word,
        "end" | "revoke" | "close" | "terminate" | "stop" | "cancel" | "expire" | "fin"
    )
}

/// What a path parameter stands for, from the segment before it and its own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRole {
    /// A record of this kind.
    Record(RecordKind),
    /// A tenant's code.
    Tenant,
    /// A user account.
    Account,
    /// A representation.
    Representation,
}

/// Guess what a path parameter names: its own name first (`case_id`, `tenant`), then the segment before it.
pub fn param_role(name: &str, previous: Option<&str>) -> Option<ParamRole> {
    let classify = |word: &str| {
        if let Some(kind) = kind_word(word) {
            Some(ParamRole::Record(kind))
        } else if tenant_word(word) {
            Some(ParamRole::Tenant)
        } else if account_word(word) {
            Some(ParamRole::Account)
        } else if representation_word(word) {
            Some(ParamRole::Representation)
        } else {
            None
        }
    };
    words(name)
        .iter()
        .find_map(|w| classify(w))
        .or_else(|| previous.and_then(|p| words(p).iter().rev().find_map(|w| classify(w))))
}

/// How a property is filled: a template, and whether the generated value may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// The root and field (`person.nir`), or `None` for a composed text.
    pub field: Option<(&'static str, &'static str)>,
    /// The template to write.
    pub template: String,
    /// Whether the value is a list.
    pub list: bool,
}

fn field(root: &'static str, name: &'static str) -> Fill {
    Fill {
        field: Some((root, name)),
        template: format!("{{{{{root}.{name}}}}}"),
        list: false,
    }
}

fn text(template: &str) -> Fill {
    Fill {
        field: None,
        template: template.to_string(),
        list: false,
    }
}

/// Where a body is sent, and so which generated values it can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Creating a tenant.
    Tenant,
    /// Creating an account.
    Identity,
    /// Creating or ending a representation.
    Representation,
    /// Logging in.
    Login,
    /// Creating or updating a record of this kind.
    Record(RecordKind),
}

/// Person values, shared by records and searches.
fn person(name: &str, required: bool) -> Option<Fill> {
    let nullable = |f: &'static str, fallback: &str| {
        let mut fill = field("person", f);
        fill.template = if required {
            format!("{{{{person.{f} || '{fallback}'}}}}")
        } else {
            format!("{{{{person.{f}?}}}}")
        };
        fill
    };
    Some(match name {
        "firstname" | "givenname" | "prenom" | "forename" => field("person", "first_name"),
        "lastname" | "surname" | "familyname" | "nom" | "nomdefamille" | "nomdusage" => {
            field("person", "surname")
        }
        "nir" | "ssn" | "socialsecuritynumber" | "insee" | "nss" | "numerosecu" | "nationalid" => {
            field("person", "nir")
        }
        "birthdate" | "dateofbirth" | "dob" | "datenaissance" | "datedenaissance" | "born" => {
            field("person", "birth_date")
        }
        "sex" | "gender" | "sexe" => field("person", "sex"),
        "email" | "mail" | "emailaddress" | "courriel" => {
            nullable("email", "sans-courriel@example.org")
        }
        "phone" | "telephone" | "tel" | "mobile" | "phonenumber" | "portable" => {
            nullable("phone", "0100000000")
        }
        "iban" | "bankaccount" | "rib" => nullable("iban", "FR7630001007941234567890185"),
        "address" | "addressline" | "street" | "line" | "line1" | "adresse" | "streetaddress" => {
            field("person", "address_line")
        }
        "postcode" | "postalcode" | "zip" | "zipcode" | "codepostal" | "cp" => {
            field("person", "postcode")
        }
        "city" | "commune" | "town" | "ville" | "locality" => field("person", "commune"),
        "birthplace" | "placeofbirth" | "lieudenaissance" => field("person", "birth_place"),
        "fullname" | "name" | "nomcomplet" => text("{{person.first_name}} {{person.surname}}"),
        _ => return None,
    })
}

/// The fill of a property (its name squashed: [`squash`]) in a context, if cloison knows the value.
pub fn fill(context: Context, name: &str, required: bool) -> Option<Fill> {
    match context {
        Context::Tenant => match name {
            "code" | "slug" | "key" | "departement" | "department" | "shortname" | "identifier"
            | "handle" => Some(field("tenant", "code")),
            "name" | "label" | "title" | "displayname" | "fullname" | "nom" | "libelle" => {
                Some(field("tenant", "name"))
            }
            _ => None,
        },
        Context::Identity | Context::Login => match name {
            "username" | "login" | "user" | "email" | "mail" | "identifier" | "handle"
            | "identifiant" | "userid" => Some(field("identity", "login")),
            "password" | "passwd" | "pass" | "pwd" | "secret" | "motdepasse" => {
                Some(field("identity", "password"))
            }
            "role" | "profile" | "profil" | "usertype" | "group" | "type"
                if context == Context::Identity =>
            {
                Some(field("identity", "role"))
            }
            "displayname" | "fullname" | "name" | "nom" if context == Context::Identity => {
                Some(field("identity", "display_name"))
            }
            _ => None,
        },
        Context::Representation => match name {
            "representativeid" | "proxyid" | "mandataireid" | "guardianid" | "delegateid"
            | "representative" | "mandataire" | "agentid" => Some(field("representative", "id")),
            "applicantid" | "representedid" | "personid" | "userid" | "beneficiaryid"
            | "principalid" | "wardid" | "childid" | "represented" | "applicant" | "usagerid" => {
                Some(field("represented", "id"))
            }
            "kind" | "type" | "nature" | "relation" | "relationship" | "mandatetype" => {
                Some(field("representation", "kind"))
            }
            _ => None,
        },
        Context::Record(kind) => record(kind, name, required),
    }
}

fn record(kind: RecordKind, name: &str, required: bool) -> Option<Fill> {
    let own = match kind {
        RecordKind::Case => match name {
            "casenumber" | "number" | "reference" | "ref" | "filenumber" | "numero"
            | "dossiernumber" => Some(field("case", "case_number")),
            "filingdate" | "depositdate" | "submittedat" | "submissiondate" | "datedepot" => {
                Some(field("case", "filing_date"))
            }
            "requestedrights" | "rights" | "benefits" | "droits" | "droitsdemandes" => Some(Fill {
                list: true,
                ..field("case", "requested_rights")
            }),
            "summary" | "description" | "comment" | "title" | "subject" | "details" | "label"
            | "objet" | "object" | "resume" => Some(text(
                "Dossier {{case.case_number}} depose le {{case.filing_date}}.",
            )),
            "applicantid" | "ownerid" | "personid" | "userid" | "accountid" | "beneficiaryid"
            | "holderid" | "usagerid" => Some(field("person", "account_id")),
            _ => None,
        },
        RecordKind::Document => match name {
            "kind" | "type" | "category" | "documenttype" | "doctype" | "nature" => {
                Some(field("document", "kind"))
            }
            "reference" | "ref" | "number" => Some(field("document", "reference")),
            "filename" | "name" | "nom" => Some(field("document", "file_name")),
            "contenttype" | "mimetype" | "mediatype" => Some(field("document", "content_type")),
            "title" | "description" | "label" | "comment" => {
                Some(text("{{document.reference}} {{document.file_name}}"))
            }
            _ => None,
        },
        RecordKind::Note => match name {
            "body" | "text" | "content" | "note" | "comment" | "message" | "description"
            | "texte" => Some(field("note", "text")),
            _ => None,
        },
        RecordKind::Decision => match name {
            "right" | "benefit" | "droit" | "prestation" => Some(field("decision", "right")),
            "outcome" | "result" | "verdict" | "decision" | "issue" | "sens" => {
                Some(field("decision", "outcome"))
            }
            "startdate" | "validfrom" | "from" | "datedebut" => Some(Fill {
                template: "{{decision.start_date?}}".into(),
                ..field("decision", "start_date")
            }),
            "enddate" | "validuntil" | "until" | "datefin" => Some(Fill {
                template: "{{decision.end_date?}}".into(),
                ..field("decision", "end_date")
            }),
            "reason" | "text" | "motivation" | "comment" | "description" | "body"
            | "justification" | "motif" => Some(text("{{decision.number}} {{decision.text}}")),
            "number" | "reference" | "ref" | "numero" => Some(field("decision", "number")),
            "decisiondate" | "date" | "decidedon" => Some(field("decision", "decision_date")),
            _ => None,
        },
        // An account is never created by a request body: it exists once its identity does.
        RecordKind::Account => None,
        RecordKind::Person => None,
    };
    own.or_else(|| match kind {
        RecordKind::Case | RecordKind::Person => person(name, required),
        _ => None,
    })
}

/// How well a query parameter identifies a person (higher is better), and the value to search with.
pub fn search_fill(name: &str) -> Option<(u8, &'static str)> {
    Some(match squash(name).as_str() {
        "nir" | "ssn" | "socialsecuritynumber" | "insee" | "nss" => (5, "{{person.nir}}"),
        "number" | "casenumber" | "reference" | "ref" | "numero" => (4, "{{case.case_number}}"),
        "email" | "mail" | "courriel" => (3, "{{person.email || person.nir}}"),
        "phone" | "telephone" | "tel" => (3, "{{person.phone || person.nir}}"),
        "name" | "lastname" | "surname" | "nom" | "familyname" => (2, "{{person.surname}}"),
        "q" | "query" | "search" | "term" | "text" | "keyword" | "keywords" | "s" | "filter" => {
            (1, "{{person.surname}}")
        }
        _ => return None,
    })
}

/// A property that names a login token in a login answer.
pub fn token_property(name: &str) -> bool {
    matches!(
        squash(name).as_str(),
        "token"
            | "accesstoken"
            | "jwt"
            | "idtoken"
            | "sessiontoken"
            | "authtoken"
            | "bearer"
            | "sessionid"
    )
}

/// A property that holds a created record's identifier.
pub fn id_property(name: &str) -> bool {
    matches!(
        squash(name).as_str(),
        "id" | "uuid" | "key" | "pk" | "identifier" | "identifiant"
    )
}

/// A text property an update can carry a marker in, by preference.
pub fn marker_rank(name: &str) -> Option<u8> {
    Some(match squash(name).as_str() {
        "summary" | "resume" => 0,
        "description" => 1,
        "comment" | "commentaire" => 2,
        "title" | "subject" | "objet" => 3,
        "note" | "notes" | "text" | "body" | "label" | "details" => 4,
        _ => return None,
    })
}

/// The value of `options` (a platform's enum) that best matches a generated value: the same text, a word in
/// common, or a common prefix of at least three letters (`tuteur` and `tutor`, `habilitation_familiale` and
/// `family`).
pub fn fuzzy<'a>(generated: &str, options: &'a [String]) -> Option<&'a String> {
    let g = squash(generated);
    if let Some(exact) = options.iter().find(|o| squash(o) == g) {
        return Some(exact);
    }
    let gw = words(generated);
    let mut best: Option<(usize, &String)> = None;
    for option in options {
        for ow in words(option) {
            for w in &gw {
                let common = w
                    .chars()
                    .zip(ow.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                let score = if *w == ow { 100 } else { common };
                if score >= 3 && best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, option));
                }
            }
        }
    }
    best.map(|(_, o)| o)
}

/// Names a platform gives its roles, for each of cloison's roles, by preference.
pub fn role_synonyms(role: &str) -> &'static [&'static str] {
    match role {
        "applicant" => &[
            "applicant",
            "usager",
            "user",
            "citizen",
            "beneficiary",
            "member",
            "client",
            "customer",
            "patient",
            "person",
            "demandeur",
        ],
        "representative" => &[
            "representative",
            "mandataire",
            "guardian",
            "proxy",
            "tutor",
            "parent",
            "delegate",
            "caregiver",
            "representant",
        ],
        "agent" => &[
            "agent",
            "instructeur",
            "staff",
            "caseworker",
            "worker",
            "officer",
            "employee",
            "clerk",
            "reviewer",
        ],
        "tenant_admin" => &[
            "admin",
            "administrator",
            "gestionnaire",
            "manager",
            "supervisor",
            "owner",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_names_of_every_style() {
        assert_eq!(words("cases.csv"), ["cases"]);
        assert_eq!(words("caseId"), ["case", "id"]);
        assert_eq!(words("first_name"), ["first", "name"]);
        assert_eq!(words("{document_id}"), ["document", "id"]);
        assert_eq!(squash("First-Name"), "firstname");
    }

    #[test]
    fn path_parameters_are_read_from_their_name_then_their_segment() {
        assert_eq!(
            param_role("id", Some("cases")),
            Some(ParamRole::Record(RecordKind::Case))
        );
        assert_eq!(
            param_role("attachmentId", Some("x")),
            Some(ParamRole::Record(RecordKind::Document))
        );
        assert_eq!(
            param_role("code", Some("organisations")),
            Some(ParamRole::Tenant)
        );
        assert_eq!(
            param_role("id", Some("mandats")),
            Some(ParamRole::Representation)
        );
        assert_eq!(param_role("id", Some("widgets")), None);
    }

    #[test]
    fn enum_values_are_matched_loosely_but_not_blindly() {
        let kinds: Vec<String> = ["parent", "tutor", "curator", "family"]
            .map(String::from)
            .into();
        assert_eq!(fuzzy("tuteur", &kinds).map(String::as_str), Some("tutor"));
        assert_eq!(
            fuzzy("curateur", &kinds).map(String::as_str),
            Some("curator")
        );
        assert_eq!(
            fuzzy("habilitation_familiale", &kinds).map(String::as_str),
            Some("family")
        );
        assert_eq!(fuzzy("parent", &kinds).map(String::as_str), Some("parent"));
        let roles: Vec<String> = ["viewer", "editor"].map(String::from).into();
        assert_eq!(fuzzy("tenant_admin", &roles), None);
    }

    #[test]
    fn properties_fill_from_the_context_they_are_sent_in() {
        let case = Context::Record(RecordKind::Case);
        assert_eq!(
            fill(case, "nir", true).map(|f| f.template),
            Some("{{person.nir}}".into())
        );
        assert_eq!(
            fill(case, "email", false).map(|f| f.template),
            Some("{{person.email?}}".into())
        );
        assert_eq!(
            fill(Context::Tenant, "name", true).map(|f| f.template),
            Some("{{tenant.name}}".into())
        );
        assert_eq!(fill(Context::Login, "role", true), None);
        assert!(fill(case, "requestedrights", true).is_some_and(|f| f.list));
    }
}
