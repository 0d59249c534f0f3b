//! [`BernoulliRbm`]: parameters, conditionals, free energy and block Gibbs.

use ebm_core::error::check_finite;
use ebm_core::math::{sigmoid_f32, softplus};
use ebm_core::{Error, Result};
use ebm_mcmc::block::BipartiteConditionals;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// A Bernoulli–Bernoulli RBM: weights W (visible × hidden), visible biases a
/// and hidden biases b, all finite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRbm")]
pub struct BernoulliRbm {
    weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

#[derive(Deserialize)]
struct RawRbm {
    weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

impl TryFrom<RawRbm> for BernoulliRbm {
    type Error = Error;
    fn try_from(raw: RawRbm) -> Result<Self> {
        Self::new(raw.weights, raw.visible_bias, raw.hidden_bias)
    }
}

impl ebm_core::file::ModelFile for BernoulliRbm {
    const KIND: &'static str = "rbm-bernoulli";
}

impl BernoulliRbm {
    /// An RBM with the given parameters; shapes must agree and every value be finite.
    pub fn new(weights: DMatrix<f32>, visible_bias: DVector<f32>, hidden_bias: DVector<f32>) -> Result<Self> {
        let (nv, nh) = weights.shape();
        if visible_bias.len() != nv {
            return Err(Error::ShapeMismatch {
                what: "visible bias".into(),
                expected: nv,
                found: visible_bias.len(),
            });
        }
        if hidden_bias.len() != nh {
            return Err(Error::ShapeMismatch {
                what: "hidden bias".into(),
                expected: nh,
                found: hidden_bias.len(),
            });
        }
        check_finite("RBM weights", weights.as_slice())?;
        check_finite("visible bias", visible_bias.as_slice())?;
        check_finite("hidden bias", hidden_bias.as_slice())?;
        Ok(Self { weights, visible_bias, hidden_bias })
    }

    /// An RBM with zero parameters.
    pub fn zeros(visible: usize, hidden: usize) -> Self {
        Self {
            weights: DMatrix::zeros(visible, hidden),
            visible_bias: DVector::zeros(visible),
            hidden_bias: DVector::zeros(hidden),
        }
    }

