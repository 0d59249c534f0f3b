//! Pairwise models E(s) = −½ sᵀWs − bᵀs + c over ±1 or 0/1 units.

use crate::couplings::{Couplings, DenseCouplings, SparseCouplings};
use crate::energy::{DiscreteEnergy, PairwiseEnergy};
use crate::error::{Error, Result, check_finite};
use crate::state::Domain;
use serde::{Deserialize, Serialize};

/// A pairwise model over N discrete units:
///
/// E(s) = −½ sᵀWs − bᵀs + c = −Σ_{i<j} W_ij s_i s_j − Σ_i b_i s_i + c,
///
/// with W symmetric with zero diagonal (stored in `C`, dense or sparse), biases
/// b and a constant offset c (zero unless the model came from a change of
/// variables; it shifts every energy and log Z alike and leaves the
/// distribution unchanged).
///
/// This is the Hopfield network's energy, the (fully visible) Boltzmann
/// machine's, and the Ising model's with W_ij = J on lattice bonds and b = h.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "RawPairwise<C>",
    bound(deserialize = "C: Couplings + Deserialize<'de>", serialize = "C: Serialize")
)]
pub struct PairwiseModel<C> {
    domain: Domain,
    couplings: C,
    bias: Vec<f32>,
    offset: f64,
}

/// A pairwise model with dense couplings.
pub type DensePairwise = PairwiseModel<DenseCouplings>;

/// A pairwise model with sparse couplings.
pub type SparsePairwise = PairwiseModel<SparseCouplings>;

#[derive(Deserialize)]
struct RawPairwise<C> {
    domain: Domain,
    couplings: C,
    bias: Vec<f32>,
    #[serde(default)]
    offset: f64,
}

impl<C: Couplings> TryFrom<RawPairwise<C>> for PairwiseModel<C> {
    type Error = Error;
    fn try_from(raw: RawPairwise<C>) -> Result<Self> {
        Self::new(raw.domain, raw.couplings, raw.bias)?.with_offset(raw.offset)
    }
}

impl<C: Couplings> PairwiseModel<C> {
    /// A model with the given couplings and biases (one per unit, finite).
    pub fn new(domain: Domain, couplings: C, bias: Vec<f32>) -> Result<Self> {
        if bias.len() != couplings.num_units() {
            return Err(Error::shape("bias", couplings.num_units(), bias.len()));
        }
        check_finite("bias", &bias)?;
        Ok(Self { domain, couplings, bias, offset: 0.0 })
    }

    /// A model with zero biases.
    pub fn without_bias(domain: Domain, couplings: C) -> Self {
        let n = couplings.num_units();
        Self { domain, couplings, bias: vec![0.0; n], offset: 0.0 }
    }

    /// Sets the constant energy offset c.
    pub fn with_offset(mut self, offset: f64) -> Result<Self> {
        check_finite("energy offset", &[offset])?;
        self.offset = offset;
        Ok(self)
    }

    /// The couplings W.
    pub fn couplings(&self) -> &C {
        &self.couplings
    }

    /// The biases b.
    pub fn biases(&self) -> &[f32] {
        &self.bias
    }

    /// The constant offset c.
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// The energy of an untrusted state: checks length and domain first.
    pub fn energy_of(&self, state: &[i8]) -> Result<f64> {
        self.check_state(state)?;
        Ok(self.energy(state))
    }

