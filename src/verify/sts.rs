//! One `sts:GetCallerIdentity` call: the signed POST request, and what STS's XML answer means
//! as a [`Verification`] (or a reason to try again).

use std::time::SystemTime;

use super::endpoint::Endpoint;
use super::sigv4::{amz_date, sign, Scope, SigningKey, Unsigned};
use crate::report::Verification;

/// The form body of the call.
pub(crate) const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// The content type of the body.
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The longest STS message kept in a report: a hostile endpoint cannot fill it.
const MESSAGE_MAX_CHARS: usize = 300;

/// A request ready to send: the headers (signature included) and the body.
pub(crate) struct SignedRequest {
    /// Every header to send, `host` included.
    pub headers: Vec<(String, String)>,
    /// The form body.
    pub body: &'static str,
}

/// Builds the signed GetCallerIdentity request for `key` at `endpoint`, dated `now`.
pub(crate) fn request(endpoint: &Endpoint, key: &SigningKey<'_>, now: SystemTime) -> SignedRequest {
    let date = amz_date(now);
    let base = [
        ("content-type", CONTENT_TYPE),
        ("host", endpoint.host.as_str()),
    ];
    let signature = sign(
        &Unsigned {
            method: "POST",
            path: &endpoint.path,
            headers: &base,
            body: BODY.as_bytes(),
        },
        key,
        &Scope {
            region: &endpoint.region,
            service: "sts",
            amz_date: &date,
            content_sha256_header: false,
        },
    );
    let headers = base
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .chain(
            signature
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_string(), v)),
        )
        .collect();
    SignedRequest {
        headers,
        body: BODY,
    }
}

/// What one answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A final outcome.
    Final(Verification),
    /// Throttled or a server error: worth another try; the reason if it is the last.
    Retry(String),
}

/// Interprets an HTTP answer of STS: status and body.
pub(crate) fn interpret(status: u16, body: &str) -> Answer {
    if (200..300).contains(&status) {
        let (Some(arn), Some(account), Some(user_id)) = (
            element(body, "Arn"),
            element(body, "Account"),
            element(body, "UserId"),
        ) else {
            return Answer::Final(Verification::Unavailable {
                reason: format!("HTTP {status} without a GetCallerIdentity result"),
            });
        };
        return Answer::Final(Verification::Active {
            arn,
            account,
            user_id,
        });
    }
    let code = element(body, "Code").unwrap_or_default();
    let message = element(body, "Message").unwrap_or_default();
    let throttled = status == 429
        || matches!(
            code.as_str(),
            "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
        );
    if throttled || status >= 500 {
        let what = if code.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status} {code}")
        };
        return Answer::Retry(what);
    }
    let outcome = match code.as_str() {
        "InvalidClientTokenId" => Verification::Inactive {
            code,
            message,
            reason: "AWS does not accept the key ID (deleted, deactivated or never issued), or \
                     the session token is invalid"
                .to_string(),
        },
        "SignatureDoesNotMatch" => Verification::Inactive {
            code,
            message,
            reason: "AWS knows the key ID but the secret does not match it".to_string(),
        },
        "ExpiredToken" | "ExpiredTokenException" => Verification::Expired {
            code,
            message,
            reason: "the temporary credentials have expired".to_string(),
        },
        "AccessDenied" | "AccessDeniedException" => Verification::Unavailable {
            reason: format!("HTTP {status} AccessDenied: {message}"),
        },
        "" => Verification::Unavailable {
            reason: format!("HTTP {status} without an STS error code"),
        },
        _ => Verification::Unavailable {
            reason: format!("HTTP {status} {code}: {message}"),
        },
    };
    Answer::Final(outcome)
}

/// The text of the first `<name>…</name>` element, entities decoded, bounded in length.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    let text = unescape(xml[start..start + len].trim());
    Some(text.chars().take(MESSAGE_MAX_CHARS).collect())
}

/// Decodes XML's predefined entities.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/alice</Arn>
    <UserId>AIDAEXAMPLEUSERID</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#;

    fn error(code: &str, message: &str) -> String {
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
             <Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>"
        )
    }

    #[test]
    fn an_answer_with_an_identity_is_active() {
        assert_eq!(
            interpret(200, OK),
            Answer::Final(Verification::Active {
                arn: "arn:aws:iam::123456789012:user/alice".into(),
                account: "123456789012".into(),
                user_id: "AIDAEXAMPLEUSERID".into(),
            })
        );
    }

    #[test]
    fn error_codes_say_which_outcome() {
        let inactive = interpret(403, &error("InvalidClientTokenId", "bad"));
        assert!(
            matches!(&inactive, Answer::Final(Verification::Inactive { code, .. }) if code == "InvalidClientTokenId")
        );
        let signature = interpret(403, &error("SignatureDoesNotMatch", "a &amp; b"));
        let Answer::Final(Verification::Inactive {
            code,
            message,
            reason,
        }) = signature
        else {
            panic!("{signature:?}")
        };
        assert_eq!(code, "SignatureDoesNotMatch");
        assert_eq!(message, "a & b");
        assert!(reason.contains("secret does not match"));
        assert!(matches!(
            interpret(403, &error("ExpiredToken", "gone")),
            Answer::Final(Verification::Expired { .. })
        ));
        assert!(matches!(
            interpret(403, "<html>proxy says no</html>"),
            Answer::Final(Verification::Unavailable { .. })
        ));
        assert!(matches!(
            interpret(200, "<nothing/>"),
            Answer::Final(Verification::Unavailable { .. })
        ));
    }

    #[test]
    fn throttling_and_server_errors_are_retried() {
        assert_eq!(
            interpret(400, &error("Throttling", "Rate exceeded")),
            Answer::Retry("HTTP 400 Throttling".into())
        );
        assert_eq!(interpret(503, ""), Answer::Retry("HTTP 503".into()));
        assert!(matches!(interpret(429, ""), Answer::Retry(_)));
    }

    #[test]
    fn long_messages_are_bounded() {
        let long = "x".repeat(10_000);
        let Answer::Final(Verification::Unavailable { reason }) =
            interpret(400, &error("Other", &long))
        else {
            panic!()
        };
        assert!(reason.len() < 400);
    }

    #[test]
    fn requests_are_signed_for_sts_with_the_token_when_temporary() {
        let endpoint = Endpoint::parse("http://127.0.0.1:5000", None).unwrap();
        let k = SigningKey {
            key_id: "ASIAKEY",
            secret: "s",
            session_token: Some("tok"),
        };
        let r = request(&endpoint, &k, SystemTime::UNIX_EPOCH);
        let get = |n: &str| {
            r.headers
                .iter()
                .find(|(h, _)| h == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("host"), Some("127.0.0.1:5000"));
        assert_eq!(get("x-amz-security-token"), Some("tok"));
        let auth = get("authorization").unwrap();
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=ASIAKEY/19700101/us-east-1/sts/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
        ));
        assert_eq!(r.body, BODY);
    }
}
