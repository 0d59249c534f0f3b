//! Hand-written gradients of continuous energies checked against central
//! differences ([`crate::math::central_differences`]).
//!
//! Both checks return the largest relative error max_k |d_k − g_k| / (1 + |d_k|)
//! between the numerical derivative d and the implemented one g, so one
//! tolerance serves energies of any scale. Tests and `cargo xtask verify` use
//! them for every [`DifferentiableEnergy`] and [`ParametricEnergy`].

use crate::energy::{DifferentiableEnergy, ParametricEnergy};
use crate::math::central_differences;
use crate::{Error, Result};

/// The largest relative error of `to_check` against `numeric`.
fn worst_relative_error(numeric: &[f64], to_check: &[f64]) -> f64 {
    numeric
        .iter()
        .zip(to_check)
        .map(|(d, g)| (d - g).abs() / (1.0 + d.abs()))
        .collect::<crate::worst::Worst>()
        .value()
}

/// The input gradient ∇ₓE(x) of `energy_and_gradient` at the point `x`
/// against central differences of E with step `step`. Also refuses an
/// energy whose `energy_and_gradient` value disagrees with `energy` by more
/// than 10⁻⁹ (1 + |E|).
pub fn input_gradient_error<E: DifferentiableEnergy + ?Sized>(
    energy: &E,
    x: &[f64],
    step: f64,
) -> Result<f64> {
    if x.len() != energy.dim() {
        return Err(Error::shape("point", energy.dim(), x.len()));
    }
    let mut gradient = vec![0.0; x.len()];
    let value = energy.energy_and_gradient(x, &mut gradient);
    let direct = energy.energy(x);
    if (value - direct).abs() > 1e-9 * (1.0 + direct.abs()) {
        return Err(Error::invalid(
            "energy_and_gradient",
            format!("gives E = {value}, energy gives {direct}"),
        ));
    }
    Ok(worst_relative_error(&central_differences(x, step, |y| energy.energy(y)), &gradient))
}

/// The parameter gradient Σᵢ cᵢ ∂E(xᵢ; θ)/∂θ of `parameter_gradient`, for
/// the points xᵢ stored row by row in `points` and the weights cᵢ =
/// `weights[i]`, against central differences in θ of Σᵢ cᵢ E(xᵢ; θ) with
/// step `step`. Also refuses energies eᵢ reported by `parameter_gradient`
/// that disagree with `energy` by more than 10⁻⁹ (1 + |E|).
pub fn parameter_gradient_error<E: ParametricEnergy + Clone>(
    energy: &E,
    points: &[f64],
    weights: &[f64],
    step: f64,
) -> Result<f64> {
    let d = energy.dim();
    if points.len() != weights.len() * d {
        return Err(Error::shape("points (one row per weight)", weights.len() * d, points.len()));
    }
    let mut theta = vec![0.0; energy.num_parameters()];
    energy.parameters(&mut theta);
    let mut gradient = vec![0.0; theta.len()];
    let mut energies = vec![0.0; weights.len()];
    energy.parameter_gradient(points, &mut energies, &mut |i, _| weights[i], &mut gradient);
    for (e, x) in energies.iter().zip(points.chunks_exact(d)) {
        let direct = energy.energy(x);
        if (e - direct).abs() > 1e-9 * (1.0 + direct.abs()) {
            return Err(Error::invalid(
                "parameter_gradient",
                format!("reports E = {e}, energy gives {direct}"),
            ));
        }
    }
    let objective = |shifted: &[f64]| {
        let mut probe = energy.clone();
        probe.set_parameters(shifted).map_or(f64::NAN, |()| {
            points.chunks_exact(d).zip(weights).map(|(x, c)| c * probe.energy(x)).sum()
        })
    };
    Ok(worst_relative_error(&central_differences(&theta, step, objective), &gradient))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quadratic;
    use nalgebra::DMatrix;

    /// A quadratic whose reported input gradient is twice the true one.
    struct Doubled(Quadratic);

    impl crate::ContinuousEnergy for Doubled {
        fn dim(&self) -> usize {
            self.0.dim()
        }
        fn energy(&self, x: &[f64]) -> f64 {
            self.0.energy(x)
        }
    }

    impl DifferentiableEnergy for Doubled {
        fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
            let e = self.0.energy_and_gradient(x, gradient);
            gradient.iter_mut().for_each(|g| *g *= 2.0);
            e
        }
    }

    #[test]
    fn a_correct_gradient_passes_and_a_wrong_one_fails() {
        let q =
            Quadratic::new(vec![0.5, -1.0], DMatrix::from_row_slice(2, 2, &[2.0, 0.3, 0.3, 1.0])).unwrap();
        let x = [0.7, 1.9];
        assert!(input_gradient_error(&q, &x, 1e-6).unwrap() < 1e-8);
        assert!(input_gradient_error(&Doubled(q.clone()), &x, 1e-6).unwrap() > 0.1);
        assert!(parameter_gradient_error(&q, &[0.7, 1.9, -0.2, 0.4], &[1.0, -0.5], 1e-6).unwrap() < 1e-7);
        assert!(input_gradient_error(&q, &[0.0], 1e-6).is_err());
        assert!(parameter_gradient_error(&q, &[0.0; 3], &[1.0, 1.0], 1e-6).is_err());
    }
}
