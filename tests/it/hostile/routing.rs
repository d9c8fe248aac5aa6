//! Hostile input, routing cases (issue 13).
