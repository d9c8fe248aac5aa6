//! Hostile input, engine cases (issue 13).
