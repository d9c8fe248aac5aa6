//! The PromQL syntax tree: Prometheus' `promql/parser/ast.go` node types,
//! each with its byte [`Span`] in the expression text.
//!
//! The shapes follow what the engine and the lints walk: a selector's metric
//! name written outside the braces is [`VectorSelector::name`] and is not
//! repeated among its matchers (Prometheus appends a `__name__` matcher; a
//! name written inside the braces, `{__name__="x"}` or `{"x"}`, stays a
//! matcher). Durations are [`std::time::Duration`]s; a duration expression
//! (`[5m * 2]`, `offset (1h + 5m)`) keeps its tree in `*_expr` and, when it
//! has no `step()`/`range()`, its constant value in the plain field.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

pub use super::functions::FunctionDef as Function;

/// A byte range `start..end` in the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// As a `Range`.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Operator and keyword identities, as Prometheus' item types (and the ids
/// the engine dispatches on).
pub mod token {
    use std::fmt;

    /// A token id.
    pub type TokenId = u16;

    macro_rules! ids {
        ($($name:ident = $v:expr, $text:expr;)*) => {
            $(#[doc = concat!("`", $text, "`")] pub const $name: TokenId = $v;)*
            /// The source text of an id (lower case for keywords).
            pub fn token_display(id: TokenId) -> &'static str {
                match id {
                    $($v => $text,)*
                    _ => "unknown token",
                }
            }
        };
    }

    ids! {
        T_ADD = 1, "+";
        T_SUB = 2, "-";
        T_MUL = 3, "*";
        T_DIV = 4, "/";
        T_MOD = 5, "%";
        T_POW = 6, "^";
        T_EQLC = 7, "==";
        T_NEQ = 8, "!=";
        T_LTE = 9, "<=";
        T_LSS = 10, "<";
        T_GTE = 11, ">=";
        T_GTR = 12, ">";
        T_LAND = 13, "and";
        T_LOR = 14, "or";
        T_LUNLESS = 15, "unless";
        T_ATAN2 = 16, "atan2";
        T_TRIM_UPPER = 17, "</";
        T_TRIM_LOWER = 18, ">/";
        T_SUM = 20, "sum";
        T_AVG = 21, "avg";
        T_COUNT = 22, "count";
        T_MIN = 23, "min";
        T_MAX = 24, "max";
        T_GROUP = 25, "group";
        T_STDDEV = 26, "stddev";
        T_STDVAR = 27, "stdvar";
        T_TOPK = 28, "topk";
        T_BOTTOMK = 29, "bottomk";
        T_COUNT_VALUES = 30, "count_values";
        T_QUANTILE = 31, "quantile";
        T_LIMITK = 32, "limitk";
        T_LIMIT_RATIO = 33, "limit_ratio";
    }

    /// An operator or aggregation keyword of a node.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct TokenType(TokenId);

    impl TokenType {
        /// Wraps an id.
        pub fn new(id: TokenId) -> TokenType {
            TokenType(id)
        }

        /// The id.
        pub fn id(&self) -> TokenId {
            self.0
        }

        /// An aggregation operator.
        pub fn is_aggregator(&self) -> bool {
            (T_SUM..=T_LIMIT_RATIO).contains(&self.0)
        }

        /// An aggregation that takes a parameter (`topk`, `quantile`, …).
        pub fn is_aggregator_with_param(&self) -> bool {
            matches!(
                self.0,
                T_TOPK | T_BOTTOMK | T_COUNT_VALUES | T_QUANTILE | T_LIMITK | T_LIMIT_RATIO
            )
        }

        /// `==`, `!=`, `<=`, `<`, `>=`, `>`.
        pub fn is_comparison_operator(&self) -> bool {
            (T_EQLC..=T_GTR).contains(&self.0)
        }

        /// `and`, `or`, `unless`.
        pub fn is_set_operator(&self) -> bool {
            matches!(self.0, T_LAND | T_LOR | T_LUNLESS)
        }

        /// A binary operator.
        pub fn is_operator(&self) -> bool {
            (T_ADD..=T_TRIM_LOWER).contains(&self.0)
        }
    }

    impl fmt::Display for TokenType {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(token_display(self.0))
        }
    }
}

use token::TokenType;

/// The type of an expression's value (Prometheus' `ValueType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Instant vector.
    Vector,
    /// Scalar.
    Scalar,
    /// Range vector.
    Matrix,
    /// String.
    String,
}

