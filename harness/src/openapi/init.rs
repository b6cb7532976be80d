//! `cloison init --openapi FILE|URL [--out PATH]`: a starting profile written from a platform's OpenAPI
//! document.
//!
//! What the document says is mapped onto profile format 1: the health check, the login call and how its
//! token is sent (from `securitySchemes` and the login answer), operator provisioning (operations secured
//! by a scheme of their own: tenants, accounts, representations), record kinds guessed from path words
//! (`/x`, `/x/{id}`, `/x/{id}/content`, nested lists), searches and exports, and request bodies whose
//! property names match a generated value. What cannot be known from a document (who may see what, the
//! roles granted each function) is written as a guess marked `# TODO`, and what cannot be guessed is
//! written so that loading the profile fails on the `TODO` itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use cloison_generators::schema::{Entity, Ty};
use cloison_suites::RecordKind;
use serde_json::Value;

use super::vocab::{self, Context, ParamRole};
use super::{Document, In, Operation, Scheme, is_param, param_name};
use crate::cli::{EXIT_OK, UsageError};

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

/// A TOML value as written.
#[derive(Debug, Clone)]
enum Item {
    /// A string.
    Str(String),
    /// TOML written as is (numbers, arrays, inline tables).
    Raw(String),
    /// A sub-table.
    Table(Table),
}

/// A TOML table: keys in order, each with an optional trailing comment.
#[derive(Debug, Clone, Default)]
struct Table {
    entries: Vec<(String, Item, Option<String>)>,
}

impl Table {
    fn str(&mut self, key: &str, value: impl Into<String>) {
        self.entries
            .push((key.into(), Item::Str(value.into()), None));
    }

    fn raw(&mut self, key: &str, value: impl Into<String>) {
        self.entries
            .push((key.into(), Item::Raw(value.into()), None));
    }

    fn commented(&mut self, key: &str, item: Item, comment: impl Into<String>) {
        self.entries.push((key.into(), item, Some(comment.into())));
    }
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be.
fn key(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        text.to_string()
    } else {
        quote(text)
    }
}

fn write_table(out: &mut String, header: &str, table: &Table) {
    let _ = writeln!(out, "[{header}]");
    for (k, item, comment) in &table.entries {
        let value = match item {
            Item::Str(s) => quote(s),
            Item::Raw(r) => r.clone(),
            Item::Table(_) => continue,
        };
        let comment = comment
            .as_ref()
            .map_or_else(String::new, |c| format!("  # {c}"));
        let _ = writeln!(out, "{} = {value}{comment}", key(k));
    }
    for (k, item, comment) in &table.entries {
        if let Item::Table(sub) = item {
            out.push('\n');
            if let Some(c) = comment {
                let _ = writeln!(out, "# {c}");
            }
            write_table(out, &format!("{header}.{}", key(k)), sub);
        }
    }
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
    /// Whether a resource is written under the platform's own name (format 2).
    named: bool,
}

