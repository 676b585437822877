//! GitHub Actions workflow commands (`::error file=…,line=…::…`), so findings show on the pull
//! request's diff.

use std::io::{self, Write};

use super::model::ScanReport;
use super::sanitize::sanitize;
use crate::rules::Severity;

/// Escapes a command's message (`%`, CR, LF), as the Actions runner expects.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

/// Writes one workflow command per finding and per scan error.
pub(crate) fn write(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        let mut message = f.message.clone();
        if let Some(k) = &f.key_id {
            message.push_str(&format!(" Key ID {k}."));
        }
        if !f.decoded.is_empty() {
            let how = super::finding::describe_decoding(&f.decoded);
            message.push_str(&format!(" Decoded: {how}."));
        }
        if let Some(c) = &f.commit {
            message.push_str(&format!(" Introduced in {} by {}.", c.id, c.author));
        }
        if let Some(v) = &f.verification {
            message.push_str(&format!(" Verification: {}.", v.summary()));
        }
        message.push_str(&format!(" Fix: {}", f.remediation));
        writeln!(
            out,
            "::{} file={},line={},endLine={},col={},title={}::{}",
            command(f.severity),
            escape_property(&sanitize(&f.path)),
            f.line,
            f.end_line,
            f.column,
            escape_property(&sanitize(&format!(
                "keyfence {} ({})",
                f.rule_id, f.severity
            ))),
            escape_data(&sanitize(&message))
        )?;
    }
    let errors = report.errors.iter().map(|e| (e, "keyfence could not scan"));
    let partial = report
        .warnings
        .iter()
        .map(|w| (w, "keyfence read this in part"));
    for (e, title) in errors.chain(partial) {
        match e.file_path() {
            Some(path) => writeln!(
                out,
                "::warning file={},title={title}::{}",
                escape_property(&sanitize(path)),
                escape_data(&sanitize(&e.message))
            )?,
            None => writeln!(
                out,
                "::warning title={title}::{}",
                escape_data(&sanitize(&format!("{}: {}", e.subject(), e.message)))
            )?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_commands() {
        assert_eq!(escape_data("50%\nx"), "50%25%0Ax");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