impl ValueType {
    /// Prometheus' `DocumentedType`: `instant vector`, `range vector`,
    /// `scalar`, `string`, as error messages name them.
    pub fn documented(self) -> &'static str {
        match self {
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
            ValueType::Scalar => "scalar",
            ValueType::String => "string",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Scalar => "scalar",
            ValueType::String => "string",
            ValueType::Vector => "vector",
            ValueType::Matrix => "matrix",
        })
    }
}

/// A label-name list (`by (…)`, `on (…)`, `group_left (…)`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels {
    /// The names, in written order.
    pub labels: Vec<String>,
    /// Span of each name.
    pub spans: Vec<Span>,
}

impl Labels {
    /// From names (no spans).
    pub fn new(names: Vec<&str>) -> Labels {
        Labels {
            labels: names.into_iter().map(str::to_string).collect(),
            spans: Vec::new(),
        }
    }

    /// Whether `name` is in the list.
    pub fn contains(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l == name)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// A PromQL matcher regex: the pattern as written, compiled on first use
/// (anchored, Go RE2 semantics, through [`crate::go::regex::compile_promql`]).
#[derive(Clone)]
pub struct Regex {
    pattern: Arc<str>,
    compiled: Arc<OnceLock<Option<regex::Regex>>>,
}

impl Regex {
    /// A lazily compiled matcher regex for `pattern` (already validated).
    pub fn new(pattern: &str) -> Regex {
        Regex {
            pattern: Arc::from(pattern),
            compiled: Arc::new(OnceLock::new()),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex (`None` if Go's regexp rejects the pattern).
    pub fn compiled(&self) -> Option<&regex::Regex> {
        self.compiled
            .get_or_init(|| crate::go::regex::compile_promql(&self.pattern).ok())
            .as_ref()
    }

    /// Whether the whole of `value` matches (false if the pattern is invalid).
    pub fn is_match(&self, value: &str) -> bool {
        self.compiled().is_some_and(|r| r.is_match(value))
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", &*self.pattern)
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Regex) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for Regex {}

/// A label matcher's operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Re(Regex),
    /// `!~`
    NotRe(Regex),
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Re(_) => "=~",
            MatchOp::NotRe(_) => "!~",
        })
    }
}

/// A label matcher (`job="api"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// The operator.
    pub op: MatchOp,
    /// The label name (unquoted).
    pub name: String,
    /// The value (unquoted).
    pub value: String,
    /// Span of the whole matcher.
    pub span: Span,
    /// Span of the quoted value (of the quoted name for `{"name"}`).
    pub value_span: Span,
}

impl Matcher {
    /// A matcher without a position (for synthesised selectors).
    pub fn new(op: MatchOp, name: &str, value: &str) -> Matcher {
        Matcher {
            op,
            name: name.to_string(),
            value: value.to_string(),
            span: Span::default(),
            value_span: Span::default(),
        }
    }

    /// Whether the matcher accepts `value`, as Prometheus' `Matcher.Matches`.
    pub fn is_match(&self, value: &str) -> bool {
        match &self.op {
            MatchOp::Equal => self.value == value,
            MatchOp::NotEqual => self.value != value,
            MatchOp::Re(r) => r.is_match(value),
            MatchOp::NotRe(r) => !r.is_match(value),
        }
    }
}

/// The matchers of a selector, in written order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matchers {
    /// The matchers.
    pub matchers: Vec<Matcher>,
}

impl Matchers {
    /// From a list.
    pub fn new(matchers: Vec<Matcher>) -> Matchers {
        Matchers { matchers }
    }

    /// No matchers.
    pub fn empty() -> Matchers {
        Matchers::default()
    }

    /// Iterates the matchers.
    pub fn iter(&self) -> std::slice::Iter<'_, Matcher> {
        self.matchers.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty()
    }

    /// Matchers on label `name`.
    pub fn find_matchers(&self, name: &str) -> Vec<&Matcher> {
        self.matchers.iter().filter(|m| m.name == name).collect()
    }
}

/// `offset` of a selector or subquery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offset {
    /// Into the past (`offset 5m`).
    Pos(Duration),
    /// Into the future (`offset -5m`).
    Neg(Duration),
}

