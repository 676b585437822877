//! The timeline of the HTML report: one mark per credential at the date of the commit that
//! introduced it first, as inline SVG (no script, no remote font), coloured by severity.

use std::fmt::Write as _;

use super::escape::escape;
use crate::report::group::Credential;
use crate::report::time::{unix_seconds, utc_plain};

const WIDTH: i64 = 1000;
const MARGIN: i64 = 40;
const ROW: i64 = 14;

/// The `<svg>` of the introductions, or a sentence when no credential has a commit date.
pub(crate) fn svg(creds: &[Credential<'_>]) -> String {
    let mut marks: Vec<(i64, &Credential<'_>)> = creds
        .iter()
        .filter_map(|c| Some((unix_seconds(&c.first?.date)?, c)))
        .collect();
    if marks.is_empty() {
        return "<p class=\"muted\" id=\"timeline-empty\">No commit dates: the scan was not of \
                git history.</p>"
            .to_string();
    }
    marks.sort_by_key(|(t, c)| (*t, c.fingerprint));
    let (min, max) = (marks[0].0, marks[marks.len() - 1].0);
    let span = (max - min).max(1);
    let inner = WIDTH - 2 * MARGIN;
    let x_of = |t: i64| {
        if max == min {
            WIDTH / 2
        } else {
            MARGIN + (t - min) * inner / span
        }
    };
    // Marks closer than a mark's width stack upwards.
    let mut stacked: Vec<(i64, i64, &Credential<'_>, i64)> = Vec::new();
    for (t, c) in &marks {
        let x = x_of(*t);
        let level = stacked
            .iter()
            .rev()
            .take_while(|(px, ..)| x - px < 12)
            .count() as i64;
        stacked.push((x, level, c, *t));
    }
    let levels = stacked.iter().map(|s| s.1).max().unwrap_or(0) + 1;
    let height = 50 + levels * ROW;
    let axis = height - 28;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg id=\"timeline-svg\" viewBox=\"0 0 {WIDTH} \
         {height}\" width=\"100%\" role=\"img\" aria-label=\"When credentials were introduced\">"
    );
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{MARGIN}\" y1=\"{axis}\" x2=\"{}\" y2=\"{axis}\"/>",
        WIDTH - MARGIN
    );
    // Dates alone when the marks span days, else the time of day too.
    let date = |t: i64| {
        let full = utc_plain(t);
        if span >= 2 * 86_400 {
            full[..10].to_string()
        } else {
            format!("{} {} UTC", &full[..10], &full[11..16])
        }
    };
    let _ = write!(
        out,
        "<text x=\"{MARGIN}\" y=\"{}\">{}</text>",
        axis + 18,
        date(min)
    );
    if max != min {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            WIDTH - MARGIN,
            axis + 18,
            date(max)
        );
    }
    for (x, level, c, _) in &stacked {
        let first = c.first.expect("marks have a first commit");
        let y = axis - 8 - level * ROW;
        let title = format!(
            "{} {} introduced {} by {} in {}",
            c.rule_id(),
            c.key_id().unwrap_or(""),
            first.date,
            first.author,
            first.id
        );
        let _ = write!(
            out,
            "<a href=\"#c-{fp}\"><circle class=\"mark sev-{sev}\" data-fingerprint=\"{fp}\" \
             cx=\"{x}\" cy=\"{y}\" r=\"5\"><title>{}</title></circle></a>",
            escape(&title),
            fp = escape(c.fingerprint),
            sev = c.severity().as_str(),
        );
    }
    out.push_str("</svg>");
    out
}
