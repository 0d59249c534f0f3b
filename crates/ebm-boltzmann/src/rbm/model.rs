//! [`BernoulliRbm`]: parameters, conditionals, free energy and block Gibbs.
//!
//! Besides W (visible × hidden, column-major) the model keeps W in the two
//! panel layouts of [`ebm_kernels::panels`]: Wᵀ, whose column i is row i of W, for
//! hidden inputs vW, and W itself, for visible inputs Wh. With 0/1 states both
//! products are sums of selected columns, which costs (number of ones) ×
//! (layer size) additions — far less than a dense product when states are
//! sparse, and as fast at half density. The layouts are rebuilt whenever W
//! changes, so they always equal W.

use super::draw::{draw_columns, draw_units};
use ebm_core::error::check_finite;
use ebm_core::math::{sigmoid_f32, sigmoid_f32x16, softplus};
use ebm_core::{Error, Result};
use ebm_kernels::binary::BinaryRows;
use ebm_kernels::panels::{PANEL, Panels, sum_selected_columns};
use ebm_mcmc::block::BipartiteConditionals;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A Bernoulli–Bernoulli RBM: weights W (visible × hidden), visible biases a
/// and hidden biases b, all finite.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "RawRbm", into = "RawRbm")]
pub struct BernoulliRbm {
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
    /// Wᵀ (hidden × visible) in panels: the table of v ↦ vW, and the copy of
    /// W that the others are derived from.
    for_hidden: Panels,
    /// W (visible × hidden) in panels: the table of h ↦ Wh.
    for_visible: Panels,
    /// W (visible × hidden) as a matrix, built when first asked for after a change.
    weights: OnceLock<DMatrix<f32>>,
}

/// The parameters as stored in files: W, a and b.
#[derive(Serialize, Deserialize)]
struct RawRbm {
    weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

impl From<BernoulliRbm> for RawRbm {
    fn from(rbm: BernoulliRbm) -> Self {
        let weights = rbm.weights().clone();
        Self { weights, visible_bias: rbm.visible_bias, hidden_bias: rbm.hidden_bias }
    }
}

impl PartialEq for BernoulliRbm {
    fn eq(&self, other: &Self) -> bool {
        self.for_hidden == other.for_hidden
            && self.visible_bias == other.visible_bias
            && self.hidden_bias == other.hidden_bias
    }
}

impl std::fmt::Debug for BernoulliRbm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BernoulliRbm")
            .field("weights", self.weights())
            .field("visible_bias", &self.visible_bias)
            .field("hidden_bias", &self.hidden_bias)
            .finish()
    }
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