/// The operations of a document, with what init made of them.
pub fn draft(doc: &Document, openapi: Option<&str>) -> Draft {
    let mut b = Builder {
        doc,
        used: BTreeSet::new(),
        mapped: Vec::new(),
        maps: Vec::new(),
        role_values: Vec::new(),
        named: false,
    };
    let text = b.write(openapi);
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

    /// The path as a template: each parameter becomes the value it names in `context`, or a `{{TODO...}}`
    /// placeholder that stops the profile from loading until it is filled.
    fn path(&mut self, op: &Operation, context: Context) -> String {
        let segments = op.segments();
        let mut out = String::new();
        let mut previous: Option<&str> = None;
        for segment in segments {
            out.push('/');
            if !is_param(segment) {
                out.push_str(segment);
                previous = Some(segment);
                continue;
            }
            let mut rest = segment;
            while let Some(start) = rest.find('{') {
                out.push_str(&rest[..start]);
                let Some(end) = rest[start..].find('}') else {
                    break;
                };
                let name = &rest[start + 1..start + end];
                out.push_str(&self.placeholder(name, previous, context));
                rest = &rest[start + end + 1..];
            }
            out.push_str(rest);
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }

    fn placeholder(&mut self, name: &str, previous: Option<&str>, context: Context) -> String {
        match (vocab::param_role(name, previous), context) {
            (Some(ParamRole::Record(kind)), Context::Record(_)) => {
                format!("{{{{{}.id}}}}", kind.name())
            }
            (Some(ParamRole::Tenant), _) => "{{tenant.code}}".into(),
            (Some(ParamRole::Account), Context::Record(_)) => "{{person.account_id}}".into(),
            (Some(ParamRole::Account), Context::Identity) => "{{identity.id}}".into(),
            (Some(ParamRole::Representation), Context::Representation) => {
                "{{representation.id}}".into()
            }
            _ => {
                format!("{{{{TODO.{}}}}}", vocab::words(name).join("_"))
            }
        }
    }

    /// An endpoint table: method, path, required query parameters, body.
    fn endpoint(&mut self, op: &Operation, context: Context) -> Table {
        let mut t = Table::default();
        if op.method != "GET" {
            t.str("method", op.method.clone());
        }
        t.str("path", self.path(op, context));
        let required: Vec<String> = op
            .params(In::Query)
            .filter(|p| p.required)
            .map(|p| p.name.clone())
            .collect();
        if !required.is_empty() {
            let mut query = Table::default();
            for name in required {
                let todo = "TODO";
                query.commented(
                    &name,
                    Item::Str(todo.into()),
                    "TODO: a value for this required parameter",
                );
            }
            t.entries.push(("query".into(), Item::Table(query), None));
        }
        if let Some(body) = &op.body {
            self.body(&mut t, &body.media, &body.schema, context);
        }
        t
    }

    fn body(&mut self, t: &mut Table, media: &str, schema: &Value, context: Context) {
        if media.contains("multipart") {
            let mut parts = Vec::new();
            for (name, prop, required) in self.doc.properties(schema) {
                let binary = prop
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f == "binary" || f == "byte")
                    || self.doc.type_of(prop).is_none() && vocab::squash(&name) == "file";
                if binary && context == Context::Record(RecordKind::Document) {
                    parts.push(format!(
                        "  {{ name = {}, file = \"document\", filename = \"{{{{document.file_name}}}}\", content_type = \"{{{{document.content_type}}}}\" }},",
                        quote(&name)
                    ));
                } else if let Some(fill) = vocab::fill(context, &vocab::squash(&name), required) {
                    let value = self.with_map(&fill, prop);
                    parts.push(format!(
                        "  {{ name = {}, value = {} }},",
                        quote(&name),
                        quote(&value)
                    ));
                } else if required {
                    let todo = "TODO";
                    parts.push(format!(
                        "  {{ name = {}, value = \"{todo}\" }},  # TODO: a value for this part",
                        quote(&name)
                    ));
                }
            }
            t.raw("multipart", format!("[\n{}\n]", parts.join("\n")));
        } else if media.contains("x-www-form-urlencoded") {
            let mut form = Table::default();
            for (name, prop, required) in self.doc.properties(schema) {
                match vocab::fill(context, &vocab::squash(&name), required) {
                    Some(fill) => {
                        let value = self.with_map(&fill, prop);
                        form.str(&name, value);
                    }
                    None if required => {
                        let todo = "TODO";
                        form.commented(
                            &name,
                            Item::Str(todo.into()),
                            "TODO: no generated value matches this field",
                        );
                    }
                    None => {}
                }
            }
            t.entries.push(("form".into(), Item::Table(form), None));
        } else {
            match self.doc.type_of(schema) {
                Some("object") | None => {
                    let (json, skipped) = self.object(schema, context, 0);
                    let comment = (!skipped.is_empty())
                        .then(|| format!("not filled (optional): {}", skipped.join(", ")));
                    t.entries.push(("json".into(), Item::Table(json), comment));
                }
                Some(other) => {
                    let todo = "TODO";
                    t.commented(
                        "json",
                        Item::Str(todo.into()),
                        format!("TODO: the body is a JSON {other}"),
                    );
                }
            }
        }
    }

    /// A JSON object body: known properties filled, required unknown ones marked, optional ones listed.
    fn object(&mut self, schema: &Value, context: Context, depth: usize) -> (Table, Vec<String>) {
        let mut t = Table::default();
        let mut skipped = Vec::new();
        for (name, prop, required) in self.doc.properties(schema) {
            if prop.get("readOnly") == Some(&Value::Bool(true)) {
                continue;
            }
            let squashed = vocab::squash(&name);
            let ty = self.doc.type_of(prop);
            let fill = vocab::fill(context, &squashed, required).filter(|f| match ty {
                Some("array") => f.list,
                Some("object") => false,
                Some("integer" | "number" | "boolean") => false,
                _ => !f.list,
            });
            if let Some(fill) = fill {
                let value = self.with_map(&fill, prop);
                t.str(&name, value);
                continue;
            }
            if ty == Some("object") && depth < 6 {
                let (sub, sub_skipped) = self.object(prop, context, depth + 1);
                skipped.extend(sub_skipped.into_iter().map(|s| format!("{name}.{s}")));
                if !sub.entries.is_empty() || required {
                    t.entries.push((name, Item::Table(sub), None));
                }
                continue;
            }
            if !required {
                skipped.push(name);
                continue;
            }
            let values = self.doc.enum_values(prop);
            if let Some(first) = values.first() {
                t.commented(
                    &name,
                    Item::Str(first.clone()),
                    format!("TODO: one of {}", values.join(", ")),
                );
                continue;
            }
            let (item, what) = match ty {
                Some("integer" | "number") => (Item::Raw("0".into()), "a number"),
                Some("boolean") => (Item::Raw("false".into()), "a boolean"),
                Some("array") => (Item::Raw("[]".into()), "a list"),
                _ => (Item::Str("TODO".into()), "a text"),
            };
            t.commented(
                &name,
                item,
                format!("TODO: {what}; no generated value matches `{name}`"),
            );
        }
        (t, skipped)
    }

    /// The fill's template, through a `[maps.NAME]` table when the platform's enum spells cloison's values
    /// differently.
    fn with_map(&mut self, fill: &vocab::Fill, prop: &Value) -> String {
        let Some((root, field)) = fill.field else {
            return fill.template.clone();
        };
        if (root, field) == ("identity", "role") {
            self.role_values = self.doc.enum_values(prop);
            return fill.template.clone();
        }
        let options = if fill.list {
            self.doc
                .items(prop)
                .map(|i| self.doc.enum_values(i))
                .unwrap_or_default()
        } else {
            self.doc.enum_values(prop)
        };
        if options.is_empty() {
            return fill.template.clone();
        }
        let generated = generated_values(root, field);
        if generated.is_empty() || generated.iter().all(|g| options.iter().any(|o| o == g)) {
            return fill.template.clone();
        }
        let name = format!("{root}_{field}");
        if !self.maps.iter().any(|m| m.name == name) {
            let entries = generated
                .iter()
                .map(|g| match vocab::fuzzy(g, &options) {
                    Some(o) => (g.to_string(), o.clone(), false),
                    None => (g.to_string(), options[0].clone(), true),
                })
                .collect();
            self.maps.push(ValueMap {
                name: name.clone(),
                entries,
            });
        }
        if fill.list {
            // A list cannot go through a map: the platform must accept cloison's values.
            return fill.template.clone();
        }
        fill.template.replacen("}}", &format!(" | {name}}}}}"), 1)
    }

    fn write(&mut self, openapi: Option<&str>) -> String {
        let audiences = self.audiences();
        let mut out = String::new();
        let title = if self.doc.title.is_empty() {
            "platform"
        } else {
            self.doc.title.as_str()
        };
        let _ = writeln!(
            out,
            "# Starting profile written by `cloison init` from {} ({} operations).\n\
             # Review every TODO, then: cloison run --target url:BASE_URL --profile THIS_FILE\n\
             # Format: docs/profile-format.md.",
            self.doc.source,
            self.doc.operations.len()
        );
        out.push_str("format = 1\n");
        let _ = writeln!(out, "name = {}", quote(title));
        if let Some(field) = openapi {
            let _ = writeln!(
                out,
                "# The document, so that `cloison run` also calls the operations this profile does not describe.\nopenapi = {}",
                quote(field)
            );
        }
        out.push('\n');
        self.health(&mut out);
        let provisioning = self.provisioning(&audiences);
        let auth = self.auth(&audiences);
        let resources = self.resources(&audiences);
        if self.named {
            // `entity` is a key of format 2: an older cloison says so instead of naming an unknown resource.
            out = out.replacen("format = 1\n", "format = 2\n", 1);
        }
        let transitions = self.transitions(&audiences);
        let functions = self.functions(&audiences);
        self.roles(&mut out);
        self.policy(&mut out);
        for map in &self.maps {
            let _ = writeln!(
                out,
                "# cloison's values of {} as the platform spells them (guessed: check them).",
                map.name.replace('_', ".")
            );
            let _ = writeln!(out, "[maps.{}]", map.name);
            for (generated, value, todo) in &map.entries {
                let comment = if *todo {
                    "  # TODO: no close match"
                } else {
                    ""
                };
                let _ = writeln!(out, "{} = {}{comment}", key(generated), quote(value));
            }
            out.push('\n');
        }
        out.push_str(&provisioning);
        out.push_str(&auth);
        out.push_str(&resources);
        out.push_str(&transitions);
        out.push_str(&functions);
        self.leftovers(&mut out, &audiences);
        out
    }

    fn health(&mut self, out: &mut String) {
        let found = self.ops().find(|(_, op)| {
            op.method == "GET"
                && !op.secured()
                && op.parameters.iter().all(|p| !p.required)
                && op
                    .segments()
                    .last()
                    .is_some_and(|s| vocab::words(s).iter().any(|w| vocab::health_word(w)))
        });
        match found {
            Some((i, op)) => {
                self.take(i, "health");
                let _ = writeln!(out, "[health]\npath = {}\n", quote(&op.path));
            }
            None => out.push_str("# No health check found in the document: add [health] with a `path` if the platform has one.\n\n"),
        }
    }

    fn roles(&mut self, out: &mut String) {
        out.push_str("# cloison's roles -> the platform's role names ({{identity.role}}).");
        if self.role_values.is_empty() {
            out.push_str(" TODO: the document names no role values.\n");
        } else {
            let _ = writeln!(out, " Guessed from: {}.", self.role_values.join(", "));
        }
        out.push_str("[roles]\n");
        for role in ["applicant", "representative", "agent", "tenant_admin"] {
            let found = vocab::role_synonyms(role)
                .iter()
                .find_map(|s| {
                    vocab::fuzzy(s, &self.role_values)
                        .filter(|v| vocab::words(v).iter().any(|w| w == s))
                })
                .or_else(|| vocab::fuzzy(role, &self.role_values));
            match found {
                Some(value) => {
                    let _ = writeln!(out, "{role} = {}", quote(value));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{role} = {}  # TODO: the platform's name of this role",
                        quote(role)
                    );
                }
            }
        }
        out.push('\n');
    }

    fn policy(&mut self, out: &mut String) {
        out.push_str(
            "# TODO: who may see what, in cloison's vocabulary (own, represented, assigned, tenant, nothing).\n\
             # A document does not say it: these are common defaults. A policy wider than the platform's hides\n\
             # its leaks, a narrower one reports allowed reads as leaks.\n\
             [policy]\n\
             applicant = [\"own\"]\n\
             representative = [\"own\", \"represented\"]\n\
             agent = [\"tenant\"]\n\
             tenant_admin = [\"tenant\"]\n\n",
        );
    }

    fn provisioning(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        let operator_ops: Vec<usize> = self
            .ops()
            .filter(|(_, op)| self.operator_only(op, audiences))
            .map(|(i, _)| i)
            .collect();
        let body_has = |op: &Operation, test: &dyn Fn(&str) -> bool| {
            op.body.as_ref().is_some_and(|b| {
                self.doc
                    .properties(&b.schema)
                    .iter()
                    .any(|(n, _, _)| test(&vocab::squash(n)))
            })
        };
        let words_of = |op: &Operation| -> Vec<String> {
            op.segments()
                .iter()
                .filter(|s| !is_param(s))
                .flat_map(|s| vocab::words(s))
                .collect()
        };
        let find = |pred: &dyn Fn(&Operation) -> bool| {
            operator_ops
                .iter()
                .copied()
                .find(|i| pred(&self.doc.operations[*i]))
        };
        let identity = find(&|op: &Operation| {
            op.method == "POST"
                && body_has(op, &|n| {
                    matches!(
                        n,
                        "password" | "passwd" | "pass" | "pwd" | "secret" | "motdepasse"
                    )
                })
        });
        let Some(identity) = identity else {
            out.push_str(
                "# No operation creates accounts with an operator credential: accounts must already exist.\n\
                 [accounts]\n\
                 source = \"existing\"\n\n\
                 # TODO: one entry per account cloison may use (tenant code, cloison role, login, password or token).\n\
                 [[accounts.existing]]\n\
                 tenant = \"TODO\"\n\
                 role = \"TODO\"  # applicant, representative, agent or tenant_admin\n\
                 login = \"TODO\"\n\
                 password = \"{{secrets.TODO}}\"\n\n",
            );
            return out;
        };
        let tenant = find(&|op: &Operation| {
            op.method == "POST"
                && !op.segments().iter().any(|s| is_param(s))
                && words_of(op).last().is_some_and(|w| vocab::tenant_word(w))
        });
        let representation = find(&|op: &Operation| {
            op.method == "POST"
                && !op.segments().iter().any(|s| is_param(s))
                && words_of(op).iter().any(|w| vocab::representation_word(w))
        });
        let ending = find(&|op: &Operation| {
            let segs = op.segments();
            let represented = words_of(op).iter().any(|w| vocab::representation_word(w));
            let last_is_param = segs.last().is_some_and(|s| is_param(s));
            represented
                && ((op.method == "DELETE" && last_is_param)
                    || (!last_is_param
                        && matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                        && segs.len() >= 2
                        && is_param(segs[segs.len() - 2])
                        && segs.last().is_some_and(|s| {
                            vocab::words(s).iter().any(|w| vocab::ending_word(w))
                        })))
        });
        // Holder accounts: a case file that names its person's account needs one per person.
        out.push_str("[accounts]\nsource = \"provision\"\n");
        let holders = self.doc.operations.iter().any(|op| {
            op.method == "POST"
                && op.body.as_ref().is_some_and(|b| {
                    self.doc.properties(&b.schema).iter().any(|(n, _, _)| {
                        vocab::fill(Context::Record(RecordKind::Case), &vocab::squash(n), false)
                            .is_some_and(|f| f.field == Some(("person", "account_id")))
                    })
                })
                && matches!(shape(op), Shape::Collection(RecordKind::Case))
        });
        if holders {
            out.push_str("# Case files name their person's account: every person gets one (children, adults under guardianship).\nholders = true\n");
        }
        out.push('\n');
        let operator = audiences.operator.as_deref().unwrap_or("");
        let (header, value) = match self.doc.schemes.get(operator) {
            Some(Scheme::HeaderKey(name)) => {
                (name.clone(), "{{secrets.operator_token}}".to_string())
            }
            Some(Scheme::Http(s)) if s == "basic" => {
                ("Authorization".to_string(), "Basic TODO".to_string())
            }
            _ => (
                "Authorization".to_string(),
                "Bearer {{secrets.operator_token}}".to_string(),
            ),
        };
        let _ = writeln!(
            out,
            "# Operations secured by `{operator}` only: the operator's credential (secrets file; embedded and\n\
             # container targets supply `operator_token`).\n\
             [provisioning]\noperator = {{ header = {}, value = {} }}\n",
            quote(&header),
            quote(&value)
        );
        match tenant {
            Some(i) => {
                self.take(i, "provisioning.tenant");
                let op = &self.doc.operations[i];
                let mut t = self.endpoint(op, Context::Tenant);
                if op.documents_status(409) {
                    t.commented(
                        "ok",
                        Item::Raw("[201, 409]".into()),
                        "409: the tenant exists already",
                    );
                }
                write_table(&mut out, "provisioning.tenant", &t);
            }
            None => {
                out.push_str("# TODO: the call that creates a tenant.\n[provisioning.tenant]\nmethod = \"POST\"\npath = \"TODO\"\n");
            }
        }
        out.push('\n');
        self.take(identity, "provisioning.identity");
        let op = &self.doc.operations[identity];
        let mut t = self.endpoint(op, Context::Identity);
        self.extract_id(&mut t, op);
        write_table(&mut out, "provisioning.identity", &t);
        out.push('\n');
        if let Some(i) = representation {
            self.take(i, "provisioning.representation");
            let op = &self.doc.operations[i];
            let mut t = self.endpoint(op, Context::Representation);
            self.extract_id(&mut t, op);
            write_table(&mut out, "provisioning.representation", &t);
            out.push('\n');
            if let Some(i) = ending {
                self.take(i, "provisioning.end_representation");
                let op = &self.doc.operations[i];
                let t = self.endpoint(op, Context::Representation);
                write_table(&mut out, "provisioning.end_representation", &t);
                out.push('\n');
            }
        }
        out
    }

    /// `extract = { id = "/pointer" }` from the success answer's schema, or a TODO.
    fn extract_id(&mut self, t: &mut Table, op: &Operation) {
        match self.id_pointer(op) {
            Some(pointer) => t.raw("extract", format!("{{ id = {} }}", quote(&pointer))),
            None => {
                t.commented(
                    "extract",
                    Item::Raw("{ TODO = \"/id\" }".into()),
                    "TODO: where the answer holds the new object's identifier (`id = \"/pointer\"`)",
                );
            }
        }
    }

    fn id_pointer(&self, op: &Operation) -> Option<String> {
        let schema = op.success_schema()?;
        let props = self.doc.properties(schema);
        if let Some((name, _, _)) = props.iter().find(|(n, _, _)| vocab::id_property(n)) {
            return Some(format!("/{name}"));
        }
        // One level down (`{"data": {"id": ...}}`).
        props.iter().find_map(|(outer, prop, _)| {
            self.doc
                .properties(prop)
                .iter()
                .find(|(n, _, _)| vocab::id_property(n))
                .map(|(n, _, _)| format!("/{outer}/{n}"))
        })
    }

    fn auth(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        let user_scheme = audiences
            .user
            .as_ref()
            .and_then(|u| self.doc.schemes.get(u))
            .cloned();
        let login = self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && op.method == "POST"
                && !op.secured()
                && op.body.as_ref().is_some_and(|b| {
                    let props = self.doc.properties(&b.schema);
                    props.iter().any(|(n, _, _)| {
                        vocab::fill(Context::Login, &vocab::squash(n), true)
                            .is_some_and(|f| f.field == Some(("identity", "password")))
                    })
                })
        });
        let token = login.and_then(|(_, op)| {
            let schema = op.success_schema()?;
            let props = self.doc.properties(schema);
            props
                .iter()
                .find(|(n, _, _)| vocab::token_property(n))
                .map(|(n, _, _)| format!("/{n}"))
                .or_else(|| {
                    props.iter().find_map(|(outer, prop, _)| {
                        self.doc
                            .properties(prop)
                            .iter()
                            .find(|(n, _, _)| vocab::token_property(n))
                            .map(|(n, _, _)| format!("/{outer}/{n}"))
                    })
                })
        });
        let send = match &user_scheme {
            Some(Scheme::HeaderKey(name)) => Some((name.clone(), "{{token}}".to_string())),
            Some(Scheme::Http(s)) if s == "bearer" => {
                Some(("Authorization".into(), "Bearer {{token}}".into()))
            }
            Some(Scheme::OAuth) | None => Some(("Authorization".into(), "Bearer {{token}}".into())),
            _ => None,
        };
        let scheme = match (&user_scheme, &token) {
            (Some(Scheme::Http(s)), _) if s == "basic" => "basic",
            (Some(Scheme::CookieKey(_)), None) => "cookie",
            (_, Some(_)) => "token",
            (_, None) => "cookie",
        };
        let _ = writeln!(
            out,
            "# How identities log in{}: check the login body and where the token is.",
            audiences
                .user
                .as_ref()
                .map_or_else(String::new, |u| format!(" (security scheme `{u}`)"))
        );
        let _ = writeln!(out, "[auth]\nscheme = {}", quote(scheme));
        if scheme == "token" {
            if let Some(pointer) = &token {
                let _ = writeln!(out, "token = {{ json = {} }}", quote(pointer));
            }
            if let Some((header, value)) = &send {
                let _ = writeln!(
                    out,
                    "send = {{ header = {}, value = {} }}",
                    quote(header),
                    quote(value)
                );
            }
        }
        out.push('\n');
        if scheme != "basic" {
            match login {
                Some((i, op)) => {
                    self.take(i, "auth.login");
                    let t = self.endpoint(op, Context::Login);
                    write_table(&mut out, "auth.login", &t);
                }
                None => {
                    out.push_str("# TODO: the login call (no unsecured POST with a password was found).\n[auth.login]\nmethod = \"POST\"\npath = \"TODO\"\n");
                }
            }
            out.push('\n');
        }
        let logout = self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && matches!(op.method.as_str(), "POST" | "DELETE")
                && op
                    .segments()
                    .iter()
                    .flat_map(|s| vocab::words(s))
                    .any(|w| vocab::logout_word(&w))
                && !op.segments().iter().any(|s| is_param(s))
        });
        if let Some((i, op)) = logout {
            self.take(i, "auth.logout");
            let t = self.endpoint(op, Context::Login);
            write_table(&mut out, "auth.logout", &t);
            out.push('\n');
        }
        // Refusals: what the document lists for reads of a record by its identifier.
        let mut statuses: BTreeSet<u16> = BTreeSet::new();
        for op in &self.doc.operations {
            if op.method == "GET" && op.segments().iter().any(|s| is_param(s)) {
                for status in [401, 403, 404, 410] {
                    if op.documents_status(status) {
                        statuses.insert(status);
                    }
                }
            }
        }
        if statuses.is_empty() {
            statuses.extend([401, 403, 404]);
        }
        let list: Vec<String> = statuses.iter().map(u16::to_string).collect();
        let _ = writeln!(
            out,
            "# What a refusal looks like (from the statuses the document lists for reads by identifier).\n[refusals]\nstatuses = [{}]\n",
            list.join(", ")
        );
        out
    }

    fn resources(&mut self, audiences: &Audiences) -> String {
        let mut chosen: BTreeMap<(RecordKind, &'static str), usize> = BTreeMap::new();
        let mut lists: BTreeMap<RecordKind, Vec<usize>> = BTreeMap::new();
        for (i, op) in self.ops() {
            if self.used.contains(&i) || self.operator_only(op, audiences) {
                continue;
            }
            let words: Vec<String> = op
                .segments()
                .iter()
                .filter(|s| !is_param(s))
                .flat_map(|s| vocab::words(s))
                .collect();
            let spreadsheet = op.segments().last().is_some_and(|s| {
                [".csv", ".xlsx", ".ods", ".xls"]
                    .iter()
                    .any(|ext| s.ends_with(ext))
            });
            let exported = op.method == "GET"
                && !op.segments().iter().any(|s| is_param(s))
                && (spreadsheet
                    || !op.answers_json()
                    || words.iter().any(|w| vocab::export_word(w)));
            if exported {
                let kind = words
                    .iter()
                    .rev()
                    .find_map(|w| vocab::kind_word(w))
                    .unwrap_or(RecordKind::Case);
                chosen.entry((kind, "export")).or_insert(i);
                continue;
            }
            let slot = match (shape(op), op.method.as_str()) {
                (Shape::Collection(kind), "POST") => Some((kind, "create")),
                (Shape::Collection(kind), "GET") => {
                    lists.entry(kind).or_default().push(i);
                    None
                }
                (Shape::Record(kind), "GET") if op.answers_json() => Some((kind, "read")),
                (Shape::Record(kind), "GET") => Some((kind, "download")),
                (Shape::Record(kind), "PATCH") => Some((kind, "update")),
                (Shape::Record(kind), "PUT") if !chosen.contains_key(&(kind, "update")) => {
                    Some((kind, "update"))
                }
                (Shape::Record(kind), "DELETE") => Some((kind, "delete")),
                (Shape::Sub(kind, last), "GET")
                    if vocab::download_word(&last) || !op.answers_json() =>
                {
                    Some((kind, "download"))
                }
                (Shape::None, "GET") if !op.segments().iter().any(|s| is_param(s)) => {
                    let kind = words
                        .iter()
                        .rev()
                        .find_map(|w| vocab::kind_word(w))
                        .unwrap_or(RecordKind::Case);
                    let by_person = op
                        .params(In::Query)
                        .filter_map(|p| vocab::search_fill(&p.name))
                        .any(|(rank, _)| rank >= 2);
                    (words.iter().any(|w| vocab::search_word(w)) || by_person)
                        .then_some((kind, "search"))
                }
                _ => None,
            };
            if let Some(slot) = slot {
                chosen.entry(slot).or_insert(i);
            }
        }
        // A kind's list: the GET on its create's path, else its first collection.
        for (kind, candidates) in &lists {
            let create_path = chosen
                .get(&(*kind, "create"))
                .map(|i| self.doc.operations[*i].path.clone());
            let pick = candidates
                .iter()
                .find(|i| Some(&self.doc.operations[**i].path) == create_path.as_ref())
                .or_else(|| candidates.first());
            if let Some(i) = pick {
                chosen.insert((*kind, "list"), *i);
            }
        }
        // Each kind under the platform's own word for it (`[resources.dossier]` holding case files), taken
        // from the paths of its operations; the entity's name where the platform uses it too.
        let mut names: BTreeMap<RecordKind, String> = BTreeMap::new();
        for ((kind, _), &i) in &chosen {
            if names.contains_key(kind) {
                continue;
            }
            let word = self.doc.operations[i]
                .segments()
                .iter()
                .filter(|s| !is_param(s))
                .flat_map(|s| vocab::words(s))
                .find(|w| vocab::kind_word(w) == Some(*kind))
                .map(|w| vocab::singular(&w));
            if let Some(word) = word.filter(|w| w != kind.name()) {
                names.insert(*kind, word);
            }
        }
        let name_of = |kind: RecordKind| -> String {
            names
                .get(&kind)
                .cloned()
                .unwrap_or_else(|| kind.name().to_string())
        };
        let mut out = String::new();
        for kind in RecordKind::ALL {
            if let Some(name) = names.get(&kind) {
                let _ = writeln!(
                    out,
                    "# The platform's {name}s hold cloison's generated {}s.\n[resources.{name}]\nentity = \"{}\"\n",
                    kind.name(),
                    kind.name()
                );
            }
            for op_name in [
                "create", "read", "update", "delete", "list", "search", "export", "download",
            ] {
                let Some(&i) = chosen.get(&(kind, op_name)) else {
                    continue;
                };
                let what = format!("resources.{}.{op_name}", name_of(kind));
                self.take(i, &what);
                let op = &self.doc.operations[i];
                let context = Context::Record(kind);
                let mut t = match op_name {
                    "update" => self.update(op, kind, &chosen),
                    "search" => self.search(op),
                    _ => self.endpoint(op, context),
                };
                if op_name == "create" {
                    let who = if matches!(kind, RecordKind::Note | RecordKind::Decision) {
                        "agent"
                    } else {
                        "owner"
                    };
                    t.entries.insert(
                        0,
                        ("as".into(), Item::Str(who.into()), Some("TODO: `owner` (the record's person or representative) or `agent` (staff of its tenant)".into())),
                    );
                    self.extract_id(&mut t, op);
                }
                if !matches!(op_name, "create" | "update" | "search")
                    && t.entries.iter().any(|(k, _, _)| k == "json")
                {
                    t.entries.retain(|(k, _, _)| k != "json");
                }
                let _ = writeln!(
                    out,
                    "# {} {}{}",
                    op.method,
                    op.path,
                    if op.summary.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", op.summary)
                    }
                );
                write_table(&mut out, &what, &t);
                out.push('\n');
            }
        }
        let mut missing: Vec<String> = [
            (RecordKind::Case, "create"),
            (RecordKind::Case, "read"),
            (RecordKind::Document, "create"),
        ]
        .into_iter()
        .filter(|(k, o)| !chosen.contains_key(&(*k, *o)))
        .map(|(k, o)| format!("resources.{}.{o}", name_of(k)))
        .collect();
        let document_read = chosen.contains_key(&(RecordKind::Document, "read"))
            || chosen.contains_key(&(RecordKind::Document, "download"));
        if !document_read {
            missing.push(format!(
                "resources.{}.download",
                name_of(RecordKind::Document)
            ));
        }
        self.named = !names.is_empty();
        for name in &missing {
            let _ = writeln!(
                out,
                "# TODO: no operation of the document looks like {name}: describe it (a profile needs it).\n[{name}]\npath = \"TODO\"\n"
            );
        }
        out
    }

    fn update(
        &mut self,
        op: &Operation,
        kind: RecordKind,
        chosen: &BTreeMap<(RecordKind, &'static str), usize>,
    ) -> Table {
        let mut t = self.endpoint(op, Context::Record(kind));
        let body_props: Vec<String> = op
            .body
            .as_ref()
            .map(|b| {
                self.doc
                    .properties(&b.schema)
                    .into_iter()
                    .filter(|(_, p, _)| {
                        self.doc.type_of(p) == Some("string") && self.doc.enum_values(p).is_empty()
                    })
                    .map(|(n, _, _)| n)
                    .collect()
            })
            .unwrap_or_default();
        let read_props: Vec<String> = chosen
            .get(&(kind, "read"))
            .and_then(|i| self.doc.operations[*i].success_schema())
            .map(|s| {
                self.doc
                    .properties(s)
                    .into_iter()
                    .map(|(n, _, _)| n)
                    .collect()
            })
            .unwrap_or_default();
        let marker = body_props
            .iter()
            .filter(|n| read_props.is_empty() || read_props.contains(n))
            .filter_map(|n| vocab::marker_rank(n).map(|r| (r, n)))
            .min()
            .map(|(_, n)| n.clone());
        t.entries.retain(|(k, _, _)| k != "json");
        match marker {
            Some(field) if op.method == "PATCH" => {
                t.raw(
                    "json",
                    format!("{{ {} = \"{{{{probe.marker}}}}\" }}", key(&field)),
                );
                t.str("marker", format!("/{field}"));
            }
            Some(field) => {
                // A PUT replaces the record: the create's body, with the marker in one text field.
                if let Some(body) = &op.body {
                    let (mut json, _) = self.object(&body.schema, Context::Record(kind), 0);
                    json.entries.retain(|(k, _, _)| k != &field);
                    json.str(&field, "{{probe.marker}}");
                    t.entries.push(("json".into(), Item::Table(json), None));
                }
                t.str("marker", format!("/{field}"));
            }
            None => {
                t.commented(
                    "json",
                    Item::Raw("{ TODO = \"{{probe.marker}}\" }".into()),
                    "TODO: a text field the write probe can plant its marker in",
                );
                t.commented(
                    "marker",
                    Item::Str("/TODO".into()),
                    "TODO: where the marker shows when the record is read back",
                );
            }
        }
        t
    }

    fn search(&mut self, op: &Operation) -> Table {
        let mut t = self.endpoint(op, Context::Record(RecordKind::Case));
        let mut params: Vec<(u8, &str, &'static str)> = op
            .params(In::Query)
            .filter_map(|p| {
                vocab::search_fill(&p.name).map(|(rank, value)| (rank, p.name.as_str(), value))
            })
            .collect();
        params.sort_by_key(|p| std::cmp::Reverse(p.0));
        t.entries.retain(|(k, _, _)| k != "query");
        match params.first() {
            Some((_, name, value)) => {
                let others: Vec<&str> = params[1..].iter().map(|(_, n, _)| *n).collect();
                let comment = if others.is_empty() {
                    "filled with the victim's values by the search family".to_string()
                } else {
                    format!(
                        "the most identifying parameter; also offered: {}",
                        others.join(", ")
                    )
                };
                t.commented(
                    "query",
                    Item::Raw(format!("{{ {} = {} }}", key(name), quote(value))),
                    comment,
                );
            }
            None => {
                t.commented(
                    "query",
                    Item::Raw("{ TODO = \"{{person.nir}}\" }".into()),
                    "TODO: the parameter that searches by a person's value",
                );
            }
        }
        t
    }

    /// The stateful suite's transitions, guessed by vocabulary: a write on a case file whose last segment
    /// says it moves the file (`transfer`, `transfert`, `move`, `reassign`), and an operator's write on an
    /// account whose last segment is its role.
    fn transitions(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        let last_word = |op: &Operation| {
            op.segments()
                .last()
                .filter(|s| !is_param(s))
                .map(|s| vocab::words(s).join("_"))
                .unwrap_or_default()
        };
        let transfer = self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                && matches!(
                    last_word(op).as_str(),
                    "transfer" | "transfert" | "move" | "reassign" | "mutation"
                )
                && op.segments().iter().any(|s| {
                    is_param(s)
                        && (previous_is_case(op, s)
                            || param_name(s).is_some_and(|n| {
                                matches!(
                                    vocab::param_role(n, None),
                                    Some(ParamRole::Record(RecordKind::Case))
                                )
                            }))
                })
        });
        if let Some((i, _)) = transfer {
            self.take(i, "transitions.transfer");
            let op = &self.doc.operations[i];
            let mut t = self.endpoint(op, Context::Record(RecordKind::Case));
            t.entries.retain(|(k, _, _)| k != "json" && k != "form");
            let field = op
                .body
                .as_ref()
                .and_then(|b| self.doc.properties(&b.schema).into_iter().next())
                .map(|(name, _, _)| name);
            if let Some(field) = field {
                t.commented(
                    "json",
                    Item::Raw(format!("{{ {} = \"{{{{to.code}}}}\" }}", key(&field))),
                    "TODO: the field that names the destination tenant",
                );
            }
            let _ = writeln!(
                out,
                "# The stateful suite moves case files with it, as staff of their tenant ({} {}).",
                op.method, op.path
            );
            write_table(&mut out, "transitions.transfer", &t);
            out.push('\n');
        }
        let role = self.ops().find(|(i, op)| {
            !self.used.contains(i)
                && matches!(op.method.as_str(), "POST" | "PUT" | "PATCH")
                && matches!(last_word(op).as_str(), "role" | "roles" | "profil")
                && self.operator_only(op, audiences)
        });
        if let Some((i, _)) = role {
            self.take(i, "transitions.change_role");
            let op = &self.doc.operations[i];
            let mut t = self.endpoint(op, Context::Identity);
            t.entries.retain(|(k, _, _)| k != "json" && k != "form");
            let field = op
                .body
                .as_ref()
                .and_then(|b| self.doc.properties(&b.schema).into_iter().next())
                .map(|(name, _, _)| name);
            if let Some(field) = field {
                t.raw("json", format!("{{ {} = \"{{{{role}}}}\" }}", key(&field)));
            }
            let _ = writeln!(
                out,
                "# The stateful suite changes staff roles with it, as the operator ({} {}).",
                op.method, op.path
            );
            write_table(&mut out, "transitions.change_role", &t);
            out.push('\n');
        }
        out
    }

    fn functions(&mut self, audiences: &Audiences) -> String {
        let mut out = String::new();
        let mut names = BTreeSet::new();
        let candidates: Vec<usize> = self
            .ops()
            .filter(|(i, op)| {
                !self.used.contains(i)
                    && op.method == "GET"
                    && !self.operator_only(op, audiences)
                    && op.segments().iter().filter(|s| is_param(s)).all(|s| {
                        param_name(s).is_some_and(|n| {
                            matches!(
                                vocab::param_role(n, None),
                                Some(ParamRole::Record(RecordKind::Case))
                            )
                        }) || previous_is_case(op, s)
                    })
            })
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            return out;
        }
        out.push_str(
            "# Other operations users call, as functions. TODO: keep in `granted` only the roles allowed to call\n\
             # each: every other role then calls it and must be refused (family function-level). With every role\n\
             # granted, a function is only scanned for foreign data.\n",
        );
        for i in candidates {
            let op = &self.doc.operations[i];
            let base = op
                .operation_id
                .as_deref()
                .map(|id| vocab::words(id).join("_"))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| {
                    op.segments()
                        .iter()
                        .filter(|s| !is_param(s))
                        .flat_map(|s| vocab::words(s))
                        .collect::<Vec<_>>()
                        .join("_")
                });
            let mut name = if base.is_empty() {
                "function".to_string()
            } else {
                base
            };
            let mut n = 2;
            while !names.insert(name.clone()) {
                name = format!("{name}_{n}");
                n += 1;
            }
            let what = format!("functions.{name}");
            self.take(i, &what);
            let op = &self.doc.operations[i];
            let mut t = self.endpoint(op, Context::Record(RecordKind::Case));
            t.commented(
                "granted",
                Item::Raw(
                    "[\"applicant\", \"representative\", \"agent\", \"tenant_admin\"]".into(),
                ),
                "TODO: the roles allowed to call it",
            );
            let _ = writeln!(
                out,
                "# {} {}{}",
                op.method,
                op.path,
                if op.summary.is_empty() {
                    String::new()
                } else {
                    format!(": {}", op.summary)
                }
            );
            write_table(&mut out, &what, &t);
            out.push('\n');
        }
        out
    }

    fn leftovers(&self, out: &mut String, audiences: &Audiences) {
        let rest: Vec<&Operation> = self
            .ops()
            .filter(|(i, _)| !self.used.contains(i))
            .map(|(_, op)| op)
            .collect();
        if rest.is_empty() {
            return;
        }
        out.push_str(
            "# Not described above (with `openapi` set, `cloison run` still calls each without credentials, and\n\
             # scans the reads among them as every role). Describe any that matters, for example as a function\n\
             # with the roles granted to call it:\n",
        );
        for op in rest {
            let why = if self.operator_only(op, audiences) {
                " (operator only)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "#   {} {}{why}{}",
                op.method,
                op.path,
                if op.summary.is_empty() {
                    String::new()
                } else {
                    format!(": {}", op.summary)
                }
            );
        }
    }
}

