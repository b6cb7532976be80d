//! `cloison init --openapi FILE|URL [--out PATH]`: a starting profile written from a platform's OpenAPI
//! document.
//!
//! What the document says is mapped onto profile format 2, which loads as written: the health check, the login call and how its
//! token is sent (from `securitySchemes` and the login answer), operator provisioning (operations secured
//! by a scheme of their own: tenants, accounts, representations), record kinds guessed from path words
//! (`/x`, `/x/{id}`, `/x/{id}/content`, nested lists), searches and exports, and request bodies whose
//! property names match a generated value. What cannot be known from a document (who may see what, the
//! roles granted each function, the accounts) is written as a safe default marked `# TODO`; operations
//! that reset, seed, migrate or bulk-delete are excluded (`danger`); where the domain's words name no
//! record kind, the document's own nouns do (`nouns`).
//!
//! Modules: `table` (TOML tables and values as written), `endpoint` (an operation as an endpoint table: its path
//! template, query and body), `write` (the profile's order: header, health, roles, policy, maps, then the
//! sections, then what is left), `provisioning`, `auth`, `resources` and `functions` (each section, from
//! the operations that look like it).

mod auth;
mod danger;
mod endpoint;
mod functions;
mod nouns;
mod provisioning;
mod resources;
mod table;
mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::{Document, Operation};
use crate::exit::{EXIT_OK, UsageError};

/// Arguments of `cloison init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The platform's OpenAPI 3.x document (JSON): a file, or an http:// or https:// URL.
    #[arg(long, value_name = "FILE|URL")]
    pub openapi: String,
    /// Write the profile to this file (default: standard output).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Timeout of fetching a URL, in seconds (1 to 600).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

/// Entry point of `cloison init`.
pub fn run(args: &InitArgs) -> anyhow::Result<u8> {
    if let Some(out) = &args.out
        && out.exists()
        && !args.force
    {
        return Err(UsageError(format!(
            "{}: the file exists: choose another --out, or add --force to replace it",
            out.display()
        ))
        .into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let doc = runtime
        .block_on(super::load(
            &args.openapi,
            Duration::from_secs(args.timeout),
        ))
        .map_err(|e| UsageError(e.to_string()))?;
    let field = openapi_field(&args.openapi, args.out.as_deref());
    let draft = draft(&doc, field.as_deref());
    let shown = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("profile.toml"));
    let loads = crate::profile::Profile::parse(&shown, &draft.text, shown.parent());
    match &args.out {
        Some(out) => std::fs::write(out, &draft.text)
            .with_context(|| format!("writing the profile to {}", out.display()))?,
        None => print!("{}", draft.text),
    }
    eprintln!(
        "cloison init: {} operations read from {}; {} described in the profile:",
        doc.operations.len(),
        doc.source,
        draft.mapped.len()
    );
    for (what, op) in &draft.mapped {
        eprintln!("  {what:<34} {op}");
    }
    eprintln!(
        "{} TODO(s) to review (search for `TODO`); at run time `openapi` lets cloison call the other operations generically.",
        draft.todos
    );
    match loads {
        Ok(_) => eprintln!("the profile loads as written"),
        Err(err) => eprintln!("the profile does not load until its TODOs are completed:\n{err}"),
    }
    if let Some(out) = &args.out {
        eprintln!("profile written to {}", out.display());
    }
    Ok(EXIT_OK)
}

/// The profile's `openapi` field for a document given as `spec`: the URL's path (the document served by
/// the target), or the file relative to the profile's directory.
fn openapi_field(spec: &str, out: Option<&Path>) -> Option<String> {
    if let Ok(url) = reqwest::Url::parse(spec)
        && matches!(url.scheme(), "http" | "https")
    {
        return Some(url.path().to_string());
    }
    let doc = std::fs::canonicalize(spec).ok()?;
    let dir = match out.and_then(Path::parent) {
        Some(p) if p.as_os_str().is_empty() => std::env::current_dir().ok()?,
        Some(p) => std::fs::canonicalize(p).ok()?,
        None => return Some(format!("file:{}", doc.display())),
    };
    Some(doc.strip_prefix(&dir).map_or_else(
        |_| format!("file:{}", doc.display()),
        |rel| rel.display().to_string(),
    ))
}

/// A written profile.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The TOML text.
    pub text: String,
    /// `TODO`s left in it.
    pub todos: usize,
    /// What each described operation became (`resources.case.read`, `GET /cases/{id}`).
    pub mapped: Vec<(String, String)>,
}

/// Where cloison's values go in the platform's enum: a `[maps.NAME]` table.
#[derive(Debug, Clone)]
struct ValueMap {
    name: String,
    entries: Vec<(String, String, bool)>,
}

