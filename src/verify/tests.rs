//! The orchestration of verification with a scripted transport: what is sent, how often, how
//! answers and failures become outcomes.

use super::http::HttpReply;
use super::sts::SignedRequest;
use super::*;
use crate::report::{Finding, Secret, SkipReason};
use crate::rules::Severity;
use crate::validate::synthetic::{key_id, key_id_for_account, secret, session_token};
use std::sync::atomic::AtomicUsize;

fn finding(rule: &str, key: Option<String>, sk: Option<String>, tok: Option<String>) -> Finding {
    let account = key.as_deref().and_then(crate::validate::account_id);
    Finding {
        key_id: key,
        account_id: account,
        secret: sk.map(Secret::new),
        session_token: tok.map(Secret::new),
        ..Finding::sample(rule, Severity::High, "f", 1)
    }
}

/// Answers from a script, counting calls; the key ID of each call is kept.
struct Scripted {
    calls: AtomicUsize,
    seen: Mutex<Vec<String>>,
    answer: Box<dyn Fn(usize) -> Result<HttpReply, String> + Sync>,
}

impl Scripted {
    fn new(answer: impl Fn(usize) -> Result<HttpReply, String> + Sync + 'static) -> Self {
        Scripted {
            calls: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            answer: Box::new(answer),
        }
    }
}

impl Transport for Scripted {
    fn post(&self, req: &SignedRequest) -> Result<HttpReply, String> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let auth = req
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        self.seen.lock().unwrap().push(auth);
        (self.answer)(n)
    }
}

fn ok() -> Result<HttpReply, String> {
    Ok(HttpReply {
        status: 200,
        body: "<GetCallerIdentityResult><Arn>arn:aws:iam::1:user/u</Arn>\
               <UserId>U</UserId><Account>1</Account></GetCallerIdentityResult>"
            .to_string(),
    })
}

fn opts() -> VerifyOptions {
    VerifyOptions {
        concurrency: 4,
        attempts: 3,
        backoff: Duration::from_millis(1),
        verify_canaries: false,
        canaries: CanaryAccounts::builtin_and(&[]),
    }
}

fn endpoint() -> Endpoint {
    Endpoint::parse("http://127.0.0.1:9/", None).unwrap()
}

#[test]
fn each_credential_is_sent_once_and_every_finding_gets_its_outcome() {
    let (k, s) = (key_id("AKIA", 1), secret(1));
    let mut fs = vec![
        finding("aws-access-key", Some(k.clone()), Some(s.clone()), None),
        finding("aws-access-key", Some(k.clone()), Some(s.clone()), None),
        finding(
            "aws-access-key",
            Some(key_id("AKIA", 2)),
            Some(secret(2)),
            None,
        ),
    ];
    let t = Scripted::new(|_| ok());
    let p = VerifyProgress::default();
    verify_findings(&mut fs, &opts(), &endpoint(), &t, &p);
    assert_eq!(t.calls.load(Ordering::SeqCst), 2);
    assert_eq!(p.total.load(Ordering::SeqCst), 2);
    assert_eq!(p.done.load(Ordering::SeqCst), 2);
    assert!(fs
        .iter()
        .all(|f| f.verification.as_ref().unwrap().is_active()));
}

#[test]
fn parts_that_cannot_be_verified_are_skipped_without_a_request() {
    let mut fs = vec![
        finding("aws-access-key-id", Some(key_id("AKIA", 3)), None, None),
        finding("aws-secret-access-key", None, Some(secret(3)), None),
        finding(
            "aws-temporary-key-missing-token",
            Some(key_id("ASIA", 4)),
            Some(secret(4)),
            None,
        ),
        finding("aws-bedrock-api-key", None, Some(secret(5)), None),
        finding(
            "aws-access-key",
            Some(key_id("ABIA", 6)),
            Some(secret(6)),
            None,
        ),
        finding("custom-token", None, Some(secret(7)), None),
        finding(
            "aws-access-key",
            Some(key_id_for_account("AKIA", 52_310_077_262, 8)),
            Some(secret(8)),
            None,
        ),
        finding(
            "aws-presigned-url",
            Some(key_id("AKIA", 9)),
            Some("ab".repeat(32)),
            None,
        ),
        finding(
            "aws-ses-smtp-credentials",
            Some(key_id("AKIA", 10)),
            Some(format!("B{}", secret(10))),
            None,
        ),
        finding(
            "custom-aws-pair",
            Some(key_id("AKIA", 11)),
            Some(format!("{}xyz", secret(11))),
            None,
        ),
    ];
    let t = Scripted::new(|_| ok());
    verify_findings(
        &mut fs,
        &opts(),
        &endpoint(),
        &t,
        &VerifyProgress::default(),
    );
    assert_eq!(t.calls.load(Ordering::SeqCst), 0);
    let skips: Vec<SkipReason> = fs
        .iter()
        .map(|f| match f.verification.as_ref().unwrap() {
            Verification::Skipped { skip, .. } => *skip,
            other => panic!("{other:?}"),
        })
        .collect();
    use SkipReason::*;
    assert_eq!(
        skips,
        [
            KeyIdOnly,
            SecretOnly,
            NoSessionToken,
            Bedrock,
            Unsupported,
            Unsupported,
            CanaryAccount,
            Unsupported,
            Unsupported,
            Unsupported
        ]
    );
    let canary = fs[6].verification.as_ref().unwrap().summary();
    assert!(
        canary.contains("canary token: verification skipped"),
        "{canary}"
    );
}