impl Offset {
    /// Signed milliseconds: positive looks back.
    pub fn signed_millis(&self) -> i64 {
        match self {
            Offset::Pos(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Offset::Neg(d) => -i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// `@` of a selector or subquery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtModifier {
    /// `@ start()`
    Start,
    /// `@ end()`
    End,
    /// `@ <timestamp>`
    At(SystemTime),
}

/// A duration expression (`[5m * 2]`, `offset (1h + 5m)`, `step()`), as
/// Prometheus' `DurationExpr` (experimental `promql-duration-expr`).
#[derive(Debug, Clone, PartialEq)]
pub enum DurationExpr {
    /// A number (seconds) or duration literal, in seconds.
    Number(f64, Span),
    /// `step()`
    Step(Span),
    /// `range()`
    Range(Span),
    /// `-e` / `+e`
    Unary(TokenType, Box<DurationExpr>, Span),
    /// `a op b` for `+ - * / % ^`
    Binary(TokenType, Box<DurationExpr>, Box<DurationExpr>, Span),
    /// `min(a, b)` / `max(a, b)`
    MinMax(bool, Box<DurationExpr>, Box<DurationExpr>, Span),
    /// `( e )`
    Paren(Box<DurationExpr>, Span),
}

impl DurationExpr {
    /// The span.
    pub fn span(&self) -> Span {
        match self {
            DurationExpr::Number(_, s)
            | DurationExpr::Step(s)
            | DurationExpr::Range(s)
            | DurationExpr::Unary(_, _, s)
            | DurationExpr::Binary(_, _, _, s)
            | DurationExpr::MinMax(_, _, _, s)
            | DurationExpr::Paren(_, s) => *s,
        }
    }

    /// The value in seconds, with `step()` and `range()` given (seconds), as
    /// Prometheus' duration visitor computes it.
    pub fn eval(&self, step: f64, range: f64) -> f64 {
        match self {
            DurationExpr::Number(v, _) => *v,
            DurationExpr::Step(_) => step,
            DurationExpr::Range(_) => range,
            DurationExpr::Paren(e, _) => e.eval(step, range),
            DurationExpr::Unary(op, e, _) => {
                let v = e.eval(step, range);
                if op.id() == token::T_SUB { -v } else { v }
            }
            DurationExpr::MinMax(is_max, a, b, _) => {
                let (a, b) = (a.eval(step, range), b.eval(step, range));
                if *is_max { a.max(b) } else { a.min(b) }
            }
            DurationExpr::Binary(op, a, b, _) => {
                let (a, b) = (a.eval(step, range), b.eval(step, range));
                match op.id() {
                    token::T_ADD => a + b,
                    token::T_SUB => a - b,
                    token::T_MUL => a * b,
                    token::T_DIV => a / b,
                    token::T_MOD => a % b,
                    _ => a.powf(b),
                }
            }
        }
    }

    /// Whether it uses `step()` or `range()`.
    pub fn depends_on_query(&self) -> bool {
        match self {
            DurationExpr::Number(..) => false,
            DurationExpr::Step(_) | DurationExpr::Range(_) => true,
            DurationExpr::Paren(e, _) | DurationExpr::Unary(_, e, _) => e.depends_on_query(),
            DurationExpr::MinMax(_, a, b, _) | DurationExpr::Binary(_, a, b, _) => {
                a.depends_on_query() || b.depends_on_query()
            }
        }
    }
}

/// `by (…)` / `without (…)` of an aggregation, or `on (…)` / `ignoring (…)`
/// of a binary operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelModifier {
    /// `by` / `on`
    Include(Labels),
    /// `without` / `ignoring`
    Exclude(Labels),
}

impl LabelModifier {
    /// The labels.
    pub fn labels(&self) -> &Labels {
        match self {
            LabelModifier::Include(l) | LabelModifier::Exclude(l) => l,
        }
    }

    /// `by` / `on`.
    pub fn is_include(&self) -> bool {
        matches!(self, LabelModifier::Include(_))
    }
}

/// Vector matching cardinality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VectorMatchCardinality {
    /// One-to-one (no `group_*`).
    OneToOne,
    /// `group_left (…)`
    ManyToOne(Labels),
    /// `group_right (…)`
    OneToMany(Labels),
    /// Set operators.
    ManyToMany,
}

impl VectorMatchCardinality {
    /// The `group_*` labels.
    pub fn labels(&self) -> Option<&Labels> {
        match self {
            VectorMatchCardinality::ManyToOne(l) | VectorMatchCardinality::OneToMany(l) => Some(l),
            _ => None,
        }
    }
}

/// `fill (…)`, `fill_left (…)`, `fill_right (…)` values (experimental
/// `promql-binop-fill-modifiers`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VectorMatchFillValues {
    /// Value for a missing right-hand series.
    pub rhs: Option<f64>,
    /// Value for a missing left-hand series.
    pub lhs: Option<f64>,
}

