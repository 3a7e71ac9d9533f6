//! tenderlog's HTTP API. The server arrives with the HTTP API issue; until
//! then this crate only fixes its place in the workspace (`tools → api →
//! ledger → verifier`).
#![forbid(unsafe_code)]
