//! The grouped terminal report (`--group credential`): one block per credential with its
//! locations and the remediation commands; every repository-controlled string sanitised.

use std::io::{self, Write};

use colored::Colorize;

use super::group::{credentials, Credential};
use super::model::ScanReport;
use super::remediation::steps;
use super::sanitize::sanitize;
use super::text::{severity_label, summary_line, write_errors};
use super::ReportOptions;

/// `yes`, `no` or `unknown` for a tri-state.
pub(crate) fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// The first 12 characters of a commit id.
pub(crate) fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn write_credential(
    c: &Credential<'_>,
    opts: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let key = c
        .key_id()
        .map_or(String::new(), |k| format!("  {}", sanitize(k)));
    let account = c
        .account()
        .map_or(String::new(), |a| format!("  account {}", sanitize(a)));
    writeln!(
        out,
        "{} {}{key}{account}",
        severity_label(c.severity()),
        sanitize(c.rule_id()).bold()
    )?;
    writeln!(out, "  credential  {}", c.fingerprint)?;
    for (label, value) in [("secret", c.secret()), ("token", c.session_token())] {
        if let Some(v) = value {
            writeln!(
                out,
                "  {label:<12}{}",
                sanitize(&v.render(opts.show_secrets))
            )?;
        }
    }
    let status = match c.verification() {
        Some(v) => sanitize(&v.summary()),
        None => "unverified (run with --verify)".to_string(),
    };
    writeln!(out, "  verify      {status}")?;
    if let Some(f) = c.first {
        writeln!(
            out,
            "  introduced  {} by {} on {}",
            short_id(&f.id),
            sanitize(&f.author),
            sanitize(&f.date)
        )?;
    }
    let at_tip = c
        .locations
        .iter()
        .filter(|l| l.at_tip == Some(true))
        .count();
    writeln!(
        out,
        "  at tip      {} ({at_tip} of {} locations)",
        yes_no(c.at_tip),
        c.locations.len()
    )?;
    if !c.coverage.is_empty() {
        let what: Vec<String> = c.coverage.iter().map(|v| v.label()).collect();
        writeln!(out, "  covered by  {}", what.join(", "))?;
    }
    writeln!(out, "  locations ({}):", c.locations.len())?;
    for l in &c.locations {
        let f = l.finding;
        let commit = f.commit.as_ref().map_or(String::new(), |k| {
            format!("  {} {}", short_id(&k.id), sanitize(&k.date))
        });
        let tip = match l.at_tip {
            Some(true) => "  [at tip]",
            Some(false) => "  [gone at tip]",
            None => "",
        };
        let covered = l
            .covered
            .map_or(String::new(), |v| format!("  [covered: {}]", v.label()));
        writeln!(
            out,
            "    {}:{}:{}{commit}{tip}{covered}",
            sanitize(&f.path),
            f.line,
            f.column
        )?;
    }
    writeln!(out, "  {}", "fix".green())?;
    for (i, s) in steps(c).iter().enumerate() {
        writeln!(out, "    {}. {}", i + 1, sanitize(&s.title))?;
        if let Some(cmd) = &s.command {
            writeln!(out, "       $ {}", sanitize(cmd))?;
        }
    }
    writeln!(out)
}

/// Writes the grouped text report.
pub(crate) fn write(
    report: &ScanReport,
    opts: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let creds = credentials(report);
    for c in &creds {
        write_credential(c, opts, out)?;
    }
    if !opts.quiet {
        write_errors(report, out)?;
        let covered = creds.iter().filter(|c| !c.reported()).count();
        let covered = if covered > 0 {
            format!(" ({covered} covered, not reported)")
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}",
            format!(
                "{} credentials{covered}; {}",
                creds.len(),
                summary_line(report)
            )
            .bold()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::group::tests::finding;
    use crate::report::Secret;

    #[test]
    fn the_secret_and_token_lines_line_up_and_are_redacted_unless_asked() {
        let mut f = finding("aws-temporary-credentials", "K1", "a.env", 1, None);
        f.session_token = Some(Secret::new("token-text-of-the-test"));
        let secret = f.secret.clone().unwrap();
        let report = ScanReport {
            findings: vec![f],
            ..ScanReport::default()
        };
        let text = |show_secrets| {
            let mut out = Vec::new();
            let opts = ReportOptions {
                show_secrets,
                ..ReportOptions::default()
            };
            write(&report, opts, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let shown = text(true);
        assert!(
            shown.contains(&format!("\n  secret      {}\n", secret.expose())),
            "{shown}"
        );
        assert!(
            shown.contains("\n  token       token-text-of-the-test\n"),
            "{shown}"
        );
        let redacted = text(false);
        assert!(!redacted.contains(secret.expose()), "{redacted}");
        assert!(
            redacted.contains(&format!("\n  secret      {}\n", secret.redacted())),
            "{redacted}"
        );
    }
}
