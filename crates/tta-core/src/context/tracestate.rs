//! The W3C Trace Context `tracestate` header: vendor entries that travel
//! with `traceparent`.
//!
//! Spec: <https://www.w3.org/TR/trace-context-2/#tracestate-header>.

use std::fmt;
use std::str::FromStr;

use super::traceparent::truncate;

/// The list of vendor entries a trace carries between services, in order,
/// leftmost (most recently changed) first.
///
/// A run keeps the `tracestate` it was called with and sends it on every
/// outgoing call, as the specification requires. Parsing follows its rules:
/// several field lines are joined with commas, empty members and the spaces
/// and tabs around members are ignored, and a header with a member that
/// breaks the key or value grammar, or with more than 32 members, is
/// discarded whole. A key that appears twice keeps its first (leftmost)
/// value.
///
/// ```
/// use tta_core::TraceState;
///
/// let state: TraceState = "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE".parse()?;
/// assert_eq!(state.get("congo"), Some("t61rcWkgMzE"));
///
/// // Our own entry goes first; the others keep their order.
/// let mine = state.with("acme", "r2")?;
/// assert_eq!(mine.to_string(), "acme=r2,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
/// # Ok::<(), tta_core::TraceStateError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TraceState {
    members: Vec<(Box<str>, Box<str>)>,
}

/// Why a `tracestate` header, or an entry for one, was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceStateError {
    /// A key is not 1 to 256 of `a-z 0-9 _ - * / @`, starting with a
    /// letter or a digit.
    #[error(
        "tracestate key `{0}` is invalid: expected 1 to 256 of `a-z 0-9 _ - * / @`, starting with a-z or 0-9"
    )]
    Key(String),
    /// A value is empty, longer than 256 characters, ends in a space, or
    /// holds a character outside printable ASCII, a comma or `=`.
    #[error(
        "tracestate value `{0}` is invalid: expected 1 to 256 printable ASCII characters without `,` or `=`, not ending in a space"
    )]
    Value(String),
    /// A member has no `=`.
    #[error("tracestate member `{0}` is not `key=value`")]
    Member(String),
    /// The list has more than [`TraceState::MAX_MEMBERS`] members.
    #[error("tracestate has more than {} members", TraceState::MAX_MEMBERS)]
    TooManyMembers,
    /// The header is longer than [`TraceState::MAX_HEADER_LEN`] bytes.
    #[error("tracestate is longer than {} bytes", TraceState::MAX_HEADER_LEN)]
    TooLong,
}

impl TraceState {
    /// The most members a `tracestate` may have.
    pub const MAX_MEMBERS: usize = 32;
    /// The longest header accepted, in bytes: 32 members of the longest key
    /// and value with their separators fit in about 16 KiB, and this leaves
    /// room for spaces and empty members. Anything longer is discarded
    /// unread, so a hostile header costs bounded time.
    pub const MAX_HEADER_LEN: usize = 32 * 1024;
    const MAX_KEY_LEN: usize = 256;
    const MAX_VALUE_LEN: usize = 256;

    /// An empty list.
    pub const fn new() -> Self {
        Self {
            members: Vec::new(),
        }
    }

    /// Parses the field lines of a request's `tracestate` headers, in the
    /// order received, as one list (RFC 9110 §5.3).
    ///
    /// ```
    /// use tta_core::TraceState;
    ///
    /// let state = TraceState::from_field_lines(["foo=1,bar=2", "", "baz=3"])?;
    /// assert_eq!(state.to_string(), "foo=1,bar=2,baz=3");
    /// # Ok::<(), tta_core::TraceStateError>(())
    /// ```
    pub fn from_field_lines<'a>(
        lines: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, TraceStateError> {
        let mut state = Self::new();
        let mut length = 0;
        for line in lines {
            length += line.len() + 1;
            if length > Self::MAX_HEADER_LEN + 1 {
                return Err(TraceStateError::TooLong);
            }
            state.parse_line(line)?;
        }
        Ok(state)
    }