/// The modifiers of a binary operation.
#[derive(Debug, Clone, PartialEq)]
pub struct BinModifier {
    /// Cardinality.
    pub card: VectorMatchCardinality,
    /// `on` / `ignoring`.
    pub matching: Option<LabelModifier>,
    /// `bool`.
    pub return_bool: bool,
    /// `fill*` values.
    pub fill_values: VectorMatchFillValues,
}

impl Default for BinModifier {
    fn default() -> BinModifier {
        BinModifier {
            card: VectorMatchCardinality::OneToOne,
            matching: None,
            return_bool: false,
            fill_values: VectorMatchFillValues::default(),
        }
    }
}

impl BinModifier {
    /// `on (…)` written.
    pub fn is_matching_on(&self) -> bool {
        matches!(&self.matching, Some(LabelModifier::Include(_)))
    }
}

/// An aggregation (`sum by (job) (x)`).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateExpr {
    /// The operator.
    pub op: TokenType,
    /// The vector aggregated.
    pub expr: Box<Expr>,
    /// The parameter of `topk`, `quantile`, `count_values`, ….
    pub param: Option<Box<Expr>>,
    /// `by` / `without`.
    pub modifier: Option<LabelModifier>,
    /// Whole expression.
    pub span: Span,
}

/// `-x` / `+x` (not on number literals, which are folded).
#[derive(Debug, Clone, PartialEq)]
pub struct UnaryExpr {
    /// The operand.
    pub expr: Box<Expr>,
    /// `-` (`true`) or `+`.
    pub negative: bool,
    /// Whole expression.
    pub span: Span,
}

/// A binary operation.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: TokenType,
    /// Left operand.
    pub lhs: Box<Expr>,
    /// Right operand.
    pub rhs: Box<Expr>,
    /// Modifiers; `None` when none is written (set operations between
    /// vectors get `ManyToMany`, as Prometheus sets it).
    pub modifier: Option<BinModifier>,
    /// Span of the operator token.
    pub op_span: Span,
    /// Whole expression.
    pub span: Span,
}

impl BinaryExpr {
    /// `bool` written.
    pub fn return_bool(&self) -> bool {
        self.modifier.as_ref().is_some_and(|m| m.return_bool)
    }

    /// `on (…)` written.
    pub fn is_matching_on(&self) -> bool {
        self.modifier
            .as_ref()
            .is_some_and(BinModifier::is_matching_on)
    }
}

/// `( expr )`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParenExpr {
    /// The inner expression.
    pub expr: Box<Expr>,
    /// From `(` to `)`.
    pub span: Span,
}

/// A subquery (`expr[range:step]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SubqueryExpr {
    /// The inner expression.
    pub expr: Box<Expr>,
    /// `offset`.
    pub offset: Option<Offset>,
    /// `@`.
    pub at: Option<AtModifier>,
    /// The range (0 when `range_expr` depends on the query).
    pub range: Duration,
    /// The step; `None` for the default (the evaluation interval).
    pub step: Option<Duration>,
    /// The range as a duration expression, when written as one.
    pub range_expr: Option<DurationExpr>,
    /// The step as a duration expression, when written as one.
    pub step_expr: Option<DurationExpr>,
    /// The offset as a duration expression, when written as one.
    pub offset_expr: Option<DurationExpr>,
    /// Span of `[…]`.
    pub range_span: Span,
    /// Whole expression, modifiers included.
    pub span: Span,
}

/// A number literal (a duration literal `5m` outside brackets is its seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct NumberLiteral {
    /// The value.
    pub val: f64,
    /// Whole literal, sign included.
    pub span: Span,
}

impl NumberLiteral {
    /// A literal without position.
    pub fn new(val: f64) -> NumberLiteral {
        NumberLiteral {
            val,
            span: Span::default(),
        }
    }
}

/// A string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLiteral {
    /// The unquoted value.
    pub val: String,
    /// Whole literal, quotes included.
    pub span: Span,
}

