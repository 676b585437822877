//! The order of the fast pass's literals. aho-corasick's SIMD searcher (Teddy) sorts literals
//! into buckets (8 in its slim mode, 16 in its fat mode) by their index, `index % buckets`, and
//! stops to check a bucket's literals wherever the next few bytes' nibbles fit that bucket:
//! each byte's low nibble one of the bucket's low nibbles at that place, and its high nibble one
//! of its high nibbles. A bucket of literals alike (`FLSU`, `FCSU`, `FTSU`) fits little text; a
//! bucket mixing `oken` with `QUtJQ` fits much more than either. So the literals are ordered so
//! that alike ones share a bucket: the order that makes the expected number of stops smallest,
//! by the byte frequencies of source code (`byte_frequencies`). On the benchmark inputs this
//! took the pass with the default rules' 32 literals from 1.7x to 1.1x the time of the earlier
//! 24 literals in their plain order.
//!
//! Which index goes to which bucket is how aho-corasick 1.1 works, not its API: were it to
//! change, the order would only cost speed, never a match.

use super::byte_frequencies::BYTE_FREQUENCIES;
use super::fast_pass::SLIM_LIMIT;

/// The most bytes of each literal the searcher fingerprints.
const MASK_MAX: usize = 4;

/// How many improvement passes are made at most (each tries every swap of two literals).
const PASSES: usize = 4;

/// Orders `literals` for the searcher (see the module's documentation).
pub(crate) fn arrange(literals: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let n = literals.len();
    // Slim Teddy up to `SLIM_LIMIT` literals (`fast_pass`), fat past it.
    let buckets = if n > SLIM_LIMIT { 16 } else { 8 };
    if n <= buckets {
        return literals;
    }
    let mask = literals
        .iter()
        .map(Vec::len)
        .min()
        .unwrap_or(0)
        .min(MASK_MAX);
    let table = NibbleTable::new();
    let heads: Vec<&[u8]> = literals.iter().map(|l| &l[..mask]).collect();
    // Literal i of the result goes to bucket i % buckets: bucket b holds this many.
    let capacity = |b: usize| n / buckets + usize::from(b < n % buckets);

    let mut best: Option<(f64, Vec<Vec<usize>>)> = None;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| literals[a].cmp(&literals[b]));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..STARTS {
        let mut placed = greedy(&order, buckets, &capacity, &heads, &table);
        improve(&mut placed, &heads, &table);
        let total: f64 = placed.iter().map(|m| table.cost(m, &heads)).sum();
        if best.as_ref().is_none_or(|(c, _)| total < *c) {
            best = Some((total, placed));
        }
        // The next start: the same literals in another order (a fixed shuffle).
        for i in (1..n).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
    }
    let (_, placed) = best.expect("at least one start");

    let mut slots: Vec<Option<Vec<u8>>> = literals.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(n);
    for row in 0..n.div_ceil(buckets) {
        for members in &placed {
            if let Some(&i) = members.get(row) {
                out.push(slots[i].take().expect("each literal is placed once"));
            }
        }
    }
    out
}

/// How many orders the greedy placement starts from.
const STARTS: usize = 2;

/// Each literal in `order` into the open bucket where it adds the least.
fn greedy(
    order: &[usize],
    buckets: usize,
    capacity: &dyn Fn(usize) -> usize,
    heads: &[&[u8]],
    table: &NibbleTable,
) -> Vec<Vec<usize>> {
    let mut placed: Vec<Vec<usize>> = vec![Vec::new(); buckets];
    for &i in order {
        let mut best: Option<(f64, usize)> = None;
        for (b, members) in placed.iter_mut().enumerate() {
            if members.len() == capacity(b) {
                continue;
            }
            let without = table.cost(members, heads);
            members.push(i);
            let added = table.cost(members, heads) - without;
            members.pop();
            if best.is_none_or(|(c, _)| added < c) {
                best = Some((added, b));
            }
        }
        let (_, b) = best.expect("the buckets hold every literal");
        placed[b].push(i);
    }
    placed
}

