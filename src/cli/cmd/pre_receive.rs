//! `keyfence pre-receive`: the server-side hook. git runs it once per push, after the pushed
//! objects arrived in a quarantine directory and before any ref moves; exit 0 accepts the whole
//! push, anything else rejects it.
//!
//! Every ref line is read; deletions need no check; the commits the push introduces (reachable
//! from the new values, from no existing ref) are scanned as a range is, by the history scan,
//! with the quarantine's objects added to the repository's. Findings name the refs that carry
//! them. A watchdog thread enforces the time budget; the history scan the commit budget; what
//! happens when either runs out, and when keyfence fails, is the administrator's choice
//! (`[server]` in the configuration, or the command line), rejecting by default.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use git2::Oid;
use serde_json::{json, Value};

use super::pre_receive_env::PushEnv;
use super::pre_receive_out::{Audit, Say};
use crate::cli::args::{PolicyChoice, PreReceiveArgs};
use crate::cli::git::discover_repository;
use crate::cli::load::{finish, load};
use crate::cli::ExitCode;
use crate::config::{is_push_option_name, Policy, ServerSettings};
use crate::report::ScanReport;
use crate::source::git::{
    add_object_dirs, commits_of, parse_updates, push_selection, quarantine_dirs, refs_containing,
    repository_root, scan_history, GitError, GitOptions, RefUpdate,
};
use crate::source::Progress;

/// The default time budget: under GitHub Enterprise Server's 5 s limit.
pub(crate) const DEFAULT_TIMEOUT_SECS: f64 = 4.5;
/// The default commit budget.
pub(crate) const DEFAULT_MAX_COMMITS: usize = 10_000;
/// The default name of the push option that skips the check.
pub(crate) const DEFAULT_SKIP_OPTION: &str = "keyfence.skip";
/// The most standard input read: about 150,000 ref lines.
const MAX_STDIN: u64 = 16 << 20;
/// The most commits per ref an audit record lists.
const AUDIT_COMMITS: usize = 1000;
/// The most findings the rejection message lists one by one.
const SHOWN_FINDINGS: usize = 50;

/// The settings in effect: the command line over `[server]` over the defaults.
#[derive(Debug, Clone)]
struct Settings {
    timeout_secs: f64,
    max_commits: usize,
    on_timeout: Policy,
    on_error: Policy,
    allow_skip: bool,
    skip_option: String,
    audit_log: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            max_commits: DEFAULT_MAX_COMMITS,
            on_timeout: Policy::Reject,
            on_error: Policy::Reject,
            allow_skip: false,
            skip_option: DEFAULT_SKIP_OPTION.to_string(),
            audit_log: None,
        }
    }
}

/// Who decides the outcome: the main thread when the scan ends (or fails), or the watchdog when
/// the time budget runs out first. Whoever takes it first decides; the other never prints. It
/// also holds what the watchdog needs, updated once the configuration is read.
#[derive(Debug, Clone)]
struct Gate(Arc<GateInner>);

/// The lock and the watchdog's wake-up call.
#[derive(Debug)]
struct GateInner {
    state: Mutex<GateState>,
    wake: Condvar,
}

/// The state behind a [`Gate`].
#[derive(Debug)]
struct GateState {
    decider: Decider,
    /// When the time budget runs out (counted from the start of the process).
    deadline: Instant,
    /// The settings in effect: the command line's until the configuration is read.
    settings: Settings,
    /// The audit log, once known.
    audit: Option<Audit>,
}

/// Who has taken the [`Gate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decider {
    /// Nobody yet.
    Open,
    /// The main thread.
    Main,
    /// The watchdog, which ends the process.
    Watchdog,
}

