//! Label sets: sorted `(name, value)` pairs, `__name__` included.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, OnceLock};

/// The label holding the metric name.
pub const METRIC_NAME: &str = "__name__";

/// A label set, sorted by label name, without empty values. Ordering
/// (`Ord`) matches Prometheus' `labels.Compare`.
///
/// Shared: a clone is a reference-count increment (the engine hands one
/// series' labels to every sample of every step), and a change copies the
/// pairs only when another clone still holds them. The hash (`Hash`, for
/// maps and sets keyed by label sets) is computed once per shared set and
/// kept with it, so clones of one series' labels hash in O(1); equality
/// checks the shared pointer first.
#[derive(Debug, Clone, Default)]
pub struct Labels(Arc<Pairs>);

/// The pairs of a [`Labels`], their cached hash (0: not computed yet) and,
/// for a set with reserved labels, the cached
/// [`without_metric_name`](Labels::without_metric_name) (which has none,
/// so no set refers to itself).
#[derive(Default)]
struct Pairs {
    pairs: Vec<(String, String)>,
    hash: AtomicU64,
    unnamed: OnceLock<Labels>,
}

impl Clone for Pairs {
    /// A copy to change ([`Labels::pairs_mut`]): the caches are not kept.
    fn clone(&self) -> Self {
        Pairs {
            pairs: self.pairs.clone(),
            hash: AtomicU64::new(0),
            unnamed: OnceLock::new(),
        }
    }
}

impl fmt::Debug for Pairs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pairs.fmt(f)
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Labels) -> bool {
        if self.ptr_eq(other) {
            return true;
        }
        let (a, b) = (
            self.0.hash.load(AtomicOrdering::Relaxed),
            other.0.hash.load(AtomicOrdering::Relaxed),
        );
        if a != 0 && b != 0 && a != b {
            return false;
        }
        self.0.pairs == other.0.pairs
    }
}

impl Eq for Labels {}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Labels) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Labels {
    fn cmp(&self, other: &Labels) -> std::cmp::Ordering {
        if self.ptr_eq(other) {
            return std::cmp::Ordering::Equal;
        }
        self.0.pairs.cmp(&other.0.pairs)
    }
}

impl Hash for Labels {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.set_hash());
    }
}

impl Labels {
    /// A hash of the pairs, fixed for the process (not Prometheus'
    /// [`prom_hash`](Self::prom_hash)), computed once per shared set.
    fn set_hash(&self) -> u64 {
        let h = self.0.hash.load(AtomicOrdering::Relaxed);
        if h != 0 {
            return h;
        }
        let h = foldhash::fast::FixedState::with_seed(0x006d_6c61_6c65_7274)
            .hash_one(&self.0.pairs)
            .max(1);
        self.0.hash.store(h, AtomicOrdering::Relaxed);
        h
    }

    /// The hash of the pairs that `Hash` writes: fixed for the process,
    /// computed once per shared set (equal sets hash alike).
    pub fn cached_hash(&self) -> u64 {
        self.set_hash()
    }

    /// The pairs for changing them: copied when shared, hash forgotten.
    fn pairs_mut(&mut self) -> &mut Vec<(String, String)> {
        if Arc::get_mut(&mut self.0).is_none() {
            // Shared: copy, with room for one label added (`set`).
            let mut pairs = Vec::with_capacity(self.0.pairs.len() + 1);
            pairs.extend(self.0.pairs.iter().cloned());
            self.0 = Arc::new(Pairs {
                pairs,
                ..Pairs::default()
            });
        }
        // Unique now: no copy.
        let p = Arc::make_mut(&mut self.0);
        *p.hash.get_mut() = 0;
        p.unnamed.take();
        &mut p.pairs
    }

    /// The empty label set.
    pub fn empty() -> Self {
        Labels::default()
    }

    /// True when both are clones of one label set (so equal without
    /// comparing them).
    pub fn ptr_eq(&self, other: &Labels) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The address of the shared pairs: equal for clones of one set, and
    /// not reused by another set while a clone is alive.
    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    fn from_vec(pairs: Vec<(String, String)>) -> Self {
        Labels(Arc::new(Pairs {
            pairs,
            ..Pairs::default()
        }))
    }