/// Swaps two literals of different buckets while one lowers the cost (at most [`PASSES`]
/// rounds of every swap).
fn improve(placed: &mut [Vec<usize>], heads: &[&[u8]], table: &NibbleTable) {
    let mut costs: Vec<f64> = placed.iter().map(|m| table.cost(m, heads)).collect();
    for _ in 0..PASSES {
        let mut improved = false;
        for a in 0..placed.len() {
            for b in a + 1..placed.len() {
                for x in 0..placed[a].len() {
                    for y in 0..placed[b].len() {
                        let (ia, ib) = (placed[a][x], placed[b][y]);
                        placed[a][x] = ib;
                        placed[b][y] = ia;
                        let (ca, cb) =
                            (table.cost(&placed[a], heads), table.cost(&placed[b], heads));
                        if ca + cb < (costs[a] + costs[b]) * (1.0 - 1e-9) {
                            (costs[a], costs[b]) = (ca, cb);
                            improved = true;
                        } else {
                            placed[a][x] = ia;
                            placed[b][y] = ib;
                        }
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Byte frequencies by high nibble and a set of low nibbles (split in two halves of 8, so that
/// a bucket's share is a few lookups).
struct NibbleTable {
    low: Vec<[u64; 256]>,
    high: Vec<[u64; 256]>,
}

impl NibbleTable {
    fn new() -> NibbleTable {
        let mut low = vec![[0u64; 256]; 16];
        let mut high = vec![[0u64; 256]; 16];
        for h in 0..16 {
            for set in 0..256usize {
                for l in bits(set as u16) {
                    low[h][set] += u64::from(BYTE_FREQUENCIES[h << 4 | l]);
                    high[h][set] += u64::from(BYTE_FREQUENCIES[h << 4 | (l + 8)]);
                }
            }
        }
        NibbleTable { low, high }
    }

    /// The share of positions of source text where the searcher stops for a bucket of these
    /// literals (by their heads, all of one length).
    fn cost(&self, members: &[usize], heads: &[&[u8]]) -> f64 {
        let Some(&first) = members.first() else {
            return 0.0;
        };
        (0..heads[first].len())
            .map(|j| {
                let (mut lo, mut hi) = (0u16, 0u16);
                for &m in members {
                    lo |= 1 << (heads[m][j] & 15);
                    hi |= 1 << (heads[m][j] >> 4);
                }
                let (lo_low, lo_high) = (usize::from(lo & 0xff), usize::from(lo >> 8));
                let fits: u64 = bits(hi)
                    .map(|h| self.low[h][lo_low] + self.high[h][lo_high])
                    .sum();
                fits as f64 / f64::from(u32::MAX)
            })
            .product()
    }
}

/// The set bits of a nibble mask.
fn bits(mask: u16) -> impl Iterator<Item = usize> {
    let mut rest = mask;
    std::iter::from_fn(move || {
        (rest != 0).then(|| {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            i
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn the_order_keeps_every_literal() {
        let input = bytes(&[
            "oken", "ecret", "AKIA", "ASIA", "FLSU", "FCSU", "FTSU", "4941", "amzn", "QUtJQ",
            "ABIA", "_TOKEN",
        ]);
        let mut got = arrange(input.clone());
        let mut want = input;
        got.sort();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn alike_literals_share_a_bucket() {
        // 16 literals in 8 buckets: the three base64 heads ending `SU` and the three lowercase
        // words cannot all be alone; alike ones end up together.
        let input = bytes(&[
            "oken", "ecret", "amzn", "AKIA", "ASIA", "ABIA", "FLSU", "FCSU", "FTSU", "4941",
            "QUtJ", "QVNJ", "_TOK", "BS0l", "BU0l", "ImF1",
        ]);
        let out = arrange(input);
        let bucket_of = |s: &str| out.iter().position(|l| l == s.as_bytes()).unwrap() % 8;
        assert_eq!(bucket_of("BS0l"), bucket_of("BU0l"));
        let table = NibbleTable::new();
        let total = |order: &[Vec<u8>]| -> f64 {
            let heads: Vec<&[u8]> = order.iter().map(|l| &l[..4]).collect();
            (0..8)
                .map(|b| table.cost(&(b..16).step_by(8).collect::<Vec<_>>(), &heads))
                .sum()
        };
        let given = bytes(&[
            "oken", "ecret", "amzn", "AKIA", "ASIA", "ABIA", "FLSU", "FCSU", "FTSU", "4941",
            "QUtJ", "QVNJ", "_TOK", "BS0l", "BU0l", "ImF1",
        ]);
        assert!(
            total(&out) < total(&given) / 2.0,
            "{} vs {}",
            total(&out),
            total(&given)
        );
    }

    #[test]
    fn few_literals_keep_their_order() {
        let input = bytes(&["oken", "AKIA", "4941"]);
        assert_eq!(arrange(input.clone()), input);
    }
}
