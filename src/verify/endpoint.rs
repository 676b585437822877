//! Where verification requests go: STS's global endpoint unless `--verify-endpoint` or the AWS
//! SDKs' standard variables (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`) say otherwise; the CA
//! bundle (`AWS_CA_BUNDLE`) and the proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) to reach it.
//! The environment is read through a lookup function, so this is tested without touching it.

use std::path::PathBuf;

use super::VerifyError;

/// STS's global endpoint.
pub(crate) const GLOBAL_ENDPOINT: &str = "https://sts.amazonaws.com";

/// The region requests are signed for when the endpoint names none.
const DEFAULT_REGION: &str = "us-east-1";

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The URL requests are posted to.
    pub url: String,
    /// The `Host` header: the authority as written (host and port).
    pub host: String,
    /// The host name alone, for `NO_PROXY`.
    pub hostname: String,
    /// The path (`/`).
    pub path: String,
    /// `https` (else `http`).
    pub https: bool,
    /// The region the signature is scoped to.
    pub region: String,
}

impl Endpoint {
    /// Parses an `http://` or `https://` URL without query or credentials. The signing region
    /// is `region` if given, else the one a regional STS host names (`sts.REGION.amazonaws.com`),
    /// else `us-east-1`.
    pub(crate) fn parse(url: &str, region: Option<&str>) -> Result<Endpoint, VerifyError> {
        let bad = |why: &str| VerifyError::BadEndpoint {
            url: url.to_string(),
            why: why.to_string(),
        };
        let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("it must start with https:// or http://"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(bad("it names no host"));
        }
        if authority.contains('@') {
            return Err(bad("credentials in the URL are not supported"));
        }
        if path.contains(['?', '#']) {
            return Err(bad("a query or fragment is not supported"));
        }
        if !authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
            || !path
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b))
        {
            return Err(bad("unexpected characters in the host or path"));
        }
        let hostname = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default().to_string(),
            None => authority.split(':').next().unwrap_or_default().to_string(),
        };
        let region = region
            .map(str::to_string)
            .or_else(|| regional_host(&hostname))
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        Ok(Endpoint {
            url: url.to_string(),
            host: authority.to_string(),
            hostname,
            path: path.to_string(),
            https,
            region,
        })
    }
}

/// The region of `sts.REGION.amazonaws.com` (and `.amazonaws.com.cn`).
fn regional_host(host: &str) -> Option<String> {
    let rest = host.to_ascii_lowercase();
    let rest = rest.strip_prefix("sts.")?;
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))?;
    (!region.is_empty() && !region.contains('.')).then(|| region.to_string())
}

/// The network settings of a verification run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetworkSettings {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Which setting chose the endpoint (`default`, `--verify-endpoint`, `AWS_ENDPOINT_URL_STS`,
    /// `AWS_ENDPOINT_URL`), for messages.
    pub endpoint_from: &'static str,
    /// Trust only the certificates of this PEM file (`AWS_CA_BUNDLE`).
    pub ca_bundle: Option<PathBuf>,
    /// The proxy URL, when one applies to the endpoint.
    pub proxy: Option<String>,
}

