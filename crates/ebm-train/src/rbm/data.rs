//! The data side of a Bernoulli RBM's gradient: training rows of 0/1 states
//! or of intensities in [0, 1], and the statistics of a batch of them.
//!
//! For a batch V of B rows with P = P(h = 1 | V) (hidden × batch), the data
//! terms of the gradient are
//!
//! ⟨v_i P(h_j = 1 | v)⟩ = (1/B) Σ_r v_ri P_jr,  ⟨v_i⟩ = (1/B) Σ_r v_ri,
//!
//! with P(h_j = 1 | v) = σ(b_j + Σ_i v_i W_ij). For 0/1 rows the first is a
//! sum of the columns of P of the samples with v_i = 1, which the sparse
//! kernels compute without multiplying. Intensities (grey levels, or the
//! probabilities of a soft label) enter the same formulas with their real
//! values — the mean-field reading of v as the probabilities of the units
//! being on, as scikit-learn's `BernoulliRBM` trains: the gradient is that of
//! −F(v) = aᵀv + Σ_j softplus(b_j + vᵀW_{·j}) evaluated at the given v, and
//! the model term is unchanged. The product P V is then one dense product.

use ebm_boltzmann::BernoulliRbm;
use ebm_core::{Error, Result};
use ebm_kernels::binary::BinaryRows;
use ebm_kernels::panels::{PANEL, Panels, sum_panel_columns};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use rayon::prelude::*;

/// Training data for a Bernoulli RBM: rows of values in [0, 1].
///
/// Rows of 0s and 1s only are kept as the positions of their ones, which the
/// fast sparse path reads; any other value in [0, 1] makes the data
/// *intensities*, whose gradient uses the values themselves (module docs).
pub struct BernoulliData {
    rows: Rows,
}

/// Checks that every entry of `data` (examples × units) lies in [0, 1], the
/// values that binary units' data may take; the error names the row and column.
pub(crate) fn check_unit_interval(data: &DMatrix<f32>) -> Result<()> {
    match data.iter().position(|v| !(0.0..=1.0).contains(v)) {
        None => Ok(()),
        Some(index) => Err(Error::Invalid {
            what: "training data".into(),
            reason: format!(
                "row {}, column {} is {}, not in [0, 1] (binary units take 0/1 states or \
                 intensities in [0, 1]; rescale or binarise the data first)",
                index % data.nrows(),
                index / data.nrows(),
                data[index]
            ),
        }),
    }
}

/// The rows in the form the gradient reads.
enum Rows {
    /// 0/1 states, as the columns of their ones.
    Binary(BinaryRows),
    /// Intensities, examples × width.
    Intensities(DMatrix<f32>),
}

impl BernoulliData {
    /// The rows of `data`, or an error naming an entry outside [0, 1] (or
    /// not a number).
    pub fn new(data: &DMatrix<f32>) -> Result<Self> {
        if let Some(rows) = BinaryRows::from_matrix(data) {
            return Ok(Self { rows: Rows::Binary(rows) });
        }
        check_unit_interval(data)?;
        Ok(Self { rows: Rows::Intensities(data.clone()) })
    }

    /// Whether the rows are intensities rather than 0/1 states.
    pub fn is_intensities(&self) -> bool {
        matches!(self.rows, Rows::Intensities(_))
    }

    /// The number of examples.
    pub fn examples(&self) -> usize {
        match &self.rows {
            Rows::Binary(rows) => rows.rows(),
            Rows::Intensities(rows) => rows.nrows(),
        }
    }

    /// The number of values per example.
    pub fn width(&self) -> usize {
        match &self.rows {
            Rows::Binary(rows) => rows.width(),
            Rows::Intensities(rows) => rows.ncols(),
        }
    }

    /// The rows at `indices`, in that order.
    pub(crate) fn select(&self, indices: &[usize]) -> Batch {
        match &self.rows {
            Rows::Binary(rows) => Batch::Binary(rows.select(indices)),
            Rows::Intensities(rows) => Batch::Intensities(rows.select_rows(indices)),
        }
    }

    /// 0/1 states at the rows `indices`, to start chains from: the rows
    /// themselves, or for intensities a draw with P(v_i = 1) = v_i.
    pub(crate) fn states<R: Rng + ?Sized>(&self, indices: &[usize], rng: &mut R) -> BinaryRows {
        match &self.rows {
            Rows::Binary(rows) => rows.select(indices),
            Rows::Intensities(rows) => {
                let mut states = BinaryRows::new(rows.ncols());
                let mut ones = Vec::new();
                for &r in indices {
                    ones.clear();
                    ones.extend(
                        (0..rows.ncols()).filter(|&i| rng.random::<f32>() < rows[(r, i)]).map(|i| i as u32),
                    );
                    states.push_row(&ones);
                }
                states
            }
        }
    }
}

/// A minibatch of training rows.
pub(crate) enum Batch {
    /// 0/1 states.
    Binary(BinaryRows),
    /// Intensities, batch × width.
    Intensities(DMatrix<f32>),
}

