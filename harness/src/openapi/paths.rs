//! Path templates: their segments and parameters, and the operation a profile's path or a concrete path
//! names.

use super::{Document, Operation};

/// Split a path into its segments.
pub fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether a segment of a document path is (or holds) a parameter.
pub fn is_param(segment: &str) -> bool {
    segment.contains('{')
}

/// The name of a path parameter segment (`{id}` -> `id`), if it is exactly one parameter.
pub fn param_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

impl Document {
    /// The operation a method and a path template (the profile's, `{{...}}` placeholders) or a concrete
    /// path name. A literal segment matches the same literal, or a parameter; a placeholder segment matches
    /// only a parameter. Among several, the one with the most literal matches wins.
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let wanted = segments(path.split('?').next().unwrap_or(path));
        let mut best: Option<(usize, &Operation)> = None;
        for op in &self.operations {
            if !op.method.eq_ignore_ascii_case(method) {
                continue;
            }
            let have = op.segments();
            if have.len() != wanted.len() {
                continue;
            }
            let mut literal = 0;
            let matched = have.iter().zip(&wanted).all(|(doc, want)| {
                if is_param(doc) {
                    segment_fits(doc, want)
                } else if want.contains("{{") {
                    false
                } else if *doc == *want {
                    literal += 1;
                    true
                } else {
                    false
                }
            });
            if matched && best.is_none_or(|(score, _)| literal > score) {
                best = Some((literal, op));
            }
        }
        best.map(|(_, op)| op)
    }
}

/// Whether a document segment with parameters (`{id}`, `{name}.{ext}`, `v{version}`) can stand for a
/// wanted segment: its literal pieces appear in order.
fn segment_fits(doc: &str, want: &str) -> bool {
    let mut pieces = Vec::new();
    let mut text = doc;
    while let Some(start) = text.find('{') {
        pieces.push(&text[..start]);
        match text[start..].find('}') {
            Some(end) => text = &text[start + end + 1..],
            None => return false,
        }
    }
    pieces.push(text);
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    let Some(mut rest) = want.strip_prefix(first) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        if piece.is_empty() {
            continue;
        }
        match rest.find(piece) {
            Some(at) if at > 0 => rest = &rest[at + piece.len()..],
            _ => return false,
        }
    }
    rest.len() > last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::SMALL;

    #[test]
    fn profile_templates_and_paths_find_their_operation() {
        let doc = Document::parse("shop.json", SMALL).expect("parses");
        let found = |m: &str, p: &str| doc.find(m, p).map(Operation::name);
        assert_eq!(
            found("GET", "/v2/orders/{{order.id}}").as_deref(),
            Some("GET /v2/orders/{order_id}")
        );
        // A literal prefers the literal route; a placeholder never matches a literal segment.
        assert_eq!(
            found("GET", "/v2/orders/mine").as_deref(),
            Some("GET /v2/orders/mine")
        );
        assert_eq!(
            found("GET", "/v2/orders/42").as_deref(),
            Some("GET /v2/orders/{order_id}")
        );
        assert_eq!(found("DELETE", "/v2/orders/42"), None);
        assert_eq!(found("GET", "/v2/orders"), None);
        assert!(segment_fits("{name}.{ext}", "report.csv"));
        assert!(!segment_fits("{name}.csv", "report.pdf"));
        assert!(segment_fits("v{n}", "v2"));
    }
}
