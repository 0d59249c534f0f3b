//! [`GaussianRbm`]: parameters, conditionals, free energy and block Gibbs.

use ebm_core::error::check_finite;
use ebm_core::math::{sigmoid_f32, softplus};
use ebm_core::{ContinuousEnergy, Error, Result};
use ebm_mcmc::block::BipartiteConditionals;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The largest |zᵢ| = |log σᵢ²| a model may hold: σ between e^{−20} and e^{20},
/// far beyond any sensible scale, but small enough that σ, 1/σ and their
/// squares stay finite in f32.
pub const MAX_LOG_VARIANCE: f32 = 40.0;

/// A Gaussian–Bernoulli RBM: weights W (visible × hidden), visible biases a,
/// hidden biases b and log-variances zᵢ = log σᵢ² of the visible units.
///
/// E(v, h) = Σᵢ (vᵢ − aᵢ)²/(2σᵢ²) − Σᵢⱼ (vᵢ/σᵢ) Wᵢⱼ hⱼ − bᵀh
/// (see the [module documentation](super) for its conditionals, free energy
/// and partition function).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGaussianRbm")]
pub struct GaussianRbm {
    weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
    log_variance: DVector<f32>,
}

#[derive(Deserialize)]
struct RawGaussianRbm {
    weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
    log_variance: DVector<f32>,
}

impl TryFrom<RawGaussianRbm> for GaussianRbm {
    type Error = Error;
    fn try_from(raw: RawGaussianRbm) -> Result<Self> {
        Self::new(raw.weights, raw.visible_bias, raw.hidden_bias, raw.log_variance)
    }
}

impl ebm_core::file::ModelFile for GaussianRbm {
    const KIND: &'static str = "rbm-gaussian";
}

/// The parameters of a [`GaussianRbm`], mutably, for training algorithms.
pub struct GaussianParameters<'a> {
    /// W (visible × hidden).
    pub weights: &'a mut DMatrix<f32>,
    /// a.
    pub visible_bias: &'a mut DVector<f32>,
    /// b.
    pub hidden_bias: &'a mut DVector<f32>,
    /// z = log σ².
    pub log_variance: &'a mut DVector<f32>,
}

impl GaussianRbm {
    /// A model with W (n × m), a (n), b (m) and z = log σ² (n): shapes must
    /// agree, every value be finite and |zᵢ| ≤ [`MAX_LOG_VARIANCE`].
    pub fn new(
        weights: DMatrix<f32>,
        visible_bias: DVector<f32>,
        hidden_bias: DVector<f32>,
        log_variance: DVector<f32>,
    ) -> Result<Self> {
        let model = Self { weights, visible_bias, hidden_bias, log_variance };
        model.validate()?;
        Ok(model)
    }

