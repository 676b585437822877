use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn entry(mode: &str, name: &str, id: u8) -> Vec<u8> {
    let mut e = format!("{mode} {name}\0").into_bytes();
    e.extend_from_slice(&[id; 20]);
    e
}

fn tree(entries: &[Vec<u8>]) -> Arc<Vec<u8>> {
    Arc::new(entries.concat())
}

/// Every entry of `data` as `name` and id byte, and those of them a [`Dir`] read against
/// `old` gives out as changed; also the version that reading leaves.
fn read_against(old: &Arc<Vec<u8>>, data: &Arc<Vec<u8>>) -> (Vec<String>, Vec<String>, Version) {
    let label = |name: &[u8], id: &RawOid| format!("{}{}", String::from_utf8_lossy(name), id[0]);
    let all = TreeEntries(data).map(|(_, n, i)| label(n, i)).collect();
    let old = Arc::new(Version::read(Arc::clone(old)));
    let mut dir = Dir::new(Arc::clone(data), 0, Some(old), true);
    let mut changed = Vec::new();
    while let Some(c) = dir.next_changed() {
        changed.push(label(c.name(data), c.id(data)));
    }
    (all, changed, dir.finish())
}

/// Which entries of `new` the walk skips given `old` (name and id byte).
fn skipped(old: &Arc<Vec<u8>>, new: &Arc<Vec<u8>>) -> Vec<String> {
    let (all, changed, _) = read_against(old, new);
    all.into_iter().filter(|e| !changed.contains(e)).collect()
}

#[test]
fn git_orders_a_tree_as_its_name_and_a_slash() {
    use std::cmp::Ordering::*;
    assert_eq!(tree_order(b"foo", false, b"foo.c", false), Less);
    assert_eq!(tree_order(b"foo.c", false, b"foo", true), Less);
    assert_eq!(tree_order(b"foo", true, b"foo0", false), Less);
    assert_eq!(tree_order(b"foo", false, b"foo", true), Less);
    assert_eq!(tree_order(b"foo", true, b"foo", true), Equal);
    assert_eq!(tree_order(b"b", false, b"a", false), Greater);
}

/// Only entries the old version holds with the same mode, name and id are skipped, whether
/// entries were added, removed or changed around them.
#[test]
fn a_new_version_skips_only_the_entries_it_shares() {
    let old = tree(&[
        entry("100644", "a", 1),
        entry("100644", "b", 2),
        entry("40000", "d", 3),
        entry("100644", "e", 4),
        entry("100644", "g", 6),
    ]);
    let new = tree(&[
        entry("100644", "a", 1), // same
        entry("100755", "b", 2), // mode changed
        entry("100644", "c", 9), // added
        entry("40000", "d", 7),  // subtree changed
        entry("100644", "e", 4), // same, after an addition
        entry("100644", "f", 5), // added
        entry("100644", "g", 6), // same, last
    ]);
    assert_eq!(skipped(&old, &new), ["a1", "e4", "g6"]);
    // Nothing shared: nothing skipped.
    let other = tree(&[entry("100644", "a", 8), entry("100644", "z", 8)]);
    assert!(skipped(&old, &other).is_empty());
}

/// A hostile tree out of git's order only makes entries look changed: an entry is never
/// skipped unless the old version holds it.
#[test]
fn a_tree_out_of_order_never_hides_an_entry() {
    let old = tree(&[entry("100644", "m", 1), entry("100644", "a", 2)]);
    let new = tree(&[
        entry("100644", "z", 3),
        entry("100644", "a", 2),
        entry("100644", "m", 1),
        entry("100644", "a", 4),
    ]);
    for name in skipped(&old, &new) {
        assert!(["a2", "m1"].contains(&name.as_str()), "{name}");
    }
    let hidden = tree(&[entry("100644", "a", 4)]);
    assert!(skipped(&old, &hidden).is_empty());
}

