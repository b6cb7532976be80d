//! Templates: strings with `{{root.field}}` placeholders, and JSON bodies built from them.
//!
//! A placeholder names a value of the render context: `{{case.id}}` (the target's identifier of a case),
//! `{{person.surname}}` (a generated field), `{{secrets.operator_token}}`. A string that is exactly one
//! placeholder keeps the value's JSON type (a number stays a number, an array an array); inside a longer
//! string the value is written as text. `{{x?}}` marks an optional value: a JSON field whose whole value is
//! an optional placeholder is left out when the value is missing or null, and in text it becomes empty.
//! Without `?`, a missing value is an error that names the template's place in the profile.
//!
//! Filters follow the value, chained left to right: `{{person.surname | slug}}`, `{{x | kinds | url}}`.
//! Built in: `base64` (standard alphabet, padded), `url` (percent-encoding of everything but `A-Z a-z 0-9
//! - . _ ~`), `slug` (lowercase ASCII, accents removed, every run of other characters one `-`); any other
//! name is a `[maps.NAME]` table of the profile. A filtered value is always text.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

/// What a path segment may not carry as is (RFC 3986 `pchar`: unreserved, sub-delims, `:` and `@` stay).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Named value maps of a profile (`[maps.NAME]`), applied by `{{path | NAME}}`.
pub type Maps = BTreeMap<String, Arc<BTreeMap<String, String>>>;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Var {
        path: Vec<String>,
        fallbacks: Vec<Fallback>,
        optional: bool,
        filters: Vec<Filter>,
    },
}

/// A filter applied to a placeholder's value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filter {
    /// `[maps.NAME]`: the value translated by the profile's table.
    Map(String, Arc<BTreeMap<String, String>>),
    /// Standard base64, padded.
    Base64,
    /// Percent-encoded as a URL component.
    Url,
    /// Lowercase ASCII letters and digits, accents removed, other runs as `-`.
    Slug,
}

/// The built-in filters, by name.
pub const FILTERS: [&str; 3] = ["base64", "url", "slug"];

/// An alternative after `||`: another path, or a quoted literal.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fallback {
    Path(Vec<String>),
    Literal(String),
}

/// A parsed template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// Why a template could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without `}}`.
    #[error("unclosed placeholder: expected `}}}}` after `{{{{`")]
    Unclosed,
    /// `{{}}` or a malformed name.
    #[error(
        "malformed placeholder `{{{{{0}}}}}`: expected a dotted name such as `{{{{case.id}}}}`"
    )]
    Malformed(String),
    /// A root the context of this template does not offer.
    #[error("unknown placeholder root `{root}` in `{{{{{name}}}}}`: expected one of {expected}")]
    UnknownRoot {
        /// The placeholder.
        name: String,
        /// Its first segment.
        root: String,
        /// The roots allowed here.
        expected: String,
    },
    /// A value that the context does not hold.
    #[error("`{{{{{0}}}}}` has no value here (add `?` to make it optional)")]
    Missing(String),
    /// A filter that is neither built in nor a `[maps.NAME]` table.
    #[error(
        "unknown filter `{0}`: expected `base64`, `url`, `slug` or the name of a [maps.NAME] table of the profile"
    )]
    UnknownMap(String),
    /// A value the map does not list.
    #[error("`{name}` is `{value}`, which [maps.{map}] does not list")]
    Unmapped {
        /// The placeholder.
        name: String,
        /// The value found.
        value: String,
        /// The map.
        map: String,
    },
    /// A value that cannot be written as text.
    #[error("`{{{{{0}}}}}` is a list or a table and cannot be part of a longer string")]
    NotScalar(String),
}

