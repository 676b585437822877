//! `--format html`: one self-contained page an incident responder opens first. Credentials
//! grouped (sorted by severity, then verification), a timeline of their introductions, filters
//! by rule, account, status and path, and the remediation commands.
//!
//! Nothing leaves the page: the style and the script are inline, allowed by their SHA-256 in a
//! Content-Security-Policy that forbids every other source (no remote script, style, image,
//! font or connection; no form target, no base URL). Every repository-controlled string passes
//! [`escape`]; secrets are redacted unless `--show-secrets`.

mod escape;
mod timeline;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

pub(crate) use escape::{escape, escape_with};

use super::group::{credentials, Credential};
use super::group_text::{short_id, yes_no};
use super::model::{ScanError, ScanReport};
use super::remediation::steps;
use super::text::summary_line;
use super::ReportOptions;
use crate::validate::synthetic::base64_encode;

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// What a warning means, above the list of them.
const READ_IN_PART: &str = "Read as far as it could be: these may hold more than was scanned. \
                            --strict makes them errors.";

/// `'sha256-…'` of an inline element's text, as CSP wants it.
fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        base64_encode(&Sha256::digest(text.as_bytes()))
    )
}

/// The Content-Security-Policy of the page.
pub(crate) fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; connect-src 'none'; \
         font-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// `<option>`s of a filter: "all", then each value.
fn options(all: &str, values: &BTreeSet<String>) -> String {
    let mut out = format!("<option value=\"\">{all}</option>");
    for v in values {
        let e = escape(v);
        let _ = write!(out, "<option value=\"{e}\">{e}</option>");
    }
    out
}

fn filters(creds: &[Credential<'_>]) -> String {
    let rules: BTreeSet<String> = creds.iter().map(|c| c.rule_id().to_string()).collect();
    let accounts: BTreeSet<String> = creds
        .iter()
        .filter_map(|c| c.account().map(str::to_string))
        .collect();
    let mut statuses: BTreeSet<String> = creds.iter().map(|c| c.status().to_string()).collect();
    statuses.insert("covered".into());
    statuses.insert("at-tip".into());
    format!(
        "<section class=\"card\" id=\"filters\"><label>Rule <select id=\"f-rule\">{}</select>\
         </label><label>Account <select id=\"f-account\">{}</select></label><label>Status \
         <select id=\"f-status\">{}</select></label><label>Path <input id=\"f-path\" \
         type=\"search\" placeholder=\"part of a path\"></label> <span id=\"shown\">{}</span> \
         of {} credentials shown</section>",
        options("all rules", &rules),
        options("all accounts", &accounts),
        options("any status", &statuses),
        creds.len(),
        creds.len()
    )
}

fn credential(c: &Credential<'_>, opts: ReportOptions, out: &mut String) {
    let fp = escape(c.fingerprint);
    let paths: Vec<&str> = c
        .locations
        .iter()
        .map(|l| l.finding.path.as_str())
        .collect();
    let covered: Vec<String> = c.coverage.iter().map(|v| v.label()).collect();
    let sev = c.severity().as_str();
    let status = c.status();
    let _ = write!(
        out,
        "<tbody class=\"credential\" id=\"c-{fp}\" data-fingerprint=\"{fp}\" data-rule=\"{}\" \
         data-account=\"{}\" data-status=\"{status}\" data-covered=\"{}\" data-tip=\"{}\" \
         data-paths=\"{}\"><tr class=\"row\"><td class=\"sev sev-{sev}\">{}</td><td>{}</td>\
         <td class=\"mono id\">{}</td><td class=\"mono id\">{}</td><td class=\"status status-{status}\">\
         {status}</td><td class=\"count\">{}</td><td>{}</td><td>{}</td><td class=\"covered\">{}\
         </td></tr>",
        escape(c.rule_id()),
        escape(c.account().unwrap_or("")),
        if c.coverage.is_empty() { "no" } else { "yes" },
        yes_no(c.at_tip),
        escape(&paths.join(" | ")),
        sev.to_uppercase(),
        escape(c.rule_id()),
        escape(c.key_id().unwrap_or("")),
        escape(c.account().unwrap_or("")),
        c.locations.len(),
        c.first.map_or(String::new(), |f| format!(
            "<span class=\"mono\">{}</span> {}<br>{}",
            escape(short_id(&f.id)),
            escape(&f.date),
            escape(&f.author)
        )),
        yes_no(c.at_tip),
        escape(&covered.join(", ")),
    );
    out.push_str(
        "<tr class=\"detail\"><td colspan=\"9\"><details><summary>Details and what to do</summary>",
    );
    let _ = write!(out, "<p>{}</p>", escape(&c.lead.message));
    let _ = write!(out, "<p>Credential <span class=\"mono\">{fp}</span>");
    if let Some(s) = c.secret() {
        let _ = write!(
            out,
            "; secret <span class=\"mono secret\">{}</span>",
            escape(&s.render(opts.show_secrets))
        );
    }
    if let Some(t) = c.session_token() {
        let _ = write!(
            out,
            "; session token <span class=\"mono secret\">{}</span>",
            escape(&t.render(opts.show_secrets))
        );
    }
    out.push_str("</p>");
    if let Some(v) = c.verification() {
        let _ = write!(out, "<p>Verification: {}</p>", escape(&v.summary()));
    }
    out.push_str(
        "<table class=\"locations\"><thead><tr><th>Path</th><th>Line</th><th>Commit</th>\
         <th>Author</th><th>Date</th><th>At tip</th><th>Covered</th></tr></thead><tbody>",
    );
    for l in &c.locations {
        let f = l.finding;
        let commit = f.commit.as_ref();
        let _ = write!(
            out,
            "<tr class=\"location\"><td class=\"mono path\">{}</td><td>{}</td><td class=\"mono\">\
             {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.path),
            f.line,
            escape(commit.map_or("", |k| short_id(&k.id))),
            escape(commit.map_or("", |k| k.author.as_str())),
            escape(commit.map_or("", |k| k.date.as_str())),
            yes_no(l.at_tip),
            escape(&l.covered.map_or(String::new(), |v| v.label())),
        );
    }
    out.push_str("</tbody></table><h3>What to do</h3><ol class=\"remediation\">");
    for s in steps(c) {
        let _ = write!(out, "<li>{}", escape(&s.title));
        if let Some(cmd) = &s.command {
            let _ = write!(out, "<pre><code>{}</code></pre>", escape(cmd));
        }
        out.push_str("</li>");
    }
    out.push_str("</ol></details></td></tr></tbody>");
}

/// A card listing scan problems under `title`, with a note under the title when there is one;
/// nothing when there are none.
fn problems(out: &mut String, id: &str, title: &str, note: &str, list: &[ScanError]) {
    if list.is_empty() {
        return;
    }
    let _ = write!(out, "<section class=\"card\" id=\"{id}\"><h2>{title}</h2>");
    if !note.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{note}</p>");
    }
    out.push_str("<ul>");
    for e in list {
        let _ = write!(
            out,
            "<li><span class=\"mono\">{}</span>: {}</li>",
            escape(&e.subject()),
            escape(&e.message)
        );
    }
    out.push_str("</ul></section>\n");
}

