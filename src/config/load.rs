//! Finding the configuration file and compiling it, over the built-in rules, into the effective
//! configuration that every mode scans with.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::server::ServerSettings;
use super::syntax::ConfigSyntax;
use crate::rules::{compile_rule, syntax_error, Allowlist, Compile, Location, RuleError, RuleSet};
use crate::validate::AwsSettings;

/// The configuration file looked for at the root.
pub(crate) const CONFIG_FILE: &str = ".keyfence.toml";

/// Largest accepted `pairing_window_lines`.
pub(crate) const MAX_PAIRING_WINDOW_LINES: i64 = 100;

/// A configuration that cannot be used. Every variant about the file's content names the file,
/// the line and the column.
#[derive(Debug, Error)]
pub(crate) enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read configuration {file}: {error}")]
    Read {
        /// The configuration file.
        file: String,
        /// The I/O error (in the message, so not a `source` that would print it twice).
        error: io::Error,
    },
    /// The configuration path is not a file.
    #[error("configuration {file} is not a file")]
    NotAFile {
        /// The configuration path.
        file: String,
    },
    /// A value is wrong (unknown rule, out-of-range number, invalid glob or regex, …).
    #[error("{at}: {message}")]
    At {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// Malformed TOML, an unknown key, a wrong type, or a custom rule that does not compile.
    #[error(transparent)]
    Rule(#[from] RuleError),
}

/// The configuration in effect: built-in rules with the file's changes applied.
#[derive(Debug, Clone)]
pub(crate) struct EffectiveConfig {
    /// The configuration file as named in messages, when there is one.
    pub file: Option<String>,
    /// The configuration file's path, when there is one.
    pub path: Option<PathBuf>,
    /// The directory allowlist paths and the baseline are relative to.
    pub root: PathBuf,
    /// The file as written (empty without a file).
    pub syntax: ConfigSyntax,
    /// The rules in effect.
    pub rules: RuleSet,
    /// AWS validator settings.
    pub aws: AwsSettings,
    /// The global allowlist.
    pub allowlist: Allowlist,
    /// `[verify] skip_accounts`: accounts whose keys `--verify` never sends.
    pub verify_skip_accounts: Vec<String>,
    /// `[archives]`, validated; `None` keeps a default.
    pub archives: ArchiveSettings,
    /// `[server]`: settings of `keyfence pre-receive`.
    pub server: ServerSettings,
}

/// The `[archives]` settings, each in its range; `None` keeps keyfence's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ArchiveSettings {
    /// Expand archives at all.
    pub enabled: Option<bool>,
    /// Levels of archives inside archives expanded.
    pub max_depth: Option<u32>,
    /// Bytes decompressed per top-level archive.
    pub max_expanded: Option<u64>,
    /// Decompressed bytes per byte of the archive.
    pub max_ratio: Option<u64>,
    /// Entries per top-level archive.
    pub max_entries: Option<u64>,
}

impl EffectiveConfig {
    /// The defaults: built-in rules, no allowlist, `root` as the root.
    pub(crate) fn builtin(root: &Path) -> Result<EffectiveConfig, ConfigError> {
        Ok(EffectiveConfig {
            file: None,
            path: None,
            root: root.to_path_buf(),
            syntax: ConfigSyntax::default(),
            rules: RuleSet::builtin()?,
            aws: AwsSettings::default(),
            allowlist: Allowlist::default(),
            verify_skip_accounts: Vec::new(),
            archives: ArchiveSettings::default(),
            server: ServerSettings::default(),
        })
    }