    /// A model given its standard deviations σᵢ (finite, > 0) instead of log-variances.
    pub fn with_std_dev(
        weights: DMatrix<f32>,
        visible_bias: DVector<f32>,
        hidden_bias: DVector<f32>,
        std_dev: &DVector<f32>,
    ) -> Result<Self> {
        if let Some(i) = std_dev.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::invalid(
                "visible standard deviations",
                format!("σ_{i} = {} is not > 0", std_dev[i]),
            ));
        }
        Self::new(weights, visible_bias, hidden_bias, std_dev.map(|s| 2.0 * s.ln()))
    }

    /// A model with zero weights and biases and σ = 1: independent standard normal visible units.
    pub fn zeros(visible: usize, hidden: usize) -> Self {
        Self {
            weights: DMatrix::zeros(visible, hidden),
            visible_bias: DVector::zeros(visible),
            hidden_bias: DVector::zeros(hidden),
            log_variance: DVector::zeros(visible),
        }
    }

    /// A model with weights drawn from N(0, `std`²), zero biases and σ = 1.
    pub fn random(visible: usize, hidden: usize, std: f32, rng: &mut (impl Rng + ?Sized)) -> Result<Self> {
        if !(std.is_finite() && std >= 0.0) {
            return Err(Error::invalid("weight scale", format!("{std} is not ≥ 0")));
        }
        let mut model = Self::zeros(visible, hidden);
        model.weights.iter_mut().for_each(|w| *w = std * Distribution::<f32>::sample(&StandardNormal, rng));
        Ok(model)
    }

    /// Checks the invariants [`new`](Self::new) establishes; for callers that
    /// changed the parameters through [`parameters_mut`](Self::parameters_mut).
    pub fn validate(&self) -> Result<()> {
        let (nv, nh) = self.weights.shape();
        for (what, expected, found) in [
            ("visible bias", nv, self.visible_bias.len()),
            ("log-variances", nv, self.log_variance.len()),
            ("hidden bias", nh, self.hidden_bias.len()),
        ] {
            if found != expected {
                return Err(Error::shape(what, expected, found));
            }
        }
        check_finite("RBM weights", self.weights.as_slice())?;
        check_finite("visible bias", self.visible_bias.as_slice())?;
        check_finite("hidden bias", self.hidden_bias.as_slice())?;
        check_finite("log-variances", self.log_variance.as_slice())?;
        if let Some(i) = self.log_variance.iter().position(|z| z.abs() > MAX_LOG_VARIANCE) {
            return Err(Error::invalid(
                "log-variances",
                format!("log σ_{i}² = {} lies outside ±{MAX_LOG_VARIANCE}", self.log_variance[i]),
            ));
        }
        Ok(())
    }

    /// Number of visible units n.
    pub fn visible(&self) -> usize {
        self.weights.nrows()
    }

    /// Number of hidden units m.
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

    /// z = log σ².
    pub fn log_variance(&self) -> &DVector<f32> {
        &self.log_variance
    }

    /// σ = exp(z/2).
    pub fn std_dev(&self) -> DVector<f32> {
        self.log_variance.map(|z| (0.5 * z).exp())
    }

    /// Mutable parameters, for training algorithms. Callers must restore the
    /// invariants of [`new`](Self::new) (check with [`validate`](Self::validate)).
    pub fn parameters_mut(&mut self) -> GaussianParameters<'_> {
        GaussianParameters {
            weights: &mut self.weights,
            visible_bias: &mut self.visible_bias,
            hidden_bias: &mut self.hidden_bias,
            log_variance: &mut self.log_variance,
        }
    }

    /// Checks a batch of rows: `width` columns, finite values.
    fn check_batch(what: &str, batch: &DMatrix<f32>, width: usize) -> Result<()> {
        if batch.ncols() != width {
            return Err(Error::shape(what, width, batch.ncols()));
        }
        check_finite(what, batch.as_slice())
    }

    /// The rows of `visible` divided by σ, column by column: vᵢ/σᵢ.
    pub(crate) fn scaled(&self, visible: &DMatrix<f32>) -> DMatrix<f32> {
        let inverse = self.log_variance.map(|z| (-0.5 * z).exp());
        DMatrix::from_fn(visible.nrows(), visible.ncols(), |r, i| visible[(r, i)] * inverse[i])
    }

    /// Hidden pre-activations β((V/σ)W + 1bᵀ) for a batch of visible rows.
    pub(crate) fn hidden_input(&self, visible: &DMatrix<f32>, beta: f32) -> DMatrix<f32> {
        let mut x = self.scaled(visible) * &self.weights;
        for mut row in x.row_iter_mut() {
            row += self.hidden_bias.transpose();
        }
        if beta != 1.0 {
            x *= beta;
        }
        x
    }

    /// The visible means a + σ ⊙ (Wh) for each row h of `hidden`, unchecked.
    fn means(&self, hidden: &DMatrix<f32>) -> DMatrix<f32> {
        let sigma = self.std_dev();
        let mut x = hidden * self.weights.transpose();
        for mut row in x.row_iter_mut() {
            row.iter_mut().enumerate().for_each(|(i, c)| *c = self.visible_bias[i] + sigma[i] * *c);
        }
        x
    }

    /// P(h = 1 | v) for each row of `visible` (batch × n): σ(b + Wᵀ(v/σ)).
    pub fn hidden_probabilities(&self, visible: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Self::check_batch("visible batch", visible, self.visible())?;
        Ok(self.hidden_input(visible, 1.0).map(sigmoid_f32))
    }

    /// E[v | h] = a + σ ⊙ (Wh) for each row of `hidden` (batch × m).
    pub fn visible_means(&self, hidden: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Self::check_batch("hidden batch", hidden, self.hidden())?;
        Ok(self.means(hidden))
    }

    /// v ~ N(a + σ ⊙ (Wh), diag σ²) for each row of `hidden`.
    pub fn draw_visible<R: Rng + ?Sized>(&self, hidden: &DMatrix<f32>, rng: &mut R) -> Result<DMatrix<f32>> {
        Self::check_batch("hidden batch", hidden, self.hidden())?;
        let mut out = DMatrix::zeros(0, 0);
        self.sample_visible(hidden, 1.0, rng, &mut out);
        Ok(out)
    }

    /// h ~ P(h | v), 0/1 units, for each row of `visible`.
    pub fn draw_hidden<R: Rng + ?Sized>(&self, visible: &DMatrix<f32>, rng: &mut R) -> Result<DMatrix<f32>> {
        Self::check_batch("visible batch", visible, self.visible())?;
        let mut out = DMatrix::zeros(0, 0);
        self.sample_hidden(visible, 1.0, rng, &mut out);
        Ok(out)
    }

    /// F(v) = Σᵢ (vᵢ − aᵢ)²/(2σᵢ²) − Σⱼ softplus(bⱼ + Σᵢ Wᵢⱼ vᵢ/σᵢ) for each
    /// row; the hidden inputs are one f32 matrix product, the sums are f64.
    pub fn free_energy(&self, visible: &DMatrix<f32>) -> Result<Vec<f64>> {
        Self::check_batch("visible batch", visible, self.visible())?;
        let x = self.hidden_input(visible, 1.0);
        Ok((0..visible.nrows())
            .map(|r| {
                let row = visible.row(r);
                self.quadratic(row.iter().map(|&v| f64::from(v)))
                    - x.row(r).iter().map(|&u| softplus(f64::from(u))).sum::<f64>()
            })
            .collect())
    }

    /// Σᵢ (vᵢ − aᵢ)²/(2σᵢ²), in f64.
    fn quadratic(&self, visible: impl Iterator<Item = f64>) -> f64 {
        visible
            .zip(self.visible_bias.iter().zip(self.log_variance.iter()))
            .map(|(v, (&a, &z))| 0.5 * (v - f64::from(a)).powi(2) * (-f64::from(z)).exp())
            .sum()
    }

    /// E(v, h) of one configuration, in f64.
    pub fn energy(&self, visible: &[f32], hidden: &[f32]) -> Result<f64> {
        if visible.len() != self.visible() || hidden.len() != self.hidden() {
            return Err(Error::shape(
                "RBM configuration (visible + hidden)",
                self.visible() + self.hidden(),
                visible.len() + hidden.len(),
            ));
        }
        check_finite("visible state", visible)?;
        check_finite("hidden state", hidden)?;
        let mut e = self.quadratic(visible.iter().map(|&v| f64::from(v)));
        for (i, &v) in visible.iter().enumerate() {
            let scaled = f64::from(v) * (-0.5 * f64::from(self.log_variance[i])).exp();
            for (j, &h) in hidden.iter().enumerate() {
                e -= scaled * f64::from(self.weights[(i, j)]) * f64::from(h);
            }
        }
        e -= hidden.iter().zip(self.hidden_bias.iter()).map(|(&h, &b)| f64::from(h * b)).sum::<f64>();
        Ok(e)
    }

    /// The same density expressed in other coordinates: if this model
    /// describes u, the returned one describes x = o + s ⊙ u (`offset` o,
    /// `scale` s > 0), so that p_x(x) = p_u(u) / Πᵢ sᵢ.
    ///
    /// Substituting u = (x − o)/s into E gives a GB-RBM in x with
    /// a′ = o + s ⊙ a, σ′ = s ⊙ σ (z′ = z + 2 log s), W′ = W and
    /// b′ⱼ = bⱼ − Σᵢ Wᵢⱼ oᵢ/σ′ᵢ: the energies agree state by state, and Z
    /// picks up the Jacobian Π sᵢ. This maps a model trained on
    /// standardised data (o the data's mean, s its standard deviation) back
    /// to the data's units, and its inverse (o′ = −o/s, s′ = 1/s) maps it back.
    pub fn rescaled(&self, offset: &[f32], scale: &[f32]) -> Result<Self> {
        let n = self.visible();
        if offset.len() != n || scale.len() != n {
            return Err(Error::shape("offset and scale", 2 * n, offset.len() + scale.len()));
        }
        check_finite("offset", offset)?;
        if let Some(i) = scale.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::invalid("scale", format!("s_{i} = {} is not > 0", scale[i])));
        }
        let log_variance = DVector::from_fn(n, |i, _| self.log_variance[i] + 2.0 * scale[i].ln());
        let visible_bias = DVector::from_fn(n, |i, _| offset[i] + scale[i] * self.visible_bias[i]);
        let hidden_bias = DVector::from_fn(self.hidden(), |j, _| {
            let shift: f64 = (0..n)
                .map(|i| {
                    f64::from(self.weights[(i, j)]) * f64::from(offset[i])
                        / (0.5 * f64::from(log_variance[i])).exp()
                })
                .sum();
            (f64::from(self.hidden_bias[j]) - shift) as f32
        });
        Self::new(self.weights.clone(), visible_bias, hidden_bias, log_variance)
    }
}