impl NetworkSettings {
    /// Resolves the settings from `--verify-endpoint` (`flag`) and the environment (`env`).
    pub(crate) fn resolve(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<NetworkSettings, VerifyError> {
        let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let ignore_env = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let (url, endpoint_from) = match flag {
            Some(url) => (url.to_string(), "--verify-endpoint"),
            None if ignore_env => (GLOBAL_ENDPOINT.to_string(), "default"),
            None => match (var("AWS_ENDPOINT_URL_STS"), var("AWS_ENDPOINT_URL")) {
                (Some(url), _) => (url, "AWS_ENDPOINT_URL_STS"),
                (None, Some(url)) => (url, "AWS_ENDPOINT_URL"),
                (None, None) => (GLOBAL_ENDPOINT.to_string(), "default"),
            },
        };
        let region = if endpoint_from == "default" {
            None
        } else {
            var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"))
        };
        let endpoint = Endpoint::parse(url.trim(), region.as_deref())?;
        let proxy = proxy_for(&endpoint, &var);
        Ok(NetworkSettings {
            endpoint,
            endpoint_from,
            ca_bundle: var("AWS_CA_BUNDLE").map(PathBuf::from),
            proxy,
        })
    }
}

/// The proxy for `endpoint`: `HTTPS_PROXY` (or `https_proxy`) for https, `HTTP_PROXY` (or
/// `http_proxy`) for http, none when `NO_PROXY` (or `no_proxy`) lists the host.
fn proxy_for(endpoint: &Endpoint, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let proxy = if endpoint.https {
        var("HTTPS_PROXY").or_else(|| var("https_proxy"))
    } else {
        var("HTTP_PROXY").or_else(|| var("http_proxy"))
    }?;
    let no_proxy = var("NO_PROXY")
        .or_else(|| var("no_proxy"))
        .unwrap_or_default();
    let host = endpoint.hostname.to_ascii_lowercase();
    let bypass = no_proxy.split(',').map(str::trim).any(|entry| {
        let entry = entry.to_ascii_lowercase();
        let suffix = entry.trim_start_matches('*').trim_start_matches('.');
        entry == "*"
            || (!suffix.is_empty() && (host == suffix || host.ends_with(&format!(".{suffix}"))))
    });
    (!bypass).then_some(proxy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(flag: Option<&str>, vars: &[(&str, &str)]) -> NetworkSettings {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        NetworkSettings::resolve(flag, &|k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn the_global_endpoint_by_default() {
        let s = settings(None, &[]);
        assert_eq!(s.endpoint.url, GLOBAL_ENDPOINT);
        assert_eq!(s.endpoint.host, "sts.amazonaws.com");
        assert_eq!(s.endpoint.path, "/");
        assert_eq!(s.endpoint.region, "us-east-1");
        assert_eq!(s.endpoint_from, "default");
        assert_eq!(s.proxy, None);
    }

    #[test]
    fn flag_then_sts_variable_then_general_variable() {
        let vars = [
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:2"),
        ];
        assert_eq!(settings(Some("http://h:3"), &vars).endpoint.host, "h:3");
        assert_eq!(settings(None, &vars).endpoint.host, "127.0.0.1:1");
        assert_eq!(settings(None, &vars[1..]).endpoint.host, "127.0.0.1:2");
        let ignored = [vars[0], ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")];
        assert_eq!(settings(None, &ignored).endpoint.url, GLOBAL_ENDPOINT);
    }

    #[test]
    fn regions_from_regional_hosts_or_the_environment() {
        let s = settings(Some("https://sts.eu-west-1.amazonaws.com"), &[]);
        assert_eq!(s.endpoint.region, "eu-west-1");
        let s = settings(
            Some("http://localhost:5000"),
            &[("AWS_REGION", "ap-south-1")],
        );
        assert_eq!(s.endpoint.region, "ap-south-1");
        // The default endpoint is always signed for us-east-1.
        assert_eq!(
            settings(None, &[("AWS_REGION", "ap-south-1")])
                .endpoint
                .region,
            "us-east-1"
        );
    }

    #[test]
    fn proxies_by_scheme_unless_no_proxy_lists_the_host() {
        let vars = [("HTTPS_PROXY", "http://proxy:3128")];
        assert_eq!(
            settings(None, &vars).proxy.as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(settings(Some("http://127.0.0.1:9"), &vars).proxy, None);
        let bypass = [vars[0], ("NO_PROXY", "localhost, .amazonaws.com")];
        assert_eq!(settings(None, &bypass).proxy, None);
        let other = [vars[0], ("no_proxy", "example.com")];
        assert!(settings(None, &other).proxy.is_some());
    }

    #[test]
    fn bad_urls_are_refused_with_the_reason() {
        for url in [
            "sts.amazonaws.com",
            "ftp://x",
            "https://",
            "https://u:p@h/",
            "https://h/?a=b",
            "https://h /",
        ] {
            let e = Endpoint::parse(url, None).unwrap_err().to_string();
            assert!(e.contains(url), "{e}");
        }
        let v6 = Endpoint::parse("http://[::1]:5000/", None).unwrap();
        assert_eq!(
            (v6.hostname.as_str(), v6.host.as_str()),
            ("::1", "[::1]:5000")
        );
    }
}