/// Everything decided about a document, then written.
struct Builder<'d> {
    doc: &'d Document,
    used: BTreeSet<usize>,
    mapped: Vec<(String, String)>,
    maps: Vec<ValueMap>,
    /// Role enum values seen in account creation.
    role_values: Vec<String>,
    /// Whether identities sign themselves up (open registration): every one of them is then a plain user.
    registered: bool,
    /// Operations never described nor called: `METHOD /path` and why (see `danger`).
    excluded: Vec<(String, &'static str)>,
    /// The document's own nouns bound to record kinds (see `nouns`), for the header.
    nouns: BTreeMap<String, cloison_suites::RecordKind>,
}

/// The operations of a document, with what init made of them.
pub fn draft(doc: &Document, openapi: Option<&str>) -> Draft {
    let mut b = Builder {
        doc,
        used: BTreeSet::new(),
        mapped: Vec::new(),
        maps: Vec::new(),
        role_values: Vec::new(),
        registered: false,
        excluded: Vec::new(),
        nouns: nouns::bind(doc),
    };
    for (i, op) in doc.operations.iter().enumerate() {
        if let Some(why) = danger::why(op) {
            b.used.insert(i);
            b.excluded.push((op.name(), why));
        }
    }
    let nouns = b.nouns.clone();
    let text = super::vocab::with_nouns(nouns, || b.write(openapi));
    Draft {
        todos: text.matches("TODO").count(),
        text,
        mapped: b.mapped,
    }
}

/// Who calls the operations of a document: the users' scheme and, when operations are secured by a scheme
/// of their own, the operator's.
#[derive(Debug, Default)]
struct Audiences {
    user: Option<String>,
    operator: Option<String>,
}

