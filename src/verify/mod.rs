//! Verification (`--verify`), the one stage that touches the network, and only when asked: each
//! distinct credential of a finished report (suppressed findings are gone by then) is checked
//! with one signed `sts:GetCallerIdentity` call, on a bounded number of threads, and every
//! finding gets its typed [`Verification`]. Keys of canary-token accounts and parts that cannot
//! be verified are skipped without a request.

mod canary;
mod endpoint;
mod http;
mod plan;
mod sigv4;
mod sts;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::report::{Finding, Verification};
use plan::{plan, Credential, Plan};

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
mod tests;
