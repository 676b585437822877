//! What a scan reports: findings, with a [`Secret`] type that redacts itself unless asked not to.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::triage::Triage;
use super::verification::Verification;
use crate::rules::Severity;

/// The most leading characters of a secret a redacted rendering keeps.
pub(crate) const REDACTED_PREFIX_LEN: usize = 4;

/// A redacted rendering keeps at most one character in this many: a short secret shows no prefix.
const REDACTED_SHARE: usize = 5;

/// A secret value. `Display` and `Debug` redact it; [`Secret::expose`] is the only way to the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The full secret. Call only when the user asked for secrets to be shown.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The redacted form: the first few characters and a fixed mask, never the length's worth.
    /// The prefix is at most [`REDACTED_PREFIX_LEN`] characters and at most a fifth of the
    /// secret, so a short secret (a custom rule's) is never printed whole or mostly.
    pub(crate) fn redacted(&self) -> String {
        let keep = (self.0.chars().count() / REDACTED_SHARE).min(REDACTED_PREFIX_LEN);
        let keep: String = self.0.chars().take(keep).collect();
        format!("{keep}********")
    }

    /// The full value if `show`, else the redacted form.
    pub(crate) fn render(&self, show: bool) -> String {
        if show {
            self.0.clone()
        } else {
            self.redacted()
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// The commit a git finding was introduced in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CommitInfo {
    /// Full commit id.
    pub id: String,
    /// Author name and email, `Name <email>`.
    pub author: String,
    /// Author date, RFC 3339.
    pub date: String,
}

/// One credential found in one place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// The rule that found it.
    pub rule_id: String,
    /// Severity after configuration overrides.
    pub severity: Severity,
    /// One sentence on what was found.
    pub message: String,
    /// One line on what to do about it.
    pub remediation: String,
    /// Path relative to the scanned root (or the path in the commit).
    pub path: String,
    /// First line of the credential, 1-based.
    pub line: usize,
    /// Column of its first byte on that line, 1-based, in bytes.
    pub column: usize,
    /// Last line of the credential.
    pub end_line: usize,
    /// The access key ID, when the credential has one (not secret on its own).
    pub key_id: Option<String>,
    /// The account decoded from the key ID (12 digits), when it is a new-format key.
    pub account_id: Option<String>,
    /// The secret part.
    pub secret: Option<Secret>,
    /// The session token of a temporary credential.
    pub session_token: Option<Secret>,
    /// Stable identity of the credential under this rule: independent of path and line.
    pub fingerprint: String,
    /// The commit that introduced it (git modes).
    pub commit: Option<CommitInfo>,
    /// How many times the same credential appears in this blob.
    pub occurrences: usize,
    /// History: the commit where the key ID appeared alone, before the commit that added its
    /// secret (this finding's `commit`); the key ID alone is then not a finding of its own.
    pub key_id_commit: Option<String>,
    /// When the credential stops working, RFC 3339 in UTC, when it says so itself (presigned
    /// URLs, Bedrock short-term keys, temporary credentials written with their `Expiration`).
    pub expires: Option<String>,
    /// The region the credential is scoped to (presigned URLs, Bedrock short-term keys).
    pub region: Option<String>,
    /// The service the credential is scoped to (presigned URLs, Bedrock short-term keys).
    pub service: Option<String>,
    /// What `--verify` found out; `None` when the finding was not verified.
    pub verification: Option<Verification>,
    /// How the credential's text was decoded, outermost first: the file's text encoding when it
    /// was transcoded (`utf-16le`, …), then each encoding peeled off a value (`base64`, `hex`).
    /// Empty for a credential found as written.
    pub decoded: Vec<Decoding>,
    /// Its triage in the datastore (`--datastore`); `None` without one, or when never triaged.
    pub triage: Option<Triage>,
    /// The repository it was found in, when a run covers several (`--datastore`).
    pub repository: Option<String>,
    /// History: the message the credential is in (a commit message, a tag annotation, a note),
    /// when it is not in a file; its `line` and `column` are then within that message.
    pub in_message: Option<MessageOrigin>,
    /// History with `--all-objects`: the id of the object no reference reaches that holds the
    /// credential: the blob (of the `commit` when one holds it, else on its own, its id then
    /// also the `path`), or the commit or tag whose message holds it.
    pub unreachable: Option<String>,
}

