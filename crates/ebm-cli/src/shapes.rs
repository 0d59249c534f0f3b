//! `--data shapes:N` and `--data shapes-test:N`: the generated 8×8 shapes set
//! of [`ebm_data::shapes`], with its classes, needing no download.
//!
//! The training and test sets come from two fixed seeds, so `shapes:N` is
//! the same N images on every machine and `shapes-test:N` is a held-out set
//! drawn independently from the same distribution.

use anyhow::anyhow;
use ebm_data::Dataset;
use ebm_data::shapes::{NOISE, SIDE, sample};
use ebm_mcmc::rng::seeded;

/// The seed of `shapes:N`.
pub const TRAIN_SEED: u64 = 8_001;

/// The seed of `shapes-test:N`.
pub const TEST_SEED: u64 = 8_002;

/// `Some((N, test))` if `data` is `shapes:N` or `shapes-test:N` (an error if N
/// is not a number), `None` if it names another source.
pub fn parse(data: &str) -> Option<anyhow::Result<(usize, bool)>> {
    let (count, test) = match (data.strip_prefix("shapes-test:"), data.strip_prefix("shapes:")) {
        (Some(count), _) => (count, true),
        (None, Some(count)) => (count, false),
        (None, None) => return None,
    };
    Some(count.parse().map(|n| (n, test)).map_err(|_| anyhow!("`{data}`: shapes:N needs a number")))
}

/// The N images (0/1) and their classes of `shapes:N` or, with `test`, `shapes-test:N`.
pub fn load(count: usize, test: bool) -> anyhow::Result<(Dataset, Vec<usize>)> {
    let seed = if test { TEST_SEED } else { TRAIN_SEED };
    sample(count, SIDE, NOISE, &mut seeded(seed)).map_err(anyhow::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_the_two_sets_differ() {
        assert_eq!(parse("shapes:12").map(Result::ok), Some(Some((12, false))));
        assert_eq!(parse("shapes-test:3").map(Result::ok), Some(Some((3, true))));
        assert!(parse("shapes:x").unwrap().is_err());
        assert!(parse("bars:4").is_none());
        let (train, classes) = load(20, false).unwrap();
        assert_eq!((train.len(), train.features(), classes.len()), (20, 64, 20));
        assert_ne!(train, load(20, true).unwrap().0);
        assert_eq!(train, load(20, false).unwrap().0);
    }
}
