//! Typed values that one step stores and later steps read.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

type Value = Arc<dyn Any + Send + Sync>;

/// One value per type, shared by every clone of a context.
#[derive(Default)]
pub(crate) struct SharedState {
    values: RwLock<HashMap<TypeId, Value>>,
}

impl SharedState {
    pub(crate) fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<Arc<T>> {
        // A panic while the lock was held cannot leave the map half-written:
        // every write is a single `insert`, so a poisoned lock is still sound.
        let mut values = self.values.write().unwrap_or_else(PoisonError::into_inner);
        values
            .insert(TypeId::of::<T>(), Arc::new(value))
            .and_then(|old| old.downcast::<T>().ok())
    }

    pub(crate) fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let values = self.values.read().unwrap_or_else(PoisonError::into_inner);
        values
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|value| value.downcast::<T>().ok())
    }

    pub(crate) fn remove<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let mut values = self.values.write().unwrap_or_else(PoisonError::into_inner);
        values
            .remove(&TypeId::of::<T>())
            .and_then(|value| value.downcast::<T>().ok())
    }
}