/// The git message a finding is in, and the object that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageOrigin {
    /// Which kind of message.
    pub kind: MessageKind,
    /// The object holding the message: the commit, the tag object, or the note's blob.
    pub object: String,
    /// The tag's name (`refs/tags/v1`), or the notes reference and the annotated object
    /// (`refs/notes/commits` on `<commit>`).
    pub name: Option<String>,
}

/// The kinds of git messages scanned in history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MessageKind {
    /// A commit's message.
    Commit,
    /// An annotated tag's message.
    Tag,
    /// A note (`refs/notes/*`).
    Note,
}

impl MessageKind {
    /// How reports and allowlists (`origin = "…"`) name it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MessageKind::Commit => "commit-message",
            MessageKind::Tag => "tag-message",
            MessageKind::Note => "note",
        }
    }
}

/// One step of decoding between the bytes of a blob and the credential found in them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Decoding {
    /// The file is UTF-16, little-endian.
    Utf16Le,
    /// The file is UTF-16, big-endian.
    Utf16Be,
    /// The file is UTF-32, little-endian.
    Utf32Le,
    /// The file is UTF-32, big-endian.
    Utf32Be,
    /// A base64 value (standard or URL-safe alphabet).
    Base64,
    /// A hex value.
    Hex,
}

impl Decoding {
    /// The name reports use.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decoding::Utf16Le => "utf-16le",
            Decoding::Utf16Be => "utf-16be",
            Decoding::Utf32Le => "utf-32le",
            Decoding::Utf32Be => "utf-32be",
            Decoding::Base64 => "base64",
            Decoding::Hex => "hex",
        }
    }
}

impl Serialize for Decoding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Decoding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        const ALL: [Decoding; 6] = [
            Decoding::Utf16Le,
            Decoding::Utf16Be,
            Decoding::Utf32Le,
            Decoding::Utf32Be,
            Decoding::Base64,
            Decoding::Hex,
        ];
        ALL.into_iter()
            .find(|d| d.as_str() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown decoding `{name}`")))
    }
}

/// `decoded` as reports show it in one line: `base64`, `utf-16le, base64`.
pub(crate) fn describe_decoding(decoded: &[Decoding]) -> String {
    decoded
        .iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fingerprint of a credential under a rule: a SHA-256 over the rule id and the credential's
/// parts, so it survives moved lines and files and never reveals the secret.
pub(crate) fn fingerprint(rule_id: &str, key_id: Option<&str>, secret: Option<&str>) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(key_id.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(secret.unwrap_or("").as_bytes());
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_redact_everywhere_but_expose() {
        let s = Secret::new("abcdefghijklmnopqrstuvwxyz");
        assert_eq!(s.to_string(), "abcd********");
        assert!(!format!("{s:?}").contains("efgh"));
        assert_eq!(s.expose(), "abcdefghijklmnopqrstuvwxyz");
        assert_eq!(s.render(true), s.expose());
    }

    /// A prefix is shown only when it is a small part of the secret.
    #[test]
    fn short_secrets_show_no_prefix() {
        assert_eq!(Secret::new("abcd").redacted(), "********");
        assert_eq!(Secret::new("abcdefghi").redacted(), "a********");
        assert_eq!(
            Secret::new("abcdefghijklmnopqrst").redacted(),
            "abcd********"
        );
        assert_eq!(Secret::new("").redacted(), "********");
    }

    #[test]
    fn fingerprints_depend_on_rule_and_credential_only() {
        let a = fingerprint("r", Some("K"), Some("S"));
        assert_eq!(a, fingerprint("r", Some("K"), Some("S")));
        assert_ne!(a, fingerprint("q", Some("K"), Some("S")));
        assert_ne!(a, fingerprint("r", Some("K"), Some("T")));
        assert_eq!(a.len(), 32);
    }
}
