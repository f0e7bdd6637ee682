//! Heap allocations per call, counted per thread by `allocation-counter`'s
//! global allocator: deterministic, unlike time, so they are asserted.
//! Telemetry is off in this process; `allocations_on.rs` installs it.

#![allow(clippy::unwrap_used)]

#[path = "support/alloc_probe.rs"]
mod alloc_probe;

use alloc_probe::allocations_per_call;

#[test]
fn a_static_three_step_sequential_allocates_nothing_per_call_with_telemetry_off() {
    // No recorder and no subscriber: nothing is listening, nothing is allocated.
    assert_eq!(allocations_per_call(), 0);
}
