//! Replica exchange: swapping states between neighbouring temperatures, for
//! any kind of state, given only the states' energies.
//!
//! Rung k of a ladder samples π_k(s) ∝ exp(−β_k E(s)). Exchanging the state
//! x at rung a with the state y at rung b is a Metropolis move on the product
//! distribution Π_k π_k with a symmetric proposal; its ratio is
//!
//! π_a(y) π_b(x) / (π_a(x) π_b(y)) = exp((β_a − β_b)(E(x) − E(y))),
//!
//! so the exchange is accepted with probability
//! min(1, exp((β_a − β_b)(E(x) − E(y)))) ([`swap_log_ratio`], decided by
//! [`crate::metropolis`]). It leaves every rung's Boltzmann distribution
//! invariant while hot replicas carry cold ones across energy barriers.
//!
//! [`exchange_neighbours`] attempts the exchanges of one round over a ladder
//! and reports which pairs swapped, so the caller moves its own states —
//! whole chains, rows of a batch, anything. [`attempt`] is the single-pair
//! step for callers that keep many ladders side by side.

use crate::metropolis;
use ebm_core::{Error, Result};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Attempted and accepted exchanges between one pair of neighbouring rungs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapStats {
    /// Exchanges proposed.
    pub attempted: u64,
    /// Exchanges accepted.
    pub accepted: u64,
}

impl SwapStats {
    /// accepted / attempted (0 before any attempt).
    pub fn rate(&self) -> f64 {
        if self.attempted == 0 { 0.0 } else { self.accepted as f64 / self.attempted as f64 }
    }
}

/// Which neighbouring pairs (k, k + 1) a round of exchanges attempts, in
/// increasing k.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pairs {
    /// (0, 1), (2, 3), …: disjoint pairs.
    Even,
    /// (1, 2), (3, 4), …: disjoint pairs.
    Odd,
    /// (0, 1), (1, 2), …: every pair in turn, each using the energies left by
    /// the exchanges before it (a state can climb several rungs in a round).
    All,
}

impl Pairs {
    /// [`Pairs::Even`] on even rounds and [`Pairs::Odd`] on odd ones: the
    /// deterministic alternation that lets each pair be tried every second
    /// round with no two attempts of a round sharing a rung.
    pub fn alternating(round: u64) -> Self {
        if round.is_multiple_of(2) { Pairs::Even } else { Pairs::Odd }
    }

    /// The first pair's lower rung and the step between pairs.
    fn start_and_step(self) -> (usize, usize) {
        match self {
            Pairs::Even => (0, 2),
            Pairs::Odd => (1, 2),
            Pairs::All => (0, 1),
        }
    }
}

/// log r = (β_a − β_b)(E_a − E_b): the log acceptance ratio of exchanging a
/// state of energy E_a at inverse temperature β_a with one of energy E_b at β_b.
#[inline]
pub fn swap_log_ratio(beta_a: f64, beta_b: f64, energy_a: f64, energy_b: f64) -> f64 {
    (beta_a - beta_b) * (energy_a - energy_b)
}

/// One exchange attempt between a state of energy E_a at β_a and one of
/// energy E_b at β_b, recorded in `stats`; returns whether to swap. A
/// uniform number is drawn only when the ratio is below 1.
#[inline]
pub fn attempt<R: Rng + ?Sized>(
    (beta_a, beta_b): (f64, f64),
    (energy_a, energy_b): (f64, f64),
    stats: &mut SwapStats,
    rng: &mut R,
) -> bool {
    stats.attempted += 1;
    let accepted = metropolis::accept_uphill(swap_log_ratio(beta_a, beta_b, energy_a, energy_b), rng);
    stats.accepted += u64::from(accepted);
    accepted
}

