//! Detection: the engine turns one blob's bytes into detections. One Aho-Corasick pass over
//! every byte (`prefilter`), then the AWS validator and the regex rules only in windows around
//! the hits; lines and columns only for blobs that hold something (`lines`).
//! Nothing here suppresses, reads files or knows where a blob came from.

mod buckets;
mod byte_frequencies;
mod encodings;
mod engine;
mod fast_pass;
mod lines;
mod prefilter;
mod stems;
pub(crate) mod work;

pub(crate) use encodings::{EncodedHit, Form};
pub use engine::ScanEngine;
pub(crate) use engine::{Detection, Detections, CONTEXT_BYTES, MAX_MATCHES_PER_WINDOW};
