//! Configuration: `.keyfence.toml` (or `--config FILE`) read into the [`EffectiveConfig`] that
//! every mode scans with: built-in rules minus `disabled_rules`, plus custom `[[rules]]`, with
//! `[[overrides]]` applied, the global `[allowlist]` and `pairing_window_lines`.

mod load;
mod server;
mod syntax;

use serde::Serialize;

pub(crate) use load::ArchiveSettings;
pub(crate) use load::EffectiveConfig;
pub(crate) use server::{is_push_option_name, Policy, ServerSettings, MAX_TIMEOUT_SECS};
use syntax::OverrideSyntax;

use crate::rules::{AllowlistSyntax, RuleSyntax};

/// What `keyfence config` prints, in an order TOML accepts (values before tables).
#[derive(Serialize)]
struct Printed<'a> {
    pairing_window_lines: usize,
    disabled_rules: Vec<&'a str>,
    allowlist: &'a AllowlistSyntax,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    overrides: &'a [OverrideSyntax],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rules: Vec<&'a RuleSyntax>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<&'a server::ServerSyntax>,
}

impl EffectiveConfig {
    /// The settings as printed, `[server]` with them when `server`.
    fn printed(&self, server: bool) -> Printed<'_> {
        Printed {
            pairing_window_lines: self.aws.pairing_window_lines,
            disabled_rules: self
                .syntax
                .disabled_rules
                .iter()
                .map(|s| s.get_ref().as_str())
                .collect(),
            allowlist: &self.syntax.allowlist,
            overrides: &self.syntax.overrides,
            rules: self.syntax.rules.iter().map(|r| r.get_ref()).collect(),
            server: self.syntax.server.as_ref().filter(|_| server),
        }
    }

    /// What of the configuration changes what a scan detects, as text: the rules, their
    /// overrides, the allowlists and the validator settings, not `[server]` or `[verify]`
    /// (a datastore's ruleset digest hashes it).
    pub(crate) fn detection_text(&self) -> String {
        let printed = self.printed(false);
        let ids: Vec<&str> = self.rules.rules.iter().map(|r| r.id.as_str()).collect();
        format!(
            "{}\n{:?}\n{}",
            toml::to_string(&printed).unwrap_or_default(),
            self.aws,
            ids.join(",")
        )
    }

    /// The effective configuration as TOML that keyfence itself accepts: the file's settings
    /// with defaults filled in, then the rules in effect as comments.
    pub(crate) fn to_toml(&self) -> String {
        let printed = self.printed(true);
        let source = self.file.as_deref().map_or(
            "built-in defaults (no configuration file)".to_string(),
            |f| format!("from {f}"),
        );
        let body = toml::to_string(&printed)
            .unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"));
        let mut out = format!("# Effective keyfence configuration, {source}.\n\n{body}\n");
        out.push_str("# Rules in effect (id, severity, defined at):\n");
        for r in &self.rules.rules {
            out.push_str(&format!(
                "#   {:<34} {:<9} {}\n",
                r.id, r.severity, r.origin
            ));
        }
        out
    }
}
