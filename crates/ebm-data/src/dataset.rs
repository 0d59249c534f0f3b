//! [`Dataset`]: examples as the rows of a dense `f32` table.

use ebm_core::{Domain, Error, Result, State, UnitDomain};
use nalgebra::DMatrix;

/// A set of examples, each a vector of `features` values, stored row-major so
/// that an example is one contiguous slice.
///
/// Images remember their height and width ([`Dataset::image_shape`]); discrete
/// patterns hold their unit values (0/1 or −1/+1) as floats, and
/// [`Dataset::to_states`] turns them back into states of a [`Domain`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    values: Vec<f32>,
    features: usize,
    examples: usize,
    image_shape: Option<(usize, usize)>,
}

fn invalid(what: &str, reason: impl Into<String>) -> Error {
    Error::Invalid { what: what.into(), reason: reason.into() }
}

impl Dataset {
    /// A data set of `values.len() / features` examples; the length must be a
    /// multiple of `features` and every value finite.
    pub fn from_rows(values: Vec<f32>, features: usize) -> Result<Self> {
        if features == 0 {
            if !values.is_empty() {
                return Err(invalid("data set", "values given for examples with zero features"));
            }
            return Ok(Self { values, features, examples: 0, image_shape: None });
        }
        if !values.len().is_multiple_of(features) {
            return Err(invalid(
                "data set",
                format!("{} values are not a whole number of {features}-feature examples", values.len()),
            ));
        }
        ebm_core::error::check_finite("data set", &values)?;
        Ok(Self { examples: values.len() / features, values, features, image_shape: None })
    }

    /// The rows of `matrix` as examples.
    pub fn from_matrix(matrix: &DMatrix<f32>) -> Result<Self> {
        // nalgebra stores column-major, so the transpose's storage is the matrix row by row.
        Self::from_rows(matrix.transpose().as_slice().to_vec(), matrix.ncols())
    }

    /// Validated states ([`ebm_core::Spins`], [`ebm_core::Bits`]) as examples of
    /// `features` units each; `features` is given so that an empty slice keeps
    /// its width.
    pub fn from_typed_states<D: UnitDomain>(states: &[State<D>], features: usize) -> Result<Self> {
        let mut values = Vec::with_capacity(states.len().saturating_mul(features));
        for (i, state) in states.iter().enumerate() {
            if state.len() != features {
                return Err(Error::ShapeMismatch {
                    what: format!("state {i} of the data set"),
                    expected: features,
                    found: state.len(),
                });
            }
            values.extend(state.as_slice().iter().map(|&v| f32::from(v)));
        }
        Self::from_rows(values, features)
    }

    /// Discrete states (each of the same length, values in `domain`) as examples.
    pub fn from_states(states: &[Vec<i8>], domain: Domain) -> Result<Self> {
        let features = states.first().map_or(0, Vec::len);
        let mut values = Vec::with_capacity(states.len() * features);
        for state in states {
            domain.check(state, features)?;
            values.extend(state.iter().map(|&v| f32::from(v)));
        }
        Self::from_rows(values, features)
    }

    /// Declares that each example is a `height × width` image (row by row).
    pub fn with_image_shape(mut self, height: usize, width: usize) -> Result<Self> {
        if height.checked_mul(width) != Some(self.features) {
            return Err(invalid(
                "image shape",
                format!("{height}×{width} does not hold the {} features of an example", self.features),
            ));
        }
        self.image_shape = Some((height, width));
        Ok(self)
    }

    /// (height, width) when the examples are images.
    pub fn image_shape(&self) -> Option<(usize, usize)> {
        self.image_shape
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.examples
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.examples == 0
    }

