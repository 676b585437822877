//! What a pre-receive hook learns from its environment besides the ref updates: who pushed (each
//! git server names the pusher in its own variable), the push options (`git push -o`), and
//! whether GitLab runs the hook (its web interface shows only lines prefixed `GL-HOOK-ERR:`).

/// The most push options read: git's own receive-pack caps them far lower in practice.
const MAX_PUSH_OPTIONS: usize = 1000;

/// The variables that name the pusher, most specific first: GitLab, Gitea and Forgejo, GitHub
/// Enterprise Server, a web server's authenticated user (`git http-backend`), the account.
const USER_VARS: [&str; 7] = [
    "GL_USERNAME",
    "GITEA_PUSHER_NAME",
    "FORGEJO_PUSHER_NAME",
    "GITHUB_USER_LOGIN",
    "REMOTE_USER",
    "USER",
    "LOGNAME",
];

/// The variables GitLab sets for its server hooks.
const GITLAB_VARS: [&str; 4] = ["GL_ID", "GL_USERNAME", "GL_PROTOCOL", "GL_REPOSITORY"];

/// The pre-receive hook's environment, read once.
#[derive(Debug, Clone, Default)]
pub(super) struct PushEnv {
    /// Who pushed, and the variable that said so.
    pub user: Option<(&'static str, String)>,
    /// The push options, in order.
    pub push_options: Vec<String>,
    /// Whether GitLab runs the hook.
    pub gitlab: bool,
}

impl PushEnv {
    /// Reads the environment through `get`.
    pub(super) fn read(get: &dyn Fn(&str) -> Option<String>) -> PushEnv {
        let set = |k: &str| get(k).filter(|v| !v.is_empty());
        let user = USER_VARS.iter().find_map(|&k| set(k).map(|v| (k, v)));
        let count = set("GIT_PUSH_OPTION_COUNT")
            .and_then(|c| c.trim().parse::<usize>().ok())
            .unwrap_or(0)
            .min(MAX_PUSH_OPTIONS);
        let push_options = (0..count)
            .filter_map(|i| get(&format!("GIT_PUSH_OPTION_{i}")))
            .collect();
        PushEnv {
            user,
            push_options,
            gitlab: GITLAB_VARS.iter().any(|k| set(k).is_some()),
        }
    }

    /// The pusher as logs show them: `name (VARIABLE)`, or `unknown`.
    pub(super) fn who(&self) -> String {
        match &self.user {
            Some((var, name)) => format!("{name} ({var})"),
            None => "unknown".to_string(),
        }
    }

    /// The push option that asks to skip the check, if given: `NAME` or `NAME=reason`; returns
    /// the reason (empty without one).
    pub(super) fn skip_requested(&self, name: &str) -> Option<&str> {
        self.push_options.iter().find_map(|o| {
            if o == name {
                Some("")
            } else {
                o.strip_prefix(name)?.strip_prefix('=')
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> PushEnv {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PushEnv::read(&|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn pusher_push_options_and_gitlab() {
        let e = env(&[
            ("USER", "git"),
            ("GL_USERNAME", "alice"),
            ("GIT_PUSH_OPTION_COUNT", "2"),
            ("GIT_PUSH_OPTION_0", "ci.skip"),
            ("GIT_PUSH_OPTION_1", "keyfence.skip=false positive"),
        ]);
        assert_eq!(e.who(), "alice (GL_USERNAME)");
        assert!(e.gitlab);
        assert_eq!(e.skip_requested("keyfence.skip"), Some("false positive"));
        assert_eq!(e.skip_requested("keyfence"), None);
        assert_eq!(e.skip_requested("ci.skip"), Some(""));

        let e = env(&[("GITEA_PUSHER_NAME", "bob"), ("GIT_PUSH_OPTION_COUNT", "x")]);
        assert_eq!(e.who(), "bob (GITEA_PUSHER_NAME)");
        assert!(!e.gitlab);
        assert!(e.push_options.is_empty());
        assert_eq!(env(&[]).who(), "unknown");
    }
}
