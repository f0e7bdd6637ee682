//! The W3C Trace Context `traceparent` header.
//!
//! Spec: <https://www.w3.org/TR/trace-context/#traceparent-header>.

use std::fmt;
use std::num::{NonZeroU64, NonZeroU128};
use std::str::FromStr;

/// A parsed `traceparent` header: which trace a workflow belongs to and
/// which remote span caused it.
///
/// ```
/// use tta_core::TraceParent;
///
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let parent: TraceParent = header.parse()?;
/// assert!(parent.sampled());
/// assert_eq!(parent.to_string(), header);
/// # Ok::<(), tta_core::TraceParentError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: u128,
    span_id: u64,
    flags: u8,
}

/// Why a `traceparent` header was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceParentError {
    /// The header does not have the `version-traceid-parentid-flags` shape.
    #[error(
        "malformed traceparent `{0}`: expected `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`"
    )]
    Malformed(String),
    /// Version `ff` is forbidden by the specification.
    #[error("traceparent version `ff` is invalid")]
    InvalidVersion,
    /// A field is not lowercase hexadecimal.
    #[error("traceparent {field} `{value}` is not lowercase hex")]
    NotHex {
        /// Which field: `version`, `trace id`, `parent id` or `flags`.
        field: &'static str,
        /// The rejected text.
        value: String,
    },
    /// The trace id or parent id is all zeroes, which the specification forbids.
    #[error("traceparent {0} is all zeroes")]
    Zero(&'static str),
}

impl TraceParent {
    const SAMPLED: u8 = 0x01;
    /// Level 2's "random trace id" flag: the trace id's right 7 bytes are
    /// random. Kept end to end once set, and set on the traces we start.
    const RANDOM: u8 = 0x02;
    /// The flags this version defines; the rest are zeroed on output, as
    /// the specification requires of vendors.
    const KNOWN: u8 = Self::SAMPLED | Self::RANDOM;

    /// A trace parent from raw ids. Zero ids are invalid and are rejected.
    pub fn new(trace_id: u128, span_id: u64, sampled: bool) -> Result<Self, TraceParentError> {
        if trace_id == 0 {
            return Err(TraceParentError::Zero("trace id"));
        }
        if span_id == 0 {
            return Err(TraceParentError::Zero("parent id"));
        }
        let flags = if sampled { Self::SAMPLED } else { 0 };
        Ok(Self {
            trace_id,
            span_id,
            flags,
        })
    }

    /// A trace parent from ids that cannot be zero; `random` when the trace
    /// id was drawn at random (ours, or a caller's that said so).
    pub(crate) fn from_nonzero(
        trace_id: NonZeroU128,
        span_id: NonZeroU64,
        sampled: bool,
        random: bool,
    ) -> Self {
        let mut flags = 0;
        if sampled {
            flags |= Self::SAMPLED;
        }
        if random {
            flags |= Self::RANDOM;
        }
        Self {
            trace_id: trace_id.get(),
            span_id: span_id.get(),
            flags,
        }
    }

    /// The 128-bit trace id.
    pub fn trace_id(&self) -> u128 {
        self.trace_id
    }

    /// The 64-bit id of the span that sent the header.
    pub fn span_id(&self) -> u64 {
        self.span_id
    }

    /// Whether the caller recorded its side of the trace.
    pub fn sampled(&self) -> bool {
        self.flags & Self::SAMPLED != 0
    }

    /// Whether the trace id is random (W3C Trace Context Level 2). Set on
    /// every trace this library starts, and kept from an incoming header.
    pub fn random(&self) -> bool {
        self.flags & Self::RANDOM != 0
    }

    /// The trace flags as sent: `sampled` and `random`; reserved bits are
    /// always zero.
    pub fn flags(&self) -> u8 {
        self.flags & Self::KNOWN
    }

    /// The same trace and flags, naming another span as the parent.
    pub(crate) fn with_span_id(self, span_id: NonZeroU64) -> Self {
        Self {
            span_id: span_id.get(),
            ..self
        }
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id,
            self.span_id,
            self.flags()
        )
    }
}

