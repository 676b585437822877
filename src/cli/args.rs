//! Command-line syntax (clap derive), as typed; each command in `cmd/` resolves it once into the
//! options its source and report take.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

/// keyfence: find AWS credentials in files and git history before they leak.
#[derive(Debug, Parser)]
#[command(name = "keyfence", version, about, max_term_width = 100)]
pub struct Cli {
    /// Run as if keyfence was started in DIR (like `git -C`).
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub(crate) chdir: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scan files and directories (default: the current directory); `-` reads standard input.
    Scan(ScanArgs),
    /// List or check rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print the effective configuration (defaults, `.keyfence.toml` or `--config`) as TOML.
    Config(ConfigCommandArgs),
    /// Write a baseline of the current findings, so that only new ones are reported.
    Baseline(BaselineArgs),
    /// Scan what is staged for the next commit (the pre-commit hook).
    ///
    /// Reads the index, never the work tree, and reports only the credentials the staged change
    /// introduces.
    Staged(StagedArgs),
    /// Scan a commit message before the commit exists (the commit-msg hook).
    ///
    /// FILE is the message file git passes the hook; comment lines are dropped as git's
    /// default cleanup drops them.
    CommitMsg(CommitMsgArgs),
    /// Scan git history: every commit of every ref, or a range.
    ///
    /// Each unique blob is read once; a credential is reported at the commit and path that
    /// introduced it. `BASE..HEAD` reports only what the range introduced.
    History(HistoryArgs),
    /// Scan the commits of a pull request or push, worked out from the CI environment.
    Ci(CiArgs),
    /// Install keyfence as the repository's pre-commit hook (or pre-push hook).
    Install(InstallArgs),
    /// Scan the commits a `git push` is about to send (the pre-push hook).
    ///
    /// Reads the refs being pushed from the hook's standard input, or the pre-commit framework's
    /// PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF.
    PrePush(PrePushArgs),
    /// Verify the findings of a JSON or JSONL report written with `--show-secrets` (FILE, or
    /// `-` for standard input) with AWS STS, without scanning again.
    Verify(VerifyCommandArgs),
    /// Check a push on the server (the pre-receive hook): reject commits that add credentials.
    ///
    /// Reads every `<old> <new> <ref>` line git passes on standard input, reads the pushed
    /// objects from the quarantine, and checks only what the push introduces, within a time
    /// and a commit budget. Settings: `[server]` in the configuration (see docs/SERVER.md).
    PreReceive(PreReceiveArgs),
    /// Check that a clone is protected: hooks installed, not shadowed, current, configured.
    ///
    /// Exit 0 when protected, 1 with one line per problem and the command that fixes it.
    Doctor(DoctorArgs),
    /// Set the triage of a finding in a datastore (by fingerprint, or every finding of a key ID).
    Triage(TriageArgs),
    /// List the findings a datastore holds, in any report format, without scanning.
    Findings(FindingsArgs),
    /// Datastore maintenance: `merge OUT IN...` joins the stores of separate shards.
    #[command(subcommand)]
    Datastore(DatastoreCommand),
    /// Print a shell completion script on standard output.
    ///
    /// bash: `source <(keyfence completions bash)` in ~/.bashrc; zsh: save it as `_keyfence` in
    /// a directory of `fpath`; fish: `keyfence completions fish | source`. The wheel and the
    /// release archives carry the scripts already generated.
    Completions(CompletionsArgs),
    /// Print the manual page `keyfence.1`, or write it and one page per subcommand into a
    /// directory (`--dir`).
    Man(ManArgs),
}

/// `keyfence completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// `keyfence man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write `keyfence.1` and one page per subcommand (`keyfence-scan.1`, …) into DIR (created
    /// if missing), and list the files written, instead of printing `keyfence.1`.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// `--datastore` and `--new` (`scan`, `history`, `ci`).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct StoreArgs {
    /// Remember findings (and for history what was walked and scanned) in the SQLite datastore
    /// FILE, created when missing: a later run scans only what changed, and triage applies.
    #[arg(long, value_name = "FILE")]
    pub(crate) datastore: Option<PathBuf>,
    /// Report only the findings this run found for the first time.
    #[arg(long = "new", requires = "datastore")]
    pub(crate) new_only: bool,
}

