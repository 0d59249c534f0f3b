//! Discrete state vectors: spins (±1) and bits (0/1).
//!
//! A state of N units is stored as `i8` values. [`Domain`] says which two
//! values a unit takes; [`Spins`] and [`Bits`] are validated state vectors that
//! carry their domain in the type. The standard change of variables between
//! the two is s = 2b − 1, b = (s + 1)/2.

use crate::error::{Error, Result};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

/// The two values a discrete unit can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// Ising spins, s ∈ {−1, +1}.
    Spin,
    /// Bits, b ∈ {0, 1}.
    Bit,
}

impl Domain {
    /// The "off" value: −1 for spins, 0 for bits.
    #[inline]
    pub const fn low(self) -> i8 {
        match self {
            Domain::Spin => -1,
            Domain::Bit => 0,
        }
    }

    /// The "on" value, +1 in both domains.
    #[inline]
    pub const fn high(self) -> i8 {
        1
    }

    /// The value for an on/off flag.
    #[inline]
    pub const fn value(self, on: bool) -> i8 {
        if on { self.high() } else { self.low() }
    }

    /// Whether `v` is one of the domain's two values.
    #[inline]
    pub const fn contains(self, v: i8) -> bool {
        v == self.low() || v == self.high()
    }

    /// The other value: −s for spins, 1 − b for bits.
    #[inline]
    pub const fn flipped(self, v: i8) -> i8 {
        self.low() + self.high() - v
    }

    /// P(unit on | rest) at temperature T = 1/β for a unit with local field
    /// h_i = Σ_j w_ij s_j + b_i: σ(2β h_i) for ±1 units, σ(β h_i) for 0/1 units.
    ///
    /// The energy difference between the unit off and on is (high − low)·h_i,
    /// so P(on)/P(off) = exp(β (high − low) h_i). (The note's
    /// σ((Σ_j w_ij s_j + 2 b_i)/T) for ±1 units is a slip: the factor 2
    /// multiplies the whole field.) This is the one definition the Gibbs
    /// samplers use.
    #[inline]
    pub fn on_probability(self, field: f64, beta: f64) -> f64 {
        crate::math::sigmoid(f64::from(self.high() - self.low()) * field * beta)
    }

    /// The change of a unit's value when it flips: −2s for spins, 1 − 2b for bits.
    #[inline]
    pub const fn flip_delta(self, v: i8) -> i8 {
        self.flipped(v) - v
    }

    /// Checks that every entry of `state` belongs to this domain and that it
    /// has `len` entries.
    pub fn check(self, state: &[i8], len: usize) -> Result<()> {
        if state.len() != len {
            return Err(Error::shape("state", len, state.len()));
        }
        match state.iter().position(|&v| !self.contains(v)) {
            None => Ok(()),
            Some(i) => Err(Error::invalid(
                "state",
                format!("unit {i} has value {}, which is not in the {self} domain", state[i]),
            )),
        }
    }

    /// The other domain: [`Domain::Bit`] for spins and [`Domain::Spin`] for bits.
    pub const fn other(self) -> Domain {
        match self {
            Domain::Spin => Domain::Bit,
            Domain::Bit => Domain::Spin,
        }
    }

    /// Writes into `out` the state whose unit i is "on" exactly when bit i of
    /// `index` is set: the enumeration order used by [`crate::exact`].
    pub fn state_from_index(self, index: u64, out: &mut [i8]) {
        for (i, v) in out.iter_mut().enumerate() {
            *v = self.value(i < 64 && (index >> i) & 1 == 1);
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Domain::Spin => "spin (±1)",
            Domain::Bit => "bit (0/1)",
        })
    }
}

/// Type-level marker for a unit domain, so that [`Spins`] and [`Bits`] cannot be mixed up.
pub trait UnitDomain: Copy + Default + std::fmt::Debug + Send + Sync + 'static {
    /// The runtime domain this marker stands for.
    const DOMAIN: Domain;
}

