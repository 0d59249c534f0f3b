//! Held-out log-likelihood by quadrature, and the single-Gaussian baseline.

use ebm_core::energy::check_batch;
use ebm_core::quadrature::{Grid, GridDensity};
use ebm_core::{ContinuousEnergy, Error, Quadratic, Result};
use nalgebra::DMatrix;

/// The held-out log-likelihood of points under exp(−E)/Z.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldOut {
    /// The density on the quadrature grid (log Z and log p at every cell).
    pub density: GridDensity,
    /// (1/n) Σᵢ log p(xᵢ) = −(1/n) Σᵢ E(xᵢ) − log Z, in nats per point.
    pub log_likelihood: f64,
}

/// (1/n) Σᵢ (−E(xᵢ) − `log_partition`) over the points (row by row): the
/// average log-density of a sample, given log Z.
pub fn mean_log_density<E: ContinuousEnergy + ?Sized>(
    energy: &E,
    log_partition: f64,
    points: &[f64],
) -> Result<f64> {
    let n = check_batch(energy.dim(), points)?;
    if n == 0 {
        return Err(Error::invalid("held-out points", "there are none"));
    }
    let mut energies = vec![0.0; n];
    energy.energy_batch(points, &mut energies);
    Ok(-energies.iter().sum::<f64>() / n as f64 - log_partition)
}

/// The exact (up to quadrature) held-out log-likelihood of a 2-D energy at
/// T = 1: log Z by the midpoint rule on `grid`, then [`mean_log_density`].
///
/// The grid must cover the model's mass: what lies outside is not in Z, so
/// a density leaking out of the box would be flattered.
pub fn held_out_log_likelihood<E: ContinuousEnergy + ?Sized>(
    energy: &E,
    grid: &Grid,
    points: &[f64],
) -> Result<HeldOut> {
    let density = grid.density(energy, 1.0)?;
    let log_likelihood = mean_log_density(energy, density.log_partition(), points)?;
    Ok(HeldOut { density, log_likelihood })
}

/// The maximum-likelihood Gaussian of the points (row by row, `dim` values
/// each): mean x̄ and covariance S = (1/n) Σ (x − x̄)(x − x̄)ᵀ, as the energy
/// E(x) = ½ (x − x̄)ᵀ S⁻¹ (x − x̄). Refuses fewer than two points and a
/// singular covariance.
pub fn fit_gaussian(points: &[f64], dim: usize) -> Result<Quadratic> {
    let n = check_batch(dim, points)?;
    if n < 2 {
        return Err(Error::invalid("Gaussian fit", format!("needs at least 2 points, got {n}")));
    }
    let mut mean = vec![0.0; dim];
    for x in points.chunks_exact(dim) {
        mean.iter_mut().zip(x).for_each(|(m, v)| *m += v / n as f64);
    }
    let mut cov = DMatrix::zeros(dim, dim);
    for x in points.chunks_exact(dim) {
        for i in 0..dim {
            for j in 0..dim {
                cov[(i, j)] += (x[i] - mean[i]) * (x[j] - mean[j]) / n as f64;
            }
        }
    }
    let precision = cov
        .cholesky()
        .ok_or_else(|| Error::invalid("Gaussian fit", "the points' covariance is singular"))?
        .inverse();
    let symmetric = DMatrix::from_fn(dim, dim, |i, j| precision[(i.max(j), i.min(j))]);
    Quadratic::new(mean, symmetric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::GaussianMixture;
    use ebm_mcmc::rng::seeded;

    #[test]
    fn the_fitted_gaussian_has_the_sample_moments_and_its_likelihood_is_the_closed_form() {
        let truth = GaussianMixture::new(2, vec![1.0], vec![0.5, -1.0], vec![0.8, 0.4]).unwrap();
        let mut rng = seeded(3);
        let mut points = vec![0.0; 2 * 5000];
        points.chunks_exact_mut(2).for_each(|x| truth.sample(&mut rng, x));
        let fit = fit_gaussian(&points, 2).unwrap();
        let cov = fit.covariance(1.0);
        assert!((fit.mean()[0] - 0.5).abs() < 0.05 && (fit.mean()[1] + 1.0).abs() < 0.03);
        assert!(
            (cov[(0, 0)] - 0.64).abs() < 0.05
                && (cov[(1, 1)] - 0.16).abs() < 0.02
                && cov[(0, 1)].abs() < 0.02
        );
        // On its own training points the MLE Gaussian's log-likelihood is −½ log det(2πe S).
        let grid = Grid::square(6.0, 300).unwrap();
        let held = held_out_log_likelihood(&fit, &grid, &points).unwrap();
        let expected =
            -0.5 * (cov.determinant() * (2.0 * std::f64::consts::PI * std::f64::consts::E).powi(2)).ln();
        assert!((held.log_likelihood - expected).abs() < 1e-6, "{} vs {expected}", held.log_likelihood);
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(fit_gaussian(&[1.0, 2.0], 2).is_err());
        assert!(fit_gaussian(&[1.0, 2.0, 1.0, 2.0, 1.0, 2.0], 2).is_err());
        assert!(fit_gaussian(&[1.0, 2.0, 3.0], 2).is_err());
        let q = Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap();
        assert!(mean_log_density(&q, 0.0, &[]).is_err());
        assert!(mean_log_density(&q, 0.0, &[0.0, f64::NAN]).is_err());
    }
}