/// `keyfence triage`.
#[derive(Debug, Args)]
pub(crate) struct TriageArgs {
    /// A finding's fingerprint, or a key ID (every finding of that key).
    #[arg(value_name = "FINGERPRINT|KEY_ID")]
    pub(crate) target: String,
    /// The new status.
    #[arg(long, value_name = "STATUS", value_parser = parse_triage)]
    pub(crate) status: crate::report::TriageStatus,
    /// Why (kept with the status).
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    /// Who is triaging (default: git's user.name and user.email, else $USER).
    #[arg(long, value_name = "NAME")]
    pub(crate) by: Option<String>,
    /// The datastore.
    #[arg(long, value_name = "FILE")]
    pub(crate) datastore: PathBuf,
}

/// `--status open|false-positive|accepted|revoked`.
fn parse_triage(s: &str) -> Result<crate::report::TriageStatus, String> {
    s.parse()
}

/// `keyfence findings`.
#[derive(Debug, Args)]
pub(crate) struct FindingsArgs {
    /// The datastore.
    #[arg(long, value_name = "FILE")]
    pub(crate) datastore: PathBuf,
    /// Only findings with these triage statuses (repeatable; default: every status).
    #[arg(long, value_name = "STATUS", value_parser = parse_triage)]
    pub(crate) status: Vec<crate::report::TriageStatus>,
    /// Only the findings of this repository (its name in the store; repeatable).
    #[arg(long, value_name = "NAME")]
    pub(crate) repo: Vec<String>,
    /// Report options.
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

/// `keyfence datastore …`.
#[derive(Debug, Subcommand)]
pub(crate) enum DatastoreCommand {
    /// Merge the datastores IN... into OUT (created when missing). Idempotent; triage keeps the
    /// newest decision.
    Merge {
        /// The datastore merged into.
        #[arg(value_name = "OUT")]
        out: PathBuf,
        /// The datastores merged in.
        #[arg(value_name = "IN", required = true)]
        inputs: Vec<PathBuf>,
    },
}

/// `keyfence rules …`.
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the rules in effect (built-in rules with the configuration applied).
    List {
        /// Configuration file (default: `.keyfence.toml` in the current directory).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Compile the rules (those in effect, or a rule FILE) and run their examples.
    Check {
        /// A rule file to check instead of the rules in effect.
        file: Option<PathBuf>,
        /// Configuration file (default: `.keyfence.toml` in the current directory).
        #[arg(long, value_name = "FILE", conflicts_with = "file")]
        config: Option<PathBuf>,
    },
}

/// Configuration options of every command that scans. The root is the one directory scanned,
/// else the current directory.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ConfigArgs {
    /// Configuration file (default: `.keyfence.toml` at the root, if present).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Baseline file (default: `.keyfence-baseline.json` at the root, if present).
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// List allowlist and baseline entries that matched nothing (stderr, and `unused` in JSON).
    #[arg(long)]
    pub(crate) report_unused: bool,
    /// Make every part read only in part an error (exit 2): a truncated or partly unreadable
    /// archive, an archive limit reached, a shallow clone's missing history. Without it they
    /// are warnings (`strict = true` in .keyfence.toml sets it too).
    #[arg(long)]
    pub(crate) strict: bool,
}

/// `keyfence config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigCommandArgs {
    /// The root whose `.keyfence.toml` is read.
    #[arg(default_value = ".", value_name = "PATH")]
    pub(crate) path: PathBuf,
    /// Configuration file instead of `PATH/.keyfence.toml`.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// `keyfence baseline`.
#[derive(Debug, Args)]
pub(crate) struct BaselineArgs {
    /// The directory to scan; the baseline is written at its root.
    #[arg(default_value = ".", value_name = "PATH")]
    pub(crate) path: PathBuf,
    /// Scan the git history (REVSPEC, default HEAD) instead of the working tree.
    #[arg(long, value_name = "REVSPEC", num_args = 0..=1, default_missing_value = "HEAD")]
    pub(crate) history: Option<String>,
    /// Where to write the baseline (default: `PATH/.keyfence-baseline.json`).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Configuration file (default: `.keyfence.toml` at the root, if present).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Also scan files excluded by .gitignore and .ignore.
    #[arg(long)]
    pub(crate) no_ignore: bool,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) threads: usize,
}