    fn parse_line(&mut self, line: &str) -> Result<(), TraceStateError> {
        for member in line.split(',') {
            let member = member.trim_matches([' ', '\t']);
            if member.is_empty() {
                continue;
            }
            let Some((key, value)) = member.split_once('=') else {
                return Err(TraceStateError::Member(truncate(member)));
            };
            check_key(key)?;
            check_value(value)?;
            if self.get(key).is_some() {
                continue;
            }
            if self.members.len() == Self::MAX_MEMBERS {
                return Err(TraceStateError::TooManyMembers);
            }
            self.members.push((key.into(), value.into()));
        }
        Ok(())
    }

    /// The value of `key`, if the list has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// Every member, leftmost first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.members.iter().map(|(k, v)| (&**k, &**v))
    }

    /// How many members the list has.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the list has no members; then no `tracestate` header is sent.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// This list with `key` set to `value` and moved to the left, as the
    /// specification says a vendor updates its own entry. When the list is
    /// full, its rightmost member is dropped.
    pub fn with(&self, key: &str, value: &str) -> Result<Self, TraceStateError> {
        check_key(key)?;
        check_value(value)?;
        let mut members = Vec::with_capacity(self.members.len() + 1);
        members.push((key.into(), value.into()));
        members.extend(
            self.members
                .iter()
                .filter(|(k, _)| &**k != key)
                .take(Self::MAX_MEMBERS - 1)
                .cloned(),
        );
        Ok(Self { members })
    }

    /// This list without `key`. The specification asks vendors to remove
    /// only their own entries.
    pub fn without(&self, key: &str) -> Self {
        let members = self
            .members
            .iter()
            .filter(|(k, _)| &**k != key)
            .cloned()
            .collect();
        Self { members }
    }
}

impl FromStr for TraceState {
    type Err = TraceStateError;

    /// Parses one `tracestate` field value.
    fn from_str(header: &str) -> Result<Self, Self::Err> {
        Self::from_field_lines([header])
    }
}

impl fmt::Display for TraceState {
    /// The header value: members joined by commas, with no spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (key, value)) in self.members.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{key}={value}")?;
        }
        Ok(())
    }
}

/// `key = ( lcalpha / DIGIT ) 0*255 ( keychar )`, where `keychar` is
/// `lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"` (Trace Context Level 2).
fn check_key(key: &str) -> Result<(), TraceStateError> {
    let bytes = key.as_bytes();
    let first_ok = bytes
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes.iter().all(|&b| {
        b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || matches!(b, b'_' | b'-' | b'*' | b'/' | b'@')
    });
    if first_ok && rest_ok && bytes.len() <= TraceState::MAX_KEY_LEN {
        Ok(())
    } else {
        Err(TraceStateError::Key(truncate(key)))
    }
}