/// Marker for ±1 units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SpinUnits;

/// Marker for 0/1 units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BitUnits;

impl UnitDomain for SpinUnits {
    const DOMAIN: Domain = Domain::Spin;
}

impl UnitDomain for BitUnits {
    const DOMAIN: Domain = Domain::Bit;
}

/// A validated vector of discrete units whose values lie in the domain `D`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<i8>", into = "Vec<i8>")]
pub struct State<D: UnitDomain> {
    units: Vec<i8>,
    #[serde(skip)]
    domain: PhantomData<D>,
}

/// A vector of ±1 spins.
pub type Spins = State<SpinUnits>;

/// A vector of 0/1 bits.
pub type Bits = State<BitUnits>;

impl<D: UnitDomain> State<D> {
    /// Validates `units` (every entry in the domain) and wraps them.
    pub fn new(units: Vec<i8>) -> Result<Self> {
        D::DOMAIN.check(&units, units.len())?;
        Ok(Self { units, domain: PhantomData })
    }

    /// All units off (−1 for spins, 0 for bits).
    pub fn all_low(len: usize) -> Self {
        Self { units: vec![D::DOMAIN.low(); len], domain: PhantomData }
    }

    /// The state whose unit i is on exactly when bit i of `index` is set.
    pub fn from_index(len: usize, index: u64) -> Self {
        let mut units = vec![0; len];
        D::DOMAIN.state_from_index(index, &mut units);
        Self { units, domain: PhantomData }
    }

    /// Uniformly random units, each on with probability ½.
    pub fn random(len: usize, rng: &mut impl Rng) -> Self {
        let units = (0..len).map(|_| D::DOMAIN.value(rng.random::<bool>())).collect();
        Self { units, domain: PhantomData }
    }

