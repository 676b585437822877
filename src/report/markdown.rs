//! `--format markdown` (any command) and the summary `keyfence ci` writes to
//! `$GITHUB_STEP_SUMMARY`: a table of the credentials, grouped, then each one's locations and
//! the commands to run. Repository-controlled strings are sanitised and escaped for Markdown
//! (GitHub renders some HTML in Markdown, so `<` and `>` become references); secrets are
//! redacted unless `--show-secrets`.

use std::fmt::Write as _;

use super::group::{credentials, Credential};
use super::group_text::{short_id, yes_no};
use super::html::escape_with;
use super::model::{ScanError, ScanReport};
use super::remediation::steps;
use super::sanitize::sanitize;
use super::text::summary_line;
use super::ReportOptions;

/// Markdown's punctuation that could start emphasis, code, a link, a heading or a table cell.
const MD_PUNCTUATION: [char; 14] = [
    '\\', '`', '*', '_', '[', ']', '(', ')', '#', '!', '|', '~', '{', '}',
];

/// `s` as literal Markdown text on one line (a table cell, a list item): sanitised, markup
/// characters as HTML references (GitHub renders some HTML), punctuation backslashed.
pub(crate) fn md_escape(s: &str) -> String {
    escape_with(s, &MD_PUNCTUATION)
}

/// A fenced code block that no line of `text` can close: a fence longer than any run of
/// backticks in it.
fn fenced(lang: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{}\n{fence}\n", sanitize(text))
}

fn table(creds: &[Credential<'_>], out: &mut String) {
    out.push_str(
        "| Severity | Rule | Key ID | Account | Status | Locations | Introduced | At tip | Covered |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for c in creds {
        let intro = c.first.map_or(String::new(), |f| {
            format!(
                "{} {} by {}",
                md_escape(short_id(&f.id)),
                md_escape(&f.date),
                md_escape(&f.author)
            )
        });
        let covered: Vec<String> = c.coverage.iter().map(|v| v.label()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {intro} | {} | {} |",
            c.severity().as_str().to_uppercase(),
            md_escape(c.rule_id()),
            md_escape(c.key_id().unwrap_or("")),
            md_escape(c.account().unwrap_or("")),
            c.status(),
            c.locations.len(),
            yes_no(c.at_tip),
            md_escape(&covered.join(", ")),
        );
    }
}

fn details(c: &Credential<'_>, opts: ReportOptions, out: &mut String) {
    let _ = writeln!(
        out,
        "\n### {} {} {}\n",
        c.severity().as_str().to_uppercase(),
        md_escape(c.rule_id()),
        md_escape(c.key_id().unwrap_or(""))
    );
    let _ = writeln!(out, "- credential: {}", c.fingerprint);
    if let Some(s) = c.secret() {
        let _ = writeln!(out, "- secret: {}", md_escape(&s.render(opts.show_secrets)));
    }
    if let Some(t) = c.session_token() {
        let _ = writeln!(
            out,
            "- session token: {}",
            md_escape(&t.render(opts.show_secrets))
        );
    }
    let verify = c
        .verification()
        .map_or("unverified".to_string(), |v| v.summary());
    let _ = writeln!(out, "- verification: {}", md_escape(&verify));
    let _ = writeln!(out, "- locations:");
    for l in &c.locations {
        let f = l.finding;
        let commit = f.commit.as_ref().map_or(String::new(), |k| {
            format!(" in {}", md_escape(short_id(&k.id)))
        });
        let covered = l
            .covered
            .map_or(String::new(), |v| format!(", covered by {}", v.label()));
        let _ = writeln!(
            out,
            "  - {}:{}{commit} (at tip: {}{covered})",
            md_escape(&f.path),
            f.line,
            yes_no(l.at_tip)
        );
    }
    out.push_str("\nWhat to do:\n\n");
    for (i, s) in steps(c).iter().enumerate() {
        let _ = writeln!(out, "{}. {}", i + 1, md_escape(&s.title));
        if let Some(cmd) = &s.command {
            out.push('\n');
            for line in fenced("sh", cmd).lines() {
                let _ = writeln!(out, "   {line}");
            }
        }
    }
}

/// The Markdown document.
pub(crate) fn render(report: &ScanReport, opts: ReportOptions) -> String {
    let creds = credentials(report);
    let mut out = String::from("## keyfence\n\n");
    let _ = writeln!(
        out,
        "{} credentials; {}\n",
        creds.len(),
        md_escape(&summary_line(report))
    );
    if creds.is_empty() {
        out.push_str("No credentials found.\n");
    } else {
        table(&creds, &mut out);
        for c in &creds {
            details(c, opts, &mut out);
        }
    }
    problems(&mut out, "Not scanned", "", &report.errors);
    problems(
        &mut out,
        "Read in part",
        "Read as far as it could be: these may hold more than was scanned. `--strict` makes \
         them errors.\n\n",
        &report.warnings,
    );
    out
}

/// A section listing scan problems under `title`, after `note`; nothing when there are none.
fn problems(out: &mut String, title: &str, note: &str, list: &[ScanError]) {
    if list.is_empty() {
        return;
    }
    let _ = write!(out, "\n### {title}\n\n{note}");
    for e in list {
        let _ = writeln!(
            out,
            "- {}: {}",
            md_escape(&e.subject()),
            md_escape(&e.message)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::group::tests::finding;
    use crate::report::Subject;

    #[test]
    fn markup_is_escaped_and_fences_hold() {
        assert_eq!(
            md_escape("<img src=x onerror=alert(1)>|[a](b)"),
            "&lt;img src=x onerror=alert\\(1\\)&gt;\\|\\[a\\]\\(b\\)"
        );
        assert_eq!(md_escape("a\nb\x1b"), "a?b?");
        let f = fenced("sh", "echo ```x```");
        assert!(f.starts_with("````sh\n") && f.ends_with("\n````\n"), "{f}");
    }

    #[test]
    fn warnings_are_listed_escaped_after_the_errors() {
        let report = ScanReport {
            errors: vec![ScanError::path("locked.txt", "permission denied")],
            warnings: vec![ScanError::partial(
                Subject::Path("t/<img src=x>|[a](b)\x1b[31m.tar".into()),
                "cannot read the tar archive: *cut*",
            )],
            ..ScanReport::default()
        };
        let md = render(&report, ReportOptions::default());
        let (errors, warnings) = md.split_once("\n### Read in part\n\n").expect("a section");
        assert!(errors.contains("\n### Not scanned\n\n- locked.txt: permission denied\n"));
        assert!(
            warnings.starts_with("Read as far as it could be"),
            "{warnings}"
        );
        assert!(
            warnings.contains("`--strict` makes them errors"),
            "{warnings}"
        );
        assert!(
            warnings.contains(
                "- t/&lt;img src=x&gt;\\|\\[a\\]\\(b\\)?\\[31m.tar: cannot read the tar \
                 archive: \\*cut\\*\n"
            ),
            "{warnings}"
        );
        assert!(!md.contains('\x1b'));
    }

    #[test]
    fn secrets_are_redacted_unless_asked() {
        let f = finding("aws-access-key", "K1", "a|b.env", 2, None);
        let secret = f.secret.clone().unwrap();
        let report = ScanReport {
            findings: vec![f],
            ..ScanReport::default()
        };
        let md = render(&report, ReportOptions::default());
        assert!(!md.contains(secret.expose()));
        assert!(md.contains("a\\|b.env"));
        let shown = render(
            &report,
            ReportOptions {
                show_secrets: true,
                ..ReportOptions::default()
            },
        );
        assert!(shown.contains(&md_escape(secret.expose())));
    }
}