    /// Builds a label set from pairs; later duplicates win, empty values are dropped.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut l = Labels::empty();
        for (k, v) in pairs {
            l.set(k.into(), v.into());
        }
        l
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .pairs
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| self.0.pairs[i].1.as_str())
    }

    /// The value of `name`, or `""` when absent (Prometheus' `Get`).
    pub fn get_or_empty(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// The metric name, or `""`.
    pub fn metric_name(&self) -> &str {
        // Pairs are sorted, and `__name__` sorts before every lowercase
        // name: a scan from the start usually stops at the first pair.
        for (k, v) in self.0.pairs.iter() {
            match k.as_str().cmp(METRIC_NAME) {
                std::cmp::Ordering::Equal => return v,
                std::cmp::Ordering::Greater => break,
                std::cmp::Ordering::Less => {}
            }
        }
        ""
    }

    /// Sets `name` to `value`; an empty value deletes the label. Allocates
    /// only for a label that is added or changed.
    pub fn set<N, V>(&mut self, name: N, value: V)
    where
        N: AsRef<str> + Into<String>,
        V: AsRef<str> + Into<String>,
    {
        let (n, v) = (name.as_ref(), value.as_ref());
        match self.0.pairs.binary_search_by(|(k, _)| k.as_str().cmp(n)) {
            Ok(i) => {
                if v.is_empty() {
                    self.pairs_mut().remove(i);
                } else if self.0.pairs[i].1 != v {
                    self.pairs_mut()[i].1 = value.into();
                }
            }
            Err(i) => {
                if !v.is_empty() {
                    self.pairs_mut().insert(i, (name.into(), value.into()));
                }
            }
        }
    }

    /// Removes `name` if present.
    pub fn remove(&mut self, name: &str) {
        if let Ok(i) = self.0.pairs.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
            self.pairs_mut().remove(i);
        }
    }

    /// Removes the metric name and the metadata labels `__type__` and
    /// `__unit__` that travel with it (Prometheus' `DropReserved`).
    ///
    /// A shared set takes the copy [`without_metric_name`](Self::without_metric_name)
    /// keeps with it; one held only here is changed in place.
    pub fn drop_metric_name(&mut self) {
        if !self.0.pairs.iter().any(|(k, _)| k.starts_with("__")) {
            return;
        }
        if Arc::get_mut(&mut self.0).is_none() {
            *self = self.without_metric_name();
            return;
        }
        self.remove(METRIC_NAME);
        self.remove("__type__");
        self.remove("__unit__");
    }

    /// A copy without the labels [`drop_metric_name`](Self::drop_metric_name)
    /// removes, built without copying them first, once per shared set.
    pub fn without_metric_name(&self) -> Labels {
        if !self
            .0
            .pairs
            .iter()
            .any(|(k, _)| matches!(k.as_str(), METRIC_NAME | "__type__" | "__unit__"))
        {
            return self.clone();
        }
        self.0
            .unnamed
            .get_or_init(|| {
                Labels::from_vec(
                    self.0
                        .pairs
                        .iter()
                        .filter(|(k, _)| {
                            !matches!(k.as_str(), METRIC_NAME | "__type__" | "__unit__")
                        })
                        .cloned()
                        .collect(),
                )
            })
            .clone()
    }

    /// A copy without the metric name (`__type__` and `__unit__` kept).
    /// For a set without those two it is the copy
    /// [`without_metric_name`](Self::without_metric_name) keeps.
    pub fn without_name(&self) -> Labels {
        if !self
            .0
            .pairs
            .iter()
            .any(|(k, _)| matches!(k.as_str(), "__type__" | "__unit__"))
        {
            return self.without_metric_name();
        }
        let mut l = self.clone();
        l.remove(METRIC_NAME);
        l
    }

    /// Keeps only the labels listed in `names`.
    pub fn keep_only(&self, names: &[String]) -> Labels {
        Labels::from_vec(
            self.0
                .pairs
                .iter()
                .filter(|(k, _)| names.iter().any(|n| n == k))
                .cloned()
                .collect(),
        )
    }

    /// Drops the labels listed in `names`.
    pub fn drop_all(&self, names: &[String]) -> Labels {
        Labels::from_vec(
            self.0
                .pairs
                .iter()
                .filter(|(k, _)| !names.iter().any(|n| n == k))
                .cloned()
                .collect(),
        )
    }

    /// Iterates `(name, value)` pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.pairs.len()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.pairs.is_empty()
    }

    /// Prometheus' `labels.Hash()`: xxhash64 over `name 0xff value 0xff ...`.
    pub fn prom_hash(&self) -> u64 {
        let mut buf = Vec::with_capacity(64);
        for (k, v) in self.0.pairs.iter() {
            buf.extend_from_slice(k.as_bytes());
            buf.push(0xff);
            buf.extend_from_slice(v.as_bytes());
            buf.push(0xff);
        }
        xxhash64(&buf)
    }
}