impl BipartiteConditionals for GaussianRbm {
    fn visible_len(&self) -> usize {
        self.visible()
    }

    fn hidden_len(&self) -> usize {
        self.hidden()
    }

    /// h ~ P(h | v) at temperature T: hⱼ on with probability σ((bⱼ + Σᵢ Wᵢⱼ vᵢ/σᵢ)/T).
    fn sample_hidden<R: Rng + ?Sized>(
        &self,
        visible: &DMatrix<f32>,
        t: f64,
        rng: &mut R,
        out: &mut DMatrix<f32>,
    ) {
        let input = self.hidden_input(visible, (1.0 / t) as f32);
        *out = input.map(|x| f32::from(u8::from(rng.random::<f32>() < sigmoid_f32(x))));
    }

    /// v ~ p(v | h) at temperature T: vᵢ ~ N(aᵢ + σᵢ(Wh)ᵢ, T σᵢ²) (e^{−E/T}
    /// keeps the mean and scales the variance by T).
    fn sample_visible<R: Rng + ?Sized>(
        &self,
        hidden: &DMatrix<f32>,
        t: f64,
        rng: &mut R,
        out: &mut DMatrix<f32>,
    ) {
        let spread = self.std_dev() * (t.sqrt() as f32);
        let mut x = self.means(hidden);
        for mut row in x.row_iter_mut() {
            row.iter_mut().enumerate().for_each(|(i, v)| {
                let noise: f32 = StandardNormal.sample(rng);
                *v += spread[i] * noise;
            });
        }
        *out = x;
    }
}

/// The free energy as a continuous energy over v (f64 throughout), so that
/// quadrature, heat maps and the continuous samplers apply: p(v) = e^{−F(v)}/Z.
impl ContinuousEnergy for GaussianRbm {
    fn dim(&self) -> usize {
        self.visible()
    }

    fn energy(&self, x: &[f64]) -> f64 {
        let scaled: Vec<f64> =
            x.iter().zip(self.log_variance.iter()).map(|(&v, &z)| v * (-0.5 * f64::from(z)).exp()).collect();
        let hidden: f64 = (0..self.hidden())
            .map(|j| {
                let input: f64 =
                    scaled.iter().enumerate().map(|(i, &s)| s * f64::from(self.weights[(i, j)])).sum();
                softplus(f64::from(self.hidden_bias[j]) + input)
            })
            .sum();
        self.quadratic(x.iter().copied()) - hidden
    }
}
