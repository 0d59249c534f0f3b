//! Simulated annealing: sample while lowering the temperature, keep the
//! lowest-energy state seen.
//!
//! At temperature T a state Δ above the ground energy is e^{−Δ/T} times as
//! likely as a ground state, so a chain cooled slowly enough ends near a
//! ground state; cooled too fast, it freezes in a local minimum.

use crate::chain::PairwiseChain;
use crate::single_site::SingleSite;
use ebm_core::error::check_positive;
use ebm_core::{Error, PairwiseEnergy, Result};
use rand::Rng;

/// Longest temperature schedule accepted (so a factor of 0.999999999 fails
/// cleanly instead of allocating without bound).
pub const MAX_SCHEDULE_STEPS: usize = 10_000_000;

/// A cooling schedule: the sequence of temperatures T₀, T₁, … visited.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// T_{k+1} = α T_k from `start` while T ≥ `end` (0 < α < 1): the note's T := αT.
    Geometric {
        /// T₀.
        start: f64,
        /// The cooling factor α.
        factor: f64,
        /// The last temperature is the smallest T_k ≥ `end`.
        end: f64,
    },
    /// `steps` ≥ 2 temperatures evenly spaced from `start` down to `end`.
    Linear {
        /// T₀.
        start: f64,
        /// The last temperature.
        end: f64,
        /// Number of temperatures (≥ 1).
        steps: usize,
    },
    /// T_k = c / ln(k + 2) for k = 0 … steps − 1: the slow schedule of Geman
    /// and Geman, which reaches the ground states with probability → 1 as
    /// k → ∞ when c is at least the depth of the deepest non-global local
    /// minimum (Hajek, 1988).
    Logarithmic {
        /// The constant c.
        scale: f64,
        /// Number of temperatures.
        steps: usize,
    },
    /// Any sequence of positive temperatures.
    Custom(Vec<f64>),
}

fn check_steps(steps: usize) -> Result<()> {
    if steps == 0 {
        return Err(Error::Invalid { what: "schedule length".into(), reason: "must be at least 1".into() });
    }
    if steps > MAX_SCHEDULE_STEPS {
        return Err(Error::TooLarge {
            what: "annealing schedule".into(),
            limit: MAX_SCHEDULE_STEPS as u64,
            found: steps as u64,
        });
    }
    Ok(())
}

impl Schedule {
    /// The temperatures of the schedule, validated.
    pub fn temperatures(&self) -> Result<Vec<f64>> {
        match *self {
            Schedule::Geometric { start, factor, end } => {
                check_positive("start temperature", start)?;
                check_positive("end temperature", end)?;
                if !(factor > 0.0 && factor < 1.0) {
                    return Err(Error::Invalid {
                        what: "cooling factor".into(),
                        reason: format!("must lie in (0, 1), got {factor}"),
                    });
                }
                // A relative slack of 10⁻⁹ keeps an end that equals start·αᵏ up to rounding.
                let steps =
                    if start < end { 0.0 } else { ((end / start).ln() / factor.ln() + 1e-9).floor() + 1.0 };
                check_steps(steps as usize)?;
                Ok((0..steps as i32).map(|k| start * factor.powi(k)).collect())
            }
            Schedule::Linear { start, end, steps } => {
                check_positive("start temperature", start)?;
                check_positive("end temperature", end)?;
                check_steps(steps)?;
                if steps < 2 {
                    return Err(Error::Invalid {
                        what: "linear schedule".into(),
                        reason: "needs at least 2 temperatures, the start and the end".into(),
                    });
                }
                let span = (steps - 1) as f64;
                Ok((0..steps).map(|k| start + (end - start) * k as f64 / span).collect())
            }
            Schedule::Logarithmic { scale, steps } => {
                check_positive("logarithmic scale", scale)?;
                check_steps(steps)?;
                Ok((0..steps).map(|k| scale / ((k + 2) as f64).ln()).collect())
            }
            Schedule::Custom(ref temperatures) => {
                check_steps(temperatures.len())?;
                temperatures.iter().try_for_each(|&t| check_positive("schedule temperature", t))?;
                Ok(temperatures.clone())
            }
        }
    }
}