fn previous_is_case(op: &Operation, segment: &str) -> bool {
    let segments = op.segments();
    let Some(at) = segments.iter().position(|s| *s == segment) else {
        return false;
    };
    at > 0
        && param_name(segment).is_some_and(|n| {
            vocab::param_role(n, Some(segments[at - 1]))
                == Some(ParamRole::Record(RecordKind::Case))
        })
}

/// What a path looks like in terms of record kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `.../xs` (possibly under a parent record): the collection of a kind.
    Collection(RecordKind),
    /// `.../xs/{id}`: one record.
    Record(RecordKind),
    /// `.../xs/{id}/word`: something of one record (its content, an action).
    Sub(RecordKind, String),
    /// Nothing recognised.
    None,
}

fn shape(op: &Operation) -> Shape {
    let segments = op.segments();
    let n = segments.len();
    let Some(last) = segments.last() else {
        return Shape::None;
    };
    if is_param(last) {
        let previous = (n >= 2).then(|| segments[n - 2]);
        return match param_name(last).and_then(|name| vocab::param_role(name, previous)) {
            Some(ParamRole::Record(kind)) => Shape::Record(kind),
            _ => Shape::None,
        };
    }
    if let Some(kind) = vocab::words(last)
        .iter()
        .rev()
        .find_map(|w| vocab::kind_word(w))
    {
        return Shape::Collection(kind);
    }
    if n >= 3 && is_param(segments[n - 2]) {
        let role = param_name(segments[n - 2])
            .and_then(|name| vocab::param_role(name, Some(segments[n - 3])));
        if let Some(ParamRole::Record(kind)) = role {
            return Shape::Sub(kind, vocab::words(last).join("_"));
        }
    }
    Shape::None
}

