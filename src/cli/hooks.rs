//! keyfence's git hooks (pre-commit, pre-push, and pre-receive on a server): their text, where
//! git looks for them, and how one is written into a repository's hooks directory (`keyfence
//! install`).
//!
//! The hooks directory is found as git finds it: `core.hooksPath` when set (relative to the
//! directory hooks run in, `~/` expanded), else `hooks/` in the common git directory, so linked
//! worktrees and bare repositories get the hook every worktree runs. The hook scripts live in
//! `hooks/` and are compiled in; at install time the absolute path of the running binary is
//! written into them, so the hook finds keyfence even with a minimal PATH.
//!
//! An existing hook is never lost: identical content is left alone, an older keyfence hook
//! (recognised by its `# keyfence-hook` marker line) is replaced, and anything else is refused
//! unless `--force`, which first moves it aside to `<hook>.keyfence-backup`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use git2::{ErrorCode, Repository};
use thiserror::Error;

/// The comment line every keyfence hook carries; a hook file holding it is keyfence's to replace.
pub(crate) const HOOK_MARKER: &str = "# keyfence-hook";

/// The quoted placeholder in the hook scripts that is replaced by the quoted binary path.
const BIN_PLACEHOLDER: &str = "'@KEYFENCE_BIN@'";

/// Suffix of the file an existing foreign hook is moved to by `--force`.
pub(crate) const BACKUP_SUFFIX: &str = ".keyfence-backup";

/// Which git hook to install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // git's own hook names
pub(crate) enum HookKind {
    /// `pre-commit`: runs `keyfence staged`.
    PreCommit,
    /// `pre-push`: runs `keyfence pre-push` with git's arguments and standard input.
    PrePush,
    /// `pre-receive` (on a server): runs `keyfence pre-receive` with git's standard input.
    PreReceive,
    /// `commit-msg`: runs `keyfence commit-msg` on git's message file.
    CommitMsg,
}

impl HookKind {
    /// The hook's file name in the hooks directory (also git's name for it).
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
            HookKind::PreReceive => "pre-receive",
            HookKind::CommitMsg => "commit-msg",
        }
    }

    /// The `keyfence install` flag that installs this hook.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            HookKind::PreCommit => "",
            HookKind::PrePush => " --pre-push",
            HookKind::PreReceive => " --pre-receive",
            HookKind::CommitMsg => " --commit-msg",
        }
    }

    fn template(self) -> &'static str {
        match self {
            HookKind::PreCommit => include_str!("../../hooks/pre-commit"),
            HookKind::PrePush => include_str!("../../hooks/pre-push"),
            HookKind::PreReceive => include_str!("../../hooks/pre-receive"),
            HookKind::CommitMsg => include_str!("../../hooks/commit-msg"),
        }
    }
}

/// Why a hook could not be installed.
#[derive(Debug, Error)]
pub(crate) enum InstallError {
    /// The directory is not inside a git repository.
    #[error("{}: not in a git repository (run `keyfence install` inside one)", .dir.display())]
    NotARepository {
        /// The directory keyfence was started in.
        dir: PathBuf,
    },
    /// The repository around the directory could not be opened.
    #[error("{}: cannot open the git repository", .dir.display())]
    Open {
        /// The directory keyfence was started in.
        dir: PathBuf,
        /// What libgit2 reported.
        #[source]
        source: git2::Error,
    },
    /// The repository's configuration could not be read.
    #[error("cannot read the git configuration of {}", .repo.display())]
    Config {
        /// The git directory.
        repo: PathBuf,
        /// What libgit2 reported.
        #[source]
        source: git2::Error,
    },
    /// `core.hooksPath` starts with `~` and no home directory is known.
    #[error("core.hooksPath is {value:?}, but HOME is not set")]
    NoHome {
        /// The configured value.
        value: String,
    },
    /// A hook that is not keyfence's is in the way, and `--force` was not given.
    #[error(
        "{} already exists and is not a keyfence hook; it was left untouched.\n\
         {hint}Run `keyfence install{flag} --force` to replace it (the old hook is kept as {}{}).",
        .path.display(), .name, BACKUP_SUFFIX
    )]
    ForeignHook {
        /// The existing hook file.
        path: PathBuf,
        /// Its file name.
        name: &'static str,
        /// ` --pre-push` when installing the pre-push hook.
        flag: &'static str,
        /// Advice for a recognised kind of hook (empty otherwise).
        hint: &'static str,
    },
    /// A file operation failed.
    #[error("cannot {action} {}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> InstallError {
    let path = path.to_path_buf();
    move |source| InstallError::Io {
        action,
        path,
        source,
    }
}

