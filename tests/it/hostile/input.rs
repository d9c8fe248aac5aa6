//! Hostile input, input cases (issue 13).