impl<'d> Builder<'d> {
    fn ops(&self) -> impl Iterator<Item = (usize, &'d Operation)> + 'd {
        self.doc.operations.iter().enumerate()
    }

    fn take(&mut self, index: usize, what: &str) {
        self.used.insert(index);
        self.mapped
            .push((what.to_string(), self.doc.operations[index].name()));
    }

    fn audiences(&self) -> Audiences {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for op in &self.doc.operations {
            for name in op.security.iter().flatten().flatten() {
                *counts.entry(name.as_str()).or_default() += 1;
            }
        }
        let Some((user, _)) = counts
            .iter()
            .max_by_key(|(name, n)| (**n, std::cmp::Reverse(**name)))
        else {
            return Audiences::default();
        };
        let user = user.to_string();
        // A scheme never offered as an alternative where the users' scheme is: another audience.
        let operator = counts
            .keys()
            .filter(|name| **name != user)
            .find(|name| {
                let mut alone = false;
                for op in &self.doc.operations {
                    let names: Vec<&String> = op.security.iter().flatten().flatten().collect();
                    if names.iter().any(|n| n == name) {
                        if names.iter().any(|n| **n == user) {
                            return false;
                        }
                        alone = true;
                    }
                }
                alone
            })
            .map(|s| s.to_string());
        Audiences {
            user: Some(user),
            operator,
        }
    }

    /// Whether only the operator's scheme opens an operation.
    fn operator_only(&self, op: &Operation, audiences: &Audiences) -> bool {
        let Some(operator) = &audiences.operator else {
            return false;
        };
        op.secured()
            && op
                .security
                .iter()
                .flatten()
                .all(|alt| alt.iter().all(|n| n == operator))
    }
}

/// The words of the literal segments of `op`'s path.
fn path_words(op: &Operation) -> Vec<String> {
    op.segments()
        .iter()
        .filter(|s| !super::is_param(s))
        .flat_map(|s| super::vocab::words(s))
        .collect()
}

/// The comment above an operation's table: `# METHOD /path: summary`.
fn comment(op: &Operation) -> String {
    let summary = if op.summary.is_empty() {
        String::new()
    } else {
        format!(": {}", op.summary)
    };
    format!("# {} {}{summary}\n", op.method, op.path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::Document;

    /// A platform of another shape: French routes, an API key header for users, no operator, form login.
    #[test]
    fn a_platform_without_operator_gets_existing_accounts_and_marked_todos() {
        let doc = Document::parse(
            "dossier-plus.json",
            r##"{"openapi": "3.0.0", "info": {"title": "Dossier+"},
              "components": {"securitySchemes": {"cle": {"type": "apiKey", "in": "header", "name": "X-Cle"}}},
              "security": [{"cle": []}],
              "paths": {
                "/statut": {"get": {"security": [], "responses": {"200": {"description": "ok"}}}},
                "/connexion": {"post": {"security": [], "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["email", "mot_de_passe"], "properties": {"email": {"type": "string"}, "mot_de_passe": {"type": "string"}}}}}},
                  "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"jeton": {"type": "string"}, "token": {"type": "string"}}}}}}}}},
                "/dossiers": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["nir", "nom", "code_interne"], "properties": {"nir": {"type": "string"}, "nom": {"type": "string"}, "code_interne": {"type": "integer"}}}}}},
                   "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"dossier": {"type": "object", "properties": {"uuid": {"type": "string"}}}}}}}}}}},
                "/dossiers/{dossierId}": {"get": {"responses": {"200": {"description": "ok"}, "404": {"description": "no"}}}},
                "/dossiers/{dossierId}/pieces": {"post": {"requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"fichier": {"type": "string", "format": "binary"}}}}}}, "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "string"}}}}}}}}},
                "/pieces/{id}/contenu": {"get": {"responses": {"200": {"description": "ok", "content": {"application/pdf": {}}}}}}
              }}"##,
        )
        .expect("parses");
        let draft = draft(&doc, Some("/openapi.json"));
        let text = &draft.text;
        assert!(text.contains("[health]\npath = \"/statut\""), "{text}");
        assert!(text.contains("source = \"existing\""), "{text}");
        assert!(
            text.contains("send = { header = \"X-Cle\", value = \"{{token}}\" }"),
            "{text}"
        );
        assert!(text.contains("[auth.login.form]\nemail = \"{{identity.login}}\"\nmot_de_passe = \"{{identity.password}}\""), "{text}");
        assert!(
            text.contains("path = \"/dossiers/{{case.id}}/pieces\""),
            "{text}"
        );
        assert!(
            text.contains("extract = { id = \"/dossier/uuid\" }"),
            "{text}"
        );
        assert!(text.contains("code_interne = 0  # TODO"), "{text}");
        // Resources under the platform's words, bound to the entities they hold (format 2).
        assert!(text.contains("\nformat = 2\n"), "{text}");
        assert!(
            text.contains("[resources.dossier]\nentity = \"case\"")
                && text.contains("[resources.piece]\nentity = \"document\""),
            "{text}"
        );
        assert!(
            text.contains("[resources.piece.download]\npath = \"/pieces/{{document.id}}/contenu\""),
            "{text}"
        );
        assert!(!text.contains("[resources.case."), "{text}");
        assert!(
            text.contains("{ name = \"fichier\", file = \"document\""),
            "{text}"
        );
        // It loads as written: the accounts are placeholders marked TODO, the decisions safe defaults.
        crate::profile::Profile::parse(Path::new("p.toml"), text, None).expect("loads as written");
        assert!(text.contains("role = \"applicant\""), "{text}");
    }

    /// An OAuth2 password flow whose `tokenUrl` is relative and not in the document's paths, beside an open
    /// sign-up: the login is the RFC 6749 form to the `tokenUrl` under the server path (not the sign-up,
    /// which also takes a password), identities sign themselves up, and the profile loads as written.
    #[test]
    fn an_oauth2_password_flow_logs_in_at_its_token_url_as_a_form() {
        let doc = Document::parse(
            "grant.json",
            r##"{"openapi": "3.1.0", "info": {"title": "Grants"},
              "servers": [{"url": "https://grants.example.test/base"}],
              "components": {"securitySchemes": {"o": {"type": "oauth2", "flows": {"password": {"tokenUrl": "api/v2/grant", "scopes": {}}}}}},
              "security": [{"o": []}],
              "paths": {
                "/register": {"post": {"security": [], "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}},
                  "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}}}}}},
                "/grants/": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"label": {"type": "string"}}}}}},
                  "responses": {"201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}}}}}},
                "/grants/{grant_id}/": {"get": {"responses": {"200": {"description": "ok"}}}}
              }}"##,
        )
        .expect("parses");
        let text = draft(&doc, None).text;
        assert!(
            text.contains("[auth.login]\nmethod = \"POST\"\npath = \"/base/api/v2/grant\"\nform = { grant_type = \"password\""),
            "{text}"
        );
        assert!(
            text.contains("token = { json = \"/access_token\" }"),
            "{text}"
        );
        assert!(text.contains("source = \"register\""), "{text}");
        assert!(text.contains("path = \"/base/register\""), "{text}");
        assert!(
            text.contains("path = \"/base/grants/{{case.id}}/\""),
            "{text}"
        );
        crate::profile::Profile::parse(Path::new("p.toml"), &text, None).expect("loads as written");
    }
}