/// Options of every command that produces a report.
#[derive(Debug, Clone, Args)]
pub(crate) struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// When to use colours (NO_COLOR is honoured in auto mode).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// Print secrets and session tokens in full (they are redacted by default).
    #[arg(long)]
    pub(crate) show_secrets: bool,
    /// Print findings only: no summary line and no error list in the text report.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// One entry per distinct credential (text and json; html and markdown always are), with
    /// every location, the first commit, presence at the tip, coverage and what to run.
    #[arg(long, value_enum, value_name = "BY")]
    pub(crate) group: Option<GroupBy>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) threads: usize,
}

/// `keyfence scan`.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan; `-` is standard input.
    #[arg(default_value = ".", value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Also scan files excluded by .gitignore and .ignore (`.git/` is always skipped).
    #[arg(long)]
    pub(crate) no_ignore: bool,
    /// Scan files that look binary instead of skipping them.
    #[arg(long)]
    pub(crate) binary: bool,
    /// Follow symbolic links.
    #[arg(long)]
    pub(crate) follow: bool,
    /// Do not look inside archives (zip, jar, tar, gzip, bzip2, xz): scan them as the blobs
    /// they are (binary, so skipped unless `--binary`).
    #[arg(long)]
    pub(crate) no_archives: bool,
    /// Datastore options.
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Configuration options.
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
    /// Report options.
    #[command(flatten)]
    pub(crate) report: ReportArgs,
    /// Verification options.
    #[command(flatten)]
    pub(crate) verify: VerifyArgs,
}

/// Options of the git modes.
#[derive(Debug, Clone, Args)]
pub(crate) struct GitArgs {
    /// Scan blobs that look binary instead of skipping them.
    #[arg(long)]
    pub(crate) binary: bool,
    /// Progress (commits walked, blobs, bytes) on stderr.
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto, value_name = "WHEN")]
    pub(crate) progress: ProgressChoice,
    /// Do not look inside archives (zip, jar, tar, gzip, bzip2, xz): scan them as the blobs
    /// they are (binary, so skipped unless `--binary`).
    #[arg(long)]
    pub(crate) no_archives: bool,
    /// History, ranges and the push hooks: scan file contents only, not commit messages, tag
    /// annotations and notes.
    #[arg(long)]
    pub(crate) no_messages: bool,
}

/// Partial clones: fetching the blobs a scan needs that the clone lacks.
#[derive(Debug, Default, Args)]
pub(crate) struct FetchArgs {
    /// In a partial clone, fetch nothing: scan the blobs the clone holds and report the
    /// missing ones as one error with their count (exit 2).
    #[arg(long)]
    pub(crate) no_fetch: bool,
    /// In a partial clone, stop fetching missing blobs once the fetched packs take SIZE bytes
    /// on disk (`500m`, `2g`; default: no bound); what is left is one error with the count.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, conflicts_with = "no_fetch")]
    pub(crate) max_fetch: Option<u64>,
}

/// The options every git scanning command takes.
#[derive(Debug, Args)]
pub(crate) struct GitScanArgs {
    /// Git options.
    #[command(flatten)]
    pub(crate) git: GitArgs,
    /// Configuration options.
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
    /// Report options.
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

/// `keyfence staged`.
#[derive(Debug, Args)]
pub(crate) struct StagedArgs {
    /// Git, configuration and report options.
    #[command(flatten)]
    pub(crate) scan: GitScanArgs,
    /// `--verify`, accepted only to be refused with the reason.
    #[command(flatten)]
    pub(crate) no_verify: NoVerifyArgs,
}

/// `keyfence commit-msg`.
#[derive(Debug, Args)]
pub(crate) struct CommitMsgArgs {
    /// The commit message file (git passes `.git/COMMIT_EDITMSG`).
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Git, configuration and report options.
    #[command(flatten)]
    pub(crate) scan: GitScanArgs,
    /// `--verify`, accepted only to be refused with the reason.
    #[command(flatten)]
    pub(crate) no_verify: NoVerifyArgs,
}

/// `keyfence history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Revisions as in `git log`: `REV`, `^REV` (exclude), `A..B`, `A...B`. Default: all refs
    /// and HEAD. With `--datastore`: repositories (paths or clone URLs), each walked whole.
    #[arg(value_name = "REVSPEC|REPO", allow_hyphen_values = false)]
    pub(crate) revspecs: Vec<String>,
    /// Also scan every object no reference reaches (what a force-push, a deleted branch or
    /// tag, a dropped stash or `git add` without a commit leaves in the object database):
    /// every commit, blob and annotated tag of the packs and loose objects. Findings there name
    /// the unreachable object (and the commit that holds the blob, when there is one).
    #[arg(long)]
    pub(crate) all_objects: bool,
    /// Datastore options.
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// With `--datastore`: also the repositories listed in FILE, one local path or clone URL a
    /// line (`#` starts a comment).
    #[arg(long, value_name = "FILE", requires = "datastore")]
    pub(crate) repos: Option<PathBuf>,
    /// Where clone URLs are mirrored (`git clone --mirror`, fetched again on later runs);
    /// default: DATASTORE.clones beside the datastore.
    #[arg(long, value_name = "DIR", requires = "datastore")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Partial-clone fetching options.
    #[command(flatten)]
    pub(crate) fetch: FetchArgs,
    /// Git, configuration and report options.
    #[command(flatten)]
    pub(crate) scan: GitScanArgs,
    /// Verification options.
    #[command(flatten)]
    pub(crate) verify: VerifyArgs,
}

