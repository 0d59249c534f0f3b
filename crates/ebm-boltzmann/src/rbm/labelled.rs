//! [`LabelledRbm`]: an RBM over visible units and a one-hot label
//! (Hinton, 2006; Larochelle and Bengio, 2008) — the note's "add a label c
//! and learn P(v | c)".
//!
//! With v ∈ {0,1}^V, a class y ∈ {0, …, C−1} (one-hot e_y) and h ∈ {0,1}^H,
//!
//! E(v, y, h) = −vᵀWh − aᵀv − bᵀh − e_yᵀUh − d_y,
//!
//! so that, with o_y = b + Wᵀv + U_yᵀ the hidden input for class y,
//!
//! - P(h_j = 1 | v, y) = σ(o_{y,j}),
//! - P(v_i = 1 | h) = σ(a_i + (Wh)_i),
//! - P(y | h) = softmax_y(d_y + U_y·h),
//! - F(v, y) = −aᵀv − d_y − Σ_j softplus(o_{y,j}),
//! - P(y | v) = softmax_y(−F(v, y)) = softmax_y(d_y + Σ_j softplus(o_{y,j})),
//!
//! the last exact and cheap: C·H softplus terms per example, no Z.

use super::draw_units;
use ebm_core::error::check_finite;
use ebm_core::math::{log_sum_exp, sigmoid_f32, softplus};
use ebm_core::{Error, Result};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// A Bernoulli RBM with an extra softmax group of label units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawLabelled")]
pub struct LabelledRbm {
    weights: DMatrix<f32>,
    label_weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    label_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

#[derive(Deserialize)]
struct RawLabelled {
    weights: DMatrix<f32>,
    label_weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    label_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

impl TryFrom<RawLabelled> for LabelledRbm {
    type Error = Error;
    fn try_from(raw: RawLabelled) -> Result<Self> {
        Self::new(raw.weights, raw.label_weights, raw.visible_bias, raw.label_bias, raw.hidden_bias)
    }
}

impl ebm_core::file::ModelFile for LabelledRbm {
    const KIND: &'static str = "rbm-labelled";
}

/// The parameters of a [`LabelledRbm`] (or a gradient or velocity of them), mutably.
pub struct LabelledParameters<'a> {
    /// W (visible × hidden).
    pub weights: &'a mut DMatrix<f32>,
    /// U (classes × hidden).
    pub label_weights: &'a mut DMatrix<f32>,
    /// a.
    pub visible_bias: &'a mut DVector<f32>,
    /// d.
    pub label_bias: &'a mut DVector<f32>,
    /// b.
    pub hidden_bias: &'a mut DVector<f32>,
}

impl LabelledRbm {
    /// The most visible plus hidden units [`enumerated_minus_energies`](Self::enumerated_minus_energies) enumerates.
    pub const MAX_ENUMERATED_UNITS: usize = 20;

    /// A machine with W (V×H), U (C×H), a (V), d (C), b (H): shapes must
    /// agree, C ≥ 2, every value finite.
    pub fn new(
        weights: DMatrix<f32>,
        label_weights: DMatrix<f32>,
        visible_bias: DVector<f32>,
        label_bias: DVector<f32>,
        hidden_bias: DVector<f32>,
    ) -> Result<Self> {
        let (v, h, c) = (weights.nrows(), weights.ncols(), label_weights.nrows());
        let shapes = [
            ("label weight columns", h, label_weights.ncols()),
            ("visible bias", v, visible_bias.len()),
            ("label bias", c, label_bias.len()),
            ("hidden bias", h, hidden_bias.len()),
        ];
        if let Some(&(what, expected, found)) = shapes.iter().find(|(_, e, f)| e != f) {
            return Err(Error::shape(what, expected, found));
        }
        if c < 2 {
            return Err(Error::invalid("label units", format!("{c} classes; need at least 2")));
        }
        for (what, values) in [
            ("W", weights.as_slice()),
            ("U", label_weights.as_slice()),
            ("a", visible_bias.as_slice()),
            ("d", label_bias.as_slice()),
            ("b", hidden_bias.as_slice()),
        ] {
            check_finite(what, values)?;
        }
        Ok(Self { weights, label_weights, visible_bias, label_bias, hidden_bias })
    }