/// A bounded map from shared label sets, by identity, to values: keyed by
/// `(tag, address of the set)`, with a clone of the set kept in the entry so
/// that the address is not reused by another set while it is remembered.
/// For caches that see the same shared sets again and again (a series'
/// labels at every step) and must not hash or compare their pairs. Emptied
/// when it would hold more than `MAX` entries.
#[derive(Debug, Clone)]
pub struct ByIdentity<K, V, const MAX: usize> {
    map: foldhash::HashMap<(K, usize), (Labels, V)>,
}

impl<K, V, const MAX: usize> Default for ByIdentity<K, V, MAX> {
    fn default() -> Self {
        ByIdentity {
            map: foldhash::HashMap::default(),
        }
    }
}

impl<K: Copy + Eq + Hash, V, const MAX: usize> ByIdentity<K, V, MAX> {
    /// The value remembered for this very set (not an equal one elsewhere).
    pub fn get(&self, tag: K, labels: &Labels) -> Option<&V> {
        self.map.get(&(tag, labels.addr())).map(|(_, v)| v)
    }

    /// Remembers `value` for this very set.
    pub fn insert(&mut self, tag: K, labels: &Labels, value: V) {
        if self.map.len() >= MAX {
            self.map.clear();
        }
        self.map
            .insert((tag, labels.addr()), (labels.clone(), value));
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// True when no two of the label sets of `items` (`labels` reads one)
/// are equal. Sets are told apart by their
/// [`cached_hash`](Labels::cached_hash)es, in a map kept per thread (no
/// allocation once it has grown); only sets whose hashes agree are
/// compared.
pub fn all_distinct<T>(items: &[T], labels: impl Fn(&T) -> &Labels) -> bool {
    use std::cell::RefCell;
    use std::collections::hash_map::Entry;
    thread_local! {
        static SEEN: RefCell<foldhash::HashMap<u64, usize>> = RefCell::default();
    }
    if items.len() < 2 {
        return true;
    }
    SEEN.with(|seen| {
        let Ok(mut seen) = seen.try_borrow_mut() else {
            return distinct_by_comparison(items, &labels);
        };
        seen.clear();
        if seen.capacity() > 1 << 16 && items.len() < 1 << 12 {
            // Do not keep a huge map for small vectors.
            seen.shrink_to(items.len());
        }
        let mut collided = false;
        for (i, item) in items.iter().enumerate() {
            let l = labels(item);
            match seen.entry(l.cached_hash()) {
                Entry::Vacant(e) => {
                    e.insert(i);
                }
                Entry::Occupied(e) => {
                    if labels(&items[*e.get()]) == l {
                        return false;
                    }
                    collided = true;
                }
            }
        }
        // Two different sets with one hash: compare them all.
        !collided || distinct_by_comparison(items, &labels)
    })
}

/// [`all_distinct`] by a set of the label sets themselves.
fn distinct_by_comparison<T>(items: &[T], labels: &impl Fn(&T) -> &Labels) -> bool {
    let mut seen = foldhash::HashSet::default();
    items.iter().all(|i| seen.insert(labels(i)))
}

impl fmt::Display for Labels {
    /// Prometheus' `labels.String()`: `{a="b", c="d"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.0.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if is_legacy_name(k) {
                write!(f, "{k}=")?;
            } else {
                write!(f, "{}=", crate::go::quote::quote(k))?;
            }
            f.write_str(&crate::go::quote::quote(v))?;
        }
        f.write_str("}")
    }
}

/// True for names matching `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const P1: u64 = 0x9E3779B185EBCA87;
const P2: u64 = 0xC2B2AE3D27D4EB4F;
const P3: u64 = 0x165667B19E3779F9;
const P4: u64 = 0x85EBCA77C2B2AE63;
const P5: u64 = 0x27D4EB2F165667C5;

