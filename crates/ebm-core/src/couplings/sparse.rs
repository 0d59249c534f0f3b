//! Sparse symmetric couplings in compressed-row (CSR) form.

use super::{Couplings, DenseCouplings};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A sparse symmetric coupling matrix with zero diagonal, stored as compressed
/// rows: the neighbours of unit i are `columns[offsets[i]..offsets[i + 1]]`
/// with couplings `values[...]` at the same positions, sorted by column.
///
/// Every undirected edge {i, j} is stored twice, once in each row, so that a
/// row lists all neighbours of its unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EdgeList", into = "EdgeList")]
pub struct SparseCouplings {
    offsets: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
}

/// The serialised form: N and the undirected edges (i, j, W_ij) with i < j.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EdgeList {
    /// N.
    pub units: usize,
    /// Each undirected edge once, as (i, j, W_ij).
    pub edges: Vec<(usize, usize, f32)>,
}

impl SparseCouplings {
    /// Builds the couplings from undirected edges (i, j, W_ij), each listed
    /// once in either orientation. Refuses self-loops, out-of-range units,
    /// duplicate edges and non-finite weights. Zero weights are stored as given.
    pub fn from_edges(units: usize, edges: &[(usize, usize, f32)]) -> Result<Self> {
        if units > u32::MAX as usize {
            return Err(Error::TooLarge {
                what: "number of units".into(),
                limit: u64::from(u32::MAX),
                found: units as u64,
            });
        }
        let mut directed: Vec<(u32, u32, f32)> = Vec::with_capacity(2 * edges.len());
        for (k, &(i, j, w)) in edges.iter().enumerate() {
            if i >= units || j >= units {
                return Err(Error::invalid(
                    format!("edge {k}"),
                    format!("({i}, {j}) is out of range for {units} units"),
                ));
            }
            if i == j {
                return Err(Error::NonZeroDiagonal { unit: i, value: f64::from(w) });
            }
            if !w.is_finite() {
                return Err(Error::NonFinite { what: "edge weights".into(), index: k, value: f64::from(w) });
            }
            directed.push((i as u32, j as u32, w));
            directed.push((j as u32, i as u32, w));
        }
        directed.sort_unstable_by_key(|&(i, j, _)| (i, j));
        if let Some(pair) = directed.windows(2).find(|p| (p[0].0, p[0].1) == (p[1].0, p[1].1)) {
            let (i, j) = (pair[0].0.min(pair[0].1), pair[0].0.max(pair[0].1));
            return Err(Error::invalid("edges", format!("the edge ({i}, {j}) is listed more than once")));
        }
        let mut offsets = vec![0usize; units + 1];
        for &(i, _, _) in &directed {
            offsets[i as usize + 1] += 1;
        }
        for i in 0..units {
            offsets[i + 1] += offsets[i];
        }
        let columns = directed.iter().map(|&(_, j, _)| j).collect();
        let values = directed.iter().map(|&(_, _, w)| w).collect();
        Ok(Self { offsets, columns, values })
    }

    /// The non-zero entries of dense couplings.
    pub fn from_dense(dense: &DenseCouplings) -> Self {
        let n = dense.num_units();
        let edges: Vec<_> = (0..n)
            .flat_map(|i| ((i + 1)..n).map(move |j| (i, j)))
            .filter_map(|(i, j)| {
                let w = dense.get(i, j);
                (w != 0.0).then_some((i, j, w))
            })
            .collect();
        Self::from_edges(n, &edges).expect("dense couplings are already valid")
    }

    /// The same couplings in dense storage.
    pub fn to_dense(&self) -> DenseCouplings {
        let n = self.num_units();
        let mut m = nalgebra::DMatrix::zeros(n, n);
        for i in 0..n {
            self.for_each_in_row(i, |j, w| m[(i, j)] = w);
        }
        DenseCouplings::new(m).expect("sparse couplings are symmetric with zero diagonal")
    }