/// What [`install_hook`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// There was no hook; keyfence's was written.
    Installed,
    /// The same hook was already there (its executable bit was restored if it had lost it).
    AlreadyInstalled {
        /// Whether the file had to be made executable again.
        fixed_permissions: bool,
    },
    /// An older keyfence hook (other text or another binary path) was replaced.
    Updated,
    /// A foreign hook was moved to the backup path, then keyfence's was written.
    ReplacedWithBackup(PathBuf),
}

/// The hook script for `kind`, running the keyfence binary at `keyfence_bin` by default.
///
/// The path is written single-quoted for `sh`, so any byte in it is safe.
pub(crate) fn hook_text(kind: HookKind, keyfence_bin: &Path) -> Vec<u8> {
    let template = kind.template();
    let at = template
        .find(BIN_PLACEHOLDER)
        .expect("the hook scripts hold the binary placeholder");
    let mut out = Vec::with_capacity(template.len() + 64);
    out.extend_from_slice(&template.as_bytes()[..at]);
    out.extend_from_slice(&sh_single_quote(&path_bytes(keyfence_bin)));
    out.extend_from_slice(&template.as_bytes()[at + BIN_PLACEHOLDER.len()..]);
    out
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Vec<u8> {
    // Git for Windows runs hooks with its own sh, which understands forward slashes.
    p.to_string_lossy().replace('\\', "/").into_bytes()
}

/// `s` as one single-quoted `sh` word: `'` becomes `'\''`.
fn sh_single_quote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for &b in s {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// The directory git runs `repo`'s hooks from.
pub(crate) fn hooks_dir(repo: &Repository) -> Result<PathBuf, InstallError> {
    let config_err = |source| InstallError::Config {
        repo: repo.path().to_path_buf(),
        source,
    };
    let config = repo.config().map_err(config_err)?;
    let configured = match config.get_string("core.hooksPath") {
        Ok(v) if !v.is_empty() => Some(v),
        Ok(_) => None,
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(config_err(e)),
    };
    match configured {
        // Hooks run in the work tree's root, or in the git directory of a bare repository.
        Some(value) => {
            let base = repo.workdir().unwrap_or_else(|| repo.path());
            resolve_hooks_path(&value, base, home_dir().as_deref())
        }
        None => Ok(repo.commondir().join("hooks")),
    }
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// A `core.hooksPath` value as a directory: `~` and `~/…` under `home`, absolute as is, relative
/// under `base`.
fn resolve_hooks_path(
    value: &str,
    base: &Path,
    home: Option<&Path>,
) -> Result<PathBuf, InstallError> {
    let home_relative = if value == "~" {
        Some("")
    } else {
        value.strip_prefix("~/")
    };
    if let Some(rest) = home_relative {
        let home = home.ok_or_else(|| InstallError::NoHome {
            value: value.to_string(),
        })?;
        return Ok(home.join(rest));
    }
    let p = Path::new(value);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}

/// Writes `content` as the `kind` hook in `dir` (created if missing), executable.
///
/// An identical hook is left alone; one holding [`HOOK_MARKER`] is replaced; any other is refused
/// with [`InstallError::ForeignHook`] unless `force`, which first moves it to a backup path.
pub(crate) fn install_hook(
    dir: &Path,
    kind: HookKind,
    content: &[u8],
    force: bool,
) -> Result<Outcome, InstallError> {
    let path = dir.join(kind.file_name());
    let existing = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err("read", &path)(e)),
    };
    let outcome = match existing {
        None => Outcome::Installed,
        Some(old) if old == content => {
            let fixed_permissions = !is_executable(&path)?;
            if fixed_permissions {
                make_executable(&path)?;
            }
            return Ok(Outcome::AlreadyInstalled { fixed_permissions });
        }
        Some(old) if is_keyfence_hook(&old) => Outcome::Updated,
        Some(_) if force => {
            let backup = backup_path(&path);
            fs::rename(&path, &backup).map_err(io_err("move aside", &path))?;
            Outcome::ReplacedWithBackup(backup)
        }
        Some(old) => {
            return Err(InstallError::ForeignHook {
                path,
                name: kind.file_name(),
                flag: kind.flag(),
                hint: foreign_hint(&old),
            })
        }
    };
    fs::create_dir_all(dir).map_err(io_err("create the hooks directory", dir))?;
    // Written beside the hook and renamed over it, so git never runs a half-written hook.
    let tmp = dir.join(format!(".{}.keyfence-tmp", kind.file_name()));
    let written = fs::write(&tmp, content)
        .map_err(io_err("write", &tmp))
        .and_then(|()| make_executable(&tmp))
        .and_then(|()| fs::rename(&tmp, &path).map_err(io_err("write", &path)));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(outcome)
}

/// Whether a hook file is one keyfence wrote (any version).
pub(crate) fn is_keyfence_hook(content: &[u8]) -> bool {
    content
        .split(|&b| b == b'\n')
        .any(|line| line.starts_with(HOOK_MARKER.as_bytes()))
}

fn foreign_hint(content: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(content);
    if text.contains("pre-commit.com") || text.contains("File generated by pre-commit") {
        "It is the pre-commit framework's hook: add keyfence to .pre-commit-config.yaml instead \
         (hook ids `keyfence`, `keyfence-pre-push`).\n"
    } else {
        ""
    }
}

/// `<hook>.keyfence-backup`, or `<hook>.keyfence-backup.N` for the first N not taken, so an
/// earlier backup is never overwritten.
fn backup_path(hook: &Path) -> PathBuf {
    let base = format!("{}{BACKUP_SUFFIX}", hook.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while fs::symlink_metadata(&candidate).is_ok() {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}

#[cfg(unix)]
fn is_executable(path: &Path) -> Result<bool, InstallError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(io_err("read", path))?;
    Ok(meta.permissions().mode() & 0o111 == 0o111)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> Result<bool, InstallError> {
    Ok(true)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), InstallError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(io_err("make executable", path))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), InstallError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(kind: HookKind, bin: &str) -> String {
        String::from_utf8(hook_text(kind, Path::new(bin))).unwrap()
    }

    #[test]
    fn hook_text_substitutes_the_quoted_binary_path_once() {
        for kind in [HookKind::PreCommit, HookKind::PrePush, HookKind::PreReceive] {
            let t = text(kind, "/opt/kf/bin/keyfence");
            assert!(t.starts_with("#!/bin/sh\n"), "{kind:?}");
            assert!(
                t.contains("installed_keyfence='/opt/kf/bin/keyfence'\n"),
                "{kind:?}"
            );
            assert!(!t.contains("@KEYFENCE_BIN@"), "{kind:?}");
            assert!(is_keyfence_hook(t.as_bytes()), "{kind:?}");
        }
        assert!(text(HookKind::PreCommit, "/k").contains("\"$keyfence\" staged\n"));
        assert!(text(HookKind::PrePush, "/k").contains("\"$keyfence\" pre-push \"$@\"\n"));
        assert!(text(HookKind::PreReceive, "/k").contains("exec \"$keyfence\" pre-receive\n"));
    }

    #[test]
    fn quotes_in_the_binary_path_are_escaped_for_sh() {
        let t = text(HookKind::PreCommit, "/home/o'neil/$HOME/`x`/keyfence");
        assert!(t.contains("installed_keyfence='/home/o'\\''neil/$HOME/`x`/keyfence'\n"));
    }

    #[test]
    fn hooks_path_resolution() {
        let base = Path::new("/repo");
        let home = Some(Path::new("/home/u"));
        let r = |v| resolve_hooks_path(v, base, home).unwrap();
        assert_eq!(r(".githooks"), PathBuf::from("/repo/.githooks"));
        assert_eq!(r("tools/hooks"), PathBuf::from("/repo/tools/hooks"));
        assert_eq!(r("/etc/hooks"), PathBuf::from("/etc/hooks"));
        assert_eq!(r("~/hooks"), PathBuf::from("/home/u/hooks"));
        assert_eq!(r("~"), PathBuf::from("/home/u"));
        assert_eq!(r("~x/hooks"), PathBuf::from("/repo/~x/hooks"));
        assert!(matches!(
            resolve_hooks_path("~/hooks", base, None),
            Err(InstallError::NoHome { .. })
        ));
    }

    #[test]
    fn marker_must_start_a_line() {
        assert!(is_keyfence_hook(
            b"#!/bin/sh\n# keyfence-hook: pre-commit\n"
        ));
        assert!(!is_keyfence_hook(b"#!/bin/sh\necho '# keyfence-hook'\n"));
        assert!(!is_keyfence_hook(b"#!/bin/sh\nexec lint\n"));
    }

    #[test]
    fn install_replace_refuse_and_force() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("hooks");
        let kind = HookKind::PreCommit;
        let v1 = hook_text(kind, Path::new("/old/keyfence"));
        let v2 = hook_text(kind, Path::new("/new/keyfence"));
        let hook = dir.join("pre-commit");

        assert_eq!(
            install_hook(&dir, kind, &v1, false).unwrap(),
            Outcome::Installed
        );
        assert_eq!(fs::read(&hook).unwrap(), v1);
        assert_eq!(
            install_hook(&dir, kind, &v1, false).unwrap(),
            Outcome::AlreadyInstalled {
                fixed_permissions: false
            }
        );
        assert_eq!(
            install_hook(&dir, kind, &v2, false).unwrap(),
            Outcome::Updated
        );
        assert_eq!(fs::read(&hook).unwrap(), v2);

        let foreign = b"#!/bin/sh\nexec make lint\n";
        fs::write(&hook, foreign).unwrap();
        let err = install_hook(&dir, kind, &v2, false).unwrap_err();
        assert!(matches!(err, InstallError::ForeignHook { .. }), "{err}");
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(fs::read(&hook).unwrap(), foreign);

        let first = dir.join("pre-commit.keyfence-backup");
        assert_eq!(
            install_hook(&dir, kind, &v2, true).unwrap(),
            Outcome::ReplacedWithBackup(first.clone())
        );
        assert_eq!(fs::read(&first).unwrap(), foreign);
        assert_eq!(fs::read(&hook).unwrap(), v2);

        // A second forced install over another foreign hook keeps the first backup.
        fs::write(&hook, b"#!/bin/sh\nexit 0\n").unwrap();
        let second = dir.join("pre-commit.keyfence-backup.1");
        assert_eq!(
            install_hook(&dir, kind, &v2, true).unwrap(),
            Outcome::ReplacedWithBackup(second.clone())
        );
        assert_eq!(fs::read(&first).unwrap(), foreign);
        assert_eq!(fs::read(&second).unwrap(), b"#!/bin/sh\nexit 0\n");
        assert!(!dir.join(".pre-commit.keyfence-tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn written_hook_is_executable_and_permissions_are_restored() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let kind = HookKind::PrePush;
        let content = hook_text(kind, Path::new("/k"));
        install_hook(tmp.path(), kind, &content, false).unwrap();
        let hook = tmp.path().join("pre-push");
        let mode = || fs::metadata(&hook).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(), 0o755);
        fs::set_permissions(&hook, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            install_hook(tmp.path(), kind, &content, false).unwrap(),
            Outcome::AlreadyInstalled {
                fixed_permissions: true
            }
        );
        assert_eq!(mode(), 0o755);
    }

    #[test]
    fn the_pre_commit_frameworks_hook_gets_a_hint() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(
            tmp.path().join("pre-commit"),
            "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n",
        )
        .unwrap();
        let err = install_hook(tmp.path(), HookKind::PreCommit, b"x", false).unwrap_err();
        assert!(err.to_string().contains(".pre-commit-config.yaml"), "{err}");
    }
}
