//! `keyfence scan`: exit codes, report shapes, redaction, walk rules and unreadable input.

use crate::common::*;

#[test]
fn clean_tree_exits_zero() {
    let fx = Fixture::new();
    fx.write("src/main.rs", "fn main() { println!(\"hello\"); }\n");
    let out = fx.keyfence().args(["scan", "."]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
