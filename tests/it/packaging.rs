//! What the wheel and the release archives carry besides the binary, run for real:
//! `keyfence completions SHELL` (the bash script is loaded into a real bash), `keyfence man`
//! (one page per subcommand), and one version across Cargo.toml, `--version`, the wheel's
//! metadata source and the pre-commit mirror's pin.

use std::path::Path;
use std::process::Output;

use crate::common::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn run(fx: &Fixture, args: &[&str]) -> Output {
    fx.keyfence().args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The subcommands `keyfence --help` lists (the `help` pseudo-command aside).
fn subcommands(fx: &Fixture) -> Vec<String> {
    let help = stdout(&run(fx, &["--help"]));
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completion_loads_in_bash_and_completes_subcommands() {
    let fx = Fixture::new();
    let script = fx.write("keyfence.bash", stdout(&run(&fx, &["completions", "bash"])));
    let out = std::process::Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(
            r#"source "$1" && complete -p keyfence &&
               COMP_WORDS=(keyfence pre-) COMP_CWORD=1 COMP_LINE='keyfence pre-' COMP_POINT=13 &&
               _keyfence keyfence pre- keyfence && printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(&script)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("-F _keyfence keyfence"), "{text}");
    let replies: Vec<&str> = text.lines().skip(1).collect();
    assert!(replies.contains(&"pre-push"), "{text}");
    assert!(replies.contains(&"pre-receive"), "{text}");
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    let fx = Fixture::new();
    let subs = subcommands(&fx);
    assert!(
        subs.len() >= 14 && subs.iter().any(|s| s == "man"),
        "{subs:?}"
    );
    for (shell, marker) in [
        ("bash", "complete -F _keyfence"),
        ("zsh", "#compdef keyfence"),
        ("fish", "complete -c keyfence"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[keyfence]"),
    ] {
        let script = stdout(&run(&fx, &["completions", shell]));
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for sub in &subs {
            assert!(script.contains(sub.as_str()), "{shell}: {sub} missing");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error_listing_the_shells() {
    let fx = Fixture::new();
    let out = run(&fx, &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh") && err.contains("powershell"), "{err}");
}

#[test]
fn man_prints_keyfence_1_with_the_version() {
    let fx = Fixture::new();
    let page = stdout(&run(&fx, &["man"]));
    assert!(
        page.starts_with(".ie"),
        "not roff: {}",
        &page[..40.min(page.len())]
    );
    assert!(
        page.contains(&format!(".TH keyfence 1  \"keyfence {VERSION}\"")),
        "{page}"
    );
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    assert!(page.contains("keyfence\\-pre\\-receive(1)"), "{page}");
}

#[test]
fn man_dir_writes_one_page_per_subcommand_and_lists_them() {
    let fx = Fixture::new();
    let listed = stdout(&run(&fx, &["man", "--dir", "pages/man1"]));
    let dir = fx.path().join("pages/man1");
    let mut expected = vec!["keyfence.1".to_owned()];
    for sub in subcommands(&fx) {
        expected.push(format!("keyfence-{sub}.1"));
    }
    expected.extend([
        "keyfence-rules-list.1".into(),
        "keyfence-rules-check.1".into(),
        "keyfence-datastore-merge.1".into(),
    ]);
    for name in &expected {
        let page =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let title = name.trim_end_matches(".1");
        assert!(page.contains(&format!(".TH {title} 1 ")), "{name}: {page}");
        assert!(
            listed.contains(&format!("pages/man1/{name}")),
            "{name} not listed: {listed}"
        );
    }
    let written = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(written, expected.len(), "{listed}");
    let scan = std::fs::read_to_string(dir.join("keyfence-scan.1")).unwrap();
    assert!(scan.contains("\\-\\-format"), "{scan}");
}

#[test]
fn man_dir_that_cannot_be_created_is_an_error_naming_it() {
    let fx = Fixture::new();
    fx.write("taken", "a file, not a directory");
    let out = run(&fx, &["man", "--dir", "taken/man1"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot create taken/man1"), "{err}");
}

/// `version = "X"` and `"keyfence==X"` of a pyproject.toml.
fn pyproject_field(path: &Path, prefix: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("{}: no line starting {prefix:?}", path.display()));
    line.trim().to_owned()
}

#[test]
fn one_version_in_cargo_toml_the_binary_the_wheel_and_the_pre_commit_mirror() {
    let fx = Fixture::new();
    assert_eq!(
        stdout(&run(&fx, &["--version"])).trim(),
        format!("keyfence {VERSION}")
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The wheel takes its version from Cargo.toml: maturin's `dynamic`, and no version of its own.
    let wheel = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(wheel.contains("dynamic = [\"version\"]"), "{wheel}");
    assert!(!wheel.lines().any(|l| l.starts_with("version")), "{wheel}");
    let mirror = root.join("packaging/pre-commit/pyproject.toml");
    assert_eq!(
        pyproject_field(&mirror, "version ="),
        format!("version = \"{VERSION}\"")
    );
    assert_eq!(
        pyproject_field(&mirror, "dependencies ="),
        format!("dependencies = [\"keyfence=={VERSION}\"]")
    );
    let hooks = std::fs::read_to_string(root.join("packaging/pre-commit/.pre-commit-hooks.yaml"));
    assert!(hooks.unwrap().contains(&format!("rev: v{VERSION}")));
}
