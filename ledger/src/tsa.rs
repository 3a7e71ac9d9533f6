//! The local TSA (placeholder; being written).