/// x ↦ f(unit, β x): the map from inputs to what a caller wants (probabilities, inputs).
fn scaled(beta: f32, f: impl Fn(f32) -> f32 + Sync) -> impl Fn(usize, f32) -> f32 + Sync {
    move |_, x| f(beta * x)
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
        Ok(Self::assemble(weights, visible_bias, hidden_bias))
    }

    /// The model of checked parameters, with its weight layouts built.
    fn assemble(weights: DMatrix<f32>, visible_bias: DVector<f32>, hidden_bias: DVector<f32>) -> Self {
        let mut rbm = Self {
            visible_bias,
            hidden_bias,
            for_hidden: Panels::default(),
            for_visible: Panels::default(),
            weights: OnceLock::new(),
        };
        rbm.set_weights(weights);
        rbm
    }

    /// Sets W and builds both panel layouts from it.
    fn set_weights(&mut self, weights: DMatrix<f32>) {
        self.for_hidden.copy_from_transpose(&weights);
        self.for_visible.copy_from_matrix(&weights);
        self.weights = OnceLock::from(weights);
    }

    /// An RBM with zero parameters.
    pub fn zeros(visible: usize, hidden: usize) -> Self {
        Self::assemble(DMatrix::zeros(visible, hidden), DVector::zeros(visible), DVector::zeros(hidden))
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
        Ok(Self::assemble(weights, DVector::zeros(visible), DVector::zeros(hidden)))
    }

    /// Number of visible units.
    pub fn visible(&self) -> usize {
        self.visible_bias.len()
    }

    /// Number of hidden units.
    pub fn hidden(&self) -> usize {
        self.hidden_bias.len()
    }

    /// W (visible × hidden).
    pub fn weights(&self) -> &DMatrix<f32> {
        self.weights.get_or_init(|| {
            let mut weights = DMatrix::zeros(self.visible(), self.hidden());
            self.for_hidden.write_transpose_to(&mut weights);
            weights
        })
    }

    /// a.
    pub fn visible_bias(&self) -> &DVector<f32> {
        &self.visible_bias
    }

    /// b.
    pub fn hidden_bias(&self) -> &DVector<f32> {
        &self.hidden_bias
    }

    /// Mutable biases (a, b), for training algorithms. Callers must keep them finite.
    pub fn biases_mut(&mut self) -> (&mut DVector<f32>, &mut DVector<f32>) {
        (&mut self.visible_bias, &mut self.hidden_bias)
    }

    /// Changes W by `change`, then rebuilds the panel layouts. If the changed
    /// W has another shape or a non-finite entry, the RBM keeps its old W and
    /// the error says why. To add a step to every weight,
    /// [`BernoulliRbm::add_to_weights`] is faster.
    pub fn update_weights(&mut self, change: impl FnOnce(&mut DMatrix<f32>)) -> Result<()> {
        let mut weights = self.weights().clone();
        change(&mut weights);
        if weights.shape() != (self.visible(), self.hidden()) {
            return Err(Error::invalid(
                "changed RBM weights",
                format!("{}×{}, not {}×{}", weights.nrows(), weights.ncols(), self.visible(), self.hidden()),
            ));
        }
        check_finite("changed RBM weights", weights.as_slice())?;
        self.set_weights(weights);
        Ok(())
    }

    /// Wᵀ (hidden × visible) in panels, the layout in which training computes
    /// its weight gradient: column i of it is row i of W.
    pub fn transposed_weights(&self) -> &Panels {
        &self.for_hidden
    }

    /// W ← W + Δ for Δ given as Δᵀ in the layout of
    /// [`BernoulliRbm::transposed_weights`] (its padding rows must be 0).
    /// Both panel layouts are updated in one parallel pass; W as a matrix is
    /// rebuilt when next asked for. Callers keep W finite.
    pub fn add_to_weights(&mut self, delta: &Panels) -> Result<()> {
        if (delta.rows(), delta.cols()) != (self.hidden(), self.visible()) {
            return Err(Error::invalid(
                "weight change Δᵀ",
                format!(
                    "{}×{}, not hidden × visible = {}×{}",
                    delta.rows(),
                    delta.cols(),
                    self.hidden(),
                    self.visible()
                ),
            ));
        }
        // The W panel of visible block q holds, for hidden block p, the
        // PANEL × PANEL piece of columns PANEL·p…; hand each hidden block its pieces.
        let mut pieces: Vec<Vec<&mut [f32]>> = (0..delta.panel_count()).map(|_| Vec::new()).collect();
        let visible_panel_len = (self.hidden() * PANEL).max(1);
        for panel in self.for_visible.as_mut_slice().chunks_mut(visible_panel_len) {
            for (p, piece) in panel.chunks_mut(PANEL * PANEL).enumerate() {
                pieces[p].push(piece);
            }
        }
        self.for_hidden.panels_mut().zip(delta.panels()).zip(pieces).for_each(
            |((weights, delta), mut pieces)| {
                // Visible units PANEL·q … at a time: update their PANEL columns
                // of this hidden panel, then copy the PANEL × PANEL block transposed.
                let blocks = weights.chunks_mut(PANEL * PANEL).zip(delta.chunks(PANEL * PANEL));
                for ((weights, delta), piece) in blocks.zip(pieces.iter_mut()) {
                    weights.iter_mut().zip(delta).for_each(|(w, &d)| *w += d);
                    for (t, column) in piece.chunks_exact_mut(PANEL).enumerate() {
                        column.iter_mut().zip(weights.chunks_exact(PANEL)).for_each(|(copy, w)| *copy = w[t]);
                    }
                }
            },
        );
        self.weights = OnceLock::new();
        Ok(())
    }

    /// Checks a batch of visible or hidden rows: `width` columns, finite values.
    fn check_batch(what: &str, batch: &DMatrix<f32>, width: usize) -> Result<()> {
        if batch.ncols() != width {
            return Err(Error::ShapeMismatch { what: what.into(), expected: width, found: batch.ncols() });
        }
        check_finite(what, batch.as_slice())
    }

    /// out_{jr} = f(j, (v_r W)_j + b_j) for the 0/1 visible states v_r that are the rows
    /// of `visible` (out is hidden × samples; padding rows are 0). f receives
    /// the hidden unit's index and its input.
    pub fn map_hidden_inputs(
        &self,
        visible: &BinaryRows,
        f: impl Fn(usize, f32) -> f32 + Sync,
        out: &mut Panels,
    ) {
        assert_eq!(visible.width(), self.visible(), "visible states must have one entry per visible unit");
        map_layer_inputs(&self.for_hidden, &self.hidden_bias, visible, f, out);
    }

    /// out_{ir} = f(i, (W h_r)_i + a_i) for the 0/1 hidden states h_r that are the rows
    /// of `hidden` (out is visible × samples; padding rows are 0).
    pub fn map_visible_inputs(
        &self,
        hidden: &BinaryRows,
        f: impl Fn(usize, f32) -> f32 + Sync,
        out: &mut Panels,
    ) {
        assert_eq!(hidden.width(), self.hidden(), "hidden states must have one entry per hidden unit");
        map_layer_inputs(&self.for_visible, &self.visible_bias, hidden, f, out);
    }

    /// out_{jr} = P_β(h_j = 1 | v_r) = σ(β((v_r W)_j + b_j)) for the 0/1 visible
    /// states v_r that are the rows of `visible` (out is hidden × samples;
    /// padding rows are 0); the same values as [`BernoulliRbm::map_hidden_inputs`]
    /// with f(j, x) = σ(βx), computed 16 units at a time.
    pub fn map_hidden_probabilities(&self, visible: &BinaryRows, beta: f32, out: &mut Panels) {
        assert_eq!(visible.width(), self.visible(), "visible states must have one entry per visible unit");
        map_layer_probabilities(&self.for_hidden, &self.hidden_bias, visible, beta, out);
    }

    /// out_{ir} = P_β(v_i = 1 | h_r) = σ(β((W h_r)_i + a_i)) for the 0/1 hidden
    /// states h_r that are the rows of `hidden` (out is visible × samples;
    /// padding rows are 0), computed 16 units at a time.
    pub fn map_visible_probabilities(&self, hidden: &BinaryRows, beta: f32, out: &mut Panels) {
        assert_eq!(hidden.width(), self.hidden(), "hidden states must have one entry per hidden unit");
        map_layer_probabilities(&self.for_visible, &self.visible_bias, hidden, beta, out);
    }

    /// Hidden pre-activations β(VW + 1bᵀ) for a batch of visible rows (dense path, any values).
    fn hidden_input(&self, visible: &DMatrix<f32>, beta: f32) -> DMatrix<f32> {
        let mut x = visible * self.weights();
        for mut row in x.row_iter_mut() {
            row += self.hidden_bias.transpose();
        }
        if beta != 1.0 {
            x *= beta;
        }
        x
    }

    /// Visible pre-activations β(HWᵀ + 1aᵀ) for a batch of hidden rows (dense path, any values).
    fn visible_input(&self, hidden: &DMatrix<f32>, beta: f32) -> DMatrix<f32> {
        let mut x = (self.weights() * hidden.transpose()).transpose();
        for mut row in x.row_iter_mut() {
            row += self.visible_bias.transpose();
        }
        if beta != 1.0 {
            x *= beta;
        }
        x
    }

    /// f applied to the hidden inputs of each row of `visible` at inverse temperature β,
    /// as a batch × hidden matrix: the sparse path for 0/1 rows, a dense product otherwise.
    fn hidden_batch(&self, visible: &DMatrix<f32>, beta: f32, f: impl Fn(f32) -> f32 + Sync) -> DMatrix<f32> {
        match BinaryRows::from_matrix(visible) {
            Some(bits) => {
                let mut out = Panels::default();
                self.map_hidden_inputs(&bits, scaled(beta, f), &mut out);
                let mut batch = DMatrix::zeros(0, 0);
                out.write_transpose_to(&mut batch);
                batch
            }
            None => self.hidden_input(visible, beta).map(f),
        }
    }

    /// f applied to the visible inputs of each row of `hidden` at inverse temperature β (batch × visible).
    fn visible_batch(&self, hidden: &DMatrix<f32>, beta: f32, f: impl Fn(f32) -> f32 + Sync) -> DMatrix<f32> {
        match BinaryRows::from_matrix(hidden) {
            Some(bits) => {
                let mut out = Panels::default();
                self.map_visible_inputs(&bits, scaled(beta, f), &mut out);
                let mut batch = DMatrix::zeros(0, 0);
                out.write_transpose_to(&mut batch);
                batch
            }
            None => self.visible_input(hidden, beta).map(f),
        }
    }

    /// P(h = 1 | v) for each row of `visible` (batch × visible): σ(VW + 1bᵀ).
    pub fn hidden_probabilities(&self, visible: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Self::check_batch("visible batch", visible, self.visible())?;
        Ok(self.hidden_batch(visible, 1.0, sigmoid_f32))
    }

    /// P(v = 1 | h) for each row of `hidden` (batch × hidden): σ(HWᵀ + 1aᵀ).
    pub fn visible_probabilities(&self, hidden: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Self::check_batch("hidden batch", hidden, self.hidden())?;
        Ok(self.visible_batch(hidden, 1.0, sigmoid_f32))
    }

    /// F(v) = −aᵀv − Σ_j softplus(b_j + (vᵀW)_j) for each row, in f64.
    pub fn free_energy(&self, visible: &DMatrix<f32>) -> Result<Vec<f64>> {
        Self::check_batch("visible batch", visible, self.visible())?;
        let x = self.hidden_batch(visible, 1.0, |x| x);
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
        let weights = self.weights();
        let mut e = 0.0;
        for (i, &v) in visible.iter().enumerate() {
            e -= f64::from(v) * f64::from(self.visible_bias[i]);
            for (j, &h) in hidden.iter().enumerate() {
                e -= f64::from(v) * f64::from(weights[(i, j)]) * f64::from(h);
            }
        }
        e -= hidden
            .iter()
            .zip(self.hidden_bias.iter())
            .map(|(&h, &b)| f64::from(h) * f64::from(b))
            .sum::<f64>();
        Ok(e)
    }

    /// h ~ P_β(h | v) for each row of the 0/1 states `visible`: h_j on with
    /// probability σ(β((vW)_j + b_j)). `probabilities` receives those
    /// probabilities (hidden × samples).
    pub fn sample_hidden_of<R: Rng + ?Sized>(
        &self,
        visible: &BinaryRows,
        beta: f32,
        rng: &mut R,
        probabilities: &mut Panels,
    ) -> BinaryRows {
        self.map_hidden_probabilities(visible, beta, probabilities);
        draw_columns(probabilities, rng)
    }

    /// v ~ P_β(v | h) for each row of the 0/1 states `hidden`: v_i on with
    /// probability σ(β((Wh)_i + a_i)). `probabilities` receives those
    /// probabilities (visible × samples).
    pub fn sample_visible_of<R: Rng + ?Sized>(
        &self,
        hidden: &BinaryRows,
        beta: f32,
        rng: &mut R,
        probabilities: &mut Panels,
    ) -> BinaryRows {
        self.map_visible_probabilities(hidden, beta, probabilities);
        draw_columns(probabilities, rng)
    }
}