    /// The same model over the other unit domain, with equal energies under
    /// the change of variables s = 2b − 1:
    ///
    /// - bits → spins: W_s = W/4, b_s = b/2 + W·1/4, c_s = c − ⅛ 1ᵀW1 − ½ 1ᵀb;
    /// - spins → bits: W_b = 4W, b_b = 2b − 2W·1, c_b = c − ½ 1ᵀW1 + 1ᵀb.
    ///
    /// Hence E_s(2b − 1) = E_b(b) for every b, and both forms define the same
    /// distribution and the same log Z. Returns a clone when the domain already
    /// matches.
    pub fn to_domain(&self, target: Domain) -> Self {
        if target == self.domain {
            return self.clone();
        }
        let row_sums: Vec<f64> = (0..self.num_units()).map(|i| self.couplings.row_sum(i)).collect();
        let total_coupling: f64 = row_sums.iter().sum();
        let total_bias: f64 = self.bias.iter().map(|&b| f64::from(b)).sum();
        let (factor, bias, offset) = match target {
            Domain::Spin => (
                0.25,
                self.bias
                    .iter()
                    .zip(&row_sums)
                    .map(|(&b, &r)| (0.5 * f64::from(b) + 0.25 * r) as f32)
                    .collect(),
                self.offset - total_coupling / 8.0 - total_bias / 2.0,
            ),
            Domain::Bit => (
                4.0,
                self.bias
                    .iter()
                    .zip(&row_sums)
                    .map(|(&b, &r)| (2.0 * f64::from(b) - 2.0 * r) as f32)
                    .collect(),
                self.offset - total_coupling / 2.0 + total_bias,
            ),
        };
        Self { domain: target, couplings: self.couplings.scaled(factor), bias, offset }
    }
}

impl<C: Couplings> DiscreteEnergy for PairwiseModel<C> {
    fn num_units(&self) -> usize {
        self.couplings.num_units()
    }

    fn domain(&self) -> Domain {
        self.domain
    }

    fn energy(&self, state: &[i8]) -> f64 {
        let mut pair = 0.0;
        let mut linear = 0.0;
        for (i, &s) in state.iter().enumerate() {
            if s != 0 {
                let s = f64::from(s);
                pair += s * self.couplings.row_dot(i, state);
                linear += s * f64::from(self.bias[i]);
            }
        }
        -0.5 * pair - linear + self.offset
    }

    #[inline]
    fn flip_energy(&self, state: &[i8], unit: usize) -> f64 {
        -f64::from(self.domain.flip_delta(state[unit])) * self.local_field(state, unit)
    }
}

impl<C: Couplings> PairwiseEnergy for PairwiseModel<C> {
    #[inline]
    fn bias(&self, unit: usize) -> f32 {
        self.bias[unit]
    }

    fn coupling(&self, i: usize, j: usize) -> f32 {
        self.couplings.get(i, j)
    }

    #[inline]
    fn local_field(&self, state: &[i8], unit: usize) -> f64 {
        self.couplings.row_dot(unit, state) + f64::from(self.bias[unit])
    }

    #[inline]
    fn for_each_coupling(&self, unit: usize, f: impl FnMut(usize, f32)) {
        self.couplings.for_each_in_row(unit, f);
    }

