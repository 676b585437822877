//! AWS Signature Version 4 (header signing), the part of it one STS call needs: a request with
//! an empty query string, its headers and body signed with a key ID and secret (and the session
//! token of temporary credentials as `X-Amz-Security-Token`). Checked against the published
//! SigV4 test-suite vectors in the tests below.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::report::utc_compact;

/// The algorithm name in the string to sign and the `Authorization` header.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential a request is signed with; never printed.
pub(crate) struct SigningKey<'a> {
    /// The access key ID.
    pub key_id: &'a str,
    /// The secret access key.
    pub secret: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

/// What is signed: method, path (no query), headers (`host` among them) and body.
pub(crate) struct Unsigned<'a> {
    /// `POST`, `GET`.
    pub method: &'a str,
    /// The absolute path, already URI-encoded (`/`).
    pub path: &'a str,
    /// Headers as they will be sent, `host` included.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// Where and when the signature is valid.
pub(crate) struct Scope<'a> {
    /// The region (`us-east-1`).
    pub region: &'a str,
    /// The service (`sts`).
    pub service: &'a str,
    /// The time as `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    /// Also send and sign `x-amz-content-sha256` (S3 style; STS does not need it).
    pub content_sha256_header: bool,
}

/// The steps of a signature, kept for the test vectors (which read the intermediate steps).
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct Signature {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
    /// The headers to add to the request: `x-amz-date`, `x-amz-security-token` (temporary
    /// credentials), `x-amz-content-sha256` (when asked) and `authorization`.
    pub headers: Vec<(&'static str, String)>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// A header value as SigV4 canonicalises it: trimmed, inner runs of spaces made one.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Signs `req` for `scope` with `key`.
pub(crate) fn sign(req: &Unsigned<'_>, key: &SigningKey<'_>, scope: &Scope<'_>) -> Signature {
    let payload_hash = sha256_hex(req.body);
    let mut added: Vec<(&'static str, String)> = vec![("x-amz-date", scope.amz_date.to_string())];
    if let Some(token) = key.session_token {
        added.push(("x-amz-security-token", token.to_string()));
    }
    if scope.content_sha256_header {
        added.push(("x-amz-content-sha256", payload_hash.clone()));
    }
    let mut canonical: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), canonical_value(v)))
        .chain(
            added
                .iter()
                .map(|(n, v)| (n.to_string(), canonical_value(v))),
        )
        .collect();
    canonical.sort();
    let signed_headers = canonical
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let header_block: String = canonical
        .iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect();
    let canonical_request = format!(
        "{}\n{}\n\n{header_block}\n{signed_headers}\n{payload_hash}",
        req.method, req.path
    );
    let date = &scope.amz_date[..scope.amz_date.len().min(8)];
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{credential_scope}\n{}",
        scope.amz_date,
        sha256_hex(canonical_request.as_bytes())
    );
    let k_date = hmac(format!("AWS4{}", key.secret).as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, scope.region.as_bytes());
    let k_service = hmac(&k_region, scope.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
    added.push((
        "authorization",
        format!(
            "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={signed_headers}, \
             Signature={signature}",
            key.key_id
        ),
    ));
    Signature {
        canonical_request,
        string_to_sign,
        signature,
        headers: added,
    }
}

/// `YYYYMMDDTHHMMSSZ` for a time (UTC); a time before the epoch counts as the epoch.
pub(crate) fn amz_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    utc_compact(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    //! Vectors from the AWS SigV4 test suite as shipped in the `aws-sigv4` crate 1.6.4
    //! (`aws-signing-test-suite/v4/<name>/`, taken from awslabs/aws-c-auth's
    //! `tests/aws-signing-test-suite`): context.json, request.txt,
    //! header-canonical-request.txt, header-string-to-sign.txt, header-signature.txt. The
    //! credentials are the suite's documentation example values, required by the vectors.
    use super::*;
    use std::time::Duration;

    const KEY_ID: &str = "AKIDEXAMPLE";
    const SECRET: &str = concat!("wJalrXUtnFEMI/K7MDENG+bPxRf", "iCYEXAMPLEKEY");
    const DATE: &str = "20150830T123600Z";

    fn scope(content_sha256_header: bool) -> Scope<'static> {
        Scope {
            region: "us-east-1",
            service: "service",
            amz_date: DATE,
            content_sha256_header,
        }
    }

    fn key(session_token: Option<&str>) -> SigningKey<'_> {
        SigningKey {
            key_id: KEY_ID,
            secret: SECRET,
            session_token,
        }
    }

    /// v4/get-vanilla.
    #[test]
    fn get_vanilla() {
        let req = Unsigned {
            method: "GET",
            path: "/",
            headers: &[("Host", "example.amazonaws.com")],
            body: b"",
        };
        let s = sign(&req, &key(None), &scope(false));
        assert_eq!(
            s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            s.signature,
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        let auth = &s.headers.last().unwrap().1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// v4/post-vanilla.
    #[test]
    fn post_vanilla() {
        let req = Unsigned {
            method: "POST",
            path: "/",
            headers: &[("Host", "example.amazonaws.com")],
            body: b"",
        };
        let s = sign(&req, &key(None), &scope(false));
        assert_eq!(
            s.signature,
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
    }

    /// v4/post-x-www-form-urlencoded: a form body, signed with its content headers.
    #[test]
    fn post_form_body() {
        let req = Unsigned {
            method: "POST",
            path: "/",
            headers: &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Host", "example.amazonaws.com"),
                ("Content-Length", "13"),
            ],
            body: b"Param1=value1",
        };
        let s = sign(&req, &key(None), &scope(true));
        assert_eq!(
            s.canonical_request,
            "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n\
             host:example.amazonaws.com\n\
             x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n\
             x-amz-date:20150830T123600Z\n\n\
             content-length;content-type;host;x-amz-content-sha256;x-amz-date\n\
             9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        );
        assert_eq!(
            s.string_to_sign.lines().last(),
            Some("b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb")
        );
        assert_eq!(
            s.signature,
            "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
        );
    }

    /// v4/post-sts-header-before: temporary credentials, the token signed as a header.
    #[test]
    fn post_with_session_token() {
        let token = concat!(
            "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/",
            "qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38x",
            "Vqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
        );
        let req = Unsigned {
            method: "POST",
            path: "/",
            headers: &[("Host", "example.amazonaws.com")],
            body: b"",
        };
        let s = sign(&req, &key(Some(token)), &scope(false));
        assert!(s
            .canonical_request
            .ends_with("\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_eq!(
            s.string_to_sign.lines().last(),
            Some("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6")
        );
        assert_eq!(
            s.signature,
            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
        );
        assert!(s
            .headers
            .iter()
            .any(|(n, v)| *n == "x-amz-security-token" && v == token));
    }

    #[test]
    fn amz_dates() {
        assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(t), DATE);
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(amz_date(leap), "20000229T000000Z");
    }
}
