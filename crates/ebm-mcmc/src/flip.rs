//! Single-flip Metropolis for any discrete energy, through
//! [`DiscreteEnergy::flip_energy`] alone — for models that are not pairwise
//! (higher-order interactions, constraints), where no local field exists.
//! Pairwise models are better served by [`crate::SingleSite`], which keeps
//! their fields up to date.

use crate::metropolis;
use crate::single_site::Scan;
use crate::sweep::{Sweep, SweepStats};
use ebm_core::error::check_positive;
use ebm_core::{DiscreteEnergy, Result};
use rand::{Rng, RngExt};

/// One Metropolis sweep over `state`: N proposals, each flipping one unit
/// (in order, or uniformly at random) and accepted with probability
/// min(1, exp(−ΔE/T)), ΔE = `model.flip_energy(state, i)`.
pub fn metropolis_sweep<M: DiscreteEnergy + ?Sized, R: Rng + ?Sized>(
    model: &M,
    state: &mut [i8],
    temperature: f64,
    scan: Scan,
    rng: &mut R,
) -> Result<SweepStats> {
    check_positive("temperature", temperature)?;
    model.check_state(state)?;
    let (domain, n, beta) = (model.domain(), state.len(), 1.0 / temperature);
    let mut stats = SweepStats::default();
    for step in 0..n {
        let i = match scan {
            Scan::Sequential => step,
            Scan::Random => rng.random_range(0..n),
        };
        let log_ratio = metropolis::boltzmann_log_ratio(model.flip_energy(state, i), beta);
        stats.updates += 1;
        if metropolis::accept(log_ratio, rng) {
            state[i] = domain.flipped(state[i]);
            stats.flips += 1;
        }
    }
    Ok(stats)
}

/// [`metropolis_sweep`] over one model at a fixed temperature: its [`Sweep`] form.
pub struct FlipMetropolis<'m, M: ?Sized> {
    model: &'m M,
    temperature: f64,
    scan: Scan,
}

impl<'m, M: DiscreteEnergy + ?Sized> FlipMetropolis<'m, M> {
    /// Single-flip Metropolis for `model` at `temperature` (finite, > 0), sequential scan.
    pub fn new(model: &'m M, temperature: f64) -> Result<Self> {
        check_positive("temperature", temperature)?;
        Ok(Self { model, temperature, scan: Scan::Sequential })
    }

    /// Sets the scan order.
    pub fn scan(mut self, scan: Scan) -> Self {
        self.scan = scan;
        self
    }

    /// The temperature T.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }
}

// By hand: the derives would ask the model for `Clone` and `Debug`.
impl<M: ?Sized> Clone for FlipMetropolis<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: ?Sized> Copy for FlipMetropolis<'_, M> {}

impl<M: ?Sized> std::fmt::Debug for FlipMetropolis<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlipMetropolis")
            .field("temperature", &self.temperature)
            .field("scan", &self.scan)
            .finish()
    }
}