impl Gate {
    fn new(started: Instant, settings: Settings) -> Gate {
        let state = GateState {
            decider: Decider::Open,
            deadline: started + Duration::from_secs_f64(settings.timeout_secs),
            settings,
            audit: None,
        };
        Gate(Arc::new(GateInner {
            state: Mutex::new(state),
            wake: Condvar::new(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The settings and audit log from the configuration; the deadline follows the timeout.
    fn configure(&self, started: Instant, settings: &Settings, audit: &Audit) {
        let mut st = self.lock();
        st.deadline = started + Duration::from_secs_f64(settings.timeout_secs);
        st.settings = settings.clone();
        st.audit = Some(audit.clone());
        // Wake the watchdog: the deadline may be earlier now.
        self.0.wake.notify_all();
    }

    /// Takes the gate for the main thread (again, if it has it). If the watchdog took it, this
    /// thread waits for the watchdog to end the process.
    fn main(&self) {
        let mut st = self.lock();
        if st.decider == Decider::Watchdog {
            drop(st);
            loop {
                std::thread::park();
            }
        }
        st.decider = Decider::Main;
    }
}

/// What the run has learned so far, for the error path.
struct RunState {
    on_error: Policy,
    audit: Option<Audit>,
    gate: Gate,
}

/// `keyfence pre-receive`.
pub(crate) fn run(args: PreReceiveArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let env = PushEnv::read(&|k| std::env::var(k).ok());
    let say = Say { gitlab: env.gitlab };
    // Until the configuration is read: the command line's settings, else the defaults.
    let early = resolve(&args, &ServerSettings::default()).unwrap_or_else(|_| Settings::default());
    let gate = Gate::new(started, early);
    start_watchdog(&gate, say);
    let mut ctx = RunState {
        on_error: args.on_error.map_or(Policy::Reject, policy),
        audit: None,
        gate,
    };
    match check(&args, &env, say, started, &mut ctx) {
        Ok(code) => Ok(code),
        Err(e) => {
            ctx.gate.main();
            let message = format!("{e:#}");
            say.line(&format!(
                "keyfence: error: could not check the push: {message}"
            ));
            let event = match ctx.on_error {
                Policy::Reject => "error-reject",
                Policy::Accept => "error-accept",
            };
            if let Some(audit) = &ctx.audit {
                audit.record_or_warn(&say, event, audit.refs(&[]), json!({ "error": message }));
            }
            Ok(match ctx.on_error {
                Policy::Reject => {
                    say.line(
                        "keyfence: the push was rejected: keyfence fails closed (on_error = reject).",
                    );
                    ExitCode::Error
                }
                Policy::Accept => {
                    say.line("keyfence: the push was accepted unchecked (on_error = accept).");
                    ExitCode::Clean
                }
            })
        }
    }
}

fn policy(p: PolicyChoice) -> Policy {
    match p {
        PolicyChoice::Reject => Policy::Reject,
        PolicyChoice::Accept => Policy::Accept,
    }
}

fn check(
    args: &PreReceiveArgs,
    env: &PushEnv,
    say: Say,
    started: Instant,
    ctx: &mut RunState,
) -> Result<ExitCode> {
    let updates = read_updates()?;
    let git_dir = std::env::var_os("GIT_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let repo = discover_repository(&git_dir)?;
    let quarantine = quarantine_dirs(&|k| std::env::var_os(k), &repo.path().join("objects"))?;
    add_object_dirs(&repo, &quarantine)
        .map_err(|e| GitError::git("reading the push's quarantine", e))?;
    let loaded = load(&repository_root(&repo), &args.config)?;
    let settings = resolve(args, &loaded.server)?;
    ctx.on_error = settings.on_error;
    let repository = std::path::absolute(repo.path())
        .unwrap_or_else(|_| repo.path().to_path_buf())
        .display()
        .to_string();
    let audit = Audit::new(settings.audit_log.clone(), repository, env, updates.clone());
    ctx.audit = Some(audit.clone());
    ctx.gate.configure(started, &settings, &audit);
    let deadline = started + Duration::from_secs_f64(settings.timeout_secs);

    let checked: Vec<&RefUpdate> = updates.iter().filter(|u| !u.is_delete()).collect();
    if checked.is_empty() {
        ctx.gate.main();
        say.line(&format!(
            "keyfence: {} ref(s) deleted, nothing to check.",
            updates.len()
        ));
        return Ok(ExitCode::Clean);
    }
    if let Some(reason) = env.skip_requested(&settings.skip_option) {
        if settings.allow_skip {
            return skip(
                &repo, &updates, env, say, &audit, &settings, reason, &ctx.gate,
            );
        }
        say.line(&format!(
            "keyfence: the push option {} is not allowed on this server; the push is checked.",
            settings.skip_option
        ));
        audit.record_or_warn(&say, "skip-refused", audit.refs(&[]), json!({}));
    }

    let (sel, tips) = push_selection(&repo, &updates)?;
    let opts = GitOptions {
        scan_binary: args.binary,
        threads: crate::cli::args::worker_threads(args.threads),
        object_dirs: quarantine.clone(),
        max_commits: Some(settings.max_commits),
        // Archives as `[archives]` says, under its budget: a push of a zip is checked inside.
        archives: loaded.archives,
        ..GitOptions::default()
    };
    if Instant::now() >= deadline {
        return Ok(out_of_budget(
            &ctx.gate,
            &settings,
            say,
            &audit,
            &format!("the time budget of {} s ran out", settings.timeout_secs),
        ));
    }
    let progress = Progress::default();
    let scanned = scan_history(
        &repo,
        &sel,
        &loaded.engine,
        &loaded.suppressor,
        &opts,
        &progress,
    );
    let mut report = match scanned {
        Ok(r) => r,
        Err(GitError::TooManyCommits { count, max }) => {
            return Ok(out_of_budget(
                &ctx.gate,
                &settings,
                say,
                &audit,
                &format!("the push brings {count} commits, more than the commit budget of {max}"),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    finish(&mut report, &loaded, &args.config);
    ctx.gate.main();
    let s = &report.stats;
    say.line(&format!(
        "keyfence: checked {} ref(s): {} commit(s), {} blob(s) read ({} bytes){} in {} ms.",
        checked.len(),
        s.commits_scanned,
        s.files_scanned + s.binary_skipped,
        s.bytes_scanned,
        if quarantine.is_empty() {
            ""
        } else {
            ", quarantine read"
        },
        started.elapsed().as_millis()
    ));
    if !report.findings.is_empty() {
        reject(&repo, &updates, &tips, &report, say, &audit);
        return Ok(ExitCode::Findings);
    }
    for w in &report.warnings {
        say.line(&format!(
            "keyfence: warning: {}: {} (read as far as it could be)",
            w.subject(),
            w.message
        ));
    }
    if !report.errors.is_empty() {
        let lines: Vec<String> = report
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.subject(), e.message))
            .collect();
        bail!(
            "{} object(s) could not be read: {}",
            lines.len(),
            lines.join("; ")
        );
    }
    Ok(ExitCode::Clean)
}

/// The ref lines on standard input.
fn read_updates() -> Result<Vec<RefUpdate>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        bail!(
            "keyfence pre-receive reads the ref updates on standard input, as git passes them to \
             a pre-receive hook (`keyfence install --pre-receive` sets it up)"
        );
    }
    let mut input = Vec::new();
    stdin
        .lock()
        .take(MAX_STDIN + 1)
        .read_to_end(&mut input)
        .context("cannot read the ref updates from standard input")?;
    if input.len() as u64 > MAX_STDIN {
        bail!(
            "standard input is larger than {} MiB: not a pre-receive hook's input",
            MAX_STDIN >> 20
        );
    }
    Ok(parse_updates(&input)?)
}

/// The settings: the command line over the configuration's `[server]` over the defaults.
fn resolve(args: &PreReceiveArgs, server: &ServerSettings) -> Result<Settings> {
    let timeout_secs = args
        .timeout
        .or(server.timeout_secs)
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(0.0..=crate::config::MAX_TIMEOUT_SECS).contains(&timeout_secs) {
        bail!("--timeout must be between 0 and 3600 seconds, got {timeout_secs}");
    }
    let max_commits = args
        .max_commits
        .or(server.max_commits)
        .unwrap_or(DEFAULT_MAX_COMMITS);
    if max_commits == 0 {
        bail!("--max-commits must be at least 1");
    }
    let skip_option = args
        .skip_option
        .clone()
        .or_else(|| server.skip_option.clone())
        .unwrap_or_else(|| DEFAULT_SKIP_OPTION.to_string());
    if !is_push_option_name(&skip_option) {
        bail!("--skip-option {skip_option:?} is not a usable push option name");
    }
    Ok(Settings {
        timeout_secs,
        max_commits,
        on_timeout: args
            .on_timeout
            .map(policy)
            .or(server.on_timeout)
            .unwrap_or(Policy::Reject),
        on_error: args
            .on_error
            .map(policy)
            .or(server.on_error)
            .unwrap_or(Policy::Reject),
        allow_skip: args.allow_skip || server.allow_skip.unwrap_or(false),
        skip_option,
        audit_log: args.audit_log.clone().or_else(|| server.audit_log.clone()),
    })
}

/// Ends the process when the time budget runs out before the main thread decided. The deadline
/// may move once the configuration is read; the watchdog sleeps until the current one.
fn start_watchdog(gate: &Gate, say: Say) {
    let gate = gate.clone();
    std::thread::spawn(move || {
        let mut st = gate.lock();
        loop {
            if st.decider != Decider::Open {
                return;
            }
            let left = st.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = gate
                .0
                .wake
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        st.decider = Decider::Watchdog;
        let why = format!("the time budget of {} s ran out", st.settings.timeout_secs);
        let code = budget_outcome(&st.settings, say, st.audit.as_ref(), &why);
        std::process::exit(code as i32);
    });
}

/// A budget ran out on the main thread: it decides with the `on_timeout` policy.
fn out_of_budget(gate: &Gate, settings: &Settings, say: Say, audit: &Audit, why: &str) -> ExitCode {
    gate.main();
    budget_outcome(settings, say, Some(audit), why)
}

/// What the `on_timeout` policy makes of a push not fully checked; the message says which.
fn budget_outcome(settings: &Settings, say: Say, audit: Option<&Audit>, why: &str) -> ExitCode {
    let (event, code) = match settings.on_timeout {
        Policy::Reject => {
            say.line(&format!(
                "keyfence: the push was not fully checked: {why}.\n\
                 keyfence: the push was rejected (on_timeout = reject): push fewer commits at a \
                 time, or ask an administrator."
            ));
            ("timeout-reject", ExitCode::Error)
        }
        Policy::Accept => {
            say.line(&format!(
                "keyfence: the push was not fully checked: {why}.\n\
                 keyfence: the push was accepted unchecked (on_timeout = accept)."
            ));
            ("timeout-accept", ExitCode::Clean)
        }
    };
    if let Some(audit) = audit {
        audit.record_or_warn(&say, event, audit.refs(&[]), json!({ "reason": why }));
    }
    code
}

/// The push carries credentials: one line per finding, naming the refs that bring it.
fn reject(
    repo: &git2::Repository,
    updates: &[RefUpdate],
    tips: &[(usize, Oid)],
    report: &ScanReport,
    say: Say,
    audit: &Audit,
) {
    let n = report.findings.len();
    say.line(&format!(
        "keyfence: the push was rejected: {n} credential(s) in the pushed commits:"
    ));
    let mut detail = Vec::new();
    for (k, f) in report.findings.iter().enumerate() {
        let commit = f.commit.as_ref().map(|c| c.id.clone()).unwrap_or_default();
        let refs = Oid::from_str(&commit)
            .map(|c| refs_containing(repo, updates, tips, c))
            .unwrap_or_default();
        let key = f
            .key_id
            .as_deref()
            .map_or(String::new(), |id| format!(", key ID {id}"));
        if k < SHOWN_FINDINGS {
            say.line(&format!(
                "keyfence:   {}: commit {}, {}:{}, rule {}{key}",
                refs.join(", "),
                &commit[..commit.len().min(12)],
                f.path,
                f.line,
                f.rule_id
            ));
        }
        detail.push(json!({
            "refs": refs, "commit": commit, "path": f.path, "line": f.line,
            "rule": f.rule_id, "key_id": f.key_id,
        }));
    }
    if n > SHOWN_FINDINGS {
        say.line(&format!("keyfence:   … and {} more", n - SHOWN_FINDINGS));
    }
    say.line(
        "keyfence: remove the credentials from those commits (`git rebase -i`, `git commit \
         --amend`), rotate any key that was pushed anywhere, and push again.",
    );
    audit.record_or_warn(&say, "reject", audit.refs(&[]), Value::Array(detail));
}

/// The push option asked to skip the check and the server allows it: logged, then accepted.
#[allow(clippy::too_many_arguments)]
fn skip(
    repo: &git2::Repository,
    updates: &[RefUpdate],
    env: &PushEnv,
    say: Say,
    audit: &Audit,
    settings: &Settings,
    reason: &str,
    gate: &Gate,
) -> Result<ExitCode> {
    let mut commits = Vec::new();
    for (i, u) in updates.iter().enumerate() {
        if u.is_delete() {
            continue;
        }
        let tip = repo
            .find_object(u.new, None)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id());
        let (list, cut) = match tip {
            Ok(t) => commits_of(repo, t, AUDIT_COMMITS)?,
            Err(_) => (vec![u.new], false),
        };
        commits.push((i, list.iter().map(Oid::to_string).collect::<Vec<_>>(), cut));
    }
    gate.main();
    // Fail closed: a skip that cannot be logged is refused.
    audit
        .record(
            "skip",
            audit.refs(&commits),
            json!({ "reason": reason, "option": settings.skip_option }),
        )
        .map_err(|e| anyhow::anyhow!("{e}; the skip is refused"))?;
    for (i, list, cut) in &commits {
        say.line(&format!(
            "keyfence: SKIPPED by {} with push option {}: {} ({} commit(s){}{})",
            env.who(),
            settings.skip_option,
            updates[*i].name,
            list.len(),
            if *cut { " or more" } else { "" },
            if reason.is_empty() {
                String::new()
            } else {
                format!(", reason: {reason}")
            },
        ));
    }
    say.line("keyfence: the push was accepted without a check; the skip was logged.");
    Ok(ExitCode::Clean)
}