impl FromStr for TraceParent {
    type Err = TraceParentError;

    fn from_str(header: &str) -> Result<Self, Self::Err> {
        let malformed = || TraceParentError::Malformed(truncate(header));
        // Spaces and tabs around the value are optional whitespace.
        let header = header.trim_matches([' ', '\t']);
        let mut fields = header.split('-');
        let (Some(version), Some(trace_id), Some(span_id), Some(flags)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed());
        };
        if version.len() != 2 || trace_id.len() != 32 || span_id.len() != 16 || flags.len() != 2 {
            return Err(malformed());
        }
        let version = hex("version", version)? as u8;
        if version == 0xff {
            return Err(TraceParentError::InvalidVersion);
        }
        // Version 00 has exactly four fields; later versions may append more,
        // which a version-00 parser must ignore.
        if version == 0 && fields.next().is_some() {
            return Err(malformed());
        }
        let trace_id = hex("trace id", trace_id)?;
        let span_id = hex("parent id", span_id)? as u64;
        let flags = hex("flags", flags)? as u8;
        let mut parent = TraceParent::new(trace_id, span_id, false)?;
        parent.flags = flags;
        Ok(parent)
    }
}

fn hex(field: &'static str, text: &str) -> Result<u128, TraceParentError> {
    let lowercase_hex = text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let not_hex = || TraceParentError::NotHex {
        field,
        value: truncate(text),
    };
    if !lowercase_hex {
        return Err(not_hex());
    }
    u128::from_str_radix(text, 16).map_err(|_| not_hex())
}

/// Keeps error messages bounded when a caller sends a huge header.
pub(super) fn truncate(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_and_formats_the_spec_example() {
        let parent: TraceParent = VALID.parse().unwrap();
        assert_eq!(parent.trace_id(), 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(parent.span_id(), 0x00f067aa0ba902b7);
        assert!(parent.sampled());
        assert_eq!(parent.to_string(), VALID);
    }

    #[test]
    fn unsampled_flag_is_kept() {
        let parent: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
            .parse()
            .unwrap();
        assert!(!parent.sampled());
    }

    #[test]
    fn the_random_flag_is_kept_and_reserved_bits_are_zeroed() {
        let ids = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7";
        for (incoming, outgoing, sampled, random) in [
            ("02", "02", false, true),
            ("03", "03", true, true),
            ("ff", "03", true, true),
            ("f1", "01", true, false),
            ("08", "00", false, false),
        ] {
            let parent: TraceParent = format!("{ids}-{incoming}").parse().unwrap();
            assert_eq!(
                parent.to_string(),
                format!("{ids}-{outgoing}"),
                "flags {incoming}"
            );
            assert_eq!(
                (parent.sampled(), parent.random()),
                (sampled, random),
                "flags {incoming}"
            );
        }
    }

    #[test]
    fn future_versions_may_carry_extra_fields() {
        let header = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra";
        assert!(header.parse::<TraceParent>().is_ok());
    }

    #[test]
    fn rejects_malformed_headers_with_a_reason() {
        let cases = [
            ("", "malformed"),
            ("garbage", "malformed"),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
                "malformed",
            ),
            (
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "not lowercase hex",
            ),
            (
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "all zeroes",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "all zeroes",
            ),
            (
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "version `ff`",
            ),
            (
                "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "not lowercase hex",
            ),
        ];
        for (header, expected) in cases {
            let err = header.parse::<TraceParent>().unwrap_err().to_string();
            assert!(err.contains(expected), "{header:?} gave {err:?}");
        }
    }

    #[test]
    fn huge_headers_give_bounded_errors() {
        let header = "x".repeat(64 * 1024);
        let err = header.parse::<TraceParent>().unwrap_err().to_string();
        assert!(err.len() < 300, "error is {} bytes", err.len());
    }
}
