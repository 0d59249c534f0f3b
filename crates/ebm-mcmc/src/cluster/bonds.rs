//! The validated bond graph of a ferromagnet with its FK bond probabilities.

use ebm_core::{Domain, Error, PairwiseEnergy, Result};

/// p = 1 − e^{−2w/T}, computed as −expm1(−2w/T) so that weak bonds keep
/// their relative precision.
pub(super) fn bond_probability(weight: f64, temperature: f64) -> f64 {
    -(-2.0 * weight / temperature).exp_m1()
}

/// Checks that T is finite and > 0.
fn check_temperature(temperature: f64) -> Result<()> {
    ebm_core::error::check_positive("temperature", temperature)
}

/// The positive couplings of a zero-field ferromagnet over ±1 spins, in
/// compressed rows (neighbours of unit i sorted, each undirected bond stored
/// in both rows), with the bond probability p_ij = 1 − e^{−2 w_ij / T} of
/// every stored entry.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Bonds {
    offsets: Vec<usize>,
    neighbours: Vec<u32>,
    weights: Vec<f64>,
    probabilities: Vec<f64>,
    temperature: f64,
}

impl Bonds {
    /// Reads the couplings of `model` through `for_each_coupling` and checks
    /// that it is a zero-field ferromagnet over spins: ±1 units, zero biases,
    /// finite symmetric couplings w_ij = w_ji ≥ 0, no self-coupling. Zero
    /// couplings are dropped (their bonds never form).
    pub(super) fn new<M: PairwiseEnergy + ?Sized>(model: &M, temperature: f64) -> Result<Self> {
        check_temperature(temperature)?;
        if model.domain() != Domain::Spin {
            return Err(Error::Invalid {
                what: "model".into(),
                reason: format!(
                    "cluster updates need ±1 spins, this model has {} units (convert it with \
                     PairwiseModel::to_domain(Domain::Spin))",
                    model.domain()
                ),
            });
        }
        let units = model.num_units();
        if units > u32::MAX as usize {
            return Err(Error::TooLarge {
                what: "model for cluster updates (units)".into(),
                limit: u64::from(u32::MAX),
                found: units as u64,
            });
        }
        let mut offsets = Vec::with_capacity(units + 1);
        offsets.push(0);
        let mut row: Vec<(u32, f64)> = Vec::new();
        let (mut neighbours, mut weights) = (Vec::new(), Vec::new());
        for i in 0..units {
            let bias = model.bias(i);
            if bias != 0.0 {
                return Err(Error::Invalid {
                    what: format!("bias of unit {i}"),
                    reason: format!(
                        "is {bias}; cluster updates need zero field, since a field makes flipping a \
                         cluster cost energy"
                    ),
                });
            }
            row.clear();
            let mut problem = None;
            model.for_each_coupling(i, |j, w| {
                if problem.is_none() {
                    match check_coupling(units, i, j, w) {
                        Ok(true) => row.push((j as u32, f64::from(w))),
                        Ok(false) => {}
                        Err(e) => problem = Some(e),
                    }
                }
            });
            if let Some(e) = problem {
                return Err(e);
            }
            row.sort_unstable_by_key(|&(j, _)| j);
            if let Some(pair) = row.windows(2).find(|p| p[0].0 == p[1].0) {
                return Err(Error::Invalid {
                    what: format!("couplings of unit {i}"),
                    reason: format!("unit {} is listed twice", pair[0].0),
                });
            }
            neighbours.extend(row.iter().map(|&(j, _)| j));
            weights.extend(row.iter().map(|&(_, w)| w));
            offsets.push(neighbours.len());
        }
        let mut bonds = Self { offsets, neighbours, weights, probabilities: Vec::new(), temperature };
        bonds.check_symmetric()?;
        bonds.set_temperature(temperature)?;
        Ok(bonds)
    }

    fn check_symmetric(&self) -> Result<()> {
        for i in 0..self.units() {
            for (&j, &w) in self.neighbours(i).iter().zip(self.weights(i)) {
                let j = j as usize;
                let back = self.neighbours(j).binary_search(&(i as u32)).map(|k| self.weights(j)[k]);
                if back != Ok(w) {
                    return Err(Error::NotSymmetric { i, j, w_ij: w, w_ji: back.unwrap_or(0.0) });
                }
            }
        }
        Ok(())
    }

    /// Sets T (finite, > 0) and recomputes every bond probability.
    pub(super) fn set_temperature(&mut self, temperature: f64) -> Result<()> {
        check_temperature(temperature)?;
        self.temperature = temperature;
        self.probabilities = self.weights.iter().map(|&w| bond_probability(w, temperature)).collect();
        Ok(())
    }

    /// The temperature T.
    pub(super) fn temperature(&self) -> f64 {
        self.temperature
    }

    /// The number of units N.
    pub(super) fn units(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The neighbours j of unit i with w_ij > 0, in increasing order.
    pub(super) fn neighbours(&self, i: usize) -> &[u32] {
        &self.neighbours[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The couplings w_ij, aligned with [`Bonds::neighbours`].
    fn weights(&self, i: usize) -> &[f64] {
        &self.weights[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The bond probabilities p_ij, aligned with [`Bonds::neighbours`].
    pub(super) fn probabilities(&self, i: usize) -> &[f64] {
        &self.probabilities[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Checks that `state` has N entries, all ±1.
    pub(super) fn check_state(&self, state: &[i8]) -> Result<()> {
        Domain::Spin.check(state, self.units())
    }
}

/// Checks one reported coupling (i, j, w); `Ok(true)` when it forms a bond.
fn check_coupling(units: usize, i: usize, j: usize, w: f32) -> Result<bool> {
    if !w.is_finite() {
        return Err(Error::NonFinite {
            what: format!("couplings of unit {i}"),
            index: j,
            value: f64::from(w),
        });
    }
    if j >= units {
        return Err(Error::Invalid {
            what: format!("couplings of unit {i}"),
            reason: format!("neighbour {j} is out of range for {units} units"),
        });
    }
    if j == i {
        return if w == 0.0 {
            Ok(false)
        } else {
            Err(Error::NonZeroDiagonal { unit: i, value: f64::from(w) })
        };
    }
    if w < 0.0 {
        return Err(Error::Invalid {
            what: format!("coupling w[{i}][{j}]"),
            reason: format!(
                "is {w} < 0; cluster updates need a ferromagnet (every w_ij ≥ 0), because an \
                 antiferromagnetic bond has no Fortuin–Kasteleyn bond probability"
            ),
        });
    }
    Ok(w > 0.0)
}
