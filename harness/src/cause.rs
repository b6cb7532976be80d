//! What an error answer says went wrong, in one line: the message of a JSON error, the exception of a
//! framework's debug page, the title of an HTML error page, the last line of a traceback. A 500 that shows
//! its first bytes (`<!DOCTYPE html><html lang="en"><head><meta charset=...`) tells nothing; its cause
//! tells the user whether the profile sent something the platform could not handle or the platform failed.
//!
//! Generic by design: it knows the shapes error answers commonly take (RFC 9457 problem details, `message`,
//! `error`, `detail` fields, HTML titles and headings, debug pages marking their exception with a class
//! name containing `exception` or `errormsg`), never one platform's.

use serde_json::Value;

/// JSON fields that commonly hold an error's message, most specific first.
const MESSAGE_FIELDS: [&str; 10] = [
    "detail",
    "message",
    "msg",
    "error_description",
    "error",
    "erreur",
    "title",
    "errors",
    "exception",
    "reason",
];

/// The head of an error answer that is looked into: causes are stated near the top, and a huge answer
/// is not parsed whole.
const LOOKED_AT: usize = 256 * 1024;

/// The one-line cause an error answer states, if it states one (at most `max` characters).
pub fn cause(body: &[u8], max: usize) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(LOOKED_AT)]);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let found = if let Ok(json) = serde_json::from_str::<Value>(text) {
        json_message(&json, 0)
    } else if looks_like_html(text) {
        html_cause(text)
    } else {
        text_cause(text)
    }?;
    let line = collapse(&found);
    if line.is_empty() {
        return None;
    }
    let mut out: String = line.chars().take(max).collect();
    if line.chars().count() > max {
        out.push_str("...");
    }
    Some(out)
}

/// The message of a JSON error: a known field's text, looked for at the top, then one level down
/// (`{"error": {"message": ...}}`), or the first of a list of errors.
fn json_message(json: &Value, depth: usize) -> Option<String> {
    match json {
        Value::String(text) if depth > 0 => Some(text.clone()),
        Value::Array(items) if depth > 0 => items.iter().find_map(|i| json_message(i, depth + 1)),
        Value::Object(fields) if depth < 3 => {
            let mut parts = Vec::new();
            for name in MESSAGE_FIELDS {
                let Some(value) = fields.get(name) else {
                    continue;
                };
                if let Some(message) = json_message(value, depth + 1)
                    && !parts.contains(&message)
                {
                    parts.push(message);
                }
                // A problem's title and its detail together say the most; more is noise.
                if parts.len() == 2 {
                    break;
                }
            }
            (!parts.is_empty()).then(|| parts.join(": "))
        }
        _ => None,
    }
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with('<')
        && (head.contains("<html")
            || head.contains("<!doctype")
            || head.contains("<title")
            || head.contains("<h1")
            || head.contains("<body"))
}

/// An HTML page's cause: the exception a debug page marks, else its title and first heading.
fn html_cause(html: &str) -> Option<String> {
    let marked = marked_exception(html);
    let title = element_text(html, "title");
    let heading = element_text(html, "h1");
    let mut parts: Vec<String> = Vec::new();
    for part in [title, heading, marked].into_iter().flatten() {
        let part = collapse(&part);
        if part.is_empty() || parts.iter().any(|p| p.contains(&part)) {
            continue;
        }
        parts.retain(|p| !part.contains(p.as_str()));
        parts.push(part);
    }
    (!parts.is_empty()).then(|| parts.join(" | "))
}