/// A malformed entry ends both versions where it starts: what follows it is never read, as
/// when a tree is read on its own, however much of it the versions share.
#[test]
fn a_shared_malformed_entry_ends_the_reading() {
    let bad = b"10x644 bad\0"
        .iter()
        .copied()
        .chain([7u8; 20])
        .collect::<Vec<u8>>();
    let old = tree(&[
        entry("100644", "a", 1),
        bad.clone(),
        entry("100644", "z", 2),
    ]);
    let new = tree(&[entry("100644", "a", 3), bad, entry("100644", "z", 4)]);
    let (all, changed, version) = read_against(&old, &new);
    assert_eq!(all, ["a3"]);
    assert_eq!(changed, ["a3"]);
    assert_eq!(version.starts, [0, 29]);
}

/// A version's offsets are where [`TreeEntries`] finds its entries, whatever was skipped.
fn offsets(data: &[u8]) -> Vec<u32> {
    let mut entries = TreeEntries(data);
    let mut out = vec![0];
    while entries.next().is_some() {
        out.push((data.len() - entries.0.len()) as u32);
    }
    out
}

/// Trees in git's order of up to `n` entries drawn from a few names, modes and ids (long and
/// short names, so that shared stretches end inside names, ids and modes alike).
fn sorted_tree(n: usize) -> impl Strategy<Value = Arc<Vec<u8>>> {
    let names = [
        "a",
        "b",
        "config.mak",
        "d",
        "Documentation",
        "zz",
        "t1234-long-test-name.sh",
    ];
    let one = (0..names.len(), prop::bool::ANY, 0u8..3);
    prop::collection::vec(one, 0..n).prop_map(move |picks| {
        let mut seen = BTreeSet::new();
        let mut entries: Vec<(&str, bool, u8)> = picks
            .into_iter()
            .filter(|&(i, _, _)| seen.insert(i))
            .map(|(i, dir, id)| (names[i], dir, id))
            .collect();
        entries.sort_by(|a, b| tree_order(a.0.as_bytes(), a.1, b.0.as_bytes(), b.1));
        let mode = |dir: bool| if dir { "40000" } else { "100644" };
        tree(
            &entries
                .iter()
                .map(|&(name, dir, id)| entry(mode(dir), name, id))
                .collect::<Vec<_>>(),
        )
    })
}

proptest! {
    /// Against any old version, exactly the entries it does not hold come out, and the new
    /// version's offsets are those of reading it on its own.
    #[test]
    fn only_entries_the_old_version_lacks_come_out(old in sorted_tree(8), new in sorted_tree(8)) {
        let held: BTreeSet<(i32, Vec<u8>, RawOid)> =
            TreeEntries(&old).map(|(m, n, i)| (m, n.to_vec(), *i)).collect();
        let old_version = Arc::new(Version::read(Arc::clone(&old)));
        let mut dir = Dir::new(Arc::clone(&new), 0, Some(old_version), true);
        let mut changed = Vec::new();
        while let Some(c) = dir.next_changed() {
            changed.push((c.mode, c.name(&new).to_vec(), *c.id(&new)));
        }
        let expected: Vec<_> = TreeEntries(&new)
            .map(|(m, n, i)| (m, n.to_vec(), *i))
            .filter(|e| !held.contains(e))
            .collect();
        prop_assert_eq!(changed, expected);
        prop_assert_eq!(dir.finish().starts, offsets(&new));
    }
}

#[test]
fn common_prefix_finds_the_first_difference() {
    let a: Vec<u8> = (0..200u8).collect();
    for at in [0, 1, 7, 8, 31, 32, 33, 64, 100, 199] {
        let mut b = a.clone();
        b[at] ^= 0x80;
        assert_eq!(common_prefix(&a, &b), at);
        assert_eq!(common_prefix(&a[..at], &b), at);
    }
    assert_eq!(common_prefix(&a, &a), 200);
    assert_eq!(common_prefix(&a[..50], &a), 50);
    assert_eq!(common_prefix(b"", &a), 0);
}
