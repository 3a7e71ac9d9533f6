//! Making X.509 certificates (placeholder; being written).