/// `keyfence ci`.
#[derive(Debug, Args)]
pub(crate) struct CiArgs {
    /// Compare with REF (scan `REF..HEAD`) instead of reading the range from the environment.
    #[arg(long, value_name = "REF")]
    pub(crate) base: Option<String>,
    /// Datastore options.
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Partial-clone fetching options.
    #[command(flatten)]
    pub(crate) fetch: FetchArgs,
    /// Git, configuration and report options.
    #[command(flatten)]
    pub(crate) scan: GitScanArgs,
    /// Verification options.
    #[command(flatten)]
    pub(crate) verify: VerifyArgs,
}

/// `keyfence install`.
#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Install the pre-push hook instead of the pre-commit hook.
    #[arg(long)]
    pub(crate) pre_push: bool,
    /// Replace an existing hook that is not keyfence's.
    #[arg(long)]
    pub(crate) force: bool,
    /// Install the server-side pre-receive hook (into a bare repository).
    #[arg(long, conflicts_with = "pre_push")]
    pub(crate) pre_receive: bool,
    /// Install the commit-msg hook instead (stops a commit whose message holds credentials).
    #[arg(long, conflicts_with_all = ["pre_push", "pre_receive"])]
    pub(crate) commit_msg: bool,
    /// The bare repository to install the pre-receive hook into (default: the current one).
    #[arg(long, value_name = "REPO", requires = "pre_receive")]
    pub(crate) bare: Option<PathBuf>,
}

/// `--on-timeout` and `--on-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PolicyChoice {
    /// Reject the push.
    Reject,
    /// Accept the push, and say so.
    Accept,
}

/// `keyfence pre-receive`. Each option overrides the `[server]` setting of the same name.
#[derive(Debug, Args)]
pub(crate) struct PreReceiveArgs {
    /// Time budget in seconds (default 4.5, under GitHub Enterprise Server's 5 s limit).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) timeout: Option<f64>,
    /// The most commits one push may bring to be checked (default 10000).
    #[arg(long, value_name = "N")]
    pub(crate) max_commits: Option<usize>,
    /// What to do with a push when a budget runs out (default: reject).
    #[arg(long, value_enum, value_name = "POLICY")]
    pub(crate) on_timeout: Option<PolicyChoice>,
    /// What to do with a push when keyfence fails (default: reject, fail closed).
    #[arg(long, value_enum, value_name = "POLICY")]
    pub(crate) on_error: Option<PolicyChoice>,
    /// Honour the skip push option (`git push -o keyfence.skip`); every skip is logged.
    #[arg(long)]
    pub(crate) allow_skip: bool,
    /// The push option that skips the check (default `keyfence.skip`).
    #[arg(long, value_name = "NAME")]
    pub(crate) skip_option: Option<String>,
    /// Append skips, rejections and accepted failures to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub(crate) audit_log: Option<PathBuf>,
    /// Scan blobs that look binary instead of skipping them.
    #[arg(long)]
    pub(crate) binary: bool,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) threads: usize,
    /// Configuration options.
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

