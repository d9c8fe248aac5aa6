//! PromQL evaluator (Prometheus 3.x semantics) used by `mlalert test`.