    fn degree(&self, unit: usize) -> usize {
        self.couplings.degree(unit)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use nalgebra::DMatrix;
    use proptest::prelude::*;

    /// A strategy for random dense pairwise models with n units (weights of both signs).
    pub(crate) fn dense_model(n: usize, domain: Domain) -> impl Strategy<Value = DensePairwise> {
        (prop::collection::vec(-2.0f32..2.0, n * n), prop::collection::vec(-1.0f32..1.0, n)).prop_map(
            move |(w, b)| {
                let m = DMatrix::from_fn(n, n, |i, j| if i == j { 0.0 } else { w[i.min(j) * n + i.max(j)] });
                PairwiseModel::new(domain, DenseCouplings::new(m).unwrap(), b).unwrap()
            },
        )
    }

    fn state_strategy(n: usize, domain: Domain) -> impl Strategy<Value = Vec<i8>> {
        prop::collection::vec(any::<bool>(), n)
            .prop_map(move |v| v.into_iter().map(|b| domain.value(b)).collect())
    }

    fn model_and_state() -> impl Strategy<Value = (DensePairwise, Vec<i8>)> {
        (1usize..9, any::<bool>()).prop_flat_map(|(n, spin)| {
            let d = if spin { Domain::Spin } else { Domain::Bit };
            (dense_model(n, d), state_strategy(n, d))
        })
    }

    /// E(s) straight from the definition −Σ_{i<j} W_ij s_i s_j − Σ b_i s_i + c.
    fn brute_energy(m: &DensePairwise, s: &[i8]) -> f64 {
        let n = s.len();
        let mut e = m.offset();
        for i in 0..n {
            e -= f64::from(m.biases()[i]) * f64::from(s[i]);
            for j in (i + 1)..n {
                e -= f64::from(m.couplings().get(i, j)) * f64::from(s[i]) * f64::from(s[j]);
            }
        }
        e
    }

    #[test]
    fn construction_refuses_bad_bias() {
        let c = DenseCouplings::zeros(3);
        assert!(matches!(
            PairwiseModel::new(Domain::Spin, c.clone(), vec![0.0; 2]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            PairwiseModel::new(Domain::Spin, c.clone(), vec![0.0, f32::NAN, 0.0]),
            Err(Error::NonFinite { index: 1, .. })
        ));
        let m = PairwiseModel::new(Domain::Spin, c, vec![0.0; 3]).unwrap();
        assert!(m.energy_of(&[1, 0, 1]).is_err());
        assert!(m.energy_of(&[1, 1]).is_err());
        assert!(m.clone().with_offset(f64::INFINITY).is_err());
    }

    #[test]
    fn json_input_is_validated() {
        let good = r#"{"domain":"spin","couplings":[[0,1],[1,0]],"bias":[0.5,0]}"#;
        assert!(serde_json::from_str::<DensePairwise>(good).is_ok());
        let asym = r#"{"domain":"spin","couplings":[[0,1],[2,0]],"bias":[0,0]}"#;
        let err = serde_json::from_str::<DensePairwise>(asym).unwrap_err().to_string();
        assert!(err.contains("not symmetric"), "{err}");
        let short_bias = r#"{"domain":"bit","couplings":[[0,1],[1,0]],"bias":[0]}"#;
        assert!(serde_json::from_str::<DensePairwise>(short_bias).is_err());
    }

    proptest! {
        #[test]
        fn energy_matches_definition((m, s) in model_and_state()) {
            prop_assert!((m.energy(&s) - brute_energy(&m, &s)).abs() < 1e-9);
        }

        #[test]
        fn flip_energy_equals_energy_difference((m, s) in model_and_state(), unit in 0usize..9) {
            let i = unit % s.len();
            let mut t = s.clone();
            t[i] = m.domain().flipped(t[i]);
            let diff = m.energy(&t) - m.energy(&s);
            prop_assert!((m.flip_energy(&s, i) - diff).abs() < 1e-9, "flip {} vs diff {}", m.flip_energy(&s, i), diff);
        }

        #[test]
        fn change_of_variables_preserves_energy((m, s) in model_and_state()) {
            let other_domain = match m.domain() { Domain::Spin => Domain::Bit, Domain::Bit => Domain::Spin };
            let other = m.to_domain(other_domain);
            let t: Vec<i8> = s.iter().map(|&v| other_domain.value(v == 1)).collect();
            let scale = 1.0 + brute_energy(&m, &s).abs();
            prop_assert!((other.energy(&t) - m.energy(&s)).abs() < 1e-5 * scale);
            let back = other.to_domain(m.domain());
            prop_assert!((back.energy(&s) - m.energy(&s)).abs() < 1e-5 * scale);
        }

        #[test]
        fn sparse_and_dense_agree((m, s) in model_and_state()) {
            let sparse = PairwiseModel::new(m.domain(), SparseCouplings::from_dense(m.couplings()), m.biases().to_vec()).unwrap();
            prop_assert!((sparse.energy(&s) - m.energy(&s)).abs() < 1e-9);
            for i in 0..s.len() {
                prop_assert!((sparse.flip_energy(&s, i) - m.flip_energy(&s, i)).abs() < 1e-9);
            }
        }
    }

    /// A 4-unit model written out by hand: W₀₁ = 1.5, W₀₂ = −0.5, W₁₂ = 2,
    /// W₀₃ = 0.25, unit 3 coupled to unit 0 only; b = (0.25, −1, 0.5, 0);
    /// offset 0.75 (all dyadic, so f32 storage is exact).
    const W: [[f32; 4]; 4] =
        [[0.0, 1.5, -0.5, 0.25], [1.5, 0.0, 2.0, 0.0], [-0.5, 2.0, 0.0, 0.0], [0.25, 0.0, 0.0, 0.0]];
    const B: [f32; 4] = [0.25, -1.0, 0.5, 0.0];

    fn hand_model(domain: Domain) -> DensePairwise {
        let m = DMatrix::from_fn(4, 4, |i, j| W[i][j]);
        PairwiseModel::new(domain, DenseCouplings::new(m).unwrap(), B.to_vec())
            .unwrap()
            .with_offset(0.75)
            .unwrap()
    }

    // Indices, as in the formulas W_ij, b_i.
    #[allow(clippy::needless_range_loop)]
    fn check_parameters<C: Couplings>(m: &PairwiseModel<C>, domain: Domain) {
        assert_eq!((m.num_units(), m.domain(), m.offset()), (4, domain, 0.75));
        assert_eq!(m.biases(), &B);
        for i in 0..4 {
            assert_eq!(m.bias(i), B[i]);
            for j in 0..4 {
                assert_eq!(m.coupling(i, j), W[i][j]);
            }
        }
    }

    /// The parameters, the local fields h_i = Σ_j W_ij s_j + b_i and the
    /// energies of every state, dense and sparse, against the sums written
    /// out over the matrix above.
    #[test]
    #[allow(clippy::needless_range_loop)]
    fn fields_energies_and_parameters_match_the_hand_written_sums() {
        for domain in [Domain::Spin, Domain::Bit] {
            let dense = hand_model(domain);
            let sparse =
                PairwiseModel::new(domain, SparseCouplings::from_dense(dense.couplings()), B.to_vec())
                    .unwrap()
                    .with_offset(0.75)
                    .unwrap();
            for s in 0..16u64 {
                let mut state = [0i8; 4];
                domain.state_from_index(s, &mut state);
                let v = |i: usize| f64::from(state[i]);
                let mut energy = 0.75;
                for i in 0..4 {
                    energy -= f64::from(B[i]) * v(i);
                    for j in (i + 1)..4 {
                        energy -= f64::from(W[i][j]) * v(i) * v(j);
                    }
                }
                assert_eq!(dense.energy_of(&state).unwrap(), energy, "{domain:?} {state:?}");
                assert_eq!(sparse.energy_of(&state).unwrap(), energy, "{domain:?} {state:?}");
                for i in 0..4 {
                    let field: f64 = (0..4).map(|j| f64::from(W[i][j]) * v(j)).sum::<f64>() + f64::from(B[i]);
                    assert_eq!(dense.local_field(&state, i), field);
                    assert_eq!(sparse.local_field(&state, i), field);
                }
            }
            check_parameters(&dense, domain);
            check_parameters(&sparse, domain);
            // Dense storage visits every j of a row (W_ii = 0 among them); sparse only the neighbours.
            for i in 0..4 {
                let mut row = Vec::new();
                dense.for_each_coupling(i, |j, w| row.push((j, w)));
                assert_eq!(row, (0..4).map(|j| (j, W[i][j])).collect::<Vec<_>>());
                let mut row = Vec::new();
                sparse.for_each_coupling(i, |j, w| row.push((j, w)));
                assert_eq!(row, (0..4).filter(|&j| W[i][j] != 0.0).map(|j| (j, W[i][j])).collect::<Vec<_>>());
            }
            assert_eq!((0..4).map(|i| dense.degree(i)).collect::<Vec<_>>(), [3, 3, 3, 3]);
            assert_eq!((0..4).map(|i| sparse.degree(i)).collect::<Vec<_>>(), [3, 2, 2, 1]);
        }
    }

    #[test]
    fn a_model_without_bias_and_a_read_offset_keep_their_energy() {
        let m = DensePairwise::without_bias(Domain::Spin, hand_model(Domain::Spin).couplings().clone());
        assert_eq!((m.biases(), m.offset()), (&[0.0; 4][..], 0.0));
        // E(+,+,+,+) = −(1.5 − 0.5 + 2 + 0.25).
        assert_eq!(m.energy(&[1, 1, 1, 1]), -3.25);
        let json = r#"{"domain":"bit","couplings":[[0,1],[1,0]],"bias":[0.5,0],"offset":2.0}"#;
        let read: DensePairwise = serde_json::from_str(json).unwrap();
        assert_eq!((read.domain(), read.offset()), (Domain::Bit, 2.0));
        // E(1, 1) = −1 − 0.5 + 2.
        assert_eq!(read.energy(&[1, 1]), 0.5);
    }
}