impl Template {
    /// Parse a template string without map filters.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        Self::parse_with(text, &Maps::new())
    }

    /// Parse a template string whose placeholders may apply `| NAME` filters from `maps`.
    pub fn parse_with(text: &str, maps: &Maps) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Lit(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
            let inner = after[..end].trim();
            let (inner, optional) = match inner.strip_suffix('?') {
                Some(name) => (name.trim_end(), true),
                None => (inner, false),
            };
            let mut pieces = split_filters(inner).into_iter();
            let name = pieces.next().unwrap_or_default().trim();
            let mut filters = Vec::new();
            for filter in pieces {
                let filter = filter.trim();
                filters.push(match filter {
                    "base64" => Filter::Base64,
                    "url" => Filter::Url,
                    "slug" => Filter::Slug,
                    _ => {
                        let map = maps
                            .get(filter)
                            .ok_or_else(|| TemplateError::UnknownMap(filter.to_string()))?;
                        Filter::Map(filter.to_string(), map.clone())
                    }
                });
            }
            let mut alternatives = name.split("||").map(str::trim);
            let path = parse_path(alternatives.next().unwrap_or_default())
                .ok_or_else(|| TemplateError::Malformed(inner.to_string()))?;
            let mut fallbacks = Vec::new();
            for alt in alternatives {
                let quoted = alt.strip_prefix('\'').and_then(|a| a.strip_suffix('\''));
                fallbacks.push(match quoted {
                    Some(lit) => Fallback::Literal(lit.to_string()),
                    None => Fallback::Path(
                        parse_path(alt)
                            .ok_or_else(|| TemplateError::Malformed(inner.to_string()))?,
                    ),
                });
            }
            parts.push(Part::Var {
                path,
                fallbacks,
                optional,
                filters,
            });
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// A template without placeholders.
    pub fn literal(text: &str) -> Self {
        Self {
            parts: vec![Part::Lit(text.to_string())],
        }
    }

    /// Check that every placeholder's root is one of `roots`.
    pub fn check_roots(&self, roots: &[&str]) -> Result<(), TemplateError> {
        for part in &self.parts {
            if let Part::Var {
                path, fallbacks, ..
            } = part
            {
                let paths = std::iter::once(path).chain(fallbacks.iter().filter_map(|f| match f {
                    Fallback::Path(p) => Some(p),
                    Fallback::Literal(_) => None,
                }));
                for path in paths {
                    if !roots.contains(&path[0].as_str()) {
                        return Err(TemplateError::UnknownRoot {
                            name: path.join("."),
                            root: path[0].clone(),
                            expected: roots
                                .iter()
                                .map(|r| format!("`{r}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Rename placeholder roots (`{{order.id}}` read as `{{case.id}}` where the profile binds its resource
    /// `order` to the generated case file): every path and fallback whose first segment `renames` lists.
    pub fn rename_roots(&mut self, renames: &BTreeMap<String, String>) {
        if renames.is_empty() {
            return;
        }
        let rename = |path: &mut Vec<String>| {
            if let Some(to) = path.first().and_then(|root| renames.get(root)) {
                path[0] = to.clone();
            }
        };
        for part in &mut self.parts {
            if let Part::Var {
                path, fallbacks, ..
            } = part
            {
                rename(path);
                for fallback in fallbacks {
                    if let Fallback::Path(p) = fallback {
                        rename(p);
                    }
                }
            }
        }
    }

    /// Every path a placeholder reads, fallbacks included, as segments.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for part in &self.parts {
            if let Part::Var {
                path, fallbacks, ..
            } = part
            {
                out.push(path.clone());
                out.extend(fallbacks.iter().filter_map(|f| match f {
                    Fallback::Path(p) => Some(p.clone()),
                    Fallback::Literal(_) => None,
                }));
            }
        }
        out
    }

    /// The template as a path-like text: literals as written, each placeholder as `{{root.field}}` (for
    /// matching a path against an OpenAPI document's path templates).
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Lit(text) => text.clone(),
                Part::Var { path, .. } => format!("{{{{{}}}}}", path.join(".")),
            })
            .collect()
    }

    /// The placeholder names, as `root.field`.
    pub fn placeholders(&self) -> impl Iterator<Item = String> + '_ {
        self.parts.iter().filter_map(|part| match part {
            Part::Var { path, .. } => Some(path.join(".")),
            Part::Lit(_) => None,
        })
    }

    /// Whether the template is exactly one placeholder without filters: as a JSON value it keeps the
    /// value's type, a list or a table included ([`Template::render_value`]).
    pub fn keeps_type(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Var { filters, .. }] if filters.is_empty())
    }

    /// Whether the template is exactly one optional placeholder.
    fn is_sole_optional(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Var { optional: true, .. }])
    }

    /// Render as a JSON value: a sole placeholder keeps its type; `None` for a sole optional placeholder
    /// without value.
    pub fn render_value(&self, ctx: &Value) -> Result<Option<Value>, TemplateError> {
        if let [
            Part::Var {
                path,
                fallbacks,
                optional,
                filters,
            },
        ] = self.parts.as_slice()
        {
            return match resolve(ctx, path, fallbacks).as_deref() {
                Some(Value::Null) | None if *optional => Ok(None),
                Some(value) if filters.is_empty() => Ok(Some(value.clone())),
                Some(value) => apply_filters(path, value, filters).map(|s| Some(Value::String(s))),
                None => Err(TemplateError::Missing(path.join("."))),
            };
        }
        self.render(ctx).map(|text| Some(Value::String(text)))
    }

    /// Render as text.
    pub fn render(&self, ctx: &Value) -> Result<String, TemplateError> {
        self.render_encoded(ctx, |value| value.to_string())
    }

    /// Render as a URL path: each value is one path segment, percent-encoded (a value holding `/`, `?` or
    /// `#` must not build another URL); the literal text is kept as written.
    pub fn render_path(&self, ctx: &Value) -> Result<String, TemplateError> {
        self.render_encoded(ctx, |value| {
            percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string()
        })
    }

    fn render_encoded(
        &self,
        ctx: &Value,
        encode: impl Fn(&str) -> String,
    ) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(text) => out.push_str(text),
                Part::Var {
                    path,
                    fallbacks,
                    optional,
                    filters,
                } => match resolve(ctx, path, fallbacks).as_deref() {
                    Some(value) if !filters.is_empty() => {
                        let text = apply_filters(path, value, filters)?;
                        // `| url` last: the value is encoded already, and encoding it again would
                        // turn each `%` into `%25`.
                        if matches!(filters.last(), Some(Filter::Url)) {
                            out.push_str(&text);
                        } else {
                            out.push_str(&encode(&text));
                        }
                    }
                    Some(Value::String(s)) => out.push_str(&encode(s)),
                    Some(Value::Number(n)) => out.push_str(&n.to_string()),
                    Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
                    Some(Value::Null) | None if *optional => {}
                    Some(Value::Null) | None => return Err(TemplateError::Missing(path.join("."))),
                    Some(Value::Array(_) | Value::Object(_)) => {
                        return Err(TemplateError::NotScalar(path.join(".")));
                    }
                },
            }
        }
        Ok(out)
    }
}