    /// Neighbours of unit i, sorted.
    #[inline]
    pub fn neighbours(&self, i: usize) -> &[u32] {
        &self.columns[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Couplings of unit i to its [`neighbours`](Self::neighbours), in the same order.
    #[inline]
    pub fn weights(&self, i: usize) -> &[f32] {
        &self.values[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The undirected edges (i, j, W_ij) with i < j, in row order.
    pub fn edges(&self) -> Vec<(usize, usize, f32)> {
        (0..self.num_units())
            .flat_map(|i| {
                self.neighbours(i)
                    .iter()
                    .zip(self.weights(i))
                    .filter(move |&(&j, _)| (j as usize) > i)
                    .map(move |(&j, &w)| (i, j as usize, w))
            })
            .collect()
    }
}

impl Couplings for SparseCouplings {
    const MODEL_KIND: &'static str = "pairwise-sparse";

    fn num_units(&self) -> usize {
        self.offsets.len() - 1
    }

    fn get(&self, i: usize, j: usize) -> f32 {
        match self.neighbours(i).binary_search(&(j as u32)) {
            Ok(k) => self.weights(i)[k],
            Err(_) => 0.0,
        }
    }

    #[inline]
    fn for_each_in_row(&self, i: usize, mut f: impl FnMut(usize, f32)) {
        for (&j, &w) in self.neighbours(i).iter().zip(self.weights(i)) {
            f(j as usize, w);
        }
    }

    #[inline]
    fn row_dot(&self, i: usize, state: &[i8]) -> f64 {
        self.neighbours(i)
            .iter()
            .zip(self.weights(i))
            .map(|(&j, &w)| f64::from(w) * f64::from(state[j as usize]))
            .sum()
    }

    fn degree(&self, i: usize) -> usize {
        self.offsets[i + 1] - self.offsets[i]
    }

    fn scaled(&self, factor: f32) -> Self {
        Self { values: self.values.iter().map(|w| w * factor).collect(), ..self.clone() }
    }
}

impl TryFrom<EdgeList> for SparseCouplings {
    type Error = Error;
    fn try_from(list: EdgeList) -> Result<Self> {
        Self::from_edges(list.units, &list.edges)
    }
}

impl From<SparseCouplings> for EdgeList {
    fn from(c: SparseCouplings) -> Self {
        EdgeList { units: c.num_units(), edges: c.edges() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_bad_edges() {
        assert!(matches!(
            SparseCouplings::from_edges(3, &[(1, 1, 1.0)]),
            Err(Error::NonZeroDiagonal { unit: 1, .. })
        ));
        assert!(SparseCouplings::from_edges(3, &[(0, 3, 1.0)]).is_err());
        assert!(SparseCouplings::from_edges(3, &[(0, 1, 1.0), (1, 0, 1.0)]).is_err());
        assert!(matches!(
            SparseCouplings::from_edges(3, &[(0, 1, f32::INFINITY)]),
            Err(Error::NonFinite { .. })
        ));
    }

    #[test]
    fn rows_hold_both_directions() {
        let c = SparseCouplings::from_edges(4, &[(2, 0, 1.5), (1, 3, -2.0)]).unwrap();
        assert_eq!(c.neighbours(0), &[2]);
        assert_eq!(c.neighbours(2), &[0]);
        assert_eq!(c.get(3, 1), -2.0);
        assert_eq!(c.get(0, 1), 0.0);
        assert_eq!(c.edges(), vec![(0, 2, 1.5), (1, 3, -2.0)]);
        assert_eq!(c.degree(1), 1);
    }

    proptest! {
        #[test]
        fn dense_round_trip_and_matching_row_dots(
            n in 1usize..8,
            entries in prop::collection::vec(prop::sample::select(vec![0.0f32, 1.0, -0.5, 2.25]), 64),
            state in prop::collection::vec(prop::sample::select(vec![-1i8, 1]), 8),
        ) {
            let m = nalgebra::DMatrix::from_fn(n, n, |i, j| if i == j { 0.0 } else { entries[i.min(j) * 8 + i.max(j)] });
            let dense = DenseCouplings::new(m).unwrap();
            let sparse = SparseCouplings::from_dense(&dense);
            prop_assert_eq!(sparse.to_dense(), dense.clone());
            for i in 0..n {
                prop_assert!((sparse.row_dot(i, &state[..n]) - dense.row_dot(i, &state[..n])).abs() < 1e-9);
                prop_assert!((sparse.row_sum(i) - dense.row_sum(i)).abs() < 1e-9);
            }
            let json = serde_json::to_string(&sparse).unwrap();
            prop_assert_eq!(serde_json::from_str::<SparseCouplings>(&json).unwrap(), sparse);
        }
    }
}