/// `value = 0*255(chr) nblk-chr`: printable ASCII except `,` and `=`, not
/// ending in a space (trailing spaces were trimmed as optional whitespace).
fn check_value(value: &str) -> Result<(), TraceStateError> {
    let printable = |b: &u8| (0x20..=0x7e).contains(b) && *b != b',' && *b != b'=';
    let ok = !value.is_empty()
        && value.len() <= TraceState::MAX_VALUE_LEN
        && !value.ends_with(' ')
        && value.as_bytes().iter().all(printable);
    if ok {
        Ok(())
    } else {
        Err(TraceStateError::Value(truncate(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Result<TraceState, TraceStateError> {
        TraceState::from_field_lines(lines.iter().copied())
    }

    #[test]
    fn joins_field_lines_in_order_and_skips_empty_members() {
        let state = parse(&["foo=1,bar=2", "rojo=1,congo=2", "baz=3"]).unwrap();
        assert_eq!(state.to_string(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
        assert_eq!(parse(&["", "foo=1", ""]).unwrap().to_string(), "foo=1");
        assert_eq!(parse(&[" , ,\t,"]).unwrap(), TraceState::new());
    }

    #[test]
    fn optional_whitespace_around_members_is_ignored_but_leading_value_spaces_kept() {
        let state = parse(&["foo=1 \t , \t bar=2, \t baz=3"]).unwrap();
        assert_eq!(state.to_string(), "foo=1,bar=2,baz=3");
        for line in [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"] {
            assert_eq!(parse(&[line]).unwrap().get("foo"), Some("1"), "{line:?}");
        }
        assert_eq!(parse(&["foo= 1"]).unwrap().get("foo"), Some(" 1"));
    }

    #[test]
    fn every_allowed_character_is_accepted() {
        let key: String = ('a'..='z').chain('0'..='9').chain("_-*/".chars()).collect();
        let value: String = (0x20u8..=0x7e)
            .filter(|b| *b != b',' && *b != b'=')
            .map(char::from)
            .collect();
        for key in [key.clone(), format!("{key}@a-z0-9_-*/")] {
            let state = parse(&[&format!("{key}={value}")]).unwrap();
            assert_eq!(state.get(&key), Some(value.as_str()));
        }
    }

    #[test]
    fn keys_follow_the_level_2_grammar() {
        for key in ["foo@", "foo@@bar", "foo@bar@baz", "0a", &"z".repeat(256)] {
            let state = parse(&[&format!("{key}=1,bar=2")]).unwrap();
            assert_eq!(state.get(key), Some("1"), "{key}");
        }
        let long_vendor = format!("{}@{}", "t".repeat(241), "v".repeat(14));
        assert!(parse(&[&format!("{long_vendor}=1")]).is_ok());
        for key in ["@foo", "FOO", "foo.bar", "foo ", "", &"z".repeat(257)] {
            let err = parse(&["bar=2", &format!("{key}=1")]).unwrap_err();
            assert!(matches!(err, TraceStateError::Key(_)), "{key:?}: {err}");
        }
    }

    #[test]
    fn an_invalid_value_or_member_discards_the_whole_header() {
        for line in ["foo=bar=baz", "foo=,bar=3", "foo", "foo=\u{7f}", "foo=é"] {
            assert!(parse(&[line]).is_err(), "{line:?}");
        }
        assert!(parse(&[&format!("foo={}", "v".repeat(257))]).is_err());
        assert!(parse(&[&format!("foo={}", "v".repeat(256))]).is_ok());
    }

    #[test]
    fn a_duplicated_key_keeps_its_first_value() {
        assert_eq!(parse(&["foo=1,foo=2"]).unwrap().to_string(), "foo=1");
        assert_eq!(parse(&["foo=1", "foo=2"]).unwrap().to_string(), "foo=1");
    }

    #[test]
    fn thirty_two_members_are_kept_and_thirty_three_discarded() {
        let members: Vec<String> = (1..=33).map(|i| format!("bar{i:02}={i:02}")).collect();
        let state = parse(&[&members[..32].join(",")]).unwrap();
        assert_eq!(state.len(), 32);
        assert_eq!(
            parse(&[&members.join(",")]),
            Err(TraceStateError::TooManyMembers)
        );
    }

    #[test]
    fn hostile_headers_are_discarded_quickly_with_bounded_errors() {
        let ten_thousand = vec!["k=v"; 10_000].join(",");
        assert_eq!(parse(&[&ten_thousand]), Err(TraceStateError::TooLong));
        let split: Vec<&str> = vec!["k=v"; 10_000];
        assert_eq!(parse(&split), Err(TraceStateError::TooLong));
        let distinct: String = (0..1_000).map(|i| format!("k{i}=v,")).collect();
        assert_eq!(parse(&[&distinct]), Err(TraceStateError::TooManyMembers));
        let duplicates = vec!["k=v"; 1_000].join(",");
        assert_eq!(parse(&[&duplicates]).unwrap().len(), 1);
        let huge = "x".repeat(1 << 20);
        assert_eq!(parse(&[&huge]), Err(TraceStateError::TooLong));
        let err = parse(&[&format!("{}=1", "Q".repeat(4096))]).unwrap_err();
        assert!(err.to_string().len() < 400, "{err}");
    }

    #[test]
    fn with_moves_the_entry_left_and_keeps_at_most_32() {
        let state = parse(&["a=1,b=2,c=3"]).unwrap();
        assert_eq!(state.with("c", "9").unwrap().to_string(), "c=9,a=1,b=2");
        assert_eq!(state.without("b").to_string(), "a=1,c=3");
        let full = parse(&[&(0..32)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",")])
        .unwrap();
        let added = full.with("mine", "1").unwrap();
        assert_eq!(added.len(), 32);
        assert_eq!(added.iter().next(), Some(("mine", "1")));
        assert_eq!(added.get("k31"), None, "the rightmost member went");
        assert!(state.with("Bad", "1").is_err());
        assert!(state.with("ok", "a,b").is_err());
    }
}
