//! Recognising keyfence's own reports: a report written with `-o` inside the scanned directory
//! holds the key IDs it reported, and the next scan must not report them again. A file that
//! looks like a report is treated like keyfence's other own files (key IDs allowed, never a
//! secret): a report written with `--show-secrets` is a real leak and is still reported. A file
//! crafted to look like a report can hide only lone key IDs, never a secret.

use memchr::memmem;

/// How much of a file is looked at.
const HEAD: usize = 4096;

/// True when `data` starts like a report keyfence wrote (json, jsonl, sarif, github or text).
pub(crate) fn is_keyfence_report(data: &[u8]) -> bool {
    let head = &data[..data.len().min(HEAD)];
    let has = |needle: &str| memmem::find(head, needle.as_bytes()).is_some();
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    // `--format json`: pretty, keys sorted.
    (head.starts_with(b"{\n  \"errors\": [") && has("\"findings\": ["))
        // `--format jsonl`: one finding per line.
        || (first_line.starts_with(b"{\"account_id\":") && has("\"fingerprint\":\"") && has("\"rule_id\":\""))
        // `--format sarif`.
        || (head.starts_with(b"{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\"")
            && memmem::find(data, b"\"name\": \"keyfence\"").is_some())
        // `--format github`.
        || (first_line.starts_with(b"::")
            && memmem::find(first_line, b",title=keyfence ").is_some())
        // `--format text`, uncoloured as it is written to a file.
        || is_text_finding_line(first_line)
}

/// `SEVERITY path:line:column  rule-id`, the first line of a text report's finding.
fn is_text_finding_line(line: &[u8]) -> bool {
    let Some(rest) = ["CRITICAL ", "HIGH ", "MEDIUM ", "LOW ", "INFO "]
        .iter()
        .find_map(|s| line.strip_prefix(s.as_bytes()))
    else {
        return false;
    };
    let Some(gap) = memmem::rfind(rest, b"  ") else {
        return false;
    };
    let (place, rule) = (&rest[..gap], &rest[gap + 2..]);
    let mut parts = place.rsplitn(3, |&b| b == b':');
    let numeric =
        |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    numeric(parts.next())
        && numeric(parts.next())
        && parts.next().is_some_and(|p| !p.is_empty())
        && !rule.is_empty()
        && rule
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_recognised_and_other_files_are_not() {
        assert!(is_keyfence_report(
            b"{\n  \"errors\": [],\n  \"findings\": [\n"
        ));
        assert!(is_keyfence_report(
            b"{\"account_id\":null,\"fingerprint\":\"ab\",\"rule_id\":\"x\"}\n"
        ));
        assert!(is_keyfence_report(b"::error file=a.env,line=1,endLine=2,col=1,title=keyfence aws-access-key (critical)::m\n"));
        assert!(is_keyfence_report(
            b"CRITICAL config/a.env:2:21  aws-access-key\n  message\n"
        ));
        for not in [
            &b"{\"findings\": []}"[..],
            b"[default]\naws_access_key_id = x\n",
            b"HIGH hopes: 12 of them\n",
            b"::group::build\n",
        ] {
            assert!(!is_keyfence_report(not), "{}", String::from_utf8_lossy(not));
        }
    }
}
