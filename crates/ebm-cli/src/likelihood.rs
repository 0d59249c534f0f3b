//! Average log-likelihoods with the error bars that log Z's estimate gives them.

use ebm_boltzmann::ais::AisEstimate;
use serde_json::json;

/// An average log-likelihood ℓ = m − log Z, where m is the data's mean
/// log unnormalised probability (−mean F(v), or a lower bound on it), with
/// the bounds that come from log Z ∈ [low, high]: log Z enters with a minus
/// sign, so its upper bound gives the lower likelihood bound.
pub struct Likelihood {
    log_z: f64,
    log_z_low: f64,
    log_z_high: f64,
    /// ℓ.
    pub value: f64,
    /// ℓ with log Z at its upper bound.
    pub low: f64,
    /// ℓ with log Z at its lower bound.
    pub high: f64,
}

impl Likelihood {
    /// ℓ from the mean log unnormalised probability and log Z with its bounds.
    pub fn new(mean_log_unnormalised: f64, (log_z, low, high): (f64, f64, f64)) -> Self {
        let value = mean_log_unnormalised - log_z;
        Self {
            log_z,
            log_z_low: low,
            log_z_high: high,
            value,
            low: value - (high - log_z),
            high: value + (log_z - low),
        }
    }

    /// ℓ with an exactly known log Z.
    pub fn exact(mean_log_unnormalised: f64, log_z: f64) -> Self {
        Self::new(mean_log_unnormalised, (log_z, log_z, log_z))
    }

    /// ℓ with log Z estimated by AIS.
    pub fn ais(mean_log_unnormalised: f64, estimate: &AisEstimate) -> Self {
        Self::new(mean_log_unnormalised, (estimate.log_z, estimate.log_z_low, estimate.log_z_high))
    }

    /// Prints log Z and ℓ (`what` names ℓ, e.g. "average log-likelihood"),
    /// as text or as JSON.
    pub fn print(&self, method: &str, what: &str, examples: usize, as_json: bool) -> anyhow::Result<()> {
        if as_json {
            let key = what.replace([' ', '-'], "_");
            let value = json!({
                "method": method, "examples": examples,
                "log_z": self.log_z, "log_z_low": self.log_z_low, "log_z_high": self.log_z_high,
                key.clone(): self.value, format!("{key}_low"): self.low, format!("{key}_high"): self.high,
            });
            crate::output::print_result(&serde_json::to_string_pretty(&value)?)?;
        } else {
            println!(
                "log Z ({method})              {:.6}  [{:.6}, {:.6}]",
                self.log_z, self.log_z_low, self.log_z_high
            );
            println!(
                "{what:<27} {:.6}  [{:.6}, {:.6}] nats over {examples} examples",
                self.value, self.low, self.high
            );
        }
        Ok(())
    }
}
