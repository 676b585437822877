//! `keyfence doctor`: is this clone protected, and if not, what fixes it? Looks at the hooks git
//! will run (where `core.hooksPath` sends them, from whichever configuration level sets it,
//! Husky's and lefthook's included), whether they run keyfence, the pre-commit framework's
//! configuration, the keyfence binary a hook runs, and keyfence's configuration. One line per
//! problem with the command that fixes it; exit 0 when protected, 1 when not, 2 on error.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use git2::{ConfigLevel, Repository};

use crate::cli::args::DoctorArgs;
use crate::cli::git::discover_repository;
use crate::cli::hooks::{hook_text, hooks_dir, is_keyfence_hook, HookKind};
use crate::cli::output::sanitize;
use crate::cli::ExitCode;
use crate::config::EffectiveConfig;
use crate::source::git::repository_root;

/// The pre-commit framework's configuration file.
const PRE_COMMIT_CONFIG: &str = ".pre-commit-config.yaml";
/// lefthook's configuration files.
const LEFTHOOK_CONFIGS: [&str; 4] = [
    "lefthook.yml",
    ".lefthook.yml",
    "lefthook.yaml",
    ".lefthook.yaml",
];

/// What the doctor found: problems (each with its fix) and notes.
#[derive(Debug, Default)]
struct Findings {
    ok: Vec<String>,
    problems: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Findings {
    fn problem(&mut self, what: impl Into<String>, fix: impl Into<String>) {
        self.problems.push((what.into(), fix.into()));
    }
}

/// `keyfence doctor`.
pub(crate) fn run(args: &DoctorArgs) -> Result<ExitCode> {
    let repo = discover_repository(Path::new("."))?;
    let mut f = Findings::default();
    let root = repository_root(&repo);
    let dir = hooks_dir(&repo)?;
    let shadow = hooks_path_setting(&repo);
    if let Some((value, level)) = &shadow {
        f.notes.push(format!(
            "core.hooksPath is set to {value:?} in the {level} configuration: git runs hooks \
             from {}, not from {}",
            dir.display(),
            repo.commondir().join("hooks").display()
        ));
    }
    let framework = framework_config(&root);
    let pre_commit = inspect(
        &repo,
        &root,
        &dir,
        HookKind::PreCommit,
        &shadow,
        &framework,
        &mut f,
    );
    let pre_push = inspect(
        &repo,
        &root,
        &dir,
        HookKind::PrePush,
        &shadow,
        &framework,
        &mut f,
    );
    if !pre_commit && !pre_push && f.problems.is_empty() {
        f.problem(
            "no hook runs keyfence: nothing stops a commit that adds a credential",
            "keyfence install",
        );
    }
    if pre_commit && !pre_push {
        f.notes.push(
            "no keyfence pre-push hook: `keyfence install --pre-push` also checks what a push \
             sends"
                .into(),
        );
    }
    if let Some((_, has_keyfence)) = &framework {
        if *has_keyfence && !is_framework_hook(&dir.join("pre-commit")) {
            f.problem(
                format!(
                    "{PRE_COMMIT_CONFIG} has a keyfence hook, but the pre-commit framework is not \
                     installed as the git hook, so it never runs"
                ),
                "pre-commit install",
            );
        }
    }
    match EffectiveConfig::discover(&root, args.config.as_deref()) {
        Ok(c) => f.ok.push(match &c.file {
            Some(file) => format!("configuration {file} is valid"),
            None => "no .keyfence.toml: the built-in rules apply".into(),
        }),
        Err(e) => f.problem(
            format!("the configuration is invalid: {e}"),
            "fix the file (`keyfence config` prints the configuration in effect)",
        ),
    }
    for line in &f.ok {
        println!("ok: {}", sanitize(line));
    }
    for line in &f.notes {
        println!("note: {}", sanitize(line));
    }
    for (what, fix) in &f.problems {
        println!("problem: {}; fix: {}", sanitize(what), sanitize(fix));
    }
    if f.problems.is_empty() {
        println!("keyfence doctor: this clone is protected.");
        Ok(ExitCode::Clean)
    } else {
        println!(
            "keyfence doctor: this clone is not protected ({} problem(s)).",
            f.problems.len()
        );
        Ok(ExitCode::Findings)
    }
}

/// `core.hooksPath` and the configuration level that sets it, when set.
fn hooks_path_setting(repo: &Repository) -> Option<(String, &'static str)> {
    let config = repo.config().ok()?;
    let entry = config.get_entry("core.hooksPath").ok()?;
    let value = entry.value()?.to_string();
    if value.is_empty() {
        return None;
    }
    let level = match entry.level() {
        ConfigLevel::System | ConfigLevel::ProgramData => "system",
        ConfigLevel::XDG | ConfigLevel::Global => "global",
        ConfigLevel::Local => "local",
        ConfigLevel::Worktree => "worktree",
        ConfigLevel::App | ConfigLevel::Highest => "command-line",
    };
    Some((value, level))
}

/// `.pre-commit-config.yaml` at the root, and whether it has a keyfence hook.
fn framework_config(root: &Path) -> Option<(PathBuf, bool)> {
    let path = root.join(PRE_COMMIT_CONFIG);
    let text = std::fs::read_to_string(&path).ok()?;
    let has = text.lines().any(|l| {
        let l = l.trim().trim_start_matches("- ").trim();
        l.starts_with("id:") && l.contains("keyfence")
            || l.starts_with("entry:") && l.contains("keyfence")
            || l.starts_with("repo:") && l.contains("keyfence")
    });
    Some((path, has))
}

fn is_framework_hook(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .is_ok_and(|t| t.contains("File generated by pre-commit") || t.contains("pre-commit.com"))
}

/// Looks at the `kind` hook git will run; true when it runs keyfence and works.
fn inspect(
    repo: &Repository,
    root: &Path,
    dir: &Path,
    kind: HookKind,
    shadow: &Option<(String, &'static str)>,
    framework: &Option<(PathBuf, bool)>,
    f: &mut Findings,
) -> bool {
    let name = kind.file_name();
    let flag = kind.flag();
    let path = dir.join(name);
    let shown = path.display().to_string();
    let Ok(content) = std::fs::read(&path) else {
        // Nothing where git looks: is a keyfence hook shadowed by core.hooksPath?
        let default = repo.commondir().join("hooks").join(name);
        if let Some((value, level)) = shadow {
            if std::fs::read(&default).is_ok_and(|c| is_keyfence_hook(&c)) {
                let fix = match *level {
                    "local" => format!(
                        "`keyfence install{flag}` (installs into {}) or `git config --unset core.hooksPath`",
                        dir.display()
                    ),
                    other => format!(
                        "`keyfence install{flag}` (installs into {}) or `git config --{other} --unset core.hooksPath`",
                        dir.display()
                    ),
                };
                f.problem(
                    format!(
                        "the keyfence {name} hook in {} is shadowed: core.hooksPath ({level}) is \
                         {value:?}, so git runs hooks from {} and never runs it",
                        default.display(),
                        dir.display()
                    ),
                    fix,
                );
                return false;
            }
        }
        if kind == HookKind::PreCommit {
            f.problem(
                format!("no {name} hook at {shown}"),
                format!("keyfence install{flag}"),
            );
        }
        return false;
    };
    if !is_executable(&path) {
        f.problem(
            format!("{shown} is not executable, so git skips it"),
            format!("chmod +x {shown}"),
        );
        return false;
    }
    if is_keyfence_hook(&content) {
        return check_binary(&path, &content, kind, f);
    }
    let text = String::from_utf8_lossy(&content);
    if is_framework_hook(&path) {
        return match framework {
            Some((_, true)) => {
                f.ok.push(format!(
                    "the {name} hook is the pre-commit framework's, and {PRE_COMMIT_CONFIG} runs keyfence"
                ));
                true
            }
            Some((cfg, false)) => {
                if kind == HookKind::PreCommit {
                    f.problem(
                        format!(
                            "the {name} hook is the pre-commit framework's, but {} has no keyfence hook",
                            cfg.display()
                        ),
                        format!(
                            "add keyfence to {PRE_COMMIT_CONFIG} (hook ids `keyfence`, `keyfence-pre-push`; see the README)"
                        ),
                    );
                }
                false
            }
            None => {
                f.problem(
                    format!("the {name} hook is the pre-commit framework's, but there is no {PRE_COMMIT_CONFIG}"),
                    format!("add keyfence to a {PRE_COMMIT_CONFIG}, or `keyfence install{flag} --force`"),
                );
                false
            }
        };
    }
    // Husky: the hook in `.husky/_` runs the user's script in `.husky/`.
    if let Some(husky) = husky_script(dir, name) {
        let runs = std::fs::read_to_string(&husky).is_ok_and(|t| t.contains("keyfence"));
        if runs {
            f.ok.push(format!(
                "Husky's {name} hook runs keyfence ({})",
                husky.display()
            ));
        } else if kind == HookKind::PreCommit {
            f.problem(
                format!(
                    "Husky runs {} as the {name} hook, and it does not run keyfence",
                    husky.display()
                ),
                format!("echo 'keyfence staged' >> {}", husky.display()),
            );
        }
        return runs;
    }
    if text.contains("lefthook") {
        let runs = LEFTHOOK_CONFIGS
            .iter()
            .any(|c| std::fs::read_to_string(root.join(c)).is_ok_and(|t| t.contains("keyfence")));
        if runs {
            f.ok.push(format!("lefthook's {name} hook runs keyfence"));
        } else if kind == HookKind::PreCommit {
            f.problem(
                format!("the {name} hook is lefthook's, and no lefthook configuration runs keyfence"),
                "add to lefthook.yml: `pre-commit: {commands: {keyfence: {run: keyfence staged}}}`, then `lefthook install`",
            );
        }
        return runs;
    }
    if text.contains("keyfence") {
        f.ok.push(format!(
            "{shown} is not keyfence's own hook, but it runs keyfence"
        ));
        return true;
    }
    if kind == HookKind::PreCommit {
        f.problem(
            format!("{shown} is another tool's hook and does not run keyfence"),
            format!(
                "`keyfence install{flag} --force` (keeps the old hook as {name}.keyfence-backup), or add `keyfence staged` to it"
            ),
        );
    } else {
        f.notes.push(format!(
            "{shown} is another tool's hook and does not run keyfence"
        ));
    }
    false
}

/// Husky's user script for the hook `name`, when `dir` is Husky's hooks directory.
fn husky_script(dir: &Path, name: &str) -> Option<PathBuf> {
    let file_name = dir.file_name()?.to_str()?;
    if file_name == "_" && dir.parent()?.file_name()? == ".husky" {
        return Some(dir.parent()?.join(name));
    }
    if file_name == ".husky" {
        return Some(dir.join(name));
    }
    None
}

/// A keyfence hook: does the binary it runs exist, and is it this version with this hook text?
fn check_binary(path: &Path, content: &[u8], kind: HookKind, f: &mut Findings) -> bool {
    let name = kind.file_name();
    let flag = kind.flag();
    let shown = path.display().to_string();
    let Some(bin) = installed_binary(content) else {
        f.problem(
            format!("{shown} is a keyfence hook without the binary it runs"),
            format!("keyfence install{flag}"),
        );
        return false;
    };
    let ours = env!("CARGO_PKG_VERSION");
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match version {
        None => {
            f.problem(
                format!(
                    "the {name} hook runs {}, which cannot be run (it falls back to keyfence on PATH, if any)",
                    bin.display()
                ),
                format!("keyfence install{flag}"),
            );
            false
        }
        Some(v) if v != format!("keyfence {ours}") => {
            f.problem(
                format!(
                    "the {name} hook runs {} ({v}), not this keyfence ({ours})",
                    bin.display()
                ),
                format!("keyfence install{flag}"),
            );
            false
        }
        Some(_) if hook_text(kind, &bin) != content => {
            f.problem(
                format!("the {name} hook script is from another keyfence version"),
                format!("keyfence install{flag}"),
            );
            false
        }
        Some(_) => {
            f.ok.push(format!(
                "the keyfence {name} hook is installed at {shown} and runs keyfence {ours}"
            ));
            true
        }
    }
}

/// The binary path a keyfence hook holds: its `installed_keyfence='…'` line, unquoted.
fn installed_binary(content: &[u8]) -> Option<PathBuf> {
    let text = std::str::from_utf8(content).ok()?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("installed_keyfence="))?;
    let mut out = String::new();
    let mut rest = line;
    // A sequence of single-quoted parts joined by `\'`.
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("\\'") {
            out.push('\'');
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\'') {
            let end = r.find('\'')?;
            out.push_str(&r[..end]);
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(PathBuf::from(out))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_path_is_unquoted() {
        let hook = hook_text(HookKind::PreCommit, Path::new("/home/o'neil/bin/keyfence"));
        assert_eq!(
            installed_binary(&hook),
            Some(PathBuf::from("/home/o'neil/bin/keyfence"))
        );
        assert_eq!(installed_binary(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn husky_directories() {
        assert_eq!(
            husky_script(Path::new("/r/.husky/_"), "pre-commit"),
            Some(PathBuf::from("/r/.husky/pre-commit"))
        );
        assert_eq!(
            husky_script(Path::new("/r/.husky"), "pre-commit"),
            Some(PathBuf::from("/r/.husky/pre-commit"))
        );
        assert_eq!(husky_script(Path::new("/r/.githooks"), "pre-commit"), None);
    }
}
