//! Block Gibbs sampling for models whose units split into two blocks that
//! are conditionally independent given each other — the restricted
//! Boltzmann machine and its relatives.
//!
//! If P(v, h) ∝ exp(−E(v, h)/T) has no couplings inside a block, then
//! P(h | v) = Π_j P(h_j | v) and P(v | h) = Π_i P(v_i | h), so a whole block
//! is drawn at once. Alternating the two draws is a Gibbs sampler on the
//! joint distribution. Many chains run side by side as the rows of a batch.

use ebm_core::error::{check_finite, check_positive};
use ebm_core::{Error, Result};
use nalgebra::DMatrix;
use rand::Rng;

/// A model with two conditionally independent blocks of units, "visible"
/// and "hidden". Each method draws one block for every chain in a batch
/// (one chain per row) from its exact conditional distribution at
/// temperature T, writing into `out` (batch × block size).
pub trait BipartiteConditionals: Sync {
    /// Size of the visible block.
    fn visible_len(&self) -> usize;

    /// Size of the hidden block.
    fn hidden_len(&self) -> usize;

    /// Draws h ~ P(h | v) for each row of `visible` into `out`.
    fn sample_hidden<R: Rng + ?Sized>(
        &self,
        visible: &DMatrix<f32>,
        temperature: f64,
        rng: &mut R,
        out: &mut DMatrix<f32>,
    );

    /// Draws v ~ P(v | h) for each row of `hidden` into `out`.
    fn sample_visible<R: Rng + ?Sized>(
        &self,
        hidden: &DMatrix<f32>,
        temperature: f64,
        rng: &mut R,
        out: &mut DMatrix<f32>,
    );
}

/// A batch of chains of a bipartite model: row c of `visible` and of
/// `hidden` is the state of chain c.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockChains {
    /// Visible states, batch × visible units.
    pub visible: DMatrix<f32>,
    /// Hidden states, batch × hidden units.
    pub hidden: DMatrix<f32>,
}

impl BlockChains {
    /// Chains started at the visible states `visible` (the hidden block is
    /// drawn at the first step).
    pub fn from_visible<B: BipartiteConditionals>(model: &B, visible: DMatrix<f32>) -> Result<Self> {
        if visible.ncols() != model.visible_len() {
            return Err(Error::ShapeMismatch {
                what: "visible states of the chains".into(),
                expected: model.visible_len(),
                found: visible.ncols(),
            });
        }
        check_finite("visible states", visible.as_slice())?;
        let hidden = DMatrix::zeros(visible.nrows(), model.hidden_len());
        Ok(Self { visible, hidden })
    }

    /// Number of chains.
    pub fn batch(&self) -> usize {
        self.visible.nrows()
    }