    /// A machine with weights W and U drawn from N(0, σ²) (Box–Muller) and zero biases.
    pub fn random(
        visible: usize,
        classes: usize,
        hidden: usize,
        std: f32,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        check_finite("weight scale", &[std])?;
        let mut normal = || {
            let (u, v): (f32, f32) = (rng.random::<f32>().max(f32::MIN_POSITIVE), rng.random());
            std * (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
        };
        let weights = DMatrix::from_fn(visible, hidden, |_, _| normal());
        let label_weights = DMatrix::from_fn(classes, hidden, |_, _| normal());
        Self::new(
            weights,
            label_weights,
            DVector::zeros(visible),
            DVector::zeros(classes),
            DVector::zeros(hidden),
        )
    }

    /// Number of visible units V.
    pub fn visible(&self) -> usize {
        self.weights.nrows()
    }

    /// Number of classes C.
    pub fn classes(&self) -> usize {
        self.label_weights.nrows()
    }

    /// Number of hidden units H.
    pub fn hidden(&self) -> usize {
        self.weights.ncols()
    }

    /// W (visible × hidden).
    pub fn weights(&self) -> &DMatrix<f32> {
        &self.weights
    }

    /// U (classes × hidden).
    pub fn label_weights(&self) -> &DMatrix<f32> {
        &self.label_weights
    }

    /// The parameters, mutably, for training algorithms; callers must keep them finite.
    pub fn parameters_mut(&mut self) -> LabelledParameters<'_> {
        LabelledParameters {
            weights: &mut self.weights,
            label_weights: &mut self.label_weights,
            visible_bias: &mut self.visible_bias,
            label_bias: &mut self.label_bias,
            hidden_bias: &mut self.hidden_bias,
        }
    }

    /// Whether every parameter is finite.
    pub fn is_finite(&self) -> bool {
        [
            self.weights.as_slice(),
            self.label_weights.as_slice(),
            self.visible_bias.as_slice(),
            self.label_bias.as_slice(),
            self.hidden_bias.as_slice(),
        ]
        .iter()
        .all(|values| values.iter().all(|x| x.is_finite()))
    }

    /// Checks a batch of visible rows and their classes.
    pub fn check_examples(&self, visible: &DMatrix<f32>, labels: &[usize]) -> Result<()> {
        if visible.ncols() != self.visible() {
            return Err(Error::shape("visible batch columns", self.visible(), visible.ncols()));
        }
        if labels.len() != visible.nrows() {
            return Err(Error::shape("labels (one per row)", visible.nrows(), labels.len()));
        }
        if let Some(&bad) = labels.iter().find(|&&y| y >= self.classes()) {
            return Err(Error::invalid(
                "label",
                format!("{bad} is not below the {} classes", self.classes()),
            ));
        }
        check_finite("visible batch", visible.as_slice())
    }

    /// The hidden input o_y = b + Wᵀv + U_yᵀ for each row and its class.
    pub fn hidden_input(&self, visible: &DMatrix<f32>, labels: &[usize]) -> Result<DMatrix<f32>> {
        self.check_examples(visible, labels)?;
        let mut input = visible * &self.weights;
        for (mut row, &y) in input.row_iter_mut().zip(labels) {
            row += self.hidden_bias.transpose() + self.label_weights.row(y);
        }
        Ok(input)
    }

    /// P(h = 1 | v, y) for each row.
    pub fn hidden_probabilities(&self, visible: &DMatrix<f32>, labels: &[usize]) -> Result<DMatrix<f32>> {
        Ok(self.hidden_input(visible, labels)?.map(sigmoid_f32))
    }

    /// P(v = 1 | h) for each row of `hidden`.
    pub fn visible_probabilities(&self, hidden: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        if hidden.ncols() != self.hidden() {
            return Err(Error::shape("hidden batch columns", self.hidden(), hidden.ncols()));
        }
        let mut input = hidden * self.weights.transpose();
        for mut row in input.row_iter_mut() {
            row += self.visible_bias.transpose();
        }
        Ok(input.map(sigmoid_f32))
    }