/// An instant vector selector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSelector {
    /// The metric name when written before the braces.
    pub name: Option<String>,
    /// The matchers inside the braces.
    pub matchers: Matchers,
    /// `offset`.
    pub offset: Option<Offset>,
    /// `@`.
    pub at: Option<AtModifier>,
    /// The offset as a duration expression, when written as one.
    pub offset_expr: Option<DurationExpr>,
    /// `anchored` (experimental extended range selectors).
    pub anchored: bool,
    /// `smoothed` (experimental extended range selectors).
    pub smoothed: bool,
    /// Span of the metric name, if written.
    pub name_span: Option<Span>,
    /// Name and braces, modifiers included.
    pub span: Span,
}

impl VectorSelector {
    /// A selector without position.
    pub fn new(name: Option<String>, matchers: Matchers) -> VectorSelector {
        VectorSelector {
            name,
            matchers,
            offset: None,
            at: None,
            offset_expr: None,
            anchored: false,
            smoothed: false,
            name_span: None,
            span: Span::default(),
        }
    }
}

/// A range vector selector (`x[5m]`).
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixSelector {
    /// The selector (its `offset`/`@` are the range selector's).
    pub vs: VectorSelector,
    /// The range (0 when `range_expr` depends on the query).
    pub range: Duration,
    /// The range as a duration expression, when written as one.
    pub range_expr: Option<DurationExpr>,
    /// Span of `[…]`.
    pub range_span: Span,
    /// Whole expression, modifiers included.
    pub span: Span,
}

/// A function call's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionArgs {
    /// The arguments, in order.
    pub args: Vec<Box<Expr>>,
}

impl FunctionArgs {
    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// No arguments.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }
}

/// A function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function (from [`super::functions::FUNCTIONS`]).
    pub func: &'static Function,
    /// The arguments.
    pub args: FunctionArgs,
    /// Span of the function name.
    pub name_span: Span,
    /// Whole call.
    pub span: Span,
}

/// A PromQL expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Aggregation.
    Aggregate(AggregateExpr),
    /// Unary sign.
    Unary(UnaryExpr),
    /// Binary operation.
    Binary(BinaryExpr),
    /// Parentheses.
    Paren(ParenExpr),
    /// Subquery.
    Subquery(SubqueryExpr),
    /// Number.
    NumberLiteral(NumberLiteral),
    /// String.
    StringLiteral(StringLiteral),
    /// Instant vector selector.
    VectorSelector(VectorSelector),
    /// Range vector selector.
    MatrixSelector(MatrixSelector),
    /// Function call.
    Call(Call),
}

impl Expr {
    /// The expression's byte span.
    pub fn span(&self) -> Span {
        match self {
            Expr::Aggregate(e) => e.span,
            Expr::Unary(e) => e.span,
            Expr::Binary(e) => e.span,
            Expr::Paren(e) => e.span,
            Expr::Subquery(e) => e.span,
            Expr::NumberLiteral(e) => e.span,
            Expr::StringLiteral(e) => e.span,
            Expr::VectorSelector(e) => e.span,
            Expr::MatrixSelector(e) => e.span,
            Expr::Call(e) => e.span,
        }
    }

    /// The type of the expression's value, as Prometheus' `Expr.Type()`.
    ///
    /// Iterative, so that it needs no stack however deep the tree.
    pub fn value_type(&self) -> ValueType {
        let mut e = self;
        loop {
            return match e {
                Expr::Aggregate(_) | Expr::VectorSelector(_) => ValueType::Vector,
                Expr::Unary(u) => {
                    e = &u.expr;
                    continue;
                }
                Expr::Paren(p) => {
                    e = &p.expr;
                    continue;
                }
                Expr::Binary(_) if all_scalar(e) => ValueType::Scalar,
                Expr::Binary(_) => ValueType::Vector,
                Expr::Subquery(_) | Expr::MatrixSelector(_) => ValueType::Matrix,
                Expr::NumberLiteral(_) => ValueType::Scalar,
                Expr::StringLiteral(_) => ValueType::String,
                Expr::Call(c) => c.func.return_type,
            };
        }
    }
}

/// Whether every operand under the binary operations, signs and brackets
/// of `e` is a scalar (a binary operation's type is scalar exactly then).
fn all_scalar(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Binary(b) => {
                stack.push(&b.lhs);
                stack.push(&b.rhs);
            }
            Expr::Unary(u) => stack.push(&u.expr),
            Expr::Paren(p) => stack.push(&p.expr),
            Expr::NumberLiteral(_) => {}
            Expr::Call(c) if c.func.return_type == ValueType::Scalar => {}
            _ => return false,
        }
    }
    true
}
