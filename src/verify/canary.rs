//! Canary-token accounts: keys made to be found, whose use raises an alert. The built-in list is
//! data (`rules/canary_accounts.toml`, compiled in); `[verify] skip_accounts` adds to it.

use std::collections::HashMap;

use serde::Deserialize;

/// The built-in list.
const BUILTIN: &str = include_str!("../../rules/canary_accounts.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    accounts: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    service: String,
    ids: Vec<String>,
}

/// Accounts whose keys are never sent to AWS unless asked, with what they are.
#[derive(Debug, Clone, Default)]
pub(crate) struct CanaryAccounts {
    by_id: HashMap<String, String>,
}

impl CanaryAccounts {
    /// The built-in list plus `extra` accounts (from `skip_accounts`), each a 12-digit id.
    pub(crate) fn builtin_and(extra: &[String]) -> CanaryAccounts {
        let mut by_id = HashMap::new();
        // The built-in file is checked by the tests below: it always parses.
        if let Ok(file) = toml::from_str::<File>(BUILTIN) {
            for g in file.accounts {
                for id in g.ids {
                    by_id.insert(id, g.service.clone());
                }
            }
        }
        for id in extra {
            by_id
                .entry(id.clone())
                .or_insert_with(|| "listed in skip_accounts".to_string());
        }
        CanaryAccounts { by_id }
    }

    /// What the account is, when it is a canary account.
    pub(crate) fn get(&self, account: &str) -> Option<&str> {
        self.by_id.get(account).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_list_parses_and_holds_account_ids() {
        let file: File = toml::from_str(BUILTIN).expect("rules/canary_accounts.toml parses");
        let ids: Vec<&String> = file.accounts.iter().flat_map(|g| &g.ids).collect();
        assert!(ids.len() >= 20);
        for id in &ids {
            assert!(
                id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
        }
        let c = CanaryAccounts::builtin_and(&[]);
        assert_eq!(c.get("052310077262"), Some("Thinkst Canarytokens"));
        assert_eq!(c.get("123456789012"), None);
    }

    #[test]
    fn skip_accounts_add_to_the_list() {
        let c = CanaryAccounts::builtin_and(&["123456789012".to_string()]);
        assert_eq!(c.get("123456789012"), Some("listed in skip_accounts"));
        assert_eq!(c.get("052310077262"), Some("Thinkst Canarytokens"));
    }
}