    /// P(y | h) = softmax(d + Uh) for each row of `hidden` (rows × classes).
    pub fn label_probabilities(&self, hidden: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        if hidden.ncols() != self.hidden() {
            return Err(Error::shape("hidden batch columns", self.hidden(), hidden.ncols()));
        }
        let mut scores = hidden * self.label_weights.transpose();
        for mut row in scores.row_iter_mut() {
            row += self.label_bias.transpose();
            softmax_in_place(row.iter_mut());
        }
        Ok(scores)
    }

    /// The class-free part b + Wᵀv of the hidden input for each row; adding
    /// row y of U gives o_y. One product serves every class.
    pub fn shared_hidden_input(&self, visible: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.check_examples(visible, &vec![0; visible.nrows()])?;
        let mut input = visible * &self.weights;
        for mut row in input.row_iter_mut() {
            row += self.hidden_bias.transpose();
        }
        Ok(input)
    }

    /// P(h = 1 | v, y = c) = σ(b + Wᵀv + U_cᵀ) for each row, given the
    /// [`shared_hidden_input`](Self::shared_hidden_input) of the rows.
    pub fn class_hidden_probabilities(&self, shared: &DMatrix<f32>, class: usize) -> Result<DMatrix<f32>> {
        if shared.ncols() != self.hidden() {
            return Err(Error::shape("shared hidden input columns", self.hidden(), shared.ncols()));
        }
        if class >= self.classes() {
            return Err(Error::invalid("class", format!("{class} is not below {}", self.classes())));
        }
        let offset = self.label_weights.row(class);
        Ok(DMatrix::from_fn(shared.nrows(), shared.ncols(), |r, j| sigmoid_f32(shared[(r, j)] + offset[j])))
    }

    /// log P(y | v) for every row and class (rows × classes), exactly:
    /// log-softmax over y of d_y + Σ_j softplus(o_{y,j}).
    pub fn class_log_probabilities(&self, visible: &DMatrix<f32>) -> Result<DMatrix<f64>> {
        let base = self.shared_hidden_input(visible)?;
        let mut scores = DMatrix::zeros(visible.nrows(), self.classes());
        for r in 0..visible.nrows() {
            for y in 0..self.classes() {
                let hidden: f64 = (0..self.hidden())
                    .map(|j| softplus(f64::from(base[(r, j)] + self.label_weights[(y, j)])))
                    .sum();
                scores[(r, y)] = f64::from(self.label_bias[y]) + hidden;
            }
            let row: Vec<f64> = scores.row(r).iter().copied().collect();
            let log_z = log_sum_exp(&row);
            scores.row_mut(r).iter_mut().for_each(|s| *s -= log_z);
        }
        Ok(scores)
    }