/// Split `name | filter | filter` at each single `|` (not part of a `||`, not inside a quoted literal).
fn split_filters(inner: &str) -> Vec<&str> {
    let bytes = inner.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'|' if !quoted
                && (i == 0 || bytes[i - 1] != b'|')
                && bytes.get(i + 1).is_none_or(|&b| b != b'|') =>
            {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&inner[start..]);
    out
}

fn parse_path(name: &str) -> Option<Vec<String>> {
    let path: Vec<String> = name.split('.').map(str::to_string).collect();
    let well_formed = path.iter().all(|seg| {
        !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    well_formed.then_some(path)
}

/// The value of a placeholder: its path, else the first fallback that has a non-null value.
fn resolve<'a>(
    ctx: &'a Value,
    path: &[String],
    fallbacks: &'a [Fallback],
) -> Option<std::borrow::Cow<'a, Value>> {
    match lookup(ctx, path) {
        Some(v) if !v.is_null() => return Some(std::borrow::Cow::Borrowed(v)),
        _ => {}
    }
    for fallback in fallbacks {
        match fallback {
            Fallback::Literal(lit) => {
                return Some(std::borrow::Cow::Owned(Value::String(lit.clone())));
            }
            Fallback::Path(p) => match lookup(ctx, p) {
                Some(v) if !v.is_null() => return Some(std::borrow::Cow::Borrowed(v)),
                _ => {}
            },
        }
    }
    lookup(ctx, path).map(std::borrow::Cow::Borrowed)
}

