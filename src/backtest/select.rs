//! Rule selection.
