//! Presigned URLs: a query string that carries a key ID, a signature and often a session token,
//! granting one operation until it expires. SigV4 (`X-Amz-Credential=<key id>/<date>/<region>/
//! <service>/aws4_request`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-Signature`,
//! `X-Amz-Security-Token`) and SigV2 (`AWSAccessKeyId`, `Expires` as epoch seconds, `Signature`).
//! The signature is not the key's secret and never pairs as one.

use std::ops::Range;

use super::clock::parse_amz_date;

/// The longest URL looked at on either side of its anchor, in bytes (a URL with a session token
/// runs to 2–3 KiB).
pub(crate) const URL_REACH: usize = 16 * 1024;

/// Length of a SigV4 signature (hex of an HMAC-SHA256).
const SIGV4_SIGNATURE_LEN: usize = 64;

/// One query parameter: its name and value as written, and the value's span in the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    /// Name, lowercased.
    pub name: String,
    /// Span of the value, as written (still percent-encoded).
    pub value: Range<usize>,
}

/// What a presigned URL says, offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presigned {
    /// Span of the key ID in the scanned bytes.
    pub key_id: Range<usize>,
    /// The key ID.
    pub key_id_text: String,
    /// Span and text of the signature (hex for SigV4, base64 for SigV2).
    pub signature: (Range<usize>, String),
    /// Span and decoded text of the session token, for temporary keys.
    pub session_token: Option<(Range<usize>, String)>,
    /// Region of the credential scope (SigV4 only).
    pub region: Option<String>,
    /// Service of the credential scope (SigV4 only; SigV2 URLs are S3's).
    pub service: Option<String>,
    /// When the URL stops working, in seconds since the epoch.
    pub expires: Option<i64>,
}

/// True for the bytes that end a URL in text: blanks, quotes, brackets and angle brackets.
fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\''
                | b'`'
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'|'
                | b'^'
        )
}

/// The span of the URL (or query string) around `hit`, at most [`URL_REACH`] on either side.
pub(crate) fn url_around(data: &[u8], hit: usize) -> Range<usize> {
    let mut start = hit;
    while start > 0 && hit - start < URL_REACH && !ends_url(data[start - 1]) {
        start -= 1;
    }
    let mut end = hit;
    while end < data.len() && end - hit < URL_REACH && !ends_url(data[end]) {
        end += 1;
    }
    start..end
}

/// The parameters of a query string (`&`, `&amp;` and JSON's `\u0026` separate them), with spans
/// relative to `url`.
pub(crate) fn params(url: &[u8]) -> Vec<Param> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut field_start = 0;
    let push = |from: usize, to: usize, out: &mut Vec<Param>| {
        let field = &url[from..to];
        if let Some(eq) = memchr::memchr(b'=', field) {
            let name = String::from_utf8_lossy(&field[..eq]).to_ascii_lowercase();
            out.push(Param {
                name,
                value: from + eq + 1..to,
            });
        }
    };
    while i < url.len() {
        let sep = if url[i..].starts_with(b"&amp;") {
            5
        } else if url[i..].starts_with(b"\\u0026") {
            6
        } else if matches!(url[i], b'&' | b'?') {
            1
        } else {
            0
        };
        if sep > 0 {
            push(field_start, i, &mut out);
            i += sep;
            field_start = i;
        } else {
            i += 1;
        }
    }
    push(field_start, url.len(), &mut out);
    out
}