    /// Number of values per example.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Example `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&[f32]> {
        (i < self.examples).then(|| &self.values[i * self.features..(i + 1) * self.features])
    }

    /// The examples in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[f32]> {
        // `max(1)` keeps `chunks_exact` valid for zero features (then there are no values).
        self.values.chunks_exact(self.features.max(1)).take(self.examples)
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The examples at `indices`, in that order; fails on an index out of range.
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let mut values = Vec::with_capacity(indices.len() * self.features);
        for &i in indices {
            let row = self.get(i).ok_or_else(|| {
                invalid("example index", format!("{i} is out of range for {} examples", self.examples))
            })?;
            values.extend_from_slice(row);
        }
        Ok(Self { values, examples: indices.len(), features: self.features, image_shape: self.image_shape })
    }

    /// The examples as the rows of an `examples × features` matrix.
    pub fn to_matrix(&self) -> DMatrix<f32> {
        DMatrix::from_row_slice(self.examples, self.features, &self.values)
    }

    /// The examples at `indices`, in that order, as the rows of a
    /// `indices.len() × features` matrix (a minibatch for matrix code), without
    /// building an intermediate data set; fails on an index out of range.
    pub fn rows_matrix(&self, indices: &[usize]) -> Result<DMatrix<f32>> {
        if let Some(&i) = indices.iter().find(|&&i| i >= self.examples) {
            return Err(invalid(
                "example index",
                format!("{i} is out of range for {} examples", self.examples),
            ));
        }
        let f = self.features;
        Ok(DMatrix::from_fn(indices.len(), f, |r, c| self.values[indices[r] * f + c]))
    }

    /// The examples as states of `domain`; fails if a value is not one of the
    /// domain's two values.
    pub fn to_states(&self, domain: Domain) -> Result<Vec<Vec<i8>>> {
        self.rows()
            .enumerate()
            .map(|(example, row)| {
                row.iter()
                    .map(|&v| match v {
                        v if v == f32::from(domain.low()) => Ok(domain.low()),
                        v if v == f32::from(domain.high()) => Ok(domain.high()),
                        v => Err(invalid(
                            "discrete example",
                            format!("example {example} holds {v}, which is not a {domain} value"),
                        )),
                    })
                    .collect()
            })
            .collect()
    }

    /// The examples as validated states of the unit domain `D`
    /// ([`ebm_core::Spins`] or [`ebm_core::Bits`]); fails if a value is not one
    /// of the domain's two values.
    pub fn to_typed_states<D: UnitDomain>(&self) -> Result<Vec<State<D>>> {
        self.to_states(D::DOMAIN)?.into_iter().map(State::new).collect()
    }

    /// The same examples with each unit value mapped into `domain`: 0/1 ↔ −1/+1
    /// by s = 2x − 1. Fails unless the data are discrete values of `from`.
    pub fn convert_domain(&self, from: Domain, to: Domain) -> Result<Self> {
        let states = self.to_states(from)?;
        let converted: Vec<Vec<i8>> =
            states.into_iter().map(|s| s.into_iter().map(|v| to.value(v == from.high())).collect()).collect();
        let mut out = Self::from_states(&converted, to)?;
        out.features = self.features;
        out.image_shape = self.image_shape;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_select_and_matrix_agree() {
        let data = Dataset::from_rows((0..12).map(|v| v as f32).collect(), 4).unwrap();
        assert_eq!(data.len(), 3);
        assert_eq!(data.get(1), Some(&[4.0, 5.0, 6.0, 7.0][..]));
        assert_eq!(data.get(3), None);
        let picked = data.select(&[2, 0]).unwrap();
        assert_eq!(
            picked.rows().collect::<Vec<_>>(),
            vec![&[8.0, 9.0, 10.0, 11.0][..], &[0.0, 1.0, 2.0, 3.0]]
        );
        let m = data.to_matrix();
        assert_eq!(m[(1, 2)], 6.0);
        assert_eq!(Dataset::from_matrix(&m).unwrap(), data);
        assert!(data.select(&[3]).is_err());
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(Dataset::from_rows(vec![0.0; 5], 2).is_err());
        assert!(Dataset::from_rows(vec![0.0, f32::NAN], 2).is_err());
        assert!(Dataset::from_rows(vec![1.0], 0).is_err());
        assert!(Dataset::from_rows(vec![0.0; 6], 6).unwrap().with_image_shape(2, 2).is_err());
        let bits = Dataset::from_rows(vec![0.0, 1.0, 0.5, 1.0], 2).unwrap();
        assert!(bits.to_states(Domain::Bit).is_err());
    }

    #[test]
    fn domains_convert_both_ways() {
        let bits = Dataset::from_states(&[vec![0, 1, 1], vec![1, 0, 0]], Domain::Bit).unwrap();
        let spins = bits.convert_domain(Domain::Bit, Domain::Spin).unwrap();
        assert_eq!(spins.to_states(Domain::Spin).unwrap(), vec![vec![-1, 1, 1], vec![1, -1, -1]]);
        assert_eq!(spins.convert_domain(Domain::Spin, Domain::Bit).unwrap(), bits);
        assert!(Dataset::from_states(&[vec![0, 2]], Domain::Bit).is_err());
        assert!(Dataset::from_states(&[vec![1, 1], vec![1]], Domain::Spin).is_err());
    }

    #[test]
    fn typed_states_round_trip() {
        use ebm_core::{Bits, Spins};
        let bits = Dataset::from_states(&[vec![0, 1, 1], vec![1, 0, 0]], Domain::Bit).unwrap();
        let typed: Vec<Bits> = bits.to_typed_states().unwrap();
        assert_eq!(typed[1].as_slice(), &[1, 0, 0]);
        assert_eq!(Dataset::from_typed_states(&typed, 3).unwrap(), bits);
        // Bits are not spins: 0 is not a ±1 value.
        assert!(bits.to_typed_states::<ebm_core::SpinUnits>().is_err());
        let spins: Vec<Spins> = typed.iter().map(Bits::to_spins).collect();
        assert_eq!(
            Dataset::from_typed_states(&spins, 3).unwrap(),
            bits.convert_domain(Domain::Bit, Domain::Spin).unwrap()
        );
        assert!(Dataset::from_typed_states(&spins, 4).is_err());
        assert_eq!(Dataset::from_typed_states::<ebm_core::SpinUnits>(&[], 5).unwrap().features(), 5);
    }

    #[test]
    fn rows_matrix_picks_rows_in_order() {
        let data = Dataset::from_rows((0..12).map(|v| v as f32).collect(), 3).unwrap();
        let m = data.rows_matrix(&[3, 0, 3]).unwrap();
        assert_eq!(m.shape(), (3, 3));
        assert_eq!(m, data.select(&[3, 0, 3]).unwrap().to_matrix());
        assert_eq!(m[(0, 2)], 11.0);
        assert!(data.rows_matrix(&[4]).is_err());
        assert_eq!(data.rows_matrix(&[]).unwrap().shape(), (0, 3));
    }
}