    /// An RBM with weights drawn from N(0, σ²) (Box–Muller) and zero biases.
    pub fn random(visible: usize, hidden: usize, std: f32, rng: &mut (impl Rng + ?Sized)) -> Result<Self> {
        if !(std.is_finite() && std >= 0.0) {
            return Err(Error::Invalid {
                what: "weight scale".into(), reason: format!("{std} is not ≥ 0")
            });
        }
        let mut normal = || {
            let (u, v): (f32, f32) = (rng.random::<f32>().max(f32::MIN_POSITIVE), rng.random());
            (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
        };
        let weights = DMatrix::from_fn(visible, hidden, |_, _| std * normal());
        Ok(Self { weights, visible_bias: DVector::zeros(visible), hidden_bias: DVector::zeros(hidden) })
    }

    /// Number of visible units.
    pub fn visible(&self) -> usize {
        self.weights.nrows()
    }

    /// Number of hidden units.
    pub fn hidden(&self) -> usize {
        self.weights.ncols()
    }

    /// W (visible × hidden).
    pub fn weights(&self) -> &DMatrix<f32> {
        &self.weights
    }

    /// a.
    pub fn visible_bias(&self) -> &DVector<f32> {
        &self.visible_bias
    }

    /// b.
    pub fn hidden_bias(&self) -> &DVector<f32> {
        &self.hidden_bias
    }

    /// Mutable parameters (W, a, b), for training algorithms. Callers must keep them finite.
    pub fn parameters_mut(&mut self) -> (&mut DMatrix<f32>, &mut DVector<f32>, &mut DVector<f32>) {
        (&mut self.weights, &mut self.visible_bias, &mut self.hidden_bias)
    }

    /// Checks a batch of visible or hidden rows: `width` columns, finite values.
    fn check_batch(what: &str, batch: &DMatrix<f32>, width: usize) -> Result<()> {
        if batch.ncols() != width {
            return Err(Error::ShapeMismatch { what: what.into(), expected: width, found: batch.ncols() });
        }
        check_finite(what, batch.as_slice())
    }

    /// Hidden pre-activations β(VW + 1bᵀ) for a batch of visible rows.
    fn hidden_input(&self, visible: &DMatrix<f32>, beta: f32) -> DMatrix<f32> {
        let mut x = visible * &self.weights;
        for mut row in x.row_iter_mut() {
            row += self.hidden_bias.transpose();
        }
        if beta != 1.0 {
            x *= beta;
        }
        x
    }

    /// Visible pre-activations β(HWᵀ + 1aᵀ) for a batch of hidden rows.
    fn visible_input(&self, hidden: &DMatrix<f32>, beta: f32) -> DMatrix<f32> {
        let mut x = hidden * self.weights.transpose();
        for mut row in x.row_iter_mut() {
            row += self.visible_bias.transpose();
        }
        if beta != 1.0 {
            x *= beta;
        }
        x
    }

    /// P(h = 1 | v) for each row of `visible` (batch × visible): σ(VW + 1bᵀ).
    pub fn hidden_probabilities(&self, visible: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Self::check_batch("visible batch", visible, self.visible())?;
        Ok(self.hidden_input(visible, 1.0).map(sigmoid_f32))
    }

    /// P(v = 1 | h) for each row of `hidden` (batch × hidden): σ(HWᵀ + 1aᵀ).
    pub fn visible_probabilities(&self, hidden: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Self::check_batch("hidden batch", hidden, self.hidden())?;
        Ok(self.visible_input(hidden, 1.0).map(sigmoid_f32))
    }

    /// F(v) = −aᵀv − Σ_j softplus(b_j + (vᵀW)_j) for each row, in f64.
    pub fn free_energy(&self, visible: &DMatrix<f32>) -> Result<Vec<f64>> {
        Self::check_batch("visible batch", visible, self.visible())?;
        let x = self.hidden_input(visible, 1.0);
        Ok((0..visible.nrows())
            .map(|r| {
                let linear: f64 = visible
                    .row(r)
                    .iter()
                    .zip(self.visible_bias.iter())
                    .map(|(&v, &a)| f64::from(v) * f64::from(a))
                    .sum();
                let hidden: f64 = x.row(r).iter().map(|&z| softplus(f64::from(z))).sum();
                -linear - hidden
            })
            .collect())
    }

    /// E(v, h) = −vᵀWh − aᵀv − bᵀh of one configuration, in f64.
    pub fn energy(&self, visible: &[f32], hidden: &[f32]) -> Result<f64> {
        if visible.len() != self.visible() || hidden.len() != self.hidden() {
            return Err(Error::ShapeMismatch {
                what: "RBM configuration (visible + hidden)".into(),
                expected: self.visible() + self.hidden(),
                found: visible.len() + hidden.len(),
            });
        }
        let mut e = 0.0;
        for (i, &v) in visible.iter().enumerate() {
            e -= f64::from(v) * f64::from(self.visible_bias[i]);
            for (j, &h) in hidden.iter().enumerate() {
                e -= f64::from(v) * f64::from(self.weights[(i, j)]) * f64::from(h);
            }
        }
        e -= hidden
            .iter()
            .zip(self.hidden_bias.iter())
            .map(|(&h, &b)| f64::from(h) * f64::from(b))
            .sum::<f64>();
        Ok(e)
    }
}

/// Draws into `out` a 0/1 unit for each entry x of `values`, on with
/// probability `probability(x)`.
fn draw_into<R: Rng + ?Sized>(
    values: &DMatrix<f32>,
    probability: impl Fn(f32) -> f32,
    rng: &mut R,
    out: &mut DMatrix<f32>,
) {
    if out.shape() != values.shape() {
        *out = DMatrix::zeros(values.nrows(), values.ncols());
    }
    for (o, &x) in out.iter_mut().zip(values.iter()) {
        *o = f32::from(u8::from(rng.random::<f32>() < probability(x)));
    }
}

/// 0/1 units drawn independently, entry (r, c) on with probability
/// `probabilities[(r, c)]`: the sampling step shared by Gibbs chains, AIS and training.
pub fn draw_units<R: Rng + ?Sized>(probabilities: &DMatrix<f32>, rng: &mut R) -> DMatrix<f32> {
    let mut out = DMatrix::zeros(probabilities.nrows(), probabilities.ncols());
    draw_into(probabilities, |p| p, rng, &mut out);
    out
}

impl BipartiteConditionals for BernoulliRbm {
    fn visible_len(&self) -> usize {
        self.visible()
    }

