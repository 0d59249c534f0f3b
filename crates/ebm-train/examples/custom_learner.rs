//! A training algorithm of your own on the `ebm_train::fit` driver: the
//! fields of independent ±1 spins, P(s) ∝ exp(Σᵢ bᵢ sᵢ), learned by
//! gradient ascent on the log-likelihood, with momentum; checkpointed
//! mid-run and resumed.
//!
//! The log-likelihood of the data has gradient ∂ℓ/∂bᵢ = ⟨sᵢ⟩_data − tanh bᵢ
//! (the data's mean minus the model's), so training ends where
//! tanh bᵢ = ⟨sᵢ⟩_data: bᵢ = atanh ⟨sᵢ⟩_data.

use ebm_core::Result;
use ebm_mcmc::rng::{SamplerRng, seeded};
use ebm_train::LearningRate;
use ebm_train::fit::{Checkpointed, EachEpoch, EpochReport, Fit, Learner, Plan, StepReport, Update};
use nalgebra::DMatrix;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// What the learner carries from step to step: the velocity of each field.
#[derive(Serialize, Deserialize)]
struct Fields {
    velocity: Vec<f64>,
    momentum: f64,
}

impl Learner for Fields {
    /// The fields b.
    type Model = Vec<f64>;
    /// Rows of ±1 spins.
    type Data = DMatrix<f32>;

    fn step(
        &mut self,
        fields: &mut Vec<f64>,
        data: &DMatrix<f32>,
        batch: &[usize],
        update: Update,
        _rng: &mut SamplerRng,
    ) -> Result<StepReport> {
        let n = batch.len() as f64;
        let mut squared_gradient = 0.0;
        // u ← μu + η(⟨s⟩_batch − tanh b), then b ← b + u, all or nothing.
        for (i, (b, u)) in fields.iter().zip(&mut self.velocity).enumerate() {
            let data_mean = batch.iter().map(|&r| f64::from(data[(r, i)])).sum::<f64>() / n;
            let gradient = data_mean - b.tanh();
            *u = self.momentum * *u + update.rate * gradient;
            squared_gradient += gradient * gradient;
        }
        let new_fields: Vec<f64> = fields.iter().zip(&self.velocity).map(|(b, u)| b + u).collect();
        if let Some(reason) = update.guard.check("a field", new_fields.iter().copied()) {
            return Ok(StepReport::refused(reason));
        }
        *fields = new_fields;
        Ok(StepReport::new().tally("squared_gradient", squared_gradient, 1.0))
    }
}

impl Checkpointed for Fields {
    const KIND: &'static str = "checkpoint-independent-fields";
}

/// +1 with probability (1 + m)/2, else −1: a spin of mean m.
fn spin(mean: f64, rng: &mut SamplerRng) -> f32 {
    if rng.random::<f64>() < (1.0 + mean) / 2.0 { 1.0 } else { -1.0 }
}

fn main() -> Result<()> {
    // 500 samples of 4 spins with means 0.6, −0.2, 0, 0.9.
    let means = [0.6, -0.2, 0.0, 0.9];
    let mut rng = seeded(1);
    let data = DMatrix::from_fn(500, 4, |_, i| spin(means[i], &mut rng));
    let plan = Plan {
        learning_rate: LearningRate::Constant(0.2),
        batch_size: 50,
        epochs: 40,
        guard: Default::default(),
    };
    let learner = Fields { velocity: vec![0.0; 4], momentum: 0.5 };
    let mut fit = Fit::new(learner, vec![0.0; 4], plan, seeded(2))?;
    // Twenty epochs, printing every tenth; then save, read back and finish.
    fit.plan_mut().epochs = 20;
    let mut print = EachEpoch(|report: &EpochReport, fields: &Vec<f64>| {
        if (report.epoch + 1).is_multiple_of(10) {
            println!("epoch {:>2}: fields {fields:.3?}", report.epoch + 1);
        }
    });
    fit.run(&data, &mut [&mut print])?;
    let path = std::env::temp_dir().join("independent-fields.ckpt");
    fit.save(&path)?;
    let mut resumed = Fit::<Fields>::load(&path)?;
    resumed.plan_mut().epochs = 40;
    resumed.run(&data, &mut [&mut print])?;
    let exact: Vec<f64> = (0..4).map(|i| f64::from(data.column(i).mean()).atanh()).collect();
    println!("learned {:.3?}\nexact   {exact:.3?}", resumed.model());
    std::fs::remove_file(path).ok();
    Ok(())
}
