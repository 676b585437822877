//! Verification (`--verify`), the one stage that touches the network, and only when asked: each
//! distinct credential of a finished report (suppressed findings are gone by then) is checked
//! with one signed `sts:GetCallerIdentity` call, on a bounded number of threads, and every
//! finding gets its typed [`Verification`]. Keys of canary-token accounts and parts that cannot
//! be verified are skipped without a request.

mod canary;
mod endpoint;
mod http;
mod sigv4;
mod sts;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::report::{Finding, SkipReason, Verification};

pub(crate) use canary::CanaryAccounts;
pub(crate) use endpoint::{Endpoint, NetworkSettings};
pub(crate) use http::{HttpClient, Transport};
pub(crate) use sigv4::SigningKey;

/// The most requests in flight at once, whatever `--verify-concurrency` says.
pub(crate) const MAX_CONCURRENCY: usize = 32;

/// What can stop verification before it starts.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VerifyError {
    /// The endpoint URL is not usable.
    #[error("verification endpoint {url}: {why}")]
    BadEndpoint {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The CA bundle cannot be used.
    #[error("AWS_CA_BUNDLE {path}: {why}")]
    CaBundle {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// The proxy URL is not usable.
    #[error("proxy {url}: {why}")]
    BadProxy {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
}

/// How a run verifies.
#[derive(Debug, Clone)]
pub(crate) struct VerifyOptions {
    /// Requests in flight at once (1 to [`MAX_CONCURRENCY`]).
    pub concurrency: usize,
    /// Tries per credential when STS throttles or fails (5xx); at least 1.
    pub attempts: u32,
    /// The wait before the first retry; it doubles for each further one.
    pub backoff: Duration,
    /// Send keys of canary-token accounts too.
    pub verify_canaries: bool,
    /// The canary-token accounts.
    pub canaries: CanaryAccounts,
}

/// Counters the progress line shows: credentials to verify and done.
#[derive(Debug, Default)]
pub(crate) struct VerifyProgress {
    /// Distinct credentials that will be sent.
    pub total: AtomicUsize,
    /// Those answered (or given up on).
    pub done: AtomicUsize,
}

/// The parts of a credential that is sent; the same parts are verified once per run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Credential {
    key_id: String,
    secret: String,
    session_token: Option<String>,
}

/// What to do with one finding.
enum Plan {
    Skip(SkipReason, String),
    Send(Credential),
}

/// Decides, offline, whether a finding's credential is sent, and if not why.
fn plan(f: &Finding, opts: &VerifyOptions) -> Plan {
    if f.rule_id.starts_with("aws-bedrock") {
        return Plan::Skip(
            SkipReason::Bedrock,
            "Amazon Bedrock API keys are not verified yet".to_string(),
        );
    }
    if let (Some(account), false) = (f.account_id.as_deref(), opts.verify_canaries) {
        if let Some(what) = opts.canaries.get(account) {
            return Plan::Skip(
                SkipReason::CanaryAccount,
                format!(
                    "canary token: verification skipped (account {account}: {what}; \
                     --verify-canaries sends it anyway)"
                ),
            );
        }
    }
    let secret = f.secret.as_ref().map(|s| s.expose().to_string());
    let (key_id, secret) = match (f.key_id.clone(), secret) {
        (Some(k), Some(s)) => (k, s),
        (Some(_), None) => {
            return Plan::Skip(
                SkipReason::KeyIdOnly,
                "a key ID alone cannot be verified: its secret was not found with it".to_string(),
            )
        }
        (None, Some(_)) if f.rule_id.starts_with("aws-") => {
            return Plan::Skip(
                SkipReason::SecretOnly,
                "a secret alone cannot be verified: its key ID was not found with it".to_string(),
            )
        }
        _ => {
            return Plan::Skip(
                SkipReason::Unsupported,
                "not an AWS access key: nothing to verify".to_string(),
            )
        }
    };
    let session_token = f.session_token.as_ref().map(|t| t.expose().to_string());
    match &key_id.as_bytes()[..key_id.len().min(4)] {
        b"AKIA" => {}
        b"ASIA" if session_token.is_none() => {
            return Plan::Skip(
                SkipReason::NoSessionToken,
                "a temporary key (ASIA) cannot be used without its session token, which was not \
                 found with it"
                    .to_string(),
            )
        }
        b"ASIA" => {}
        _ => {
            return Plan::Skip(
                SkipReason::Unsupported,
                format!(
                    "{} keys cannot be checked with GetCallerIdentity",
                    &key_id[..key_id.len().min(4)]
                ),
            )
        }
    }
    Plan::Send(Credential {
        key_id,
        secret,
        session_token,
    })
}

/// Verifies `findings` in place: each gets a [`Verification`]. Distinct credentials are sent
/// once each through `transport` to `endpoint`, at most `opts.concurrency` at a time.
pub(crate) fn verify_findings(
    findings: &mut [Finding],
    opts: &VerifyOptions,
    endpoint: &Endpoint,
    transport: &dyn Transport,
    progress: &VerifyProgress,
) {
    let mut unique: Vec<Credential> = Vec::new();
    let mut index: HashMap<Credential, usize> = HashMap::new();
    let mut slots: Vec<Option<usize>> = Vec::with_capacity(findings.len());
    for f in findings.iter_mut() {
        match plan(f, opts) {
            Plan::Skip(skip, reason) => {
                f.verification = Some(Verification::Skipped { skip, reason });
                slots.push(None);
            }
            Plan::Send(c) => {
                let i = *index.entry(c.clone()).or_insert_with(|| {
                    unique.push(c);
                    unique.len() - 1
                });
                slots.push(Some(i));
            }
        }
    }
    progress.total.store(unique.len(), Ordering::Relaxed);
    let outcomes = verify_all(&unique, opts, endpoint, transport, progress);
    for (f, slot) in findings.iter_mut().zip(slots) {
        if let Some(i) = slot {
            f.verification = Some(outcomes[i].clone());
        }
    }
}

/// Verifies each credential once, on up to `opts.concurrency` threads; outcomes in order.
fn verify_all(
    creds: &[Credential],
    opts: &VerifyOptions,
    endpoint: &Endpoint,
    transport: &dyn Transport,
    progress: &VerifyProgress,
) -> Vec<Verification> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Verification>>> = Mutex::new(vec![None; creds.len()]);
    let workers = opts.concurrency.clamp(1, MAX_CONCURRENCY).min(creds.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = creds.get(i) else { break };
                let outcome = verify_one(c, opts, endpoint, transport);
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(outcome);
                }
                progress.done.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            v.unwrap_or(Verification::Unavailable {
                reason: "verification did not finish".to_string(),
            })
        })
        .collect()
}