    /// One block-Gibbs step at temperature T: h ~ P(h | v), then v ~ P(v | h).
    pub fn step<B: BipartiteConditionals, R: Rng + ?Sized>(
        &mut self,
        model: &B,
        temperature: f64,
        rng: &mut R,
    ) -> Result<()> {
        check_positive("temperature", temperature)?;
        if self.visible.ncols() != model.visible_len() || self.hidden.ncols() != model.hidden_len() {
            return Err(Error::ShapeMismatch {
                what: "chains of the bipartite model (visible + hidden units)".into(),
                expected: model.visible_len() + model.hidden_len(),
                found: self.visible.ncols() + self.hidden.ncols(),
            });
        }
        model.sample_hidden(&self.visible, temperature, rng, &mut self.hidden);
        model.sample_visible(&self.hidden, temperature, rng, &mut self.visible);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::{StateHistogram, expected_total_variation};
    use crate::rng::seeded;
    use ebm_core::math::sigmoid;
    use ebm_core::{DenseCouplings, DensePairwise, Domain, exact};
    use rand::RngExt;

    /// A 0/1 bipartite model E(v, h) = −vᵀWh − aᵀv − bᵀh, for testing the sampler.
    struct TinyRbm {
        w: DMatrix<f32>,
        a: Vec<f32>,
        b: Vec<f32>,
    }

    impl TinyRbm {
        /// The same energy as a pairwise model over (v, h), for enumeration.
        fn as_pairwise(&self) -> DensePairwise {
            let (nv, nh) = self.w.shape();
            let n = nv + nh;
            let mut full = DMatrix::zeros(n, n);
            for i in 0..nv {
                for j in 0..nh {
                    full[(i, nv + j)] = self.w[(i, j)];
                    full[(nv + j, i)] = self.w[(i, j)];
                }
            }
            let bias = self.a.iter().chain(&self.b).copied().collect();
            DensePairwise::new(Domain::Bit, DenseCouplings::new(full).unwrap(), bias).unwrap()
        }
    }

    fn bernoulli<R: Rng + ?Sized>(field: f32, t: f64, rng: &mut R) -> f32 {
        f32::from(u8::from(rng.random::<f64>() < sigmoid(f64::from(field) / t)))
    }

    impl BipartiteConditionals for TinyRbm {
        fn visible_len(&self) -> usize {
            self.w.nrows()
        }
        fn hidden_len(&self) -> usize {
            self.w.ncols()
        }
        fn sample_hidden<R: Rng + ?Sized>(
            &self,
            v: &DMatrix<f32>,
            t: f64,
            rng: &mut R,
            out: &mut DMatrix<f32>,
        ) {
            let fields = v * &self.w;
            *out = DMatrix::from_fn(v.nrows(), self.w.ncols(), |c, j| {
                bernoulli(fields[(c, j)] + self.b[j], t, rng)
            });
        }
        fn sample_visible<R: Rng + ?Sized>(
            &self,
            h: &DMatrix<f32>,
            t: f64,
            rng: &mut R,
            out: &mut DMatrix<f32>,
        ) {
            let fields = h * self.w.transpose();
            *out = DMatrix::from_fn(h.nrows(), self.w.nrows(), |c, i| {
                bernoulli(fields[(c, i)] + self.a[i], t, rng)
            });
        }
    }

    #[test]
    fn batched_block_gibbs_matches_the_joint_distribution() {
        let mut rng = seeded(12);
        let rbm = TinyRbm {
            w: DMatrix::from_fn(4, 3, |_, _| rng.random_range(-1.5f32..1.5)),
            a: (0..4).map(|_| rng.random_range(-0.5f32..0.5)).collect(),
            b: (0..3).map(|_| rng.random_range(-0.5f32..0.5)).collect(),
        };
        let t = 0.9;
        let exact = exact::probabilities(&rbm.as_pairwise(), t).unwrap();
        let batch = 500;
        let mut chains = BlockChains::from_visible(&rbm, DMatrix::zeros(batch, 4)).unwrap();
        for _ in 0..20 {
            chains.step(&rbm, t, &mut rng).unwrap();
        }
        let mut histogram = StateHistogram::new(7, Domain::Bit).unwrap();
        let steps = 100;
        for _ in 0..steps {
            chains.step(&rbm, t, &mut rng).unwrap();
            for c in 0..batch {
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
        let iid = expected_total_variation(&exact, (batch * steps) as f64);
        assert!(tv < 3.0 * iid, "TV {tv} vs iid {iid}");
    }

    #[test]
    fn shapes_and_temperatures_are_checked() {
        let rbm = TinyRbm { w: DMatrix::zeros(2, 2), a: vec![0.0; 2], b: vec![0.0; 2] };
        assert!(BlockChains::from_visible(&rbm, DMatrix::zeros(3, 5)).is_err());
        assert!(BlockChains::from_visible(&rbm, DMatrix::from_element(1, 2, f32::NAN)).is_err());
        let mut chains = BlockChains::from_visible(&rbm, DMatrix::zeros(3, 2)).unwrap();
        assert_eq!(chains.batch(), 3);
        assert!(chains.step(&rbm, -1.0, &mut seeded(0)).is_err());
        chains.hidden = DMatrix::zeros(3, 4);
        assert!(chains.step(&rbm, 1.0, &mut seeded(0)).is_err());
    }
}
