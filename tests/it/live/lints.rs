//! Live lints tests (filled in below).