/// The values cloison generates for a field, when they are an enum (`representation.kind`, `person.sex`).
fn generated_values(root: &str, field: &str) -> Vec<&'static str> {
    let (entity, field) = match (root, field) {
        ("person", f) => (Entity::Persons, f),
        ("case", "requested_rights") => (Entity::Requests, "right"),
        ("case", f) => (Entity::CaseFiles, f),
        ("document", f) => (Entity::Documents, f),
        ("note", f) => (Entity::Notes, f),
        ("decision", f) => (Entity::Decisions, f),
        ("representation", f) => (Entity::Representations, f),
        ("tenant", f) => (Entity::Tenants, f),
        _ => return Vec::new(),
    };
    entity
        .fields()
        .into_iter()
        .find(|f| f.name == field)
        .and_then(|f| match f.ty {
            Ty::Enum(values) => Some(values),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::Document;

    fn op(method: &str, path: &str) -> Operation {
        Operation {
            method: method.into(),
            path: path.into(),
            operation_id: None,
            summary: String::new(),
            tags: Vec::new(),
            parameters: Vec::new(),
            body: None,
            security: None,
            responses: Vec::new(),
        }
    }

    #[test]
    fn paths_are_read_as_collections_records_and_their_parts() {
        assert_eq!(
            shape(&op("GET", "/api/dossiers")),
            Shape::Collection(RecordKind::Case)
        );
        assert_eq!(
            shape(&op("GET", "/api/dossiers/{id}/pieces")),
            Shape::Collection(RecordKind::Document)
        );
        assert_eq!(
            shape(&op("GET", "/api/pieces/{pieceId}")),
            Shape::Record(RecordKind::Document)
        );
        assert_eq!(
            shape(&op("GET", "/api/pieces/{id}/download")),
            Shape::Sub(RecordKind::Document, "download".into())
        );
        assert_eq!(shape(&op("GET", "/api/widgets/{id}")), Shape::None);
    }

    #[test]
    fn generated_enums_are_known() {
        assert_eq!(generated_values("person", "sex"), ["M", "F"]);
        assert!(generated_values("representation", "kind").contains(&"tuteur"));
        assert!(generated_values("person", "surname").is_empty());
    }

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
        // It does not load until the accounts are listed: the error is on a TODO.
        let err =
            crate::profile::Profile::parse(Path::new("p.toml"), text, None).expect_err("TODOs");
        assert!(err.to_string().contains("role = \"TODO\""), "{err}");
    }
}