    /// The most probable class of each row under P(y | v).
    pub fn classify(&self, visible: &DMatrix<f32>) -> Result<Vec<usize>> {
        let log_p = self.class_log_probabilities(visible)?;
        Ok(log_p
            .row_iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f64::NEG_INFINITY), |best, (c, &p)| if p > best.1 { (c, p) } else { best })
                    .0
            })
            .collect())
    }

    /// F(v, y) = −aᵀv − d_y − Σ_j softplus(o_{y,j}) for each row and its class, in f64.
    pub fn free_energy(&self, visible: &DMatrix<f32>, labels: &[usize]) -> Result<Vec<f64>> {
        let input = self.hidden_input(visible, labels)?;
        Ok((0..visible.nrows())
            .map(|r| {
                let linear: f64 = visible
                    .row(r)
                    .iter()
                    .zip(self.visible_bias.iter())
                    .map(|(&v, &a)| f64::from(v * a))
                    .sum();
                let hidden: f64 = input.row(r).iter().map(|&o| softplus(f64::from(o))).sum();
                -linear - f64::from(self.label_bias[labels[r]]) - hidden
            })
            .collect())
    }

    /// E(v, y, h) of one configuration, in f64.
    pub fn energy(&self, visible: &[f32], label: usize, hidden: &[f32]) -> Result<f64> {
        if visible.len() != self.visible() || hidden.len() != self.hidden() || label >= self.classes() {
            return Err(Error::invalid("labelled RBM configuration", "wrong sizes or label out of range"));
        }
        let v = DMatrix::from_row_slice(1, self.visible(), visible);
        let o = self.hidden_input(&v, &[label])?;
        let coupling: f64 = o.iter().zip(hidden).map(|(&x, &h)| f64::from(x * h)).sum();
        let linear: f64 = visible.iter().zip(self.visible_bias.iter()).map(|(&v, &a)| f64::from(v * a)).sum();
        Ok(-coupling - linear - f64::from(self.label_bias[label]))
    }

    /// −E(v, y, h) of every configuration, indexed `[v][y][h]`, where unit i
    /// of v (or of h) is bit i of the index: a brute-force reference for tiny
    /// machines (V + H ≤ [`MAX_ENUMERATED_UNITS`](Self::MAX_ENUMERATED_UNITS)), against which the closed
    /// forms above can be checked.
    pub fn enumerated_minus_energies(&self) -> Result<Vec<Vec<Vec<f64>>>> {
        let (nv, nc, nh) = (self.visible(), self.classes(), self.hidden());
        if nv + nh > Self::MAX_ENUMERATED_UNITS {
            return Err(Error::TooLarge {
                what: "labelled RBM units to enumerate".into(),
                limit: Self::MAX_ENUMERATED_UNITS as u64,
                found: (nv + nh) as u64,
            });
        }
        let bits = |index: usize, len: usize| -> Vec<f32> {
            (0..len).map(|i| f32::from(u8::from(index >> i & 1 == 1))).collect()
        };
        (0..1usize << nv)
            .map(|v| {
                (0..nc)
                    .map(|y| {
                        (0..1usize << nh).map(|h| Ok(-self.energy(&bits(v, nv), y, &bits(h, nh))?)).collect()
                    })
                    .collect()
            })
            .collect()
    }

    /// log P(y | v) for every v ∈ {0,1}^V (rows, indexed as in
    /// [`enumerated_minus_energies`](Self::enumerated_minus_energies)) and
    /// every y (columns), by summing e^{−E(v, y, h)} over every h:
    /// log P(y | v) = log Σ_h e^{−E(v,y,h)} − log Σ_{y′,h} e^{−E(v,y′,h)}.
    /// Exponentially slow; the reference for [`class_log_probabilities`](Self::class_log_probabilities).
    pub fn enumerated_class_log_probabilities(&self) -> Result<DMatrix<f64>> {
        let table = self.enumerated_minus_energies()?;
        let mut result = DMatrix::zeros(table.len(), self.classes());
        for (v, per_class) in table.iter().enumerate() {
            let joint: Vec<f64> = per_class.iter().map(|terms| log_sum_exp(terms)).collect();
            let evidence = log_sum_exp(&joint);
            for (y, log_joint) in joint.iter().enumerate() {
                result[(v, y)] = log_joint - evidence;
            }
        }
        Ok(result)
    }

    /// One Gibbs step over (v, y, h) for each row: h ~ P(h | v, y), then
    /// v ~ P(v | h) and y ~ P(y | h) (independent given h). With
    /// `clamp_labels` the labels stay fixed, which samples P(v | y).
    pub fn gibbs_step<R: Rng + ?Sized>(
        &self,
        visible: &mut DMatrix<f32>,
        labels: &mut [usize],
        clamp_labels: bool,
        rng: &mut R,
    ) -> Result<DMatrix<f32>> {
        let hidden = draw_units(&self.hidden_probabilities(visible, labels)?, rng);
        *visible = draw_units(&self.visible_probabilities(&hidden)?, rng);
        if !clamp_labels {
            let p = self.label_probabilities(&hidden)?;
            for (label, row) in labels.iter_mut().zip(p.row_iter()) {
                *label = draw_category(row.iter().copied(), rng);
            }
        }
        Ok(hidden)
    }

    /// P(v = 1 | h) after `steps` Gibbs steps with the label clamped at
    /// `class`, from `chains` uniformly random visible states: what the model
    /// imagines for that class.
    pub fn class_samples<R: Rng + ?Sized>(
        &self,
        class: usize,
        chains: usize,
        steps: usize,
        rng: &mut R,
    ) -> Result<DMatrix<f32>> {
        if class >= self.classes() {
            return Err(Error::invalid("class", format!("{class} is not below {}", self.classes())));
        }
        let mut visible =
            DMatrix::from_fn(chains, self.visible(), |_, _| f32::from(u8::from(rng.random::<bool>())));
        let mut labels = vec![class; chains];
        let mut hidden = DMatrix::zeros(chains, self.hidden());
        for _ in 0..steps.max(1) {
            hidden = self.gibbs_step(&mut visible, &mut labels, true, rng)?;
        }
        self.visible_probabilities(&hidden)
    }
}