    /// Loads `explicit` if given (it must exist), else `root/.keyfence.toml` if it exists, else
    /// the defaults.
    pub(crate) fn discover(
        root: &Path,
        explicit: Option<&Path>,
    ) -> Result<EffectiveConfig, ConfigError> {
        let (path, shown) = match explicit {
            Some(p) => (p.to_path_buf(), p.display().to_string()),
            None => {
                let p = root.join(CONFIG_FILE);
                if !p.exists() {
                    return EffectiveConfig::builtin(root);
                }
                let shown = if root == Path::new(".") {
                    CONFIG_FILE.to_string()
                } else {
                    p.display().to_string()
                };
                (p, shown)
            }
        };
        if path.is_dir() {
            return Err(ConfigError::NotAFile { file: shown });
        }
        let text = std::fs::read_to_string(&path).map_err(|error| ConfigError::Read {
            file: shown.clone(),
            error,
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut config = EffectiveConfig::from_toml(text, &shown, root)?;
        config.path = Some(path);
        Ok(config)
    }

    /// Compiles a configuration's text; `file` names it in errors.
    pub(crate) fn from_toml(
        text: &str,
        file: &str,
        root: &Path,
    ) -> Result<EffectiveConfig, ConfigError> {
        let syntax: ConfigSyntax =
            toml::from_str(text).map_err(|e| syntax_error(text, file, &e))?;
        let at = |span: std::ops::Range<usize>, message: String| ConfigError::At {
            at: Location::at(file, text, span),
            message,
        };
        let mut aws = AwsSettings::default();
        if let Some(w) = &syntax.pairing_window_lines {
            let v = *w.get_ref();
            if !(0..=MAX_PAIRING_WINDOW_LINES).contains(&v) {
                return Err(at(
                    w.span(),
                    format!(
                        "pairing_window_lines must be between 0 and {MAX_PAIRING_WINDOW_LINES}, got {v}"
                    ),
                ));
            }
            aws.pairing_window_lines = v as usize;
        }
        let mut rules = RuleSet::builtin()?;
        let builtin_ids: Vec<String> = rules.rules.iter().map(|r| r.id.clone()).collect();
        for id in &syntax.disabled_rules {
            if !builtin_ids.contains(id.get_ref()) {
                return Err(at(
                    id.span(),
                    format!(
                        "disabled_rules: unknown rule `{}` (built-in rules: {})",
                        id.get_ref(),
                        builtin_ids.join(", ")
                    ),
                ));
            }
            rules.remove(id.get_ref());
        }
        for raw in &syntax.rules {
            let id = &raw.get_ref().id;
            if builtin_ids.contains(id) {
                return Err(Location::at(file, text, raw.span())
                    .rule_error(
                        id,
                        "this id belongs to a built-in rule; choose another id \
                     (use [[overrides]] to change a built-in rule's severity)",
                    )
                    .into());
            }
            rules.push(compile_rule(raw.clone(), file, text, Compile::Now)?)?;
        }
        for o in &syntax.overrides {
            let Some(rule) = rules.get_mut(o.rule.get_ref()) else {
                let why = if syntax
                    .disabled_rules
                    .iter()
                    .any(|d| d.get_ref() == o.rule.get_ref())
                {
                    "it is in disabled_rules"
                } else {
                    "no such rule"
                };
                return Err(at(
                    o.rule.span(),
                    format!(
                        "overrides: cannot override rule `{}`: {why}",
                        o.rule.get_ref()
                    ),
                ));
            };
            rule.severity = o.severity;
        }
        let allowlist = Allowlist::compile(&syntax.allowlist)
            .map_err(|e| at(e.span, format!("allowlist: {}", e.message)))?;
        let mut verify_skip_accounts = Vec::new();
        for a in &syntax.verify.skip_accounts {
            let v = a.get_ref();
            if v.len() != 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(at(
                    a.span(),
                    format!("verify.skip_accounts: {v:?} is not a 12-digit AWS account ID"),
                ));
            }
            verify_skip_accounts.push(v.clone());
        }
        let mut archives = ArchiveSettings::default();
        if let Some(a) = &syntax.archives {
            let ranged = |v: &Option<toml::Spanned<i64>>, key: &str, max: i64| match v {
                None => Ok(None),
                Some(v) if (1..=max).contains(v.get_ref()) => Ok(Some(*v.get_ref() as u64)),
                Some(v) => Err(at(
                    v.span(),
                    format!(
                        "archives.{key} must be between 1 and {max}, got {}",
                        v.get_ref()
                    ),
                )),
            };
            archives = ArchiveSettings {
                enabled: a.enabled,
                max_depth: ranged(&a.max_depth, "max_depth", 16)?.map(|v| v as u32),
                max_expanded: ranged(&a.max_expanded_mib, "max_expanded_mib", 1 << 20)?
                    .map(|v| v << 20),
                max_ratio: ranged(&a.max_ratio, "max_ratio", 1 << 30)?,
                max_entries: ranged(&a.max_entries, "max_entries", 1 << 40)?,
            };
        }
        let server = match &syntax.server {
            Some(s) => s.validate(root).map_err(|(span, m)| at(span, m))?,
            None => ServerSettings::default(),
        };
        Ok(EffectiveConfig {
            file: Some(file.to_string()),
            path: None,
            root: root.to_path_buf(),
            syntax,
            rules,
            aws,
            allowlist,
            verify_skip_accounts,
            archives,
            server,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<EffectiveConfig, ConfigError> {
        EffectiveConfig::from_toml(text, "k.toml", Path::new("."))
    }

    fn err(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn verify_skip_accounts_are_account_ids() {
        let c = load("[verify]\nskip_accounts = ['123456789012']\n").unwrap();
        assert_eq!(c.verify_skip_accounts, ["123456789012"]);
        let e = err("[verify]\nskip_accounts = ['1234']\n");
        assert!(
            e.starts_with("k.toml:2:18: verify.skip_accounts: \"1234\" is not a 12-digit"),
            "{e}"
        );
        assert!(err("[verify]\nskip = []\n").contains("unknown field"));
    }

    #[test]
    fn archives_settings_are_checked_and_kept() {
        let c = load("[archives]\nmax_depth = 5\nmax_expanded_mib = 1024\n").unwrap();
        assert_eq!(c.archives.max_depth, Some(5));
        assert_eq!(c.archives.max_expanded, Some(1 << 30));
        assert_eq!(c.archives.enabled, None);
        assert!(
            load("[archives]\nenabled = false\n")
                .unwrap()
                .archives
                .enabled
                == Some(false)
        );
        assert!(err("[archives]\nmax_depth = 0\n")
            .starts_with("k.toml:2:13: archives.max_depth must be between 1 and 16"));
        assert!(err("[archives]\nmax_size = 1\n").contains("max_size"));
    }

    #[test]
    fn applies_disabled_rules_overrides_custom_rules_and_window() {
        let c = load(
            "pairing_window_lines = 2\ndisabled_rules = ['aws-access-key-id']\n\
             [[overrides]]\nrule = 'aws-secret-access-key'\nseverity = 'critical'\n\
             [[rules]]\nid = 'x'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['k']\nregex = 'k'\n",
        )
        .unwrap();
        assert_eq!(c.aws.pairing_window_lines, 2);
        assert!(c.rules.get("aws-access-key-id").is_none());
        assert_eq!(
            c.rules.get("aws-secret-access-key").unwrap().severity,
            crate::rules::Severity::Critical
        );
        assert_eq!(c.rules.get("x").unwrap().origin.to_string(), "k.toml:6:1");
    }

    #[test]
    fn server_table() {
        let c = load(
            "[server]\ntimeout = 2.5\nmax_commits = 7\non_timeout = 'accept'\n\
             on_error = 'reject'\nallow_skip = true\nskip_option = 'ci.skip-secrets'\n\
             audit_log = 'audit.jsonl'\n",
        )
        .unwrap();
        assert_eq!(c.server.timeout_secs, Some(2.5));
        assert_eq!(c.server.max_commits, Some(7));
        assert_eq!(c.server.on_timeout, Some(super::super::Policy::Accept));
        assert_eq!(c.server.allow_skip, Some(true));
        assert_eq!(c.server.skip_option.as_deref(), Some("ci.skip-secrets"));
        assert_eq!(
            c.server.audit_log,
            Some(Path::new("./audit.jsonl").to_path_buf())
        );
        assert!(c.to_toml().contains("[server]"));
    }

    #[test]
    fn errors_point_at_the_value() {
        assert!(err("pairing_window_lines = 101").starts_with("k.toml:1:24: pairing_window_lines"));
        assert!(err("\ndisabled_rules = ['aws', 'nope']")
            .starts_with("k.toml:2:19: disabled_rules: unknown rule `aws`"));
        assert!(err("[[overrides]]\nrule = 'nope'\nseverity = 'low'")
            .starts_with("k.toml:2:8: overrides: cannot override rule `nope`"));
        assert!(err("[allowlist]\nregexes = ['ok', '(']")
            .starts_with("k.toml:2:18: allowlist: regexes: invalid regex"));
        assert!(err("[allowlist]\naccounts = ['1234']")
            .starts_with("k.toml:2:13: allowlist: accounts: `1234`"));
        assert!(err("[[rules]]\nid = 'aws-access-key'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['k']\nregex = 'k'")
            .starts_with("k.toml:1:1: rule `aws-access-key`: this id belongs to a built-in rule"));
        let e = err("[[rules]]\nid = 'mine'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['k']\nregex = 'k'\n[rules.allowlist]\nregexes = ['[']");
        assert!(
            e.starts_with("k.toml:8:12: rule `mine`: allowlist: regexes: invalid regex"),
            "{e}"
        );
        assert!(err("[allowlist]\nregex_target = 'file'")
            .starts_with("k.toml:2:16: unknown variant `file`"));
        assert!(err("colour = 1").starts_with("k.toml:1:1: unknown field `colour`"));
        assert!(err("[server]\ntimeout = -1.0").starts_with("k.toml:2:11: server.timeout"));
        assert!(err("[server]\nmax_commits = 0").starts_with("k.toml:2:15: server.max_commits"));
        assert!(err("[server]\nskip_option = 'a b'").starts_with("k.toml:2:15: server.skip_option"));
        assert!(err("[server]\non_timeout = 'maybe'").starts_with("k.toml:2:14: unknown variant"));
        assert!(err("[server]\ntimeouts = 1").starts_with("k.toml:2:1: unknown field `timeouts`"));
    }
}
