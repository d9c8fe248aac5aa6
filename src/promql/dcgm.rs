//! NVIDIA DCGM field knowledge: names, units and how dcgm-exporter exports
//! them. The table is generated from go-dcgm's dcgm_fields.h and
//! dcgm-exporter's default-counters.csv by `scripts/gen_dcgm.py`.

#[path = "dcgm_fields.rs"]
mod fields;

pub use fields::FIELDS;

/// The Prometheus type dcgm-exporter gives a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// A gauge.
    Gauge,
    /// A counter.
    Counter,
    /// Exported as a label, not a value.
    Label,
    /// Not in dcgm-exporter's counter list.
    Unknown,
}

/// One DCGM field.
#[derive(Debug)]
pub struct DcgmField {
    /// `DCGM_FI_DEV_FB_USED`.
    pub name: &'static str,
    /// Numeric field id.
    pub id: u32,
    /// The field this name is a deprecated alias of, or "".
    pub alias_of: &'static str,
    /// Unit hint from the header (`MB`, `MHz`, `C`, …), or "".
    pub unit: &'static str,
    /// The header's description.
    pub description: &'static str,
    /// Type in dcgm-exporter's counters file.
    pub exporter_type: MetricType,
    /// Whether dcgm-exporter exports it with its default counters.
    pub exported_by_default: bool,
}

/// The field called `name`, if it exists.
pub fn field(name: &str) -> Option<&'static DcgmField> {
    FIELDS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FIELDS[i])
}

/// What a frame-buffer (GPU memory) metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryRole {
    /// Memory in use.
    Used,
    /// Memory free.
    Free,
    /// Total capacity.
    Total,
}

/// The memory role of a DCGM field (`DCGM_FI_DEV_FB_USED` → Used), from the
/// field table's descriptions ("Used Frame Buffer", "Free Frame Buffer", "Total Frame Buffer").
pub fn memory_role(name: &str) -> Option<MemoryRole> {
    let f = field(name)?;
    let d = f.description;
    if !d.contains("Frame Buffer") || d.starts_with("Ratio") {
        return None;
    }
    if d.starts_with("Used") {
        Some(MemoryRole::Used)
    } else if d.starts_with("Free") {
        Some(MemoryRole::Free)
    } else if d.starts_with("Total") {
        Some(MemoryRole::Total)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fb_fields_have_roles() {
        assert_eq!(memory_role("DCGM_FI_DEV_FB_USED"), Some(MemoryRole::Used));
        assert_eq!(memory_role("DCGM_FI_DEV_FB_FREE"), Some(MemoryRole::Free));
        assert_eq!(memory_role("DCGM_FI_DEV_FB_TOTAL"), Some(MemoryRole::Total));
        assert_eq!(memory_role("DCGM_FI_DEV_FB_USED_PERCENT"), None);
        assert_eq!(memory_role("DCGM_FI_DEV_GPU_TEMP"), None);
        assert!(field("DCGM_FI_DEV_GPU_TEMPP").is_none());
        assert!(FIELDS.windows(2).all(|w| w[0].name < w[1].name));
    }
}