impl<M: DiscreteEnergy + ?Sized> Sweep<[i8]> for FlipMetropolis<'_, M> {
    type Stats = SweepStats;

    fn sweep<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R) -> Result<SweepStats> {
        metropolis_sweep(self.model, state, self.temperature, self.scan, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::{StateHistogram, expected_total_variation};
    use crate::rng::stream;
    use ebm_core::{Domain, exact};

    /// A three-body energy E(s) = −J Σ_i s_i s_{i+1} s_{i+2} − h Σ_i s_i on a ring: not pairwise.
    struct ThreeBody {
        units: usize,
        j: f64,
        h: f64,
    }

    impl DiscreteEnergy for ThreeBody {
        fn num_units(&self) -> usize {
            self.units
        }
        fn domain(&self) -> Domain {
            Domain::Spin
        }
        fn energy(&self, s: &[i8]) -> f64 {
            let n = self.units;
            (0..n)
                .map(|i| {
                    let triple = f64::from(s[i] * s[(i + 1) % n] * s[(i + 2) % n]);
                    -self.j * triple - self.h * f64::from(s[i])
                })
                .sum()
        }
        fn flip_energy(&self, s: &[i8], i: usize) -> f64 {
            let mut flipped = s.to_vec();
            flipped[i] = -flipped[i];
            self.energy(&flipped) - self.energy(s)
        }
    }

    #[test]
    fn samples_a_non_pairwise_energy_exactly() {
        let model = ThreeBody { units: 7, j: 0.8, h: 0.3 };
        let t = 1.2;
        let exact = exact::probabilities(&model, t).unwrap();
        for scan in [Scan::Sequential, Scan::Random] {
            let chains = 10_000;
            let mut histogram = StateHistogram::new(7, Domain::Spin).unwrap();
            for c in 0..chains {
                let mut rng = stream(6, c);
                let mut state: Vec<i8> = (0..7).map(|_| if rng.random() { 1 } else { -1 }).collect();
                for _ in 0..60 {
                    metropolis_sweep(&model, &mut state, t, scan, &mut rng).unwrap();
                }
                histogram.add(&state);
            }
            let tv = histogram.total_variation(&exact).unwrap();
            let iid = expected_total_variation(&exact, chains as f64);
            assert!(tv < 2.0 * iid, "{scan:?}: TV {tv} vs iid {iid}");
        }
    }

    #[test]
    fn keeps_both_domains_exact_at_temperatures_other_than_one() {
        // Chains started at exact draws stay exact at T; a sweep that used
        // exp(−ΔE·T) for exp(−ΔE/T) drifts towards the distribution at 1/T.
        use ebm_core::spin_glass::SpinGlass;
        let chains = 8_000;
        let mut failures = Vec::new();
        for (m, domain) in [Domain::Spin, Domain::Bit].into_iter().enumerate() {
            let model = SpinGlass::new(6)
                .domain(domain)
                .coupling_std(0.6)
                .field_std(0.4)
                .sample(&mut crate::rng::seeded(40 + m as u64))
                .unwrap();
            for t in [0.5, 2.0] {
                let exact = exact::probabilities(&model, t).unwrap();
                let swapped = exact::probabilities(&model, 1.0 / t).unwrap();
                let iid = expected_total_variation(&exact, chains as f64);
                let apart = 0.5 * exact.iter().zip(&swapped).map(|(p, q)| (p - q).abs()).sum::<f64>();
                assert!(apart > 10.0 * iid, "{domain:?}, T = {t}: the test cannot tell T from 1/T");
                let mut histogram = StateHistogram::new(6, domain).unwrap();
                let starts = exact::draw(&model, t, chains as usize, &mut stream(10, 0)).unwrap();
                for (c, mut state) in (0..).zip(starts) {
                    let mut rng = stream(9, c);
                    for _ in 0..20 {
                        metropolis_sweep(&model, &mut state, t, Scan::Random, &mut rng).unwrap();
                    }
                    histogram.add(&state);
                }
                let tv = histogram.total_variation(&exact).unwrap();
                let near_exact = tv < 2.0 * iid;
                if !near_exact {
                    failures.push(format!("{domain:?}, T = {t}: TV {tv:.4} vs iid {iid:.4}"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// A sequential sweep visits each unit once, so its update count is N and
    /// its flip count the number of units that changed.
    #[test]
    fn sweep_statistics_count_visits_and_flips() {
        let model = ThreeBody { units: 9, j: 0.7, h: 0.2 };
        let mut rng = stream(5, 0);
        let mut state = vec![1i8; 9];
        let mut flips_seen = 0;
        for _ in 0..50 {
            let before = state.clone();
            let stats = metropolis_sweep(&model, &mut state, 1.5, Scan::Sequential, &mut rng).unwrap();
            let changed = before.iter().zip(&state).filter(|(a, b)| a != b).count();
            assert_eq!((stats.updates, stats.flips), (9, changed));
            flips_seen += changed;
        }
        assert!(flips_seen > 0, "no flip in 50 sweeps at T = 1.5");
    }

    #[test]
    fn bad_input_is_refused() {
        let model = ThreeBody { units: 4, j: 1.0, h: 0.0 };
        let mut rng = stream(0, 0);
        assert!(metropolis_sweep(&model, &mut [1, 1, 1], 1.0, Scan::Sequential, &mut rng).is_err());
        assert!(metropolis_sweep(&model, &mut [1, 1, 0, 1], 1.0, Scan::Sequential, &mut rng).is_err());
        assert!(metropolis_sweep(&model, &mut [1, 1, 1, 1], -1.0, Scan::Random, &mut rng).is_err());
    }
}