/// The text of the first element whose class names an exception or an error message (debug pages of
/// Django, Werkzeug, Symfony, Laravel... mark it so).
fn marked_exception(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("class=") {
        let start = from + at;
        from = start + 6;
        let Some(open) = lower[..start].rfind('<') else {
            continue;
        };
        let Some(close) = lower[start..].find('>').map(|c| start + c) else {
            break;
        };
        let class = &lower[start..close];
        if !(class.contains("exception")
            || class.contains("errormsg")
            || class.contains("error-message"))
        {
            continue;
        }
        let tag: String = lower[open + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let end = lower[close..]
            .find(&format!("</{tag}"))
            .map_or(lower.len(), |e| close + e);
        let text = strip_tags(&html[close + 1..end]);
        if !collapse(&text).is_empty() {
            return Some(text);
        }
    }
    None
}

/// The text of the first `<name>` element.
fn element_text(html: &str, name: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find(&format!("<{name}"))?;
    let after = open + 1 + name.len();
    if lower[after..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let start = lower[open..].find('>')? + open + 1;
    let end = lower[start..]
        .find(&format!("</{name}"))
        .map_or(lower.len(), |e| start + e);
    Some(strip_tags(&html[start..end]))
}

/// Text without its tags, entities decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    String::from_utf8_lossy(&crate::decode::decode_entities(out.as_bytes())).into_owned()
}

/// Plain text: a traceback's last line (its exception), else the first line.
fn text_cause(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let traceback = lines.first().is_some_and(|l| {
        l.starts_with("Traceback") || l.contains("Exception") || l.contains("panicked")
    });
    if traceback {
        lines.last().map(|l| l.to_string())
    } else {
        lines.first().map(|l| l.to_string())
    }
}

/// Causes that say no more than the status does: a reason phrase, "an error occurred" (letters only).
const SAYS_NOTHING: [&str; 13] = [
    "error",
    "servererror",
    "internalservererror",
    "internalerror",
    "unknownerror",
    "unexpectederror",
    "anerroroccurred",
    "aninternalerroroccurred",
    "anunexpectederroroccurred",
    "somethingwentwrong",
    "badgateway",
    "serviceunavailable",
    "gatewaytimeout",
];

/// Whether a cause says no more than its status (`Internal Server Error`, `500 Internal Server Error`, `An
/// error occurred.`, such phrases joined by `:` or `|`): the reason is then in the target's log, not in its
/// answer.
pub fn says_nothing(cause: &str) -> bool {
    cause.split([':', '|']).all(|part| {
        let letters: String = part
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        letters.is_empty() || SAYS_NOTHING.contains(&letters.as_str())
    })
}

/// One line, whitespace collapsed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::cause;

    fn of(body: &str) -> Option<String> {
        cause(body.as_bytes(), 200)
    }

    #[test]
    fn json_errors_give_their_message() {
        assert_eq!(
            of(r#"{"detail": "Not found."}"#).as_deref(),
            Some("Not found.")
        );
        assert_eq!(
            of(r#"{"type": "about:blank", "title": "Conflict", "status": 409, "detail": "code taken"}"#)
                .as_deref(),
            Some("code taken: Conflict")
        );
        assert_eq!(
            of(r#"{"error": {"code": 17, "message": "tenant missing"}}"#).as_deref(),
            Some("tenant missing")
        );
        assert_eq!(
            of(r#"{"timestamp": "2026-01-01", "status": 500, "error": "Internal Server Error", "message": "NullPointerException", "path": "/x"}"#)
                .as_deref(),
            Some("NullPointerException: Internal Server Error")
        );
        assert_eq!(
            of(r#"{"errors": [{"field": "nir", "message": "invalid"}]}"#).as_deref(),
            Some("invalid")
        );
        assert_eq!(
            of(r#"{"erreur": {"message": "identifiant deja pris"}}"#).as_deref(),
            Some("identifiant deja pris")
        );
        assert_eq!(of(r#"{"status": 500}"#), None);
    }

    #[test]
    fn debug_pages_give_their_exception_and_error_pages_their_title() {
        let django = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
            <title>KeyError at /api/dossiers/</title><style>body{}</style></head><body>
            <div id="summary"><h1>KeyError at /api/dossiers/</h1>
            <pre class="exception_value">&#x27;departement&#x27;</pre></div></body></html>"#;
        assert_eq!(
            of(django).as_deref(),
            Some("KeyError at /api/dossiers/ | 'departement'")
        );
        let werkzeug = r#"<!doctype html><html><head><title>ValueError: bad date // Werkzeug Debugger</title></head>
            <body><h1>ValueError</h1><div class="plain"><p class="errormsg">ValueError: bad date</p></div></body></html>"#;
        assert_eq!(
            of(werkzeug).as_deref(),
            Some("ValueError: bad date // Werkzeug Debugger")
        );
        let nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>";
        assert_eq!(of(nginx).as_deref(), Some("502 Bad Gateway"));
    }

    #[test]
    fn tracebacks_give_their_last_line_and_text_its_first() {
        let traceback = "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    x()\nZeroDivisionError: division by zero\n";
        assert_eq!(
            of(traceback).as_deref(),
            Some("ZeroDivisionError: division by zero")
        );
        assert_eq!(
            of("\n  upstream timed out\nmore\n").as_deref(),
            Some("upstream timed out")
        );
        assert_eq!(of("   "), None);
    }

    #[test]
    fn causes_that_only_repeat_the_status_say_nothing() {
        for nothing in [
            "Internal Server Error",
            "500 Internal Server Error",
            "internal server error: Internal Server Error",
            "An error occurred.",
            "Something went wrong!",
            "502 Bad Gateway",
            "500",
        ] {
            assert!(super::says_nothing(nothing), "{nothing}");
        }
        for something in [
            "database is locked",
            "KeyError at /api/dossiers/ | 'departement'",
            "OperationalError: database is locked: Internal Server Error",
        ] {
            assert!(!super::says_nothing(something), "{something}");
        }
    }

    #[test]
    fn a_cause_is_bounded() {
        let long = format!(r#"{{"message": "{}"}}"#, "x".repeat(500));
        let found = cause(long.as_bytes(), 20).expect("a message");
        assert_eq!(found, format!("{}...", "x".repeat(20)));
    }
}