    /// The domain of the units.
    pub fn domain(&self) -> Domain {
        D::DOMAIN
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether there are no units.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The unit values.
    pub fn as_slice(&self) -> &[i8] {
        &self.units
    }

    /// Consumes the state, returning its unit values.
    pub fn into_vec(self) -> Vec<i8> {
        self.units
    }

    /// Whether unit `i` is on (+1). Returns `None` if `i` is out of range.
    pub fn is_on(&self, i: usize) -> Option<bool> {
        self.units.get(i).map(|&v| v == D::DOMAIN.high())
    }

    /// Flips unit `i`; an error if `i` is out of range.
    pub fn flip(&mut self, i: usize) -> Result<()> {
        let len = self.units.len();
        let v = self
            .units
            .get_mut(i)
            .ok_or_else(|| Error::invalid("unit index", format!("{i} is out of range for {len} units")))?;
        *v = D::DOMAIN.flipped(*v);
        Ok(())
    }

    /// The index of this state in the enumeration order of [`State::from_index`];
    /// `None` for more than 64 units.
    pub fn to_index(&self) -> Option<u64> {
        (self.units.len() <= 64).then(|| {
            self.units
                .iter()
                .enumerate()
                .filter(|&(_, &v)| v == D::DOMAIN.high())
                .fold(0u64, |acc, (i, _)| acc | (1 << i))
        })
    }

    /// The same pattern in another domain: on stays on, off stays off
    /// (s = 2b − 1 from bits to spins, b = (s + 1)/2 back).
    pub fn convert<E: UnitDomain>(&self) -> State<E> {
        let units = self.units.iter().map(|&v| E::DOMAIN.value(v == D::DOMAIN.high())).collect();
        State { units, domain: PhantomData }
    }

    /// The unit values as `f32` (for matrix code).
    pub fn to_f32(&self) -> Vec<f32> {
        self.units.iter().map(|&v| f32::from(v)).collect()
    }
}

impl Spins {
    /// The equivalent 0/1 state, b = (s + 1)/2.
    pub fn to_bits(&self) -> Bits {
        self.convert()
    }
}

impl Bits {
    /// The equivalent ±1 state, s = 2b − 1.
    pub fn to_spins(&self) -> Spins {
        self.convert()
    }
}

impl<D: UnitDomain> TryFrom<Vec<i8>> for State<D> {
    type Error = Error;
    fn try_from(units: Vec<i8>) -> Result<Self> {
        Self::new(units)
    }
}

impl<D: UnitDomain> From<State<D>> for Vec<i8> {
    fn from(state: State<D>) -> Vec<i8> {
        state.units
    }
}

impl<D: UnitDomain> AsRef<[i8]> for State<D> {
    fn as_ref(&self) -> &[i8] {
        &self.units
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn invalid_values_are_refused() {
        assert!(Spins::new(vec![1, 0, -1]).is_err());
        assert!(Bits::new(vec![1, -1]).is_err());
        assert!(Bits::new(vec![1, 0, 1]).is_ok());
        let err = Spins::new(vec![1, 2]).unwrap_err().to_string();
        assert!(err.contains("unit 1"), "{err}");
    }

    #[test]
    fn flip_out_of_range_is_an_error() {
        let mut s = Spins::all_low(3);
        assert!(s.flip(3).is_err());
        s.flip(1).unwrap();
        assert_eq!(s.as_slice(), &[-1, 1, -1]);
    }

    #[test]
    fn serde_refuses_bad_values() {
        assert!(serde_json::from_str::<Spins>("[1,-1,1]").is_ok());
        assert!(serde_json::from_str::<Spins>("[1,0,1]").is_err());
    }

    proptest! {
        #[test]
        fn conversion_round_trips(bits in prop::collection::vec(0i8..=1, 0..40)) {
            let b = Bits::new(bits.clone()).unwrap();
            let s = b.to_spins();
            for (x, y) in bits.iter().zip(s.as_slice()) {
                prop_assert_eq!(*y, 2 * x - 1);
            }
            prop_assert_eq!(s.to_bits(), b);
        }

        #[test]
        fn index_round_trips(len in 0usize..20, index in any::<u64>()) {
            let index = if len == 0 { 0 } else { index & (u64::MAX >> (64 - len)) };
            let s = Spins::from_index(len, index);
            prop_assert_eq!(s.to_index(), Some(index));
        }

        #[test]
        fn flip_is_an_involution(v in 0i8..=1, spin in any::<bool>()) {
            let d = if spin { Domain::Spin } else { Domain::Bit };
            let x = d.value(v == 1);
            prop_assert_eq!(d.flipped(d.flipped(x)), x);
            prop_assert_eq!(x + d.flip_delta(x), d.flipped(x));
            prop_assert!(d.contains(d.flipped(x)));
        }
    }

    /// P(on | field h) = e^{β h·high} / (e^{β h·high} + e^{β h·low}): the ratio
    /// of the Boltzmann weights of the unit's two values, E(v) = −h v, summed directly.
    #[test]
    fn the_gibbs_conditional_is_the_ratio_of_the_two_boltzmann_weights() {
        for domain in [Domain::Spin, Domain::Bit] {
            for field in [-2.5, -0.7, 0.0, 0.3, 1.9] {
                for beta in [0.25, 1.0, 3.0] {
                    let weight = |v: i8| (beta * field * f64::from(v)).exp();
                    let expected = weight(1) / (weight(1) + weight(domain.low()));
                    let p = domain.on_probability(field, beta);
                    assert!(
                        (p - expected).abs() < 1e-12,
                        "{domain:?}, h = {field}, β = {beta}: {p} vs {expected}"
                    );
                }
            }
        }
        // A spin feels twice the field of a bit: σ(2h) against σ(h), e.g. at h = ln 3.
        let h = 3f64.ln();
        assert!((Domain::Spin.on_probability(h, 1.0) - 0.9).abs() < 1e-12);
        assert!((Domain::Bit.on_probability(h, 1.0) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn domains_have_their_two_values() {
        let (spin, bit) = (Domain::Spin, Domain::Bit);
        assert_eq!((spin.low(), spin.high(), bit.low(), bit.high()), (-1, 1, 0, 1));
        assert_eq!((spin.value(true), spin.value(false), bit.value(true), bit.value(false)), (1, -1, 1, 0));
        assert!(spin.contains(-1) && spin.contains(1) && !spin.contains(0) && !spin.contains(2));
        assert!(bit.contains(0) && bit.contains(1) && !bit.contains(-1) && !bit.contains(2));
        assert_eq!((spin.flipped(1), spin.flipped(-1), bit.flipped(1), bit.flipped(0)), (-1, 1, 0, 1));
        assert_eq!(
            (spin.flip_delta(1), spin.flip_delta(-1), bit.flip_delta(1), bit.flip_delta(0)),
            (-2, 2, -1, 1)
        );
        assert_eq!((spin.other(), bit.other()), (bit, spin));
        assert_eq!((spin.to_string(), bit.to_string()), ("spin (±1)".to_string(), "bit (0/1)".to_string()));
        assert!(spin.check(&[1, -1], 2).is_ok() && spin.check(&[1, -1], 3).is_err());
    }

    #[test]
    fn states_enumerate_convert_and_report_their_units() {
        // Unit i is on exactly when bit i of the index is set: 0b1101 over 5 units.
        let s = Spins::from_index(5, 0b1101);
        assert_eq!(s.as_slice(), &[1, -1, 1, 1, -1]);
        assert_eq!((s.len(), s.is_empty(), s.domain()), (5, false, Domain::Spin));
        assert_eq!((s.is_on(0), s.is_on(1), s.is_on(5)), (Some(true), Some(false), None));
        assert_eq!(s.to_f32(), vec![1.0, -1.0, 1.0, 1.0, -1.0]);
        let b = s.to_bits();
        assert_eq!((b.as_slice(), b.domain()), (&[1, 0, 1, 1, 0][..], Domain::Bit));
        assert_eq!(b.to_f32(), vec![1.0, 0.0, 1.0, 1.0, 0.0]);
        assert_eq!((b.as_ref(), b.clone().into_vec()), (&[1, 0, 1, 1, 0][..], vec![1, 0, 1, 1, 0]));
        assert_eq!(Vec::<i8>::from(b), vec![1, 0, 1, 1, 0]);
        assert!(Bits::all_low(0).is_empty());
        assert_eq!(Bits::all_low(3).as_slice(), &[0, 0, 0]);
        assert_eq!(Spins::all_low(2).as_slice(), &[-1, -1]);
        // Beyond 64 units an index cannot name a state: the extra units stay off.
        let long = Bits::from_index(66, u64::MAX);
        assert_eq!((long.is_on(63), long.is_on(64), long.is_on(65)), (Some(true), Some(false), Some(false)));
        assert_eq!(long.to_index(), None);
        assert_eq!(Bits::from_index(64, 1 << 63).to_index(), Some(1 << 63));
    }

    #[test]
    fn random_states_hold_both_values_about_equally_often() {
        let mut rng = rand_pcg::Pcg64Mcg::new(3);
        let s = Spins::random(4000, &mut rng);
        assert!(Spins::new(s.as_slice().to_vec()).is_ok());
        let on = s.as_slice().iter().filter(|&&v| v == 1).count();
        // Binomial(4000, ½): standard deviation about 32.
        assert!((on as f64 - 2000.0).abs() < 160.0, "{on} of 4000 on");
        let b = Bits::random(4000, &mut rng);
        let on = b.as_slice().iter().filter(|&&v| v == 1).count();
        assert!(Bits::new(b.as_slice().to_vec()).is_ok() && (on as f64 - 2000.0).abs() < 160.0, "{on}");
    }
}
