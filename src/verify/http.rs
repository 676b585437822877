//! The HTTP side of verification: a [`Transport`] posts a signed request and returns STS's
//! answer. [`HttpClient`] is the real one (ureq over rustls, with the CA bundle, proxy and
//! timeout of the run); tests of the orchestration use their own.

use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};

use super::endpoint::NetworkSettings;
use super::sts::SignedRequest;
use super::VerifyError;

/// The most of an answer that is read.
const MAX_BODY: u64 = 64 * 1024;

/// An HTTP answer: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The body (at most 64 KiB of it).
    pub body: String,
}

/// Something that posts a signed request to STS.
pub(crate) trait Transport: Sync {
    /// Posts `req`; an `Err` is why no answer came (connection, timeout, TLS), in words.
    fn post(&self, req: &SignedRequest) -> Result<HttpReply, String>;
}

/// The real transport.
pub(crate) struct HttpClient {
    agent: ureq::Agent,
    url: String,
}

impl HttpClient {
    /// A client for `settings`, each request bounded by `timeout` from connect to last byte.
    pub(crate) fn new(
        settings: &NetworkSettings,
        timeout: Duration,
    ) -> Result<HttpClient, VerifyError> {
        let mut tls = TlsConfig::builder();
        if let Some(path) = &settings.ca_bundle {
            let ca_error = |why: String| VerifyError::CaBundle {
                path: path.display().to_string(),
                why,
            };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let mut certs = Vec::new();
            for item in parse_pem(&pem) {
                match item {
                    Ok(PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => return Err(ca_error(e.to_string())),
                }
            }
            if certs.is_empty() {
                return Err(ca_error("no PEM certificate in it".to_string()));
            }
            tls = tls.root_certs(RootCerts::Specific(Arc::new(certs)));
        }
        let proxy = match &settings.proxy {
            Some(url) => Some(ureq::Proxy::new(url).map_err(|e| VerifyError::BadProxy {
                url: url.clone(),
                why: e.to_string(),
            })?),
            None => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("keyfence/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .proxy(proxy)
            .build()
            .into();
        Ok(HttpClient {
            agent,
            url: settings.endpoint.url.clone(),
        })
    }
}

impl Transport for HttpClient {
    fn post(&self, req: &SignedRequest) -> Result<HttpReply, String> {
        let mut request = self.agent.post(&self.url);
        for (name, value) in &req.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = request.send(req.body).map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| format!("reading the answer: {}", describe(&e)))?;
        Ok(HttpReply { status, body })
    }
}

/// A transport error in words (never a header: the request's secrets stay out).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "no answer within the timeout".to_string(),
        ureq::Error::Io(io) => format!("network error: {io}"),
        ureq::Error::ConnectionFailed => "could not connect".to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    }
}