/// One credential: a signed call, retried with backoff when STS throttles or fails.
fn verify_one(
    c: &Credential,
    opts: &VerifyOptions,
    endpoint: &Endpoint,
    transport: &dyn Transport,
) -> Verification {
    let key = SigningKey {
        key_id: &c.key_id,
        secret: &c.secret,
        session_token: c.session_token.as_deref(),
    };
    let attempts = opts.attempts.max(1);
    let mut wait = opts.backoff;
    for attempt in 1..=attempts {
        let req = sts::request(endpoint, &key, SystemTime::now());
        let reply = match transport.post(&req) {
            Ok(reply) => reply,
            Err(reason) => return Verification::Unavailable { reason },
        };
        match sts::interpret(reply.status, &reply.body) {
            sts::Answer::Final(v) => return v,
            sts::Answer::Retry(why) if attempt == attempts => {
                return Verification::Unavailable {
                    reason: format!("{why} after {attempts} attempts"),
                }
            }
            sts::Answer::Retry(_) => {
                std::thread::sleep(wait);
                wait = wait.saturating_mul(2);
            }
        }
    }
    Verification::Unavailable {
        reason: "no attempt made".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::http::HttpReply;
    use super::sts::SignedRequest;
    use super::*;
    use crate::report::{Finding, Secret};
    use crate::rules::Severity;
    use crate::validate::synthetic::{key_id, key_id_for_account, secret, session_token};
    use std::sync::atomic::AtomicUsize;

    fn finding(
        rule: &str,
        key: Option<String>,
        sk: Option<String>,
        tok: Option<String>,
    ) -> Finding {
        let account = key.as_deref().and_then(crate::validate::account_id);
        Finding {
            rule_id: rule.to_string(),
            severity: Severity::High,
            message: String::new(),
            remediation: String::new(),
            path: "f".to_string(),
            line: 1,
            column: 1,
            end_line: 1,
            key_id: key,
            account_id: account,
            secret: sk.map(Secret::new),
            session_token: tok.map(Secret::new),
            fingerprint: String::new(),
            commit: None,
            occurrences: 1,
            verification: None,
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
                CanaryAccount
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
                body: "<Error><Code>ExpiredToken</Code><Message>expired</Message></Error>"
                    .to_string(),
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
}