/// Replaces x by softmax(x), stably.
fn softmax_in_place<'a>(values: impl Iterator<Item = &'a mut f32>) {
    let values: Vec<&mut f32> = values.collect();
    let max = values.iter().fold(f32::NEG_INFINITY, |m, v| m.max(**v));
    let mut total = 0.0;
    let mut exps = Vec::with_capacity(values.len());
    for v in &values {
        let e = (**v - max).exp();
        total += e;
        exps.push(e);
    }
    for (v, e) in values.into_iter().zip(exps) {
        *v = e / total;
    }
}

/// Draws an index with the given probabilities (which sum to 1).
fn draw_category<R: Rng + ?Sized>(probabilities: impl Iterator<Item = f32>, rng: &mut R) -> usize {
    let mut u: f32 = rng.random();
    let mut last = 0;
    for (k, p) in probabilities.enumerate() {
        last = k;
        if u < p {
            return k;
        }
        u -= p;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::worst::max_abs;
    use ebm_mcmc::histogram::{StateHistogram, expected_total_variation};
    use ebm_mcmc::rng::seeded;
    use proptest::prelude::*;

    fn random_machine(seed: u64, visible: usize, classes: usize, hidden: usize) -> LabelledRbm {
        let mut rng = seeded(seed);
        let mut rbm = LabelledRbm::random(visible, classes, hidden, 1.0, &mut rng).unwrap();
        let p = rbm.parameters_mut();
        for x in p.visible_bias.iter_mut().chain(p.label_bias.iter_mut()).chain(p.hidden_bias.iter_mut()) {
            *x = rng.random_range(-1.0..1.0);
        }
        rbm
    }

    fn bits(index: usize, len: usize) -> Vec<f32> {
        (0..len).map(|i| f32::from(u8::from(index >> i & 1 == 1))).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        #[allow(clippy::needless_range_loop)] // v, y and h index the table and name states alike
        fn conditionals_free_energy_and_class_posterior_match_enumeration(
            seed in any::<u64>(), nv in 1usize..5, nc in 2usize..4, nh in 1usize..4,
        ) {
            let rbm = random_machine(seed, nv, nc, nh);
            let table = rbm.enumerated_minus_energies().unwrap();
            let visible = DMatrix::from_fn(1 << nv, nv, |r, i| bits(r, nv)[i]);
            let log_posterior = rbm.class_log_probabilities(&visible).unwrap();
            let enumerated = rbm.enumerated_class_log_probabilities().unwrap();
            for v in 0..1 << nv {
                let per_class: Vec<f64> = table[v].iter().map(|terms| log_sum_exp(terms)).collect();
                for y in 0..nc {
                    // F(v, y) = −log Σ_h e^{−E} and log P(y | v).
                    let free = rbm.free_energy(&visible.rows(v, 1).into_owned(), &[y]).unwrap()[0];
                    prop_assert!((free + per_class[y]).abs() < 1e-4 * (1.0 + free.abs()));
                    prop_assert!((log_posterior[(v, y)] - enumerated[(v, y)]).abs() < 1e-4);
                    // P(h_j = 1 | v, y).
                    let p = rbm.hidden_probabilities(&visible.rows(v, 1).into_owned(), &[y]).unwrap();
                    let shared = rbm.shared_hidden_input(&visible.rows(v, 1).into_owned()).unwrap();
                    prop_assert!(max_abs((rbm.class_hidden_probabilities(&shared, y).unwrap() - &p).iter().copied()) < 1e-6);
                    for j in 0..nh {
                        let on: Vec<f64> = (0..1 << nh).filter(|h| h >> j & 1 == 1).map(|h| table[v][y][h]).collect();
                        prop_assert!((f64::from(p[(0, j)]) - (log_sum_exp(&on) - per_class[y]).exp()).abs() < 1e-4);
                    }
                }
            }
            // P(y | h) and P(v_i | h) from the energies of one (v, h).
            for h in 0..1 << nh {
                let hidden = DMatrix::from_row_slice(1, nh, &bits(h, nh));
                let labels = rbm.label_probabilities(&hidden).unwrap();
                let scores: Vec<f64> = (0..nc).map(|y| table[0][y][h]).collect();
                for y in 0..nc {
                    prop_assert!((f64::from(labels[(0, y)]) - (scores[y] - log_sum_exp(&scores)).exp()).abs() < 1e-4);
                }
                let p = rbm.visible_probabilities(&hidden).unwrap();
                for i in 0..nv {
                    let gap = table[1 << i][0][h] - table[0][0][h];
                    prop_assert!((f64::from(p[(0, i)]) - 1.0 / (1.0 + (-gap).exp())).abs() < 1e-4);
                }
            }
        }
    }

    #[test]
    fn class_clamped_gibbs_samples_the_class_conditional() {
        let rbm = random_machine(3, 3, 3, 2);
        let table = rbm.enumerated_minus_energies().unwrap();
        let class = 1;
        let per_v: Vec<f64> = (0..8).map(|v| log_sum_exp(&table[v][class])).collect();
        let log_z = log_sum_exp(&per_v);
        let exact: Vec<f64> = per_v.iter().map(|l| (l - log_z).exp()).collect();
        let mut rng = seeded(4);
        let chains = 400;
        let mut visible = DMatrix::zeros(chains, 3);
        let mut labels = vec![class; chains];
        for _ in 0..20 {
            rbm.gibbs_step(&mut visible, &mut labels, true, &mut rng).unwrap();
        }
        let mut histogram = StateHistogram::new(3, ebm_core::Domain::Bit).unwrap();
        for _ in 0..100 {
            rbm.gibbs_step(&mut visible, &mut labels, true, &mut rng).unwrap();
            for row in visible.row_iter() {
                histogram.add(&row.iter().map(|&x| x as i8).collect::<Vec<_>>());
            }
        }
        assert!(labels.iter().all(|&y| y == class));
        let tv = histogram.total_variation(&exact).unwrap();
        assert!(tv < 3.0 * expected_total_variation(&exact, 40_000.0), "TV {tv}");
        let samples = rbm.class_samples(class, 5, 10, &mut rng).unwrap();
        assert_eq!(samples.shape(), (5, 3));
    }

    #[test]
    fn files_round_trip_and_bad_input_is_refused() {
        let rbm = random_machine(5, 4, 3, 2);
        let bytes = ebm_core::file::encode(&rbm).unwrap();
        assert_eq!(ebm_core::file::decode::<LabelledRbm>(&bytes).unwrap(), rbm);
        assert!(ebm_core::file::decode::<LabelledRbm>(&bytes[..bytes.len() - 3]).is_err());
        assert!(ebm_core::file::decode::<crate::BernoulliRbm>(&bytes).is_err());
        let (w, u) = (DMatrix::zeros(4, 2), DMatrix::zeros(3, 2));
        let (a, d, b) = (DVector::zeros(4), DVector::zeros(3), DVector::zeros(2));
        assert!(LabelledRbm::new(w.clone(), u.clone(), a.clone(), d.clone(), b.clone()).is_ok());
        assert!(
            LabelledRbm::new(w.clone(), DMatrix::zeros(1, 2), a.clone(), DVector::zeros(1), b.clone())
                .is_err()
        );
        assert!(LabelledRbm::new(w.clone(), u.clone(), a.clone(), d.clone(), DVector::zeros(3)).is_err());
        assert!(LabelledRbm::new(w.clone(), u.clone(), DVector::from_element(4, f32::NAN), d, b).is_err());
        assert!(rbm.hidden_probabilities(&DMatrix::zeros(2, 4), &[0]).is_err());
        assert!(rbm.hidden_probabilities(&DMatrix::zeros(1, 4), &[3]).is_err());
        assert!(rbm.class_log_probabilities(&DMatrix::zeros(1, 5)).is_err());
        assert!(rbm.class_samples(3, 1, 1, &mut seeded(1)).is_err());
        assert!(rbm.energy(&[0.0; 4], 5, &[0.0; 2]).is_err());
        assert!(random_machine(6, 12, 2, 9).enumerated_minus_energies().is_err());
    }
}
