//! Binarisation of real-valued data in [0, 1] (grey-level pixels) into 0/1
//! or ±1 units.

use crate::dataset::Dataset;
use ebm_core::{Domain, Error, Result};
use rand::{Rng, RngExt};

fn rebuild(data: &Dataset, values: Vec<f32>) -> Result<Dataset> {
    let out = Dataset::from_rows(values, data.features())?;
    match data.image_shape() {
        Some((h, w)) => out.with_image_shape(h, w),
        None => Ok(out),
    }
}

fn unit(domain: Domain, on: bool) -> f32 {
    f32::from(domain.value(on))
}

/// Deterministic binarisation: a value is on when it exceeds `threshold`
/// (MNIST is often binarised at ½).
pub fn threshold(data: &Dataset, threshold: f32, domain: Domain) -> Result<Dataset> {
    if !threshold.is_finite() {
        return Err(Error::NonFinite {
            what: "binarisation threshold".into(),
            index: 0,
            value: f64::from(threshold),
        });
    }
    rebuild(data, data.values().iter().map(|&v| unit(domain, v > threshold)).collect())
}

/// Stochastic binarisation: each value x ∈ [0, 1] becomes on with
/// probability x, independently — a draw whose mean is the data itself, as in
/// Salakhutdinov and Murray's binarised MNIST. Fails if a value leaves [0, 1].
pub fn stochastic(data: &Dataset, domain: Domain, rng: &mut impl Rng) -> Result<Dataset> {
    if let Some(index) = data.values().iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::Invalid {
            what: "stochastic binarisation".into(),
            reason: format!("value {} at index {index} is not a probability in [0, 1]", data.values()[index]),
        });
    }
    rebuild(data, data.values().iter().map(|&v| unit(domain, rng.random::<f32>() < v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    fn grey() -> Dataset {
        Dataset::from_rows(vec![0.0, 0.2, 0.5, 0.7, 1.0, 0.9], 3).unwrap()
    }

    #[test]
    fn threshold_switches_on_what_exceeds_it() {
        let bits = threshold(&grey(), 0.5, Domain::Bit).unwrap();
        assert_eq!(bits.values(), &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        let spins = threshold(&grey(), 0.1, Domain::Spin).unwrap();
        assert_eq!(spins.to_states(Domain::Spin).unwrap(), vec![vec![-1, 1, 1], vec![1, 1, 1]]);
        assert!(threshold(&grey(), f32::NAN, Domain::Bit).is_err());
    }

    #[test]
    fn stochastic_binarisation_has_the_data_as_its_mean() {
        let mut rng = Pcg64Mcg::seed_from_u64(2);
        let draws = 20_000;
        let mut on = [0usize; 6];
        for _ in 0..draws {
            for (count, &v) in on.iter_mut().zip(stochastic(&grey(), Domain::Bit, &mut rng).unwrap().values())
            {
                *count += v as usize;
            }
        }
        for (&count, &p) in on.iter().zip(grey().values()) {
            // Standard error ≤ √(¼/20000) ≈ 0.0035; allow five.
            assert!((count as f64 / draws as f64 - f64::from(p)).abs() < 0.018, "p = {p}: {count}");
        }
        let outside = Dataset::from_rows(vec![0.5, 1.5], 2).unwrap();
        assert!(stochastic(&outside, Domain::Bit, &mut rng).is_err());
    }
}
