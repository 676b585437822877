//! Structural validation of credentials: what makes a string an AWS key ID, secret or session
//! token, and how the parts of one credential find each other. A leaf: it imports nothing else
//! of keyfence.

mod aws;
mod bedrock;
mod block;
mod clock;
mod entropy;
mod key_id;
mod keyword;
mod placeholder;
mod presigned;
mod runs;
mod secret;
mod ses;
mod spans;
pub mod synthetic;
mod token;

pub use aws::AwsSettings;
pub(crate) use aws::{
    analyse, AwsAnchor, AwsHits, AwsKind, AwsMatch, Details, PAIRING_WINDOW_BYTES,
};
pub(crate) use clock::{civil_from_days, days_from_civil, format_rfc3339};
pub(crate) use entropy::shannon_entropy;
pub(crate) use key_id::{account_id, KeyKind, CREDENTIAL_PREFIXES, ENCODED_CREDENTIAL_PREFIXES};
pub(crate) use spans::merge as merge_spans;
pub(crate) use token::SESSION_TOKEN_MAX_LEN;
