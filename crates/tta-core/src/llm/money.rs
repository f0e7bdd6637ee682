//! [`Usd`]: money as an integer count of nano-dollars, so sums are exact.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};
use std::str::FromStr;

const NANOS_PER_DOLLAR: u64 = 1_000_000_000;

/// An amount of US dollars, held as an integer number of nano-dollars
/// (10⁻⁹ USD).
///
/// Floating-point dollars drift: a million calls at $0.000_000_1 each do not
/// add up to $0.10 in `f64`. Integers do, so every cost, budget and counter
/// in TTA is a `Usd`. Arithmetic saturates at `u64::MAX` nano-dollars
/// (about $18 billion) instead of wrapping.
///
/// ```
/// use tta_core::llm::Usd;
///
/// let price: Usd = "$2.50".parse()?;
/// assert_eq!(price, Usd::from_cents(250));
/// assert_eq!(price.nanos(), 2_500_000_000);
/// assert_eq!((price + Usd::from_nanos(1)).to_string(), "$2.500000001");
/// # Ok::<(), tta_core::llm::ParseUsdError>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usd(u64);

impl Usd {
    /// Nothing.
    pub const ZERO: Usd = Usd(0);

    /// `nanos` nano-dollars.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// `micros` millionths of a dollar.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros.saturating_mul(1_000))
    }

    /// `cents` hundredths of a dollar.
    pub const fn from_cents(cents: u64) -> Self {
        Self(cents.saturating_mul(10_000_000))
    }

    /// Whole dollars.
    pub const fn from_dollars(dollars: u64) -> Self {
        Self(dollars.saturating_mul(NANOS_PER_DOLLAR))
    }

    /// The amount in nano-dollars.
    pub const fn nanos(self) -> u64 {
        self.0
    }

    /// The amount in dollars, for display and dashboards only: `f64` cannot
    /// hold every amount exactly.
    pub fn as_dollars(self) -> f64 {
        self.0 as f64 / NANOS_PER_DOLLAR as f64
    }

    /// `self + other`, stopping at the largest amount.
    pub const fn saturating_add(self, other: Usd) -> Usd {
        Usd(self.0.saturating_add(other.0))
    }

    /// `self - other`, stopping at zero.
    pub const fn saturating_sub(self, other: Usd) -> Usd {
        Usd(self.0.saturating_sub(other.0))
    }
}

impl Add for Usd {
    type Output = Usd;

    fn add(self, other: Usd) -> Usd {
        self.saturating_add(other)
    }
}

impl AddAssign for Usd {
    fn add_assign(&mut self, other: Usd) {
        *self = *self + other;
    }
}

impl Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::ZERO, Add::add)
    }
}

/// `$1.25`, `$0.000123`: at least two decimals, at most nine, no trailing zeros beyond two.
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dollars = self.0 / NANOS_PER_DOLLAR;
        let nanos = self.0 % NANOS_PER_DOLLAR;
        let digits = format!("{nanos:09}");
        let fraction = digits.trim_end_matches('0');
        let fraction = if fraction.len() < 2 {
            &digits[..2]
        } else {
            fraction
        };
        write!(f, "${dollars}.{fraction}")
    }
}

impl fmt::Debug for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a text is not an amount of dollars.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an amount of US dollars: {reason} (write it like `$1.25` or `0.000002`)")]
pub struct ParseUsdError {
    text: String,
    reason: &'static str,
}

/// Parses `1.25`, `$1.25` or `0.000000001`: a decimal with at most nine
/// fractional digits, parsed exactly (never through `f64`).
impl FromStr for Usd {
    type Err = ParseUsdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason| ParseUsdError {
            text: text.to_owned(),
            reason,
        };
        let digits = text.trim();
        let digits = digits.strip_prefix('$').unwrap_or(digits);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(error("there are no digits"));
        }
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if !all_digits(whole) || !all_digits(fraction) {
            return Err(error("only digits and one `.` are allowed"));
        }
        if fraction.len() > 9 {
            return Err(error("more than nine decimals is finer than a nano-dollar"));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| error("the amount is too large"))?
        };
        let scale = 10_u64.pow(9 - fraction.len() as u32);
        let fraction: u64 = if fraction.is_empty() {
            0
        } else {
            fraction
                .parse()
                .map_err(|_| error("the decimals are invalid"))?
        };
        whole
            .checked_mul(NANOS_PER_DOLLAR)
            .and_then(|nanos| nanos.checked_add(fraction * scale))
            .map(Usd)
            .ok_or_else(|| error("the amount is too large"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_and_displays_round_trip() {
        for (text, nanos) in [
            ("$2.50", 2_500_000_000),
            ("0.000000001", 1),
            ("15", 15_000_000_000),
            (".5", 500_000_000),
            ("$0.075", 75_000_000),
        ] {
            let amount: Usd = text.parse().expect(text);
            assert_eq!(amount.nanos(), nanos, "{text}");
            assert_eq!(amount.to_string().parse::<Usd>(), Ok(amount));
        }
        assert_eq!(Usd::from_nanos(1_230_000_000).to_string(), "$1.23");
        assert_eq!(Usd::from_nanos(120).to_string(), "$0.00000012");
        assert_eq!(Usd::ZERO.to_string(), "$0.00");
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        for text in [
            "",
            "$",
            "-1",
            "1.2.3",
            "1e-6",
            "0.0000000001",
            "abc",
            "99999999999999",
        ] {
            let error = text.parse::<Usd>().expect_err(text);
            assert!(error.to_string().contains("is not an amount"), "{error}");
        }
    }

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        let total: Usd = [Usd::from_nanos(u64::MAX), Usd::from_nanos(1)]
            .into_iter()
            .sum();
        assert_eq!(total.nanos(), u64::MAX);
        assert_eq!(Usd::ZERO.saturating_sub(Usd::from_nanos(5)), Usd::ZERO);
    }
}
