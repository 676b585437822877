//! Structural validation of credentials: what makes a string an AWS key ID, secret or session
//! token, and how the parts of one credential find each other.

pub mod aws;
pub mod entropy;
pub mod key_id;
pub mod keyword;
pub mod placeholder;
pub mod runs;
pub mod secret;
pub mod token;