/// The result of an annealing run.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnealOutcome {
    /// The lowest-energy state seen (checked after every sweep and after the quench).
    pub best_state: Vec<i8>,
    /// Its energy, evaluated afresh from the model.
    pub best_energy: f64,
    /// The state at the end of the run.
    pub final_state: Vec<i8>,
    /// Sweeps performed, the quench included.
    pub sweeps: usize,
}

/// Simulated annealing with a single-site sampler.
#[derive(Clone, Debug, PartialEq)]
pub struct Annealer {
    schedule: Schedule,
    sweeps_per_temperature: usize,
    sampler: SingleSite,
    quench: bool,
}

impl Annealer {
    /// Anneals along `schedule` with one Metropolis sweep per temperature and a final quench.
    pub fn new(schedule: Schedule) -> Self {
        Self { schedule, sweeps_per_temperature: 1, sampler: SingleSite::metropolis(), quench: true }
    }

    /// Sets the number of sweeps at each temperature.
    pub fn sweeps_per_temperature(mut self, sweeps: usize) -> Self {
        self.sweeps_per_temperature = sweeps;
        self
    }

    /// Sets the sampler (rule, scan, clamps).
    pub fn sampler(mut self, sampler: SingleSite) -> Self {
        self.sampler = sampler;
        self
    }

    /// Whether to finish with a zero-temperature quench: flip any unit whose
    /// flip lowers the energy until none does (a local minimum).
    pub fn quench(mut self, quench: bool) -> Self {
        self.quench = quench;
        self
    }

    /// Anneals `chain` (from its current state).
    pub fn run<M: PairwiseEnergy, R: Rng + ?Sized>(
        &self,
        chain: &mut PairwiseChain<'_, M>,
        rng: &mut R,
    ) -> Result<AnnealOutcome> {
        let temperatures = self.schedule.temperatures()?;
        let mut best_state = chain.state().to_vec();
        let mut best_energy = chain.energy();
        let mut sweeps = 0;
        let mut remember = |chain: &PairwiseChain<'_, M>| {
            if chain.energy() < best_energy {
                best_energy = chain.energy();
                best_state.copy_from_slice(chain.state());
            }
        };
        for &t in &temperatures {
            for _ in 0..self.sweeps_per_temperature {
                self.sampler.sweep(chain, t, rng)?;
                sweeps += 1;
                remember(chain);
            }
        }
        if self.quench {
            sweeps += quench(chain, self.sampler.clamped());
            remember(chain);
        }
        let best_energy = chain.model().energy(&best_state);
        Ok(AnnealOutcome { best_state, best_energy, final_state: chain.state().to_vec(), sweeps })
    }
}

