//! `--shard K/N`: a deterministic partition of cases. (Being built: issue 6.)

use crate::plan::PlannedCase;

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

    pub fn select(&self, cases: Vec<PlannedCase>) -> Vec<PlannedCase> {
        cases
    }
}
