//! Host harness for stacknn.