/// One round of exchanges on a ladder: for each pair (k, k + 1) of `pairs`
/// in increasing k, [`attempt`] with β_k, β_{k+1} and the current
/// energies, recorded in `stats[k]`. An accepted exchange swaps
/// `energies[k]` and `energies[k + 1]`, so later pairs see the states where
/// they now are. Returns the lower rungs k of the accepted exchanges in the
/// order they were made; applying the swaps (k, k + 1) to the states in that
/// order moves them as the energies were moved.
///
/// `betas`, `energies` (one per rung) and `stats` (one per pair) must agree
/// in length; a ladder of one rung has no pairs and exchanges nothing.
pub fn exchange_neighbours<R: Rng + ?Sized>(
    betas: &[f64],
    energies: &mut [f64],
    pairs: Pairs,
    stats: &mut [SwapStats],
    rng: &mut R,
) -> Result<Vec<usize>> {
    let rungs = betas.len();
    if energies.len() != rungs {
        return Err(Error::ShapeMismatch {
            what: "replica energies (one per rung)".into(),
            expected: rungs,
            found: energies.len(),
        });
    }
    if stats.len() != rungs.saturating_sub(1) {
        return Err(Error::ShapeMismatch {
            what: "swap statistics (one per neighbouring pair)".into(),
            expected: rungs.saturating_sub(1),
            found: stats.len(),
        });
    }
    let (start, step) = pairs.start_and_step();
    let mut swapped = Vec::new();
    for k in (start..rungs.saturating_sub(1)).step_by(step) {
        if attempt((betas[k], betas[k + 1]), (energies[k], energies[k + 1]), &mut stats[k], rng) {
            energies.swap(k, k + 1);
            swapped.push(k);
        }
    }
    Ok(swapped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, stream};
    use rand::RngExt;

    /// A three-level system, E ∈ {0, 1, 2.5}, at two inverse temperatures.
    const LEVELS: [f64; 3] = [0.0, 1.0, 2.5];
    const BETAS: [f64; 2] = [1.4, 0.3];

    /// The product distribution π(x, y) = π_cold(x) π_hot(y), index 3x + y.
    fn product() -> Vec<f64> {
        let marginal = |beta: f64| {
            let w: Vec<f64> = LEVELS.iter().map(|e| (-beta * e).exp()).collect();
            let z: f64 = w.iter().sum();
            w.into_iter().map(|w| w / z).collect::<Vec<_>>()
        };
        let (cold, hot) = (marginal(BETAS[0]), marginal(BETAS[1]));
        (0..9).map(|k| cold[k / 3] * hot[k % 3]).collect()
    }

    /// π(x, y) K((x, y) → (y, x)) = π(y, x) K((y, x) → (x, y)), with K the
    /// swap frequency measured through [`exchange_neighbours`], and the
    /// frequency itself against min(1, exp((β₀ − β₁)(E_x − E_y))).
    #[test]
    fn exchanges_keep_detailed_balance_on_a_two_temperature_toy() {
        let pi = product();
        let trials = 40_000;
        let mut rng = seeded(17);
        let rate: Vec<f64> = (0..9)
            .map(|k| {
                let mut stats = [SwapStats::default()];
                for _ in 0..trials {
                    let mut energies = [LEVELS[k / 3], LEVELS[k % 3]];
                    exchange_neighbours(&BETAS, &mut energies, Pairs::Even, &mut stats, &mut rng).unwrap();
                }
                assert_eq!(stats[0].attempted, trials);
                stats[0].rate()
            })
            .collect();
        for k in 0..9 {
            let (x, y) = (k / 3, k % 3);
            let expected = ((BETAS[0] - BETAS[1]) * (LEVELS[x] - LEVELS[y])).exp().min(1.0);
            let se = (expected * (1.0 - expected) / trials as f64).sqrt();
            assert!((rate[k] - expected).abs() <= 5.0 * se, "({x}, {y}): {} vs {expected}", rate[k]);
            let partner = 3 * y + x;
            let (forward, backward) = (pi[k] * rate[k], pi[partner] * rate[partner]);
            assert!((forward - backward).abs() < 5.0 * 0.0026 * (pi[k] + pi[partner]), "({x}, {y})");
        }
        // The swapped sign, exp((β₀ − β₁)(E_y − E_x)), breaks the balance: the test can tell.
        let wrong = |x: usize, y: usize| ((BETAS[0] - BETAS[1]) * (LEVELS[y] - LEVELS[x])).exp().min(1.0);
        assert!((pi[2] * wrong(0, 2) - pi[6] * wrong(2, 0)).abs() > 0.05 * (pi[2] + pi[6]));
    }

    /// Started from exact draws of the product distribution, exchanges
    /// alone keep it: the joint histogram after 20 rounds is as close to π
    /// as exact draws are.
    #[test]
    fn exchanges_leave_the_product_distribution_invariant() {
        let pi = product();
        let chains = 40_000;
        let mut counts = [0usize; 9];
        let mut stats = [SwapStats::default()];
        for c in 0..chains {
            let mut rng = stream(23, c);
            let draw = |rng: &mut crate::rng::SamplerRng, beta: f64| {
                let w: Vec<f64> = LEVELS.iter().map(|e| (-beta * e).exp()).collect();
                let mut u = rng.random::<f64>() * w.iter().sum::<f64>();
                w.iter()
                    .position(|&w| {
                        u -= w;
                        u < 0.0
                    })
                    .unwrap_or(2)
            };
            let mut levels = [draw(&mut rng, BETAS[0]), draw(&mut rng, BETAS[1])];
            for _ in 0..20 {
                let mut energies = [LEVELS[levels[0]], LEVELS[levels[1]]];
                for k in exchange_neighbours(&BETAS, &mut energies, Pairs::All, &mut stats, &mut rng).unwrap()
                {
                    levels.swap(k, k + 1);
                }
            }
            counts[3 * levels[0] + levels[1]] += 1;
        }
        let tv =
            0.5 * counts.iter().zip(&pi).map(|(&c, p)| (c as f64 / chains as f64 - p).abs()).sum::<f64>();
        let iid = crate::histogram::expected_total_variation(&pi, chains as f64);
        assert!(tv < 2.0 * iid, "TV {tv} vs iid {iid}");
        assert!(stats[0].accepted > 0 && stats[0].accepted < stats[0].attempted);
    }

    #[test]
    fn pairs_follow_the_schedule_and_energies_follow_the_states() {
        // Energies decreasing up the ladder: every exchange has log r > 0 and is accepted.
        let betas = [4.0, 3.0, 2.0, 1.0, 0.5];
        let mut rng = seeded(1);
        let mut stats = vec![SwapStats::default(); 4];
        let mut energies = [4.0, 3.0, 2.0, 1.0, 0.0];
        let even = exchange_neighbours(&betas, &mut energies, Pairs::Even, &mut stats, &mut rng).unwrap();
        assert_eq!((even, energies), (vec![0, 2], [3.0, 4.0, 1.0, 2.0, 0.0]));
        let mut energies = [4.0, 3.0, 2.0, 1.0, 0.0];
        let odd = exchange_neighbours(&betas, &mut energies, Pairs::Odd, &mut stats, &mut rng).unwrap();
        assert_eq!((odd, energies), (vec![1, 3], [4.0, 2.0, 3.0, 0.0, 1.0]));
        // All: the highest energy climbs the whole ladder in one round.
        let mut energies = [4.0, 3.0, 2.0, 1.0, 0.0];
        let all = exchange_neighbours(&betas, &mut energies, Pairs::All, &mut stats, &mut rng).unwrap();
        assert_eq!((all, energies), (vec![0, 1, 2, 3], [3.0, 2.0, 1.0, 0.0, 4.0]));
        let counts: Vec<(u64, u64)> = stats.iter().map(|s| (s.attempted, s.accepted)).collect();
        assert_eq!(counts, [(2, 2), (2, 2), (2, 2), (2, 2)]);
        assert_eq!(Pairs::alternating(6), Pairs::Even);
        assert_eq!(Pairs::alternating(7), Pairs::Odd);
        assert_eq!(SwapStats::default().rate(), 0.0);
        assert_eq!(SwapStats { attempted: 4, accepted: 1 }.rate(), 0.25);
    }

    #[test]
    fn mismatched_lengths_are_refused_and_one_rung_exchanges_nothing() {
        let mut rng = seeded(2);
        let mut stats = vec![SwapStats::default(); 2];
        assert!(
            exchange_neighbours(&[1.0, 0.5, 0.2], &mut [0.0; 2], Pairs::All, &mut stats, &mut rng).is_err()
        );
        assert!(exchange_neighbours(&[1.0, 0.5], &mut [0.0; 2], Pairs::All, &mut stats, &mut rng).is_err());
        let none = exchange_neighbours(&[1.0], &mut [3.0], Pairs::All, &mut [], &mut rng).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn swap_stats_round_trip_through_serde() {
        let stats = SwapStats { attempted: 12, accepted: 5 };
        let json = serde_json::to_string(&stats).unwrap();
        assert_eq!(serde_json::from_str::<SwapStats>(&json).unwrap(), stats);
    }
}