#[test]
fn canaries_are_sent_only_when_asked() {
    let canary = key_id_for_account("AKIA", 992_382_622_183, 9);
    let mut fs = vec![finding(
        "aws-access-key",
        Some(canary),
        Some(secret(9)),
        None,
    )];
    let t = Scripted::new(|_| ok());
    let o = VerifyOptions {
        verify_canaries: true,
        ..opts()
    };
    verify_findings(&mut fs, &o, &endpoint(), &t, &VerifyProgress::default());
    assert_eq!(t.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn temporary_credentials_send_their_token() {
    let mut fs = vec![finding(
        "aws-temporary-credentials",
        Some(key_id("ASIA", 10)),
        Some(secret(10)),
        Some(session_token(10, 300)),
    )];
    let t = Scripted::new(|_| ok());
    verify_findings(
        &mut fs,
        &opts(),
        &endpoint(),
        &t,
        &VerifyProgress::default(),
    );
    assert!(t.seen.lock().unwrap()[0].contains("x-amz-security-token"));
}

#[test]
fn throttling_is_retried_then_reported() {
    let throttled = || {
        Ok(HttpReply {
            status: 400,
            body: "<Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
                .to_string(),
        })
    };
    let mut fs = vec![finding(
        "aws-access-key",
        Some(key_id("AKIA", 11)),
        Some(secret(11)),
        None,
    )];
    // Throttled twice, then an answer.
    let t = Scripted::new(move |n| if n < 2 { throttled() } else { ok() });
    verify_findings(
        &mut fs,
        &opts(),
        &endpoint(),
        &t,
        &VerifyProgress::default(),
    );
    assert_eq!(t.calls.load(Ordering::SeqCst), 3);
    assert!(fs[0].verification.as_ref().unwrap().is_active());
    // Always throttled: unavailable after the attempts.
    let t = Scripted::new(move |_| throttled());
    verify_findings(
        &mut fs,
        &opts(),
        &endpoint(),
        &t,
        &VerifyProgress::default(),
    );
    assert_eq!(t.calls.load(Ordering::SeqCst), 3);
    let v = fs[0].verification.as_ref().unwrap();
    assert_eq!(
        v,
        &Verification::Unavailable {
            reason: "HTTP 400 Throttling after 3 attempts".to_string()
        }
    );
}

#[test]
fn network_errors_are_unavailable_without_retry() {
    let mut fs = vec![finding(
        "aws-access-key",
        Some(key_id("AKIA", 12)),
        Some(secret(12)),
        None,
    )];
    let t = Scripted::new(|_| Err("could not connect".to_string()));
    verify_findings(
        &mut fs,
        &opts(),
        &endpoint(),
        &t,
        &VerifyProgress::default(),
    );
    assert_eq!(t.calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        fs[0].verification,
        Some(Verification::Unavailable {
            reason: "could not connect".to_string()
        })
    );
}

#[test]
fn no_more_requests_in_flight_than_the_bound() {
    let mut fs: Vec<Finding> = (20..28)
        .map(|i| {
            finding(
                "aws-access-key",
                Some(key_id("AKIA", i)),
                Some(secret(i)),
                None,
            )
        })
        .collect();
    let in_flight = std::sync::Arc::new(AtomicUsize::new(0));
    let most = std::sync::Arc::new(AtomicUsize::new(0));
    let (now, max) = (in_flight.clone(), most.clone());
    let t = Scripted::new(move |_| {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(5));
        now.fetch_sub(1, Ordering::SeqCst);
        ok()
    });
    let o = VerifyOptions {
        concurrency: 2,
        ..opts()
    };
    verify_findings(&mut fs, &o, &endpoint(), &t, &VerifyProgress::default());
    assert_eq!(t.calls.load(Ordering::SeqCst), 8);
    assert!(most.load(Ordering::SeqCst) <= 2);
    assert!(fs
        .iter()
        .all(|f| f.verification.as_ref().unwrap().is_active()));
}

#[test]
fn expired_tokens_are_expired() {
    let mut fs = vec![finding(
        "aws-temporary-credentials",
        Some(key_id("ASIA", 13)),
        Some(secret(13)),
        Some(session_token(13, 300)),
    )];
    let t = Scripted::new(|_| {
        Ok(HttpReply {
            status: 403,
            body: "<Error><Code>ExpiredToken</Code><Message>expired</Message></Error>".to_string(),
        })
    });
    verify_findings(
        &mut fs,
        &opts(),
        &endpoint(),
        &t,
        &VerifyProgress::default(),
    );
    assert_eq!(fs[0].verification.as_ref().unwrap().status(), "expired");
}
