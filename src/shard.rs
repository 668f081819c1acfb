//! `--shard K/N`: a deterministic partition of cases by their ids.
//!
//! Rendezvous (highest-random-weight) hashing: each case goes to the shard
//! whose SHA-256 of (case id, shard number) is highest. The choice depends
//! on the case id and N only, so adding or removing a case moves no other,
//! and going from N to N+1 shards moves only the cases the new shard wins
//! (about 1/(N+1) of them). SHA-256, never `DefaultHasher`, whose output may
//! change between Rust releases and would split one run's shards
//! differently on machines with different toolchains.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("--shard `{0}`: expected K/N with 1 <= K <= N, e.g. 2/4")]
pub struct ShardError(pub String);

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The items of this shard, in their order; `id` names each one.
    pub fn select<T>(&self, items: Vec<T>, id: impl Fn(&T) -> &str) -> Vec<T> {
        items.into_iter().filter(|c| self.contains(id(c))).collect()
    }

    /// Does case `id` belong to this shard?
    pub fn contains(&self, id: &str) -> bool {
        owner(id, self.count) == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard (1-based, of `count`) that case `id` belongs to.
pub fn owner(id: &str, count: u32) -> u32 {
    (1..=count.max(1))
        .max_by_key(|k| (weight(id, *k), std::cmp::Reverse(*k)))
        .unwrap_or(1)
}

/// The case's weight for shard `k`: the first 8 bytes of
/// SHA-256("edgeparity-shard\0" id "\0" k).
fn weight(id: &str, k: u32) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"edgeparity-shard\0");
    h.update(id.as_bytes());
    h.update(b"\0");
    h.update(k.to_be_bytes());
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("suite{}::case-{i}", i % 7))
            .collect()
    }

    #[test]
    fn partition_is_complete_disjoint_and_balanced() {
        let ids = ids(2000);
        let mut sizes = [0usize; 4];
        for id in &ids {
            let owners: Vec<u32> = (1..=4)
                .filter(|k| {
                    Shard {
                        index: *k,
                        count: 4,
                    }
                    .contains(id)
                })
                .collect();
            assert_eq!(owners.len(), 1, "{id}: {owners:?}");
            sizes[owners[0] as usize - 1] += 1;
        }
        for s in sizes {
            assert!((400..=600).contains(&s), "{sizes:?}");
        }
    }

    #[test]
    fn stable_values_and_few_moves_when_n_changes() {
        // Fixed values: a change here splits running CI matrices differently.
        assert_eq!(owner("checkout::cart", 4), owner("checkout::cart", 4));
        let pinned: Vec<u32> = ["a::1", "a::2", "b::1", "b::2", "c::x"]
            .iter()
            .map(|id| owner(id, 4))
            .collect();
        assert_eq!(pinned, PINNED);
        assert_eq!(owner("anything", 1), 1);
        let ids = ids(2000);
        let moved = ids.iter().filter(|id| owner(id, 4) != owner(id, 5)).count();
        // Only cases won by the new shard move: about 1/5.
        assert!((300..=500).contains(&moved), "{moved}");
        for id in &ids {
            let (a, b) = (owner(id, 4), owner(id, 5));
            assert!(a == b || b == 5, "{id} moved {a} -> {b}");
        }
    }

    const PINNED: [u32; 5] = [3, 3, 2, 4, 1];
}
