//! [`DeepBoltzmannMachine`]: layers, energy, conditionals and block Gibbs.

use crate::rbm::draw_units;
use ebm_core::error::check_finite;
use ebm_core::math::sigmoid_f32;
use ebm_core::{Error, Result};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// A deep Boltzmann machine with 0/1 units in layers x₀ = v, x₁, …, x_L
/// (L ≥ 1 hidden layers), each layer connected only to its neighbours:
///
/// E(x) = −Σ_{l=1}^{L} x_{l−1}ᵀ W_l x_l − Σ_{l=0}^{L} b_lᵀ x_l,
///
/// W_l of shape n_{l−1} × n_l. Given its two neighbours, every unit of layer
/// l is independent of the rest with
///
/// P(x_{l,j} = 1 | x_{l−1}, x_{l+1}) = σ((W_lᵀ x_{l−1})_j + (W_{l+1} x_{l+1})_j + b_{l,j}),
///
/// so the even layers are independent given the odd ones and vice versa:
/// block Gibbs alternates between the two sets ([`DbmChains`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawDbm")]
pub struct DeepBoltzmannMachine {
    weights: Vec<DMatrix<f32>>,
    biases: Vec<DVector<f32>>,
}

#[derive(Deserialize)]
struct RawDbm {
    weights: Vec<DMatrix<f32>>,
    biases: Vec<DVector<f32>>,
}

impl TryFrom<RawDbm> for DeepBoltzmannMachine {
    type Error = Error;
    fn try_from(raw: RawDbm) -> Result<Self> {
        Self::new(raw.weights, raw.biases)
    }
}

impl ebm_core::file::ModelFile for DeepBoltzmannMachine {
    const KIND: &'static str = "dbm-bernoulli";
}

impl DeepBoltzmannMachine {
    /// A machine with weights W_1 … W_L and biases b_0 … b_L: at least one
    /// weight matrix, one more bias vector than weight matrices, shapes that
    /// chain (W_l is n_{l−1} × n_l, b_l has n_l entries), no empty layer,
    /// every value finite.
    pub fn new(weights: Vec<DMatrix<f32>>, biases: Vec<DVector<f32>>) -> Result<Self> {
        if weights.is_empty() || biases.len() != weights.len() + 1 {
            return Err(Error::invalid(
                "deep Boltzmann machine",
                format!(
                    "needs L ≥ 1 weight matrices and L + 1 bias vectors, got {} and {}",
                    weights.len(),
                    biases.len()
                ),
            ));
        }
        for (l, w) in weights.iter().enumerate() {
            if w.nrows() != biases[l].len() {
                return Err(Error::shape(format!("rows of W_{}", l + 1), biases[l].len(), w.nrows()));
            }
            if w.ncols() != biases[l + 1].len() {
                return Err(Error::shape(format!("columns of W_{}", l + 1), biases[l + 1].len(), w.ncols()));
            }
            check_finite(&format!("W_{}", l + 1), w.as_slice())?;
        }
        for (l, b) in biases.iter().enumerate() {
            if b.is_empty() {
                return Err(Error::invalid("deep Boltzmann machine", format!("layer {l} has no units")));
            }
            check_finite(&format!("b_{l}"), b.as_slice())?;
        }
        Ok(Self { weights, biases })
    }