/// Percent-decodes `text` (and JSON's `\/`), lossily as UTF-8.
pub(crate) fn percent_decode(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match text[i] {
            b'%' if i + 2 < text.len() => match (hex(text[i + 1]), hex(text[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'\\' if text.get(i + 1) == Some(&b'/') => {
                out.push(b'/');
                i += 2;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of the parameter `name` (lowercase) in `url`: its span and decoded text.
fn value<'a>(url: &'a [u8], params: &'a [Param], name: &str) -> Option<(Range<usize>, String)> {
    let p = params.iter().find(|p| p.name == name)?;
    Some((p.value.clone(), percent_decode(&url[p.value.clone()])))
}

/// Reads a presigned URL from its parameters: the key ID must be a credential key ID (checked by
/// `is_key_id` on the bytes of `url` at the given offset) and a signature must be present.
/// Spans are relative to `url`.
pub(crate) fn parse(url: &[u8], is_key_id: impl Fn(usize) -> bool) -> Option<Presigned> {
    let params = params(url);
    let token = value(url, &params, "x-amz-security-token")
        .filter(|(_, t)| !t.is_empty())
        .or_else(|| value(url, &params, "security-token").filter(|(_, t)| !t.is_empty()));
    if let Some((span, credential)) = value(url, &params, "x-amz-credential") {
        let (sig_span, signature) = value(url, &params, "x-amz-signature")?;
        if signature.len() != SIGV4_SIGNATURE_LEN
            || !signature.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        let mut scope = credential.split('/');
        let key = scope.next()?;
        if key.len() != 20 || !url[span.start..].starts_with(key.as_bytes()) {
            return None;
        }
        if !is_key_id(span.start) {
            return None;
        }
        let _date = scope.next();
        let region = scope.next().filter(|r| !r.is_empty()).map(str::to_string);
        let service = scope.next().filter(|s| !s.is_empty()).map(str::to_string);
        let signed_at =
            value(url, &params, "x-amz-date").and_then(|(_, d)| parse_amz_date(d.as_bytes()));
        let lifetime = value(url, &params, "x-amz-expires")
            .and_then(|(_, e)| e.parse::<i64>().ok())
            .filter(|e| (0..=10 * 604_800).contains(e));
        return Some(Presigned {
            key_id: span.start..span.start + 20,
            key_id_text: key.to_string(),
            signature: (sig_span, signature),
            session_token: token,
            region,
            service,
            expires: signed_at.zip(lifetime).map(|(at, e)| at + e),
        });
    }
    let (span, key) = value(url, &params, "awsaccesskeyid")?;
    let (sig_span, signature) = value(url, &params, "signature")?;
    if key.len() != 20 || signature.len() < 20 || !is_key_id(span.start) {
        return None;
    }
    let expires = value(url, &params, "expires")
        .and_then(|(_, e)| e.parse::<i64>().ok())
        .filter(|e| (0..=253_402_300_799).contains(e));
    Some(Presigned {
        key_id: span.start..span.start + 20,
        key_id_text: key,
        signature: (sig_span, signature),
        session_token: token,
        region: None,
        service: Some("s3".to_string()),
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AKIAZZZZZZZZZZZZZZZQ";

    fn url(query: &str) -> String {
        format!("https://b.s3.amazonaws.com/k?{query}")
    }

    #[test]
    fn sigv4_with_token() {
        let sig = "ab".repeat(32);
        let u = url(&format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={KEY}%2F20261101%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20261101T120000Z&X-Amz-Expires=900&X-Amz-Security-Token=IQoJb3%2Bx%3D&X-Amz-Signature={sig}"
        ));
        let p = parse(u.as_bytes(), |_| true).unwrap();
        assert_eq!(p.key_id_text, KEY);
        assert_eq!(&u[p.key_id.clone()], KEY);
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(p.service.as_deref(), Some("s3"));
        assert_eq!(p.session_token.unwrap().1, "IQoJb3+x=");
        assert_eq!(
            p.expires,
            Some(parse_amz_date(b"20261101T120000Z").unwrap() + 900)
        );
    }

    #[test]
    fn html_and_json_separators() {
        let sig = "0f".repeat(32);
        for sep in ["&amp;", "\\u0026"] {
            let u = url(&format!(
                "X-Amz-Credential={KEY}/20261101/eu-west-1/execute-api/aws4_request{sep}X-Amz-Signature={sig}"
            ));
            let p = parse(u.as_bytes(), |_| true).unwrap();
            assert_eq!(p.service.as_deref(), Some("execute-api"));
            assert_eq!(p.expires, None);
        }
    }

    #[test]
    fn needs_a_signature_and_a_key() {
        let u = url(&format!(
            "X-Amz-Credential={KEY}%2F20261101%2Fus-east-1%2Fs3%2Faws4_request"
        ));
        assert_eq!(parse(u.as_bytes(), |_| true), None);
        let u = url(&format!(
            "X-Amz-Credential={KEY}%2F20261101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature={}",
            "ab".repeat(32)
        ));
        assert_eq!(parse(u.as_bytes(), |_| false), None);
    }

    #[test]
    fn sigv2() {
        let u = url(&format!(
            "AWSAccessKeyId={KEY}&Expires=1790000000&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D"
        ));
        let p = parse(u.as_bytes(), |_| true).unwrap();
        assert_eq!(p.expires, Some(1_790_000_000));
        assert_eq!(p.service.as_deref(), Some("s3"));
    }

    #[test]
    fn url_bounds() {
        let text = b"see \"https://x/?a=1&X-Amz-Credential=Q\" now";
        let hit = 20;
        assert_eq!(
            &text[url_around(text, hit)],
            b"https://x/?a=1&X-Amz-Credential=Q"
        );
        assert_eq!(percent_decode(b"a%2Fb%zz%4"), "a/b%zz%4");
    }
}