/// out_{·r} = f(unit, T s_r + bias) for the 0/1 states s_r that are the rows of
/// `states`, with T the layer's weight table; padding rows of out are set to 0.
fn map_layer_inputs(
    table: &Panels,
    bias: &DVector<f32>,
    states: &BinaryRows,
    f: impl Fn(usize, f32) -> f32 + Sync,
    out: &mut Panels,
) {
    let units = bias.len();
    map_layer_panels(
        table,
        bias,
        states,
        |top, values| {
            // Only the panel's real units: f may be defined on units alone.
            let height = PANEL.min(units - top);
            for (t, value) in values[..height].iter_mut().enumerate() {
                *value = f(top + t, *value);
            }
        },
        out,
    );
}

/// out_{·r} = σ(β (T s_r + bias)) for the 0/1 states s_r that are the rows
/// of `states`, PANEL units at a time ([`sigmoid_f32x16`]).
fn map_layer_probabilities(
    table: &Panels,
    bias: &DVector<f32>,
    states: &BinaryRows,
    beta: f32,
    out: &mut Panels,
) {
    map_layer_panels(
        table,
        bias,
        states,
        |_, values| *values = sigmoid_f32x16(values.map(|x| beta * x)),
        out,
    );
}

/// out_{·r} = g(T s_r + bias) panel by panel: `g(top, values)` transforms
/// the inputs of units top … top + PANEL − 1 of one sample in place (past
/// the last unit, anything); padding rows of out are then set to 0.
fn map_layer_panels(
    table: &Panels,
    bias: &DVector<f32>,
    states: &BinaryRows,
    g: impl Fn(usize, &mut [f32; PANEL]) + Sync,
    out: &mut Panels,
) {
    let units = bias.len();
    let mut padded = bias.as_slice().to_vec();
    padded.resize(units.div_ceil(PANEL) * PANEL, 0.0);
    sum_selected_columns(table, states, out, |p, values| {
        let bias: &[f32; PANEL] =
            padded[p * PANEL..][..PANEL].try_into().expect("bias padded to whole panels");
        values.iter_mut().zip(bias).for_each(|(value, &b)| *value += b);
        let top = p * PANEL;
        g(top, values);
        if top + PANEL > units {
            values[units - top..].fill(0.0);
        }
    });
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
        let beta = (1.0 / t) as f32;
        match BinaryRows::from_matrix(visible) {
            Some(bits) => self.sample_hidden_of(&bits, beta, rng, &mut Panels::default()).write_to(out),
            None => *out = draw_units(&self.hidden_input(visible, beta).map(sigmoid_f32), rng),
        }
    }

    /// v ~ P(v | h) at temperature T: v_i on with probability σ((a_i + (Wh)_i)/T).
    fn sample_visible<R: Rng + ?Sized>(
        &self,
        hidden: &DMatrix<f32>,
        t: f64,
        rng: &mut R,
        out: &mut DMatrix<f32>,
    ) {
        let beta = (1.0 / t) as f32;
        match BinaryRows::from_matrix(hidden) {
            Some(bits) => self.sample_visible_of(&bits, beta, rng, &mut Panels::default()).write_to(out),
            None => *out = draw_units(&self.visible_input(hidden, beta).map(sigmoid_f32), rng),
        }
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
        let (a, b) = rbm.biases_mut();
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

    fn random_bits(seed: u64, rows: usize, cols: usize) -> DMatrix<f32> {
        let mut rng = seeded(seed);
        DMatrix::from_fn(rows, cols, |_, _| f32::from(u8::from(rng.random::<f32>() < 0.4)))
    }

    #[test]
    fn sparse_and_dense_products_agree() {
        // 40 × 37 leaves partial panels in both layouts.
        let rbm = random_rbm(6, 40, 37);
        let (visible, hidden) = (random_bits(7, 9, 40), random_bits(8, 9, 37));
        let close =
            |a: &DMatrix<f32>, b: &DMatrix<f32>| a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() < 1e-5);
        let sparse = rbm.hidden_probabilities(&visible).unwrap();
        assert!(close(&sparse, &rbm.hidden_input(&visible, 1.0).map(sigmoid_f32)));
        let sparse = rbm.visible_probabilities(&hidden).unwrap();
        assert!(close(&sparse, &rbm.visible_input(&hidden, 1.0).map(sigmoid_f32)));
        // Non-binary states take the dense path.
        let halves = visible.map(|v| v * 0.5);
        assert!(close(
            &rbm.hidden_probabilities(&halves).unwrap(),
            &rbm.hidden_input(&halves, 1.0).map(sigmoid_f32)
        ));
    }

    #[test]
    fn adding_to_the_weights_updates_every_layout() {
        let mut rbm = random_rbm(9, 40, 37);
        let delta = DMatrix::from_fn(40, 37, |i, j| ((i * 7 + j * 3) % 11) as f32 * 0.01 - 0.05);
        let expected = rbm.weights() + &delta;
        let mut transposed = Panels::default();
        transposed.copy_from_transpose(&delta);
        rbm.add_to_weights(&transposed).unwrap();
        assert_eq!(rbm.weights(), &expected);
        let rebuilt =
            BernoulliRbm::new(expected, rbm.visible_bias().clone(), rbm.hidden_bias().clone()).unwrap();
        let hidden = BinaryRows::from_matrix(&random_bits(10, 5, 37)).unwrap();
        let (mut ours, mut theirs) = (Panels::default(), Panels::default());
        rbm.map_visible_inputs(&hidden, |_, x| x, &mut ours);
        rebuilt.map_visible_inputs(&hidden, |_, x| x, &mut theirs);
        assert_eq!(ours, theirs);
        assert_eq!(rbm, rebuilt);
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
        // Weight changes that break the shape or finiteness leave W as it was.
        let mut changed = rbm.clone();
        assert!(changed.update_weights(|w| *w = DMatrix::zeros(3, 2)).is_err());
        assert!(changed.update_weights(|w| w[(1, 2)] = f32::NAN).is_err());
        assert!(changed.add_to_weights(&Panels::zeros(2, 3)).is_err());
        assert_eq!(changed, rbm);
        changed.update_weights(|w| w[(1, 2)] = 0.5).unwrap();
        assert_eq!(changed.weights()[(1, 2)], 0.5);
        assert_eq!(changed.transposed_weights().get(2, 1), 0.5);
    }
}
