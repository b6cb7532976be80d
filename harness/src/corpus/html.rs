//! The scorecard as one HTML page: the true-positive rate against the false-positive rate of every family
//! and overall (an inline SVG, as the OWASP Benchmark plots its scorecards; the diagonal is a tool that
//! guesses), then the family and case tables. No script, no external resource.

use std::fmt::Write as _;

use super::scorecard::{Rates, Scorecard};

/// Escape text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Side of the plot's square, in pixels, and its margin.
const SIDE: f64 = 360.0;
const MARGIN: f64 = 50.0;

/// The TPR/FPR plot: one point per family, the overall point larger.
pub fn plot(card: &Scorecard) -> String {
    let x = |fpr: f64| MARGIN + fpr.clamp(0.0, 1.0) * SIDE;
    let y = |tpr: f64| MARGIN + (1.0 - tpr.clamp(0.0, 1.0)) * SIDE;
    let size = SIDE + 2.0 * MARGIN;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" aria-label="true-positive rate against false-positive rate">"##
    );
    let _ = write!(
        svg,
        r##"<rect x="{MARGIN}" y="{MARGIN}" width="{SIDE}" height="{SIDE}" fill="#fafafa" stroke="#333"/>"##
    );
    let _ = write!(
        svg,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#bbb" stroke-dasharray="4 4"/>"##,
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="middle">{tick}</text><text x="{}" y="{}" font-size="11" text-anchor="end">{tick}</text>"##,
            x(tick),
            MARGIN + SIDE + 15.0,
            MARGIN - 5.0,
            y(tick) + 4.0
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{}" y="{}" font-size="12" text-anchor="middle">false-positive rate</text><text x="12" y="{}" font-size="12" text-anchor="middle" transform="rotate(-90 12 {})">true-positive rate</text>"##,
        MARGIN + SIDE / 2.0,
        size - 8.0,
        MARGIN + SIDE / 2.0,
        MARGIN + SIDE / 2.0
    );
    let point = |svg: &mut String, r: &Rates, radius: f64, colour: &str| {
        let label = r.family.as_deref().unwrap_or("overall");
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="{radius}" fill="{colour}"><title>{}: TPR {:.2}, FPR {:.2}</title></circle><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"##,
            x(r.fpr),
            y(r.tpr),
            esc(label),
            r.tpr,
            r.fpr,
            x(r.fpr) + radius + 2.0,
            y(r.tpr) + 12.0 + radius,
            esc(label)
        );
    };
    for family in &card.families {
        point(&mut svg, family, 4.0, "#1f77b4");
    }
    point(&mut svg, &card.overall, 7.0, "#d62728");
    svg.push_str("</svg>");
    svg
}

/// The whole page.
pub fn render(card: &Scorecard) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} isolation scorecard</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:2px 6px}}td.n{{text-align:right}}</style></head><body>\n",
        esc(&card.tool)
    );
    let o = &card.overall;
    let _ = writeln!(
        out,
        "<h1>{}: isolation scorecard</h1>\n<p>{} case(s); TPR {:.2}, FPR {:.2}, score (TPR &minus; FPR) {:.2}.</p>",
        esc(&card.tool),
        card.cases.len(),
        o.tpr,
        o.fpr,
        o.score
    );
    out.push_str(&plot(card));
    out.push_str("\n<h2>Per family</h2>\n<table><tr><th>family</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th><th>TPR</th><th>FPR</th><th>score</th></tr>\n");
    for r in card.families.iter().chain([o]) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{:.2}</td><td class=n>{:.2}</td><td class=n>{:.2}</td></tr>",
            esc(r.family.as_deref().unwrap_or("overall")),
            r.tp,
            r.fp,
            r.r#fn,
            r.tn,
            r.tpr,
            r.fpr,
            r.score
        );
    }
    out.push_str("</table>\n<h2>Cases</h2>\n<table><tr><th>case</th><th>what</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th><th>reported</th><th>probes to detection</th><th>seconds to detection</th></tr>\n");
    let dash = || "-".to_string();
    for c in &card.cases {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(&c.case),
            esc(&c.summary),
            c.tp,
            c.fp,
            c.r#fn,
            c.tn,
            c.detections,
            c.probes_to_detection.map_or_else(dash, |p| p.to_string()),
            c.seconds_to_detection
                .map_or_else(dash, |s| format!("{s:.2}"))
        );
    }
    out.push_str("</table>\n<p>TPR = TP/(TP+FN), FPR = FP/(FP+TN). See docs/benchmark.md.</p>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_plots_every_family_and_the_overall_point_without_script() {
        let card = crate::corpus::scorecard::tests::sample();
        let page = render(&card);
        assert!(page.contains("<svg"), "an inline plot");
        assert_eq!(page.matches("<circle").count(), card.families.len() + 1);
        assert!(!page.contains("<script"), "no script");
        assert!(page.contains("direct-read: TPR 1.00, FPR 0.00"), "{page}");
        assert!(page.contains("overall: TPR 1.00, FPR 0.50"));
        // TPR 1, FPR 0.5: top edge, halfway across.
        assert!(page.contains(r#"cx="230.0" cy="50.0""#), "{page}");
        assert_eq!(esc("<a & 'b'>"), "&lt;a &amp; &#39;b&#39;&gt;");
    }
}