/// `keyfence doctor`.
#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// Configuration file to check (default: `.keyfence.toml` at the work tree's root).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// `keyfence pre-push`.
#[derive(Debug, Args)]
pub(crate) struct PrePushArgs {
    /// The remote's name, as git passes it to the hook.
    #[arg(value_name = "REMOTE")]
    pub(crate) remote: Option<String>,
    /// The remote's URL, as git passes it to the hook.
    #[arg(value_name = "URL")]
    pub(crate) url: Option<String>,
    /// Partial-clone fetching options.
    #[command(flatten)]
    pub(crate) fetch: FetchArgs,
    /// Git, configuration and report options.
    #[command(flatten)]
    pub(crate) scan: GitScanArgs,
    /// `--verify`, accepted only to be refused with the reason.
    #[command(flatten)]
    pub(crate) no_verify: NoVerifyArgs,
}

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProgressChoice {
    /// When standard error is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `--group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GroupBy {
    /// One entry per distinct credential (its fingerprint).
    Credential,
}

impl ReportArgs {
    /// True when the report shows credentials grouped (`--group`, or a grouped format).
    pub(crate) fn grouped(&self) -> bool {
        self.group.is_some() || self.format.is_grouped()
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The most worker threads keyfence starts: beyond it more threads only cost memory (each holds
/// a read buffer of up to 32 MiB) and scheduling.
pub(crate) const MAX_THREADS: usize = 64;

/// `--threads N` resolved: 0 stays 0 (one per core), more than [`MAX_THREADS`] is clamped with a
/// warning.
pub(crate) fn worker_threads(requested: usize) -> usize {
    if requested > MAX_THREADS {
        eprintln!(
            "keyfence: warning: --threads {requested} is more than {MAX_THREADS}; using {MAX_THREADS}"
        );
        MAX_THREADS
    } else {
        requested
    }
}

/// `--verify` and its options (`scan`, `history`, `ci`). See docs/VERIFY.md.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct VerifyArgs {
    /// Ask AWS STS whether each credential found still works: one signed GetCallerIdentity
    /// call per distinct key ID and secret (see docs/VERIFY.md for what is sent where).
    #[arg(long)]
    pub(crate) verify: bool,
    /// Report only findings whose key is active (implies --verify); exit 0 when none is.
    #[arg(long)]
    pub(crate) only_verified: bool,
    /// Network options of verification.
    #[command(flatten)]
    pub(crate) net: VerifyNetArgs,
}

/// How verification reaches STS.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct VerifyNetArgs {
    /// Verification requests in flight at once (default 4, at most 32).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=32))]
    pub(crate) verify_concurrency: Option<u16>,
    /// Seconds one verification request may take, connection included (default 5).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub(crate) verify_timeout: Option<f64>,
    /// Send verification requests to URL instead of STS's global endpoint (before
    /// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    pub(crate) verify_endpoint: Option<String>,
    /// Also verify keys of known canary-token accounts: this sets off the canary's alarm.
    #[arg(long)]
    pub(crate) verify_canaries: bool,
}

/// A timeout in seconds: more than 0, at most 300.
fn parse_timeout(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if v > 0.0 && v <= 300.0 {
        Ok(v)
    } else {
        Err(format!("{s} is not between 0 and 300 seconds"))
    }
}

/// `--verify` on the commands that never verify (`staged`, `pre-push`): hidden, and refused
/// with the reason.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct NoVerifyArgs {
    /// Refused: hooks never wait on the network.
    #[arg(long, hide = true)]
    pub(crate) verify: bool,
    /// Refused: hooks never wait on the network.
    #[arg(long, hide = true)]
    pub(crate) only_verified: bool,
}

/// `keyfence verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyCommandArgs {
    /// A JSON or JSONL report written with `--show-secrets`; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Configuration file for `[verify] skip_accounts` (default: `.keyfence.toml` here).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Report only findings whose key is active; exit 0 when none is.
    #[arg(long)]
    pub(crate) only_verified: bool,
    /// Record the outcomes in the datastore FILE (and show the findings' triage).
    #[arg(long, value_name = "FILE")]
    pub(crate) datastore: Option<PathBuf>,
    /// Network options of verification.
    #[command(flatten)]
    pub(crate) net: VerifyNetArgs,
    /// Report options.
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

/// A size in bytes, with an optional binary suffix as git writes them: `500m`, `2G`, `64k`,
/// `1024` (`k`, `m`, `g`, `t`, upper or lower case, with or without a trailing `b`/`iB`).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &lower[digits.len()..];
    let shift = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(format!("{t:?}: not a size (e.g. 500m, 2g, 1048576)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{t:?}: not a size (e.g. 500m, 2g, 1048576)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{t:?}: too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1tb"), Ok(1 << 40));
        assert!(parse_size("").is_err());
        assert!(parse_size("12q").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999t").is_err());
    }
}
