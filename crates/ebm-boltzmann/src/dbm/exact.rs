//! Exact log Z and free energies of small DBMs.
//!
//! Given the layers of one parity, the layers of the other are independent,
//! and each unit sums out in closed form: Σ_{x∈{0,1}} e^{x·u} = 1 + e^{u}.
//! So enumerating the odd layers (or the even ones, whichever has fewer
//! units) gives
//!
//! log Z = log Σ_{x_S} exp(−E_S(x_S) + Σ_{l∉S} Σ_j softplus(u_{l,j}(x_S))),
//!
//! where E_S is the energy with the other layers at zero and u_l the input
//! to layer l from its (enumerated) neighbours. The free energy
//! F(v) = −log Σ_h e^{−E(v, h)} is the same sum with v clamped and only the
//! hidden layers of one parity enumerated.

use super::DeepBoltzmannMachine;
use ebm_core::math::{LogSumExp, softplus};
use ebm_core::{Error, Result};
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

/// The most units [`log_partition`] and [`free_energy`] enumerate.
pub const MAX_ENUMERATED_UNITS: usize = 26;

/// Configurations per enumeration block, evaluated together as the rows of matrices.
const BLOCK_BITS: usize = 12;

/// log Σ over the configurations of the layers `enumerated` (all other layers
/// except a clamped visible layer summed in closed form; each summed layer's
/// neighbours must be enumerated or clamped).
fn log_sum(dbm: &DeepBoltzmannMachine, visible: Option<&DVector<f32>>, enumerated: &[usize]) -> Result<f64> {
    let sizes = dbm.sizes();
    let bits: usize = enumerated.iter().map(|&l| sizes[l]).sum();
    if bits > MAX_ENUMERATED_UNITS {
        return Err(Error::TooLarge {
            what: "DBM layers to enumerate (units)".into(),
            limit: MAX_ENUMERATED_UNITS as u64,
            found: bits as u64,
        });
    }
    let clamped = |l: usize| l == 0 && visible.is_some();
    let summed: Vec<usize> =
        (0..dbm.layers()).filter(|&l| !(enumerated.contains(&l) || clamped(l))).collect();
    let low_bits = bits.min(BLOCK_BITS);
    let block_len = 1usize << low_bits;
    let per_block = |block: u64| {
        let mut layers: Vec<DMatrix<f32>> = sizes.iter().map(|&n| DMatrix::zeros(block_len, n)).collect();
        if let Some(v) = visible {
            for mut row in layers[0].row_iter_mut() {
                row.copy_from(&v.transpose());
            }
        }
        for r in 0..block_len {
            let index = block << low_bits | r as u64;
            let mut bit = 0;
            for &l in enumerated {
                for j in 0..sizes[l] {
                    layers[l][(r, j)] = f32::from(u8::from(index >> bit & 1 == 1));
                    bit += 1;
                }
            }
        }
        // −E with the summed layers at zero, then each summed layer's softplus terms.
        let mut log_weights: Vec<f64> =
            dbm.energy(&layers).expect("valid layers").iter().map(|e| -e).collect();
        for &l in &summed {
            let input = dbm.layer_input(&layers, l);
            for (w, row) in log_weights.iter_mut().zip(input.row_iter()) {
                *w += row.iter().map(|&u| softplus(f64::from(u))).sum::<f64>();
            }
        }
        let mut acc = LogSumExp::new();
        log_weights.into_iter().for_each(|w| acc.add(w));
        acc
    };
    let blocks: Vec<LogSumExp> = (0..1u64 << (bits - low_bits)).into_par_iter().map(per_block).collect();
    let mut total = LogSumExp::new();
    for block in blocks {
        total.merge(&block);
    }
    Ok(total.value())
}

/// The layers of each parity, and which has fewer units.
fn smaller_parity(dbm: &DeepBoltzmannMachine, first: usize) -> Vec<usize> {
    let sizes = dbm.sizes();
    let layers =
        |parity: usize| -> Vec<usize> { (first..dbm.layers()).filter(|l| l % 2 == parity).collect() };
    let units = |ls: &[usize]| -> usize { ls.iter().map(|&l| sizes[l]).sum() };
    let (even, odd) = (layers(0), layers(1));
    if units(&even) < units(&odd) { even } else { odd }
}

/// log Z = log Σ_x e^{−E(x)}, by enumerating the layers of one parity.
pub fn log_partition(dbm: &DeepBoltzmannMachine) -> Result<f64> {
    log_sum(dbm, None, &smaller_parity(dbm, 0))
}

/// F(v) = −log Σ_h e^{−E(v, h)} for each row of `visible` (0/1 values),
/// by enumerating the hidden layers of one parity.
pub fn free_energy(dbm: &DeepBoltzmannMachine, visible: &DMatrix<f32>) -> Result<Vec<f64>> {
    if visible.ncols() != dbm.visible() {
        return Err(Error::shape("visible batch columns", dbm.visible(), visible.ncols()));
    }
    ebm_core::error::check_finite("visible batch", visible.as_slice())?;
    let enumerated = smaller_parity(dbm, 1);
    visible.row_iter().map(|row| Ok(-log_sum(dbm, Some(&row.transpose()), &enumerated)?)).collect()
}

/// The average log-likelihood −mean F(v) − log Z of the rows of `data`, exactly.
pub fn average_log_likelihood(dbm: &DeepBoltzmannMachine, data: &DMatrix<f32>) -> Result<f64> {
    if data.nrows() == 0 {
        return Err(Error::invalid("data", "no examples"));
    }
    let free = free_energy(dbm, data)?;
    Ok(-free.iter().sum::<f64>() / data.nrows() as f64 - log_partition(dbm)?)
}
