//! NVIDIA DCGM field knowledge: names, units and how dcgm-exporter exports
//! them. The table ([`FIELDS`]) is generated at build time by `build.rs` from
//! `data/dcgm/fields.tsv` (NVIDIA's `dcgm_fields.h`: names, ids, aliases, with
//! each field's unit and memory role decided in the data file) and
//! `data/dcgm/exporter-default-counters.csv` (dcgm-exporter's
//! `default-counters.csv`: type, default export, help); see `data/dcgm/README.md`.

use super::units::Unit;

include!(concat!(env!("OUT_DIR"), "/dcgm_fields.rs"));

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
    /// The unit its values are in, when known (`DCGM_FI_DEV_FB_USED` → MiB);
    /// a deprecated alias has the unit of the field it aliases unless the
    /// data file says otherwise.
    pub unit: Option<Unit>,
    /// What it measures when it is a frame-buffer (GPU memory) field.
    pub memory_role: Option<MemoryRole>,
    /// The header's description.
    pub description: &'static str,
    /// Type in dcgm-exporter's counters file ([`MetricType::Unknown`] when
    /// the file does not list it).
    pub exporter_type: MetricType,
    /// Whether dcgm-exporter exports it with its default counters (listed
    /// and not commented out).
    pub exported_by_default: bool,
    /// The help text dcgm-exporter's counters file gives it, or "".
    pub exporter_help: &'static str,
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

/// The memory role of a DCGM field (`DCGM_FI_DEV_FB_USED` → Used), as the
/// field table records it; `None` for unknown names and fields that are not
/// frame-buffer amounts (`DCGM_FI_DEV_FB_USED_RATIO`).
pub fn memory_role(name: &str) -> Option<MemoryRole> {
    field(name)?.memory_role
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

    #[test]
    fn known_facts_from_the_data_files() {
        let fb = field("DCGM_FI_DEV_FB_USED").expect("FB_USED");
        assert_eq!(
            (fb.id, fb.unit, fb.memory_role),
            (252, Some(Unit::Mebibytes), Some(MemoryRole::Used))
        );
        assert_eq!(fb.exporter_type, MetricType::Gauge);
        assert!(fb.exported_by_default);
        assert_eq!(fb.exporter_help, "Framebuffer memory used (in MiB).");
        let temp = field("DCGM_FI_DEV_GPU_TEMP").expect("GPU_TEMP");
        assert_eq!(temp.unit, Some(Unit::Celsius));
        assert_eq!(temp.alias_of, "DCGM_FI_DEV_GPU_TEMP_CELSIUS");
        assert!(temp.exported_by_default);
        // Listed in the counters file but commented out: typed, not exported.
        let tx = field("DCGM_FI_DEV_POWER_VIOLATION").expect("POWER_VIOLATION");
        assert!(!tx.exported_by_default);
        assert_eq!(tx.exporter_type, MetricType::Counter);
        assert_eq!(tx.unit, Some(Unit::Nanoseconds));
        // Not in the counters file at all.
        let cuda = field("DCGM_FI_CUDA_DRIVER_VERSION").expect("CUDA_DRIVER_VERSION");
        assert_eq!(
            (
                cuda.exporter_type,
                cuda.exported_by_default,
                cuda.exporter_help
            ),
            (MetricType::Unknown, false, "")
        );
        assert_eq!(FIELDS.iter().filter(|f| f.exported_by_default).count(), 26);
    }
}
