//! Hostile input, render cases (issue 13).