    fn hidden_len(&self) -> usize {
        self.hidden()
    }

    /// h ~ P(h | v) at temperature T: h_j on with probability σ((b_j + (vW)_j)/T).
    fn sample_hidden<R: Rng + ?Sized>(
        &self,
        visible: &DMatrix<f32>,
        t: f64,
        rng: &mut R,
        out: &mut DMatrix<f32>,
    ) {
        draw_into(&self.hidden_input(visible, (1.0 / t) as f32), sigmoid_f32, rng, out);
    }

    /// v ~ P(v | h) at temperature T: v_i on with probability σ((a_i + (Wh)_i)/T).
    fn sample_visible<R: Rng + ?Sized>(
        &self,
        hidden: &DMatrix<f32>,
        t: f64,
        rng: &mut R,
        out: &mut DMatrix<f32>,
    ) {
        draw_into(&self.visible_input(hidden, (1.0 / t) as f32), sigmoid_f32, rng, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::math::log_sum_exp;
    use ebm_mcmc::block::BlockChains;
    use ebm_mcmc::histogram::{StateHistogram, expected_total_variation};
    use ebm_mcmc::rng::seeded;
    use proptest::prelude::*;

    fn bits(index: u32, len: usize) -> Vec<f32> {
        (0..len).map(|i| (index >> i & 1) as f32).collect()
    }

    fn random_rbm(seed: u64, nv: usize, nh: usize) -> BernoulliRbm {
        let mut rng = seeded(seed);
        let mut rbm = BernoulliRbm::random(nv, nh, 1.0, &mut rng).unwrap();
        let (_, a, b) = rbm.parameters_mut();
        a.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
        b.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
        rbm
    }

    proptest! {
        #[test]
        fn free_energy_and_conditionals_match_enumeration(seed in any::<u64>(), nv in 1usize..6, nh in 1usize..6) {
            let rbm = random_rbm(seed, nv, nh);
            for vs in 0..1u32 << nv {
                let v = bits(vs, nv);
                // F(v) = −log Σ_h exp(−E(v, h)).
                let minus_e: Vec<f64> = (0..1u32 << nh).map(|hs| -rbm.energy(&v, &bits(hs, nh)).unwrap()).collect();
                let batch = DMatrix::from_row_slice(1, nv, &v);
                let free = rbm.free_energy(&batch).unwrap()[0];
                prop_assert!((free + log_sum_exp(&minus_e)).abs() < 1e-5 * (1.0 + free.abs()));
                // P(h_j = 1 | v) = Σ_{h: h_j = 1} e^{−E} / Σ_h e^{−E}.
                let p = rbm.hidden_probabilities(&batch).unwrap();
                for j in 0..nh {
                    let on: Vec<f64> = (0..1u32 << nh).filter(|hs| hs >> j & 1 == 1).map(|hs| minus_e[hs as usize]).collect();
                    let exact = (log_sum_exp(&on) - log_sum_exp(&minus_e)).exp();
                    prop_assert!((f64::from(p[(0, j)]) - exact).abs() < 1e-5, "P(h_{j} | v) {} vs {exact}", p[(0, j)]);
                }
            }
            for hs in 0..1u32 << nh {
                let h = bits(hs, nh);
                let p = rbm.visible_probabilities(&DMatrix::from_row_slice(1, nh, &h)).unwrap();
                for i in 0..nv {
                    let energy = |x: f32| {
                        let mut v = vec![0.0; nv];
                        v[i] = x;
                        rbm.energy(&v, &h).unwrap()
                    };
                    // Only v_i's terms differ, so the other visible units may be anything (here 0).
                    let exact = 1.0 / (1.0 + (energy(1.0) - energy(0.0)).exp());
                    prop_assert!((f64::from(p[(0, i)]) - exact).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn block_gibbs_on_a_batch_samples_the_joint_distribution() {
        let rbm = random_rbm(3, 4, 3);
        let (nv, nh) = (4, 3);
        let mut minus_e = Vec::new();
        for index in 0..1u32 << (nv + nh) {
            let state = bits(index, nv + nh);
            minus_e.push(-rbm.energy(&state[..nv], &state[nv..]).unwrap());
        }
        let log_z = log_sum_exp(&minus_e);
        let exact: Vec<f64> = minus_e.iter().map(|l| (l - log_z).exp()).collect();
        let mut rng = seeded(4);
        let mut chains = BlockChains::from_visible(&rbm, DMatrix::zeros(400, nv)).unwrap();
        for _ in 0..20 {
            chains.step(&rbm, 1.0, &mut rng).unwrap();
        }
        let mut histogram = StateHistogram::new(nv + nh, ebm_core::Domain::Bit).unwrap();
        for _ in 0..100 {
            chains.step(&rbm, 1.0, &mut rng).unwrap();
            for c in 0..400 {
                let state: Vec<i8> = chains
                    .visible
                    .row(c)
                    .iter()
                    .chain(chains.hidden.row(c).iter())
                    .map(|&x| x as i8)
                    .collect();
                histogram.add(&state);
            }
        }
        let tv = histogram.total_variation(&exact).unwrap();
        assert!(tv < 3.0 * expected_total_variation(&exact, 40_000.0), "TV {tv}");
    }

    #[test]
    fn model_files_round_trip_and_refuse_corruption() {
        let rbm = random_rbm(5, 6, 4);
        let bytes = ebm_core::file::encode(&rbm).unwrap();
        assert_eq!(ebm_core::file::decode::<BernoulliRbm>(&bytes).unwrap(), rbm);
        for len in 0..bytes.len() {
            assert!(ebm_core::file::decode::<BernoulliRbm>(&bytes[..len]).is_err());
        }
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 4;
        assert!(ebm_core::file::decode::<BernoulliRbm>(&flipped).is_err());
        let pairwise = ebm_core::file::encode(&ebm_core::DensePairwise::without_bias(
            ebm_core::Domain::Bit,
            ebm_core::DenseCouplings::zeros(2),
        ))
        .unwrap();
        assert!(ebm_core::file::decode::<BernoulliRbm>(&pairwise).is_err());
    }

    #[test]
    fn bad_parameters_and_batches_are_refused() {
        assert!(BernoulliRbm::new(DMatrix::zeros(2, 3), DVector::zeros(3), DVector::zeros(3)).is_err());
        assert!(BernoulliRbm::new(DMatrix::zeros(2, 3), DVector::zeros(2), DVector::zeros(2)).is_err());
        let nan = DMatrix::from_element(2, 3, f32::NAN);
        assert!(BernoulliRbm::new(nan, DVector::zeros(2), DVector::zeros(3)).is_err());
        let rbm = BernoulliRbm::zeros(2, 3);
        assert!(rbm.hidden_probabilities(&DMatrix::zeros(1, 3)).is_err());
        assert!(rbm.free_energy(&DMatrix::from_element(1, 2, f32::INFINITY)).is_err());
        assert!(rbm.energy(&[0.0; 2], &[0.0; 2]).is_err());
        let json = serde_json::to_string(&rbm).unwrap();
        assert_eq!(serde_json::from_str::<BernoulliRbm>(&json).unwrap(), rbm);
        let broken = json.replacen("[0.0,0.0]", "[0.0]", 1);
        assert!(serde_json::from_str::<BernoulliRbm>(&broken).is_err());
    }
}