    /// A machine with the given layer sizes (visible first), weights drawn
    /// from N(0, σ²) (Box–Muller) and zero biases.
    pub fn random(sizes: &[usize], std: f32, rng: &mut (impl Rng + ?Sized)) -> Result<Self> {
        check_finite("weight scale", &[std])?;
        let mut normal = || {
            let (u, v): (f32, f32) = (rng.random::<f32>().max(f32::MIN_POSITIVE), rng.random());
            std * (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
        };
        let weights = sizes.windows(2).map(|p| DMatrix::from_fn(p[0], p[1], |_, _| normal())).collect();
        Self::new(weights, sizes.iter().map(|&n| DVector::zeros(n)).collect())
    }

    /// Number of layers L + 1, the visible one included.
    pub fn layers(&self) -> usize {
        self.biases.len()
    }

    /// The number of units n_l of each layer, visible first.
    pub fn sizes(&self) -> Vec<usize> {
        self.biases.iter().map(DVector::len).collect()
    }

    /// Number of visible units n₀.
    pub fn visible(&self) -> usize {
        self.biases[0].len()
    }

    /// W_l (n_{l−1} × n_l) for l = 1 … L.
    pub fn weights(&self, l: usize) -> &DMatrix<f32> {
        &self.weights[l - 1]
    }

    /// b_l for l = 0 … L.
    pub fn biases(&self, l: usize) -> &DVector<f32> {
        &self.biases[l]
    }

    /// Mutable weights W_1 … W_L and biases b_0 … b_L, for training
    /// algorithms; callers must keep them finite.
    pub fn parameters_mut(&mut self) -> (&mut [DMatrix<f32>], &mut [DVector<f32>]) {
        (&mut self.weights, &mut self.biases)
    }

    /// Checks a configuration given as one batch per layer: the right number
    /// of layers, each with `rows` rows of the layer's width, finite values.
    pub fn check_layers(&self, layers: &[DMatrix<f32>]) -> Result<()> {
        if layers.len() != self.layers() {
            return Err(Error::shape("layers of the configuration", self.layers(), layers.len()));
        }
        let rows = layers[0].nrows();
        for (l, x) in layers.iter().enumerate() {
            if x.ncols() != self.biases[l].len() {
                return Err(Error::shape(format!("units of layer {l}"), self.biases[l].len(), x.ncols()));
            }
            if x.nrows() != rows {
                return Err(Error::shape(format!("rows of layer {l}"), rows, x.nrows()));
            }
            check_finite(&format!("layer {l}"), x.as_slice())?;
        }
        Ok(())
    }

    /// E(x) of each row of a batched configuration (one matrix per layer), in f64.
    pub fn energy(&self, layers: &[DMatrix<f32>]) -> Result<Vec<f64>> {
        self.check_layers(layers)?;
        let rows = layers[0].nrows();
        let mut energies = vec![0.0; rows];
        for (l, w) in self.weights.iter().enumerate() {
            let coupled = &layers[l] * w;
            for (r, e) in energies.iter_mut().enumerate() {
                *e -= coupled
                    .row(r)
                    .iter()
                    .zip(layers[l + 1].row(r).iter())
                    .map(|(&a, &b)| f64::from(a * b))
                    .sum::<f64>();
            }
        }
        for (x, b) in layers.iter().zip(&self.biases) {
            for (r, e) in energies.iter_mut().enumerate() {
                *e -= x.row(r).iter().zip(b.iter()).map(|(&v, &c)| f64::from(v * c)).sum::<f64>();
            }
        }
        Ok(energies)
    }

    /// The input to layer l from its neighbours, for each row:
    /// x_{l−1} W_l + x_{l+1} W_{l+1}ᵀ + b_l (terms for missing neighbours omitted).
    pub(crate) fn layer_input(&self, layers: &[DMatrix<f32>], l: usize) -> DMatrix<f32> {
        let rows = layers[0].nrows();
        let mut input = DMatrix::zeros(rows, self.biases[l].len());
        if l > 0 {
            input += &layers[l - 1] * &self.weights[l - 1];
        }
        if l + 1 < self.layers() {
            input += &layers[l + 1] * self.weights[l].transpose();
        }
        for mut row in input.row_iter_mut() {
            row += self.biases[l].transpose();
        }
        input
    }

    /// P(x_l = 1 | neighbours) for each row: σ(x_{l−1} W_l + x_{l+1} W_{l+1}ᵀ + b_l), the
    /// terms for missing neighbours omitted.
    pub fn layer_probabilities(&self, layers: &[DMatrix<f32>], l: usize) -> Result<DMatrix<f32>> {
        self.check_layers(layers)?;
        if l >= self.layers() {
            return Err(Error::invalid("layer", format!("{l} is not below {}", self.layers())));
        }
        Ok(self.layer_input(layers, l).map(sigmoid_f32))
    }
}

/// A batch of persistent block-Gibbs chains over all layers of a DBM.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DbmChains {
    /// The current states, one batch × n_l matrix per layer.
    pub layers: Vec<DMatrix<f32>>,
}

impl DbmChains {
    /// `chains` chains with every unit drawn uniformly.
    pub fn random(dbm: &DeepBoltzmannMachine, chains: usize, rng: &mut (impl Rng + ?Sized)) -> Self {
        let layers = dbm
            .sizes()
            .iter()
            .map(|&n| DMatrix::from_fn(chains, n, |_, _| f32::from(u8::from(rng.random::<bool>()))))
            .collect();
        Self { layers }
    }

    /// The number of chains.
    pub fn batch(&self) -> usize {
        self.layers[0].nrows()
    }

    /// One block-Gibbs step: every odd layer drawn given the even ones, then
    /// every even layer given the odd ones. Each half is an exact draw from a
    /// conditional, so the step leaves P(x) invariant.
    pub fn step(&mut self, dbm: &DeepBoltzmannMachine, rng: &mut (impl Rng + ?Sized)) -> Result<()> {
        dbm.check_layers(&self.layers)?;
        for parity in [1, 0] {
            for l in (parity..dbm.layers()).step_by(2) {
                let p = dbm.layer_input(&self.layers, l).map(sigmoid_f32);
                self.layers[l] = draw_units(&p, rng);
            }
        }
        Ok(())
    }
}