/// The data statistics of a batch that the weight update reads.
pub(crate) enum DataTerm {
    /// 0/1 rows, transposed: row i lists the samples with v_i = 1, whose
    /// columns of P(h | v) the update sums.
    Ones(BinaryRows),
    /// Intensities: the whole product P(h | V) V, hidden × visible.
    Product(Panels),
}

impl Batch {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        match self {
            Batch::Binary(rows) => rows.rows(),
            Batch::Intensities(rows) => rows.nrows(),
        }
    }

    /// The number of values in the batch.
    pub fn values(&self) -> usize {
        match self {
            Batch::Binary(rows) => rows.rows() * rows.width(),
            Batch::Intensities(rows) => rows.len(),
        }
    }

    /// out_{jr} = P(h_j = 1 | v_r), hidden × batch.
    pub fn hidden_probabilities(&self, rbm: &BernoulliRbm, out: &mut Panels) -> Result<()> {
        match self {
            Batch::Binary(rows) => rbm.map_hidden_probabilities(rows, 1.0, out),
            Batch::Intensities(rows) => out.copy_from_transpose(&rbm.hidden_probabilities(rows)?),
        }
        Ok(())
    }

    /// ⟨v_i⟩ over the batch, and the data term of the weights given P(h | V)
    /// (hidden × batch).
    pub fn statistics(&self, hidden: &Panels) -> (DVector<f32>, DataTerm) {
        match self {
            Batch::Binary(rows) => {
                let by_unit = rows.transpose();
                let means =
                    DVector::from_fn(by_unit.rows(), |i, _| by_unit.row(i).len() as f32 / rows.rows() as f32);
                (means, DataTerm::Ones(by_unit))
            }
            Batch::Intensities(rows) => {
                let means = rows.row_mean().transpose();
                let mut probabilities = DMatrix::zeros(0, 0);
                hidden.write_to(&mut probabilities);
                let mut product = Panels::default();
                product.copy_from_matrix(&(probabilities * rows));
                (means, DataTerm::Product(product))
            }
        }
    }

    /// Σ_r Σ_i (v_ri − p_ri)² in f64 for probabilities p (visible × batch;
    /// padding rows 0). For 0/1 rows it is Σ p² + Σ_{v_ri = 1} (1 − 2 p_ri).
    pub fn squared_error(&self, probabilities: &Panels) -> f64 {
        match self {
            Batch::Binary(states) => {
                let ones = || -> f64 {
                    let per_sample: Vec<f64> = (0..states.rows())
                        .into_par_iter()
                        .map(|r| {
                            let row = states.row(r).iter();
                            row.map(|&i| 1.0 - 2.0 * f64::from(probabilities.get(i as usize, r))).sum()
                        })
                        .collect();
                    per_sample.iter().sum()
                };
                let (squares, ones) = rayon::join(|| sum_of_squares(probabilities), ones);
                squares + ones
            }
            Batch::Intensities(rows) => (0..rows.nrows())
                .map(|r| {
                    let column = probabilities.column(r);
                    rows.row(r)
                        .iter()
                        .zip(column)
                        .map(|(&v, p)| (f64::from(v) - f64::from(p)).powi(2))
                        .sum::<f64>()
                })
                .sum(),
        }
    }
}

/// Σ p² over every entry of `probabilities`, panel by panel in order.
fn sum_of_squares(probabilities: &Panels) -> f64 {
    let per_panel: Vec<f64> = probabilities
        .panels()
        .map(|panel| {
            let lanes = panel.chunks_exact(PANEL).fold([0.0f64; PANEL], |mut sum, column| {
                sum.iter_mut().zip(column).for_each(|(s, &p)| *s += f64::from(p) * f64::from(p));
                sum
            });
            lanes.iter().sum::<f64>()
        })
        .collect();
    per_panel.iter().sum()
}

impl DataTerm {
    /// Σ_r v_ri P_{·r} for visible unit `i` over the hidden units of one
    /// panel: `panel` is that panel of P(h | V) for [`DataTerm::Ones`], of the
    /// product for [`DataTerm::Product`] (see [`DataTerm::panels`]).
    #[inline]
    pub fn unit_sum(&self, panel: &[f32], i: usize) -> [f32; PANEL] {
        match self {
            DataTerm::Ones(by_unit) => sum_panel_columns(panel, by_unit.row(i)),
            DataTerm::Product(_) => panel[i * PANEL..(i + 1) * PANEL].try_into().expect("a panel column"),
        }
    }

    /// The panels that [`DataTerm::unit_sum`] reads, one per hidden panel.
    pub fn panels<'a>(&'a self, hidden: &'a Panels) -> rayon::slice::Chunks<'a, f32> {
        match self {
            DataTerm::Ones(_) => hidden.panels(),
            DataTerm::Product(product) => product.panels(),
        }
    }
}
