//! `anyhow::Error` as the source of an [`Error::User`], behind the `anyhow`
//! feature.

use std::error::Error as StdError;
use std::fmt;

use super::Error;

/// Holds an `anyhow::Error` inside an [`Error::User`], so that
/// [`Error::downcast_ref`] can look through it; a plain conversion to a
/// boxed error would hide the original type behind anyhow's own.
pub(super) struct AnyhowSource(pub(super) anyhow::Error);

impl AnyhowSource {
    /// The first error in anyhow's chain of type `E`.
    pub(super) fn find<E: StdError + 'static>(&self) -> Option<&E> {
        self.0.chain().find_map(|error| error.downcast_ref::<E>())
    }
}

impl fmt::Debug for AnyhowSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for AnyhowSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for AnyhowSource {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.chain().nth(1)
    }
}

/// A permanent [`Error::User`], unless the anyhow error is a [`Error`] that
/// a step passed up with `?`: then that error, with its kind.
impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<Error>() {
            Ok(error) => error,
            Err(error) => Error::user(AnyhowSource(error)),
        }
    }
}