/// The value as text: a string as it is, anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn apply_filters(
    path: &[String],
    value: &Value,
    filters: &[Filter],
) -> Result<String, TemplateError> {
    if matches!(value, Value::Array(_) | Value::Object(_)) {
        return Err(TemplateError::NotScalar(path.join(".")));
    }
    let mut text = text_of(value);
    for filter in filters {
        text = match filter {
            Filter::Map(name, map) => {
                map.get(&text)
                    .cloned()
                    .ok_or_else(|| TemplateError::Unmapped {
                        name: path.join("."),
                        value: text.clone(),
                        map: name.clone(),
                    })?
            }
            Filter::Base64 => base64(text.as_bytes()),
            Filter::Url => percent_encoding::utf8_percent_encode(&text, URL_COMPONENT).to_string(),
            Filter::Slug => slug(&text),
        };
    }
    Ok(text)
}

/// Everything but the RFC 3986 unreserved characters is percent-encoded (`| url`).
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Standard base64 with padding (RFC 4648 section 4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A slug: accents removed (`é` to `e`, `œ` to `oe`), lowercase ASCII letters and digits, every run of
/// anything else one `-`, none at either end.
pub fn slug(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut out = String::with_capacity(ascii.len());
    let mut dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

fn lookup<'a>(ctx: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(ctx, |value, seg| match value {
        Value::Object(map) => map.get(seg),
        Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A JSON body template: the shape of the platform's record, with templates in its strings.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTemplate {
    /// A literal that is not a string.
    Literal(Value),
    /// A string template.
    Text(Template),
    /// An array.
    Array(Vec<JsonTemplate>),
    /// An object, in profile order.
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    /// Every string template, with its path below the body (for validation messages).
    pub fn templates(&self) -> Vec<(Vec<String>, &Template)> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect<'a>(&'a self, at: &mut Vec<String>, out: &mut Vec<(Vec<String>, &'a Template)>) {
        match self {
            JsonTemplate::Literal(_) => {}
            JsonTemplate::Text(t) => out.push((at.clone(), t)),
            JsonTemplate::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    at.push(i.to_string());
                    item.collect(at, out);
                    at.pop();
                }
            }
            JsonTemplate::Object(fields) => {
                for (key, item) in fields {
                    at.push(key.clone());
                    item.collect(at, out);
                    at.pop();
                }
            }
        }
    }

    /// Rename placeholder roots in every string template (see [`Template::rename_roots`]).
    pub fn rename_roots(&mut self, renames: &BTreeMap<String, String>) {
        match self {
            JsonTemplate::Literal(_) => {}
            JsonTemplate::Text(t) => t.rename_roots(renames),
            JsonTemplate::Array(items) => items.iter_mut().for_each(|i| i.rename_roots(renames)),
            JsonTemplate::Object(fields) => fields
                .iter_mut()
                .for_each(|(_, item)| item.rename_roots(renames)),
        }
    }

    /// Render into JSON. Fields whose value is an optional placeholder without value are left out.
    pub fn render(&self, ctx: &Value) -> Result<Value, (Vec<String>, TemplateError)> {
        self.render_at(ctx, &mut Vec::new())
            .map(|v| v.unwrap_or(Value::Null))
    }

    fn render_at(
        &self,
        ctx: &Value,
        at: &mut Vec<String>,
    ) -> Result<Option<Value>, (Vec<String>, TemplateError)> {
        match self {
            JsonTemplate::Literal(v) => Ok(Some(v.clone())),
            JsonTemplate::Text(t) => t.render_value(ctx).map_err(|e| (at.clone(), e)),
            JsonTemplate::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    at.push(i.to_string());
                    if let Some(v) = item.render_at(ctx, at)? {
                        out.push(v);
                    }
                    at.pop();
                }
                Ok(Some(Value::Array(out)))
            }
            JsonTemplate::Object(fields) => {
                let mut out = Map::new();
                for (key, item) in fields {
                    at.push(key.clone());
                    let rendered = item.render_at(ctx, at)?;
                    at.pop();
                    match rendered {
                        Some(v) => {
                            out.insert(key.clone(), v);
                        }
                        None => {
                            let sole_optional =
                                matches!(item, JsonTemplate::Text(t) if t.is_sole_optional());
                            if !sole_optional {
                                out.insert(key.clone(), Value::Null);
                            }
                        }
                    }
                }
                Ok(Some(Value::Object(out)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn path_values_are_encoded_as_one_segment_and_literals_kept() {
        let t = Template::parse("/files/{{case.id}}/parts?x=1").expect("valid");
        let ctx = |id: &str| json!({ "case": { "id": id } });
        assert_eq!(
            t.render_path(&ctx("../admin/x?y=#z")).expect("renders"),
            "/files/..%2Fadmin%2Fx%3Fy=%23z/parts?x=1"
        );
        assert_eq!(
            t.render_path(&ctx("13-2024 é:@")).expect("renders"),
            "/files/13-2024%20%C3%A9:@/parts?x=1"
        );
        // A plain identifier is unchanged, and `render` (bodies, headers) never encodes.
        assert_eq!(
            t.render_path(&ctx("a1B2-c_3.d~")).expect("renders"),
            "/files/a1B2-c_3.d~/parts?x=1"
        );
        assert_eq!(
            t.render(&ctx("a/b")).expect("renders"),
            "/files/a/b/parts?x=1"
        );
    }

    #[test]
    fn a_value_the_url_filter_encoded_is_not_encoded_again_in_a_path() {
        let ctx = json!({ "case": { "code": "13 Marseille/Nord" } });
        let encoded = Template::parse("/c/{{case.code | url}}").expect("valid");
        assert_eq!(
            encoded.render_path(&ctx).expect("renders"),
            "/c/13%20Marseille%2FNord"
        );
        let plain = Template::parse("/c/{{case.code}}").expect("valid");
        assert_eq!(
            plain.render_path(&ctx).expect("renders"),
            encoded.render_path(&ctx).expect("renders")
        );
        // Another filter last: its output is still one path segment.
        let slugged = Template::parse("/c/{{case.code | url | base64}}").expect("valid");
        assert!(
            !slugged.render_path(&ctx).expect("renders")[3..].contains('/'),
            "one segment"
        );
    }

    #[test]
    fn renamed_roots_read_the_entitys_values_and_fallbacks_too() {
        let renames = BTreeMap::from([("order".to_string(), "case".to_string())]);
        let mut t = Template::parse("/orders/{{order.id}}/{{order.code || person.nir | url}}")
            .expect("valid");
        t.rename_roots(&renames);
        assert_eq!(t.text(), "/orders/{{case.id}}/{{case.code}}");
        let ctx = json!({ "case": { "id": "7" }, "person": { "nir": "1 85" } });
        assert_eq!(t.render(&ctx).expect("renders"), "/orders/7/1%2085");
        assert!(t.check_roots(&["case", "person"]).is_ok());
        let mut body = JsonTemplate::Array(vec![JsonTemplate::Object(vec![(
            "ref".into(),
            JsonTemplate::Text(Template::parse("{{order.id}}-{{tenant.code}}").expect("valid")),
        )])]);
        body.rename_roots(&renames);
        let ctx = json!({ "case": { "id": "7" }, "tenant": { "code": "13" } });
        assert_eq!(
            body.render(&ctx).expect("renders"),
            json!([{ "ref": "7-13" }])
        );
    }

    #[test]
    fn renders_text_typed_values_and_optional_fields() {
        let ctx = json!({"case": {"id": "abc", "n": 3, "rights": ["AAH"], "iban": null}});
        let t = Template::parse("/cases/{{case.id}}/x{{ case.n }}").expect("valid");
        assert_eq!(t.render(&ctx).expect("renders"), "/cases/abc/x3");
        let body = JsonTemplate::Object(vec![
            (
                "rights".into(),
                JsonTemplate::Text(Template::parse("{{case.rights}}").expect("valid")),
            ),
            (
                "iban".into(),
                JsonTemplate::Text(Template::parse("{{case.iban?}}").expect("valid")),
            ),
            (
                "n".into(),
                JsonTemplate::Text(Template::parse("{{case.n}}").expect("valid")),
            ),
        ]);
        assert_eq!(
            body.render(&ctx).expect("renders"),
            json!({"rights": ["AAH"], "n": 3})
        );
        let missing = Template::parse("{{case.nope}}").expect("valid");
        assert_eq!(
            missing.render(&ctx),
            Err(TemplateError::Missing("case.nope".into()))
        );
    }

    #[test]
    fn fallbacks_take_the_first_value() {
        let ctx = json!({"p": {"email": null, "login": "x@example.org"}});
        let t = Template::parse("{{p.email || p.login}}").expect("valid");
        assert_eq!(t.render(&ctx).expect("renders"), "x@example.org");
        let t = Template::parse("{{p.phone || '0100000000'}}").expect("valid");
        assert_eq!(t.render(&ctx).expect("renders"), "0100000000");
    }

    #[test]
    fn maps_translate_generated_values() {
        let mut maps = Maps::new();
        maps.insert(
            "kinds".into(),
            Arc::new(
                [("tuteur".to_string(), "tutor".to_string())]
                    .into_iter()
                    .collect(),
            ),
        );
        let t = Template::parse_with("{{r.kind | kinds}}", &maps).expect("valid");
        assert_eq!(
            t.render_value(&json!({"r": {"kind": "tuteur"}}))
                .expect("mapped"),
            Some(json!("tutor"))
        );
        assert!(matches!(
            t.render(&json!({"r": {"kind": "x"}})),
            Err(TemplateError::Unmapped { .. })
        ));
        assert_eq!(
            Template::parse("{{a | nope}}"),
            Err(TemplateError::UnknownMap("nope".into()))
        );
    }

    #[test]
    fn filters_encode_and_chain_left_to_right() {
        let ctx = json!({
            "p": { "login": "anne@example.org", "password": "pa:ss é", "n": 42, "surname": "Lefèvre-d'Œuvre  & Fils", "rights": ["AAH"] }
        });
        let render = |text: &str| Template::parse(text).expect("valid").render(&ctx);
        // RFC 4648 test vectors, and a Basic header built by hand.
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(
            render("Basic {{p.login | base64}}").expect("renders"),
            "Basic YW5uZUBleGFtcGxlLm9yZw=="
        );
        assert_eq!(
            render("{{p.password | url}}").expect("renders"),
            "pa%3Ass%20%C3%A9"
        );
        assert_eq!(
            render("{{ p.surname | slug }}").expect("renders"),
            "lefevre-d-oeuvre-fils"
        );
        assert_eq!(render("{{p.n | base64}}").expect("renders"), "NDI=");
        // Chained: the slug, then its base64.
        assert_eq!(
            render("{{p.surname|slug|base64}}").expect("renders"),
            base64(b"lefevre-d-oeuvre-fils")
        );
        // A filtered value is text, even alone in a JSON field; a list cannot be filtered.
        assert_eq!(
            Template::parse("{{p.n | url}}")
                .expect("valid")
                .render_value(&ctx)
                .expect("renders"),
            Some(json!("42"))
        );
        assert_eq!(
            render("{{p.rights | slug}}"),
            Err(TemplateError::NotScalar("p.rights".into()))
        );
        // Fallbacks come before the filters; a `|` inside a quoted literal is not a filter.
        assert_eq!(
            render("{{p.phone || 'A|B' | slug}}").expect("renders"),
            "a-b"
        );
        assert_eq!(
            Template::parse("{{p.login | base64 | rot13}}"),
            Err(TemplateError::UnknownMap("rot13".into()))
        );
    }

    #[test]
    fn rejects_malformed_and_unknown_roots() {
        assert_eq!(Template::parse("a {{case.id"), Err(TemplateError::Unclosed));
        assert!(matches!(
            Template::parse("{{ }}"),
            Err(TemplateError::Malformed(_))
        ));
        let t = Template::parse("{{cse.id}}").expect("valid");
        let err = t
            .check_roots(&["case", "tenant"])
            .expect_err("unknown root");
        assert_eq!(
            err.to_string(),
            "unknown placeholder root `cse` in `{{cse.id}}`: expected one of `case`, `tenant`"
        );
    }
}
