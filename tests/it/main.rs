//! The one integration-test binary: every module runs the real `keyfence` binary on real files
//! and real git repositories built in temporary directories.

mod all_objects;
mod archive;
mod baseline;
mod ci;
mod common;
mod config;
mod config_errors;
mod datastore;
mod decode;
mod doctor;
mod formats;
mod gitrepo;
mod history;
mod hostile;
mod inline_allow;
mod install;
mod messages;
mod moto;
mod packaging;
mod partial;
mod pre_receive;
mod promisor;
mod remediation;
mod report_grouped;
mod report_html;
mod scan;
mod staged;
mod untrusted;
mod verify;
