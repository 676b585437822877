//! URLs in what keyfence shows and stores: never with the user name and password a URL may
//! carry.

/// A URL without its user name and password.
pub(super) fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// `scheme://user:secret@host` as `scheme://***@host`: git's words may quote a URL.
pub(super) fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace())
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(a) => {
                out.push_str("***");
                rest = &tail[a..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_passwords_are_not_shown() {
        assert_eq!(
            without_userinfo("http://u:p@proxy:3128"),
            "http://proxy:3128"
        );
        assert_eq!(without_userinfo("proxy:3128"), "proxy:3128");
    }

    #[test]
    fn userinfo_is_hidden() {
        assert_eq!(
            mask_userinfo("fatal: https://u:tok@host/r.git failed; see file:///tmp/x"),
            "fatal: https://***@host/r.git failed; see file:///tmp/x"
        );
    }
}