/// The whole page.
pub(crate) fn render(report: &ScanReport, opts: ReportOptions) -> String {
    let creds = credentials(report);
    let mut out = String::with_capacity(16_384);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>keyfence report</title>\n<style>{STYLE}</style></head>\n<body>\n",
        content_security_policy()
    );
    let _ = write!(
        out,
        "<header><h1>keyfence report</h1><p class=\"summary\">{} credentials; {}</p></header>\n<main>\n",
        creds.len(),
        escape(&summary_line(report))
    );
    let _ = writeln!(
        out,
        "<section class=\"card\" id=\"timeline\"><h2>When credentials were introduced</h2>{}\
         </section>",
        timeline::svg(&creds)
    );
    out.push_str(&filters(&creds));
    out.push_str(
        "\n<section class=\"card\"><h2>Credentials</h2><table id=\"credentials\"><thead><tr>\
         <th>Severity</th><th>Rule</th><th>Key ID</th><th>Account</th><th>Status</th>\
         <th>Locations</th><th>Introduced</th><th>At tip</th><th>Covered</th></tr></thead>\n",
    );
    for c in &creds {
        credential(c, opts, &mut out);
        out.push('\n');
    }
    out.push_str("</table></section>\n");
    problems(&mut out, "errors", "Not scanned", "", &report.errors);
    problems(
        &mut out,
        "warnings",
        "Read in part",
        READ_IN_PART,
        &report.warnings,
    );
    let _ = write!(out, "</main>\n<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::group::tests::finding;
    use crate::report::Subject;

    #[test]
    fn hostile_strings_are_data_and_secrets_are_redacted() {
        let mut f = finding(
            "r",
            "K1",
            "<img src=x onerror=alert(1)>.env",
            1,
            Some(("abc", "2026-01-01T00:00:00+00:00")),
        );
        f.commit.as_mut().unwrap().author = "<script>alert(2)</script> <a@b>".into();
        let secret = f.secret.clone().unwrap();
        let report = ScanReport {
            findings: vec![f],
            ..ScanReport::default()
        };
        let page = render(&report, ReportOptions::default());
        assert!(!page.contains("<img"));
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;.env"));
        assert!(!page.contains(secret.expose()));
        assert_eq!(page.matches("<script>").count(), 1);
        assert!(page.contains("<circle class=\"mark sev-critical\""));
        let shown = render(
            &report,
            ReportOptions {
                show_secrets: true,
                ..ReportOptions::default()
            },
        );
        assert!(shown.contains(secret.expose()));
    }

    #[test]
    fn warnings_and_errors_are_listed_escaped() {
        let hostile = "t/<img src=x onerror=alert(3)>\x1b[31m.tar";
        let report = ScanReport {
            warnings: vec![ScanError::partial(
                Subject::Path(hostile.into()),
                "cannot read the tar archive: <b>cut</b>",
            )],
            ..ScanReport::default()
        };
        let page = render(&report, ReportOptions::default());
        assert!(!page.contains("id=\"errors\""), "no errors, no card");
        let card = page
            .split("id=\"warnings\"")
            .nth(1)
            .expect("a warnings card");
        assert!(card.starts_with("><h2>Read in part</h2>"), "{card}");
        assert!(card.contains("--strict makes them errors"), "{card}");
        assert!(
            card.contains("t/&lt;img src=x onerror=alert(3)&gt;?[31m.tar"),
            "{card}"
        );
        assert!(card.contains("cannot read the tar archive: &lt;b&gt;cut&lt;/b&gt;"));
        assert!(!page.contains("<img") && !page.contains("<b>") && !page.contains('\x1b'));
        let report = ScanReport {
            errors: vec![ScanError::path("a<b>.env", "unreadable")],
            ..ScanReport::default()
        };
        let page = render(&report, ReportOptions::default());
        assert!(page.contains("<h2>Not scanned</h2><ul><li><span class=\"mono\">a&lt;b&gt;.env"));
        assert!(!page.contains("id=\"warnings\""));
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert_eq!(csp.matches("'sha256-").count(), 2);
        assert!(!csp.contains("unsafe"));
        assert!(!STYLE.contains("url(") && !STYLE.contains("@import"));
        assert!(!SCRIPT.contains("http") && !SCRIPT.contains("innerHTML"));
    }
}