/// Greedy descent: sweeps flipping every unit whose flip lowers the energy,
/// until a sweep flips none; units whose entry in `clamped` is true are left
/// alone. Ends in finitely many sweeps, since each flip strictly lowers the
/// energy of a finite state space. Returns the sweeps made.
pub fn quench<M: PairwiseEnergy>(chain: &mut PairwiseChain<'_, M>, clamped: Option<&[bool]>) -> usize {
    let mut sweeps = 0;
    loop {
        sweeps += 1;
        let mut flipped = false;
        for i in 0..chain.len() {
            let free = clamped.is_none_or(|mask| !mask.get(i).copied().unwrap_or(false));
            if free && chain.flip_energy(i) < 0.0 {
                chain.flip(i);
                flipped = true;
            }
        }
        if !flipped {
            return sweeps;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, stream};
    use ebm_core::spin_glass::SpinGlass;
    use ebm_core::{DenseCouplings, DensePairwise, DiscreteEnergy, Domain, exact};

    #[test]
    fn schedules_cool_as_described() {
        let geometric = Schedule::Geometric { start: 2.0, factor: 0.5, end: 0.2 }.temperatures().unwrap();
        assert_eq!(geometric, vec![2.0, 1.0, 0.5, 0.25]);
        let linear = Schedule::Linear { start: 3.0, end: 1.0, steps: 5 }.temperatures().unwrap();
        assert_eq!(linear, vec![3.0, 2.5, 2.0, 1.5, 1.0]);
        let log = Schedule::Logarithmic { scale: 1.0, steps: 3 }.temperatures().unwrap();
        assert!((log[0] - 1.0 / 2f64.ln()).abs() < 1e-15 && log.windows(2).all(|w| w[1] < w[0]));
        assert!(Schedule::Geometric { start: 1.0, factor: 1.0, end: 0.1 }.temperatures().is_err());
        assert!(Schedule::Linear { start: 1.0, end: 0.0, steps: 3 }.temperatures().is_err());
        assert!(Schedule::Linear { start: 1.0, end: 0.5, steps: 1 }.temperatures().is_err());
        // An end equal to start·αᵏ is kept whatever the rounding.
        let exact_end =
            Schedule::Geometric { start: 1.0, factor: 0.9, end: 0.9f64.powi(10) }.temperatures().unwrap();
        assert_eq!(exact_end.len(), 11);
        let tenth = Schedule::Geometric { start: 1.0, factor: 0.1, end: 0.001 }.temperatures().unwrap();
        assert_eq!(tenth.len(), 4);
        assert!(Schedule::Custom(vec![1.0, f64::NAN]).temperatures().is_err());
        assert!(Schedule::Custom(vec![]).temperatures().is_err());
    }

    #[test]
    fn annealing_finds_the_exact_ground_state_of_random_16_unit_models() {
        let instances = 60;
        let annealer = Annealer::new(Schedule::Geometric { start: 3.0, factor: 0.98, end: 0.05 })
            .sweeps_per_temperature(20);
        let mut found = 0;
        for k in 0..instances {
            let model = SpinGlass::new(16).field_std(0.3).sample(&mut seeded(1000 + k)).unwrap();
            let (ground, _) = exact::ground_states(&model, 1).unwrap();
            let mut rng = stream(5, k);
            let mut chain = PairwiseChain::random(&model, &mut rng);
            let outcome = annealer.run(&mut chain, &mut rng).unwrap();
            assert!(outcome.best_energy >= ground - 1e-9, "below the exact ground energy");
            assert!((outcome.best_energy - model.energy(&outcome.best_state)).abs() < 1e-12);
            found += usize::from(outcome.best_energy - ground < 1e-9 * ground.abs().max(1.0));
        }
        assert!(found * 100 >= 95 * instances as usize, "found the ground state in {found}/{instances}");
    }

    #[test]
    fn quench_ends_in_a_local_minimum() {
        let model = SpinGlass::new(30).sample(&mut seeded(4)).unwrap();
        let mut chain = PairwiseChain::random(&model, &mut seeded(5));
        let before = chain.energy();
        quench(&mut chain, None);
        assert!(chain.energy() <= before);
        assert!((0..30).all(|i| chain.flip_energy(i) >= 0.0));
        // Clamped units stay put, in the quench as in the annealing sweeps.
        let mut mask = vec![false; 30];
        mask[..10].iter_mut().for_each(|m| *m = true);
        for seed in 0..20 {
            let mut chain = PairwiseChain::random(&model, &mut seeded(seed));
            let start = chain.state()[..10].to_vec();
            let annealer = Annealer::new(Schedule::Geometric { start: 2.0, factor: 0.8, end: 0.1 })
                .sampler(SingleSite::metropolis().clamp(mask.clone()));
            let outcome = annealer.run(&mut chain, &mut seeded(seed + 100)).unwrap();
            assert_eq!(&outcome.best_state[..10], &start[..]);
            assert_eq!(&outcome.final_state[..10], &start[..]);
        }
    }

    /// The error's `what`, to tell which check refused a schedule.
    fn refusal(schedule: Schedule) -> String {
        match schedule.temperatures() {
            Err(Error::Invalid { what, .. }) => what,
            Err(Error::TooLarge { what, .. }) => what,
            other => panic!("{schedule:?} gave {other:?}"),
        }
    }

    #[test]
    fn schedules_are_validated_at_their_boundaries() {
        // The cooling factor lies in the open interval (0, 1): 0 and 1 themselves are refused as such.
        for factor in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert_eq!(
                refusal(Schedule::Geometric { start: 1.0, factor, end: 0.1 }),
                "cooling factor",
                "α = {factor}"
            );
        }
        // start == end: the one temperature start; an end above start leaves none.
        let single = Schedule::Geometric { start: 0.7, factor: 0.5, end: 0.7 }.temperatures().unwrap();
        assert_eq!(single, vec![0.7]);
        let above = Schedule::Geometric { start: 1.0, factor: 0.5, end: 1.0 + 1e-12 };
        assert_eq!(refusal(above), "schedule length");
        // A linear schedule of exactly 2 temperatures is the start and the end.
        assert_eq!(
            Schedule::Linear { start: 2.0, end: 1.0, steps: 2 }.temperatures().unwrap(),
            vec![2.0, 1.0]
        );
        // Lengths: 0 is refused, exactly MAX_SCHEDULE_STEPS accepted, one more refused —
        // also a geometric schedule 1.5·10⁷ temperatures long, before anything is allocated.
        for empty in [
            Schedule::Linear { start: 2.0, end: 1.0, steps: 0 },
            Schedule::Logarithmic { scale: 1.0, steps: 0 },
            Schedule::Custom(vec![]),
        ] {
            assert_eq!(refusal(empty), "schedule length");
        }
        let longest = Schedule::Logarithmic { scale: 1.0, steps: MAX_SCHEDULE_STEPS }.temperatures().unwrap();
        assert_eq!(longest.len(), MAX_SCHEDULE_STEPS);
        assert_eq!(
            refusal(Schedule::Logarithmic { scale: 1.0, steps: MAX_SCHEDULE_STEPS + 1 }),
            "annealing schedule"
        );
        let slow = Schedule::Geometric { start: 1.0, factor: 1.0 - 1e-7, end: (-1.5f64).exp() };
        assert_eq!(refusal(slow), "annealing schedule");
    }

    /// ±1 couplings and no field: every energy is an exact integer and the
    /// levels are degenerate (s and −s at least), so the trajectory has ties.
    fn integer_model(n: usize, seed: u64) -> DensePairwise {
        use rand::RngExt;
        let mut rng = seeded(seed);
        let mut w = nalgebra::DMatrix::zeros(n, n);
        for i in 0..n {
            for j in 0..i {
                let v = if rng.random::<bool>() { 1.0 } else { -1.0 };
                w[(i, j)] = v;
                w[(j, i)] = v;
            }
        }
        DensePairwise::without_bias(Domain::Spin, DenseCouplings::new(w).unwrap())
    }

    /// `sweeps` is temperatures × sweeps per temperature plus the quench's sweeps,
    /// and the best state is the first of lowest energy along the trajectory
    /// (replayed here sweep by sweep with the same generator).
    #[test]
    fn outcome_counts_sweeps_and_keeps_the_first_lowest_state() {
        let temperatures = vec![3.0, 1.5, 0.8, 0.4, 0.2];
        let per = 3;
        let zero = DensePairwise::without_bias(Domain::Spin, DenseCouplings::zeros(10));
        for (name, model) in [("±1 couplings", integer_model(10, 6)), ("all energies 0", zero)] {
            // No quench on the flat model: there a quench that also made neutral flips would never end.
            let quenches: &[bool] = if name == "all energies 0" { &[false] } else { &[false, true] };
            for &quench_on in quenches {
                let start = PairwiseChain::random(&model, &mut seeded(11)).state().to_vec();
                let annealer = Annealer::new(Schedule::Custom(temperatures.clone()))
                    .sweeps_per_temperature(per)
                    .quench(quench_on);
                let mut chain = PairwiseChain::new(&model, start.clone()).unwrap();
                let outcome = annealer.run(&mut chain, &mut seeded(12)).unwrap();

                let mut replay = PairwiseChain::new(&model, start.clone()).unwrap();
                let mut rng = seeded(12);
                let mut trajectory = vec![start.clone()];
                for &t in &temperatures {
                    for _ in 0..per {
                        SingleSite::metropolis().sweep(&mut replay, t, &mut rng).unwrap();
                        trajectory.push(replay.state().to_vec());
                    }
                }
                let quench_sweeps = if quench_on { quench(&mut replay, None) } else { 0 };
                trajectory.push(replay.state().to_vec());
                assert_eq!(
                    outcome.sweeps,
                    temperatures.len() * per + quench_sweeps,
                    "{name}, quench {quench_on}"
                );
                assert_eq!(quench_sweeps >= 1, quench_on);
                assert_eq!(outcome.final_state, replay.state(), "{name}, quench {quench_on}");

                let energies: Vec<f64> = trajectory.iter().map(|s| model.energy(s)).collect();
                let lowest = energies.iter().copied().fold(f64::INFINITY, f64::min);
                let first = energies.iter().position(|&e| e == lowest).unwrap();
                let ties = trajectory
                    .iter()
                    .zip(&energies)
                    .filter(|&(s, &e)| e == lowest && *s != trajectory[first])
                    .count();
                if name == "all energies 0" {
                    assert!(ties > 0, "the trajectory must reach the lowest energy in two states");
                }
                assert_eq!(outcome.best_energy, lowest, "{name}, quench {quench_on}");
                assert_eq!(outcome.best_state, trajectory[first], "{name}, quench {quench_on}");
            }
        }
    }

    /// Quench: one sweep from a local minimum, a flip that only keeps the energy
    /// is not made, and clamped units stay even where a flip would lower it.
    #[test]
    fn quench_counts_its_sweeps_and_flips_only_downhill() {
        // E(s₀, s₁) with E(+,+) = E(−,+) = 0, E(+,−) = 1, E(−,−) = −1: from (+,+) flipping
        // unit 0 is neutral, so (+,+) is a local minimum and the quench stays there.
        let w = nalgebra::DMatrix::from_row_slice(2, 2, &[0.0, 0.5, 0.5, 0.0]);
        let model =
            DensePairwise::new(Domain::Spin, DenseCouplings::new(w).unwrap(), vec![-0.5, 0.0]).unwrap();
        let table = [([1, 1], 0.0), ([-1, 1], 0.0), ([1, -1], 1.0), ([-1, -1], -1.0)];
        for (state, energy) in table {
            assert_eq!(model.energy(&state), energy, "{state:?}");
        }
        let mut chain = PairwiseChain::new(&model, vec![1, 1]).unwrap();
        assert_eq!(quench(&mut chain, None), 1);
        assert_eq!(chain.state(), &[1, 1]);
        // From (+,−): unit 0 flips down to (−,−), then a sweep without flips: 2 sweeps.
        let mut chain = PairwiseChain::new(&model, vec![1, -1]).unwrap();
        assert_eq!(quench(&mut chain, None), 2);
        assert_eq!(chain.state(), &[-1, -1]);
        // From (−,+) unit 1 would flip down to (−,−); clamped, nothing moves.
        let mut chain = PairwiseChain::new(&model, vec![-1, 1]).unwrap();
        assert_eq!(quench(&mut chain, Some(&[false, true])), 1);
        assert_eq!(chain.state(), &[-1, 1]);
        let mut chain = PairwiseChain::new(&model, vec![-1, 1]).unwrap();
        assert_eq!(quench(&mut chain, None), 2);
        assert_eq!(chain.state(), &[-1, -1]);
    }
}
