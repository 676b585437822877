//! Bad configurations: malformed TOML, unknown keys, invalid regexes and globs, wrong types and
//! bad values, each failing with exit code 2 and its exact `file:line:column`.

use crate::common::*;
use crate::config::run;

/// Each bad configuration fails with exit code 2 and names `.keyfence.toml:LINE:COLUMN`.
#[test]
fn bad_configurations_name_file_line_and_column() {
    let cases: &[(&str, &str)] = &[
        // Malformed TOML: the location is where the parser stops.
        ("[allowlist\npaths = []\n", ".keyfence.toml:1:11: invalid table header"),
        ("disabled_rules = [\"a\" \"b\"]\n", ".keyfence.toml:1:23: invalid array"),
        ("[allowlist]\nregexes = [\"\\d\"]\n", ".keyfence.toml:2:15: invalid escape sequence"),
        (
            "pairing_window_lines = 5\npairing_window_lines = 6\n",
            ".keyfence.toml:2:1: duplicate key `pairing_window_lines`",
        ),
        // Unknown keys, top level and nested.
        ("pairing_window = 3\n", ".keyfence.toml:1:1: unknown field `pairing_window`"),
        (
            "[allowlist]\npaths = []\nfiles = []\n",
            ".keyfence.toml:3:1: unknown field `files`",
        ),
        (
            "[[rules]]\nid = 'r'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['k']\nregex = 'k'\npattern = 'x'\n",
            ".keyfence.toml:7:1: unknown field `pattern`",
        ),
        // Invalid regexes: global allowlist, custom rule (with its id), per-rule allowlist.
        (
            "[allowlist]\nregexes = ['ok', 'a(b']\n",
            ".keyfence.toml:2:18: allowlist: regexes: invalid regex",
        ),
        (
            "[[rules]]\nid = 'my-rule'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['k']\nregex = 'k[a-'\n",
            ".keyfence.toml:6:9: rule `my-rule`: invalid regex",
        ),
        (
            "[[rules]]\nid = 'my-rule'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['k']\nregex = 'k'\n[rules.allowlist]\nregexes = ['*x']\n",
            ".keyfence.toml:8:12: rule `my-rule`: allowlist: regexes: invalid regex",
        ),
        // Wrong types.
        ("pairing_window_lines = 'five'\n", ".keyfence.toml:1:24: invalid type: string \"five\", expected i64"),
        ("disabled_rules = 'aws-access-key'\n", ".keyfence.toml:1:18: invalid type: string"),
        ("[allowlist]\naccounts = [123456789012]\n", ".keyfence.toml:2:13: invalid type: integer"),
        ("[[overrides]]\nrule = 'aws-access-key'\nseverity = 'urgent'\n", ".keyfence.toml:3:12: unknown variant `urgent`"),
        // Bad values.
        ("pairing_window_lines = 500\n", ".keyfence.toml:1:24: pairing_window_lines must be between 0 and 100"),
        ("disabled_rules = ['aws-acess-key']\n", ".keyfence.toml:1:19: disabled_rules: unknown rule `aws-acess-key`"),
        ("[[overrides]]\nrule = 'nope'\nseverity = 'low'\n", ".keyfence.toml:2:8: overrides: cannot override rule `nope`"),
        ("[allowlist]\naccounts = ['12345678901']\n", ".keyfence.toml:2:13: allowlist: accounts: `12345678901` is not a 12-digit AWS account ID"),
        ("[allowlist]\npaths = ['a/**/[z-a]']\n", ".keyfence.toml:2:10: allowlist: paths: invalid glob"),
        (
            "[[rules]]\nid = 'aws-access-key'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['k']\nregex = 'k'\n",
            ".keyfence.toml:1:1: rule `aws-access-key`: this id belongs to a built-in rule",
        ),
        (
            "\n[[rules]]\nid = 'no-keywords'\ndescription = 'd'\nseverity = 'low'\nkeywords = []\nregex = 'k'\n",
            ".keyfence.toml:2:1: rule `no-keywords`: `keywords` must list at least one",
        ),
    ];
    let fx = Fixture::new();
    fx.write("a.txt", "nothing\n");
    for (config, expected) in cases {
        fx.write(".keyfence.toml", config);
        for args in [&["scan", "."][..], &["config"], &["rules", "list"]] {
            let out = run(&fx, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} {config:?}: {stderr}");
            assert!(
                stderr.contains(expected),
                "{args:?} {config:?}: expected {expected:?} in {stderr:?}"
            );
        }
    }
}