fn read_u64(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

fn read_u32(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(a) as u64
}

fn round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge_round(acc: u64, val: u64) -> u64 {
    (acc ^ round(0, val)).wrapping_mul(P1).wrapping_add(P4)
}

/// xxHash64 with seed 0 (as `github.com/cespare/xxhash/v2`).
pub fn xxhash64(b: &[u8]) -> u64 {
    let n = b.len();
    let mut i = 0;
    let mut h: u64;
    if n >= 32 {
        let mut v1 = P1.wrapping_add(P2);
        let mut v2 = P2;
        let mut v3 = 0u64;
        let mut v4 = 0u64.wrapping_sub(P1);
        while i + 32 <= n {
            v1 = round(v1, read_u64(b, i));
            v2 = round(v2, read_u64(b, i + 8));
            v3 = round(v3, read_u64(b, i + 16));
            v4 = round(v4, read_u64(b, i + 24));
            i += 32;
        }
        h = v1
            .rotate_left(1)
            .wrapping_add(v2.rotate_left(7))
            .wrapping_add(v3.rotate_left(12))
            .wrapping_add(v4.rotate_left(18));
        h = merge_round(h, v1);
        h = merge_round(h, v2);
        h = merge_round(h, v3);
        h = merge_round(h, v4);
    } else {
        h = P5;
    }
    h = h.wrapping_add(n as u64);
    while i + 8 <= n {
        let k1 = round(0, read_u64(b, i));
        h ^= k1;
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        i += 8;
    }
    if i + 4 <= n {
        h ^= read_u32(b, i).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        i += 4;
    }
    while i < n {
        h ^= (b[i] as u64).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
        i += 1;
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^= h >> 32;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxhash_known_values() {
        assert_eq!(xxhash64(b""), 0xef46db3751d8e999);
        assert_eq!(xxhash64(b"a"), 0xd24ec4f1a98c6e5b);
        assert_eq!(
            xxhash64(b"Nobody inspects the spammish repetition"),
            0xfbcea83c8a378bf1
        );
    }

    #[test]
    fn set_keeps_sorted_and_drops_empty() {
        let mut l = Labels::from_pairs([("b", "2"), ("a", "1")]);
        assert_eq!(l.to_string(), r#"{a="1", b="2"}"#);
        l.set("a", "");
        assert_eq!(l.to_string(), r#"{b="2"}"#);
    }

    #[test]
    fn dropping_the_name_of_a_shared_set_gives_its_kept_copy() {
        let l = Labels::from_pairs([(METRIC_NAME, "x"), ("__type__", "gauge"), ("job", "a")]);
        let (mut a, mut b) = (l.clone(), l.clone());
        a.drop_metric_name();
        b.drop_metric_name();
        assert_eq!(a.to_string(), r#"{job="a"}"#);
        assert!(a.ptr_eq(&b), "both take the copy kept with `l`");
        // A set held once is changed in place.
        let mut only = Labels::from_pairs([(METRIC_NAME, "x"), ("job", "a")]);
        let before = only.addr();
        only.drop_metric_name();
        assert_eq!(only.to_string(), r#"{job="a"}"#);
        assert_eq!(only.addr(), before);
        // `without_name` keeps `__type__`, and otherwise is the kept copy.
        assert_eq!(
            l.without_name().to_string(),
            r#"{__type__="gauge", job="a"}"#
        );
        let plain = Labels::from_pairs([(METRIC_NAME, "x"), ("job", "a")]);
        assert!(plain.without_name().ptr_eq(&plain.without_metric_name()));
    }

    #[test]
    fn metric_name_and_order_of_clones() {
        let l = Labels::from_pairs([("Zone", "z"), (METRIC_NAME, "x"), ("a", "1")]);
        assert_eq!(l.metric_name(), "x");
        assert_eq!(Labels::from_pairs([("a", "1")]).metric_name(), "");
        assert_eq!(Labels::from_pairs([("A", "1")]).metric_name(), "");
        assert_eq!(l.cmp(&l.clone()), std::cmp::Ordering::Equal);
        let other = Labels::from_pairs([("Zone", "z"), (METRIC_NAME, "x"), ("a", "2")]);
        assert_eq!(l.cmp(&other), std::cmp::Ordering::Less);
    }

    #[test]
    fn distinct_sets_are_told_from_repeated_ones() {
        let a = Labels::from_pairs([("job", "a")]);
        let b = Labels::from_pairs([("job", "b")]);
        let a2 = Labels::from_pairs([("job", "a")]);
        fn id(l: &Labels) -> &Labels {
            l
        }
        assert!(all_distinct(&[a.clone(), b.clone()], id));
        assert!(all_distinct(&[] as &[Labels], id));
        let repeated = [a.clone(), b.clone(), a2];
        assert!(
            !all_distinct(&repeated, id),
            "equal sets, other allocations"
        );
        assert!(!all_distinct(&[b.clone(), a.clone(), a.clone()], id));
        assert!(distinct_by_comparison(&[a.clone(), b.clone()], &id));
        assert!(!distinct_by_comparison(&repeated, &id));
    }

    #[test]
    fn by_identity_finds_the_very_set_only_and_stays_bounded() {
        let a = Labels::from_pairs([("job", "a")]);
        let mut m: ByIdentity<u8, i32, 4> = ByIdentity::default();
        m.insert(0, &a, 1);
        assert_eq!(m.get(0, &a.clone()), Some(&1));
        assert_eq!(m.get(1, &a), None, "another tag");
        assert_eq!(m.get(0, &Labels::from_pairs([("job", "a")])), None);
        for i in 0..10 {
            m.insert(0, &Labels::from_pairs([("i", i.to_string())]), i);
            assert!(m.len() <= 4);
        }
        m.clear();
        assert!(m.is_empty());
    }
}
