//! Built-in rules written in Rust, one file per rule. Rules are pure: they read objects, facts
//! and config values and report through `Ctx`. Shared logic is in `helpers/`.

mod api_fanout;
mod cpu_limit_on_latency_sensitive;
mod duplicate_key;
mod etcd_heartbeat_overtuned;
mod etcd_liveness_too_strict;
mod etcd_without_compaction;
mod hardcoded_lease_selector;
pub(crate) mod helpers;
mod hpa_scale_down_flapping;
mod lease_consolidation_values;
mod missing_memory_limit;
mod missing_min_ready_seconds;
mod missing_pdb;
mod missing_topology_spread;
mod ndots_default;
mod pdb_blocks_eviction;
mod per_pod_lease;
mod prestop_exceeds_grace_period;
mod readiness_cascade;
mod rollout_drops_capacity;
mod unguarded_etcd_defrag;
mod unused_suppression;

use crate::lint::Rule;

/// Every built-in rule, ordered by code.
pub(crate) fn builtin() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(per_pod_lease::PerPodLease),
        Box::new(hardcoded_lease_selector::HardcodedLeaseSelector),
        Box::new(lease_consolidation_values::LeaseConsolidationValues),
        Box::new(cpu_limit_on_latency_sensitive::CpuLimitOnLatencySensitive),
        Box::new(missing_memory_limit::MissingMemoryLimit),
        Box::new(ndots_default::NdotsDefault),
        Box::new(missing_pdb::MissingPdb),
        Box::new(pdb_blocks_eviction::PdbBlocksEviction),
        Box::new(api_fanout::ApiFanout),
        Box::new(duplicate_key::DuplicateKey),
        Box::new(unused_suppression::UnusedSuppression),
        Box::new(rollout_drops_capacity::RolloutDropsCapacity),
        Box::new(missing_min_ready_seconds::MissingMinReadySeconds),
        Box::new(prestop_exceeds_grace_period::PrestopExceedsGracePeriod),
        Box::new(missing_topology_spread::MissingTopologySpread),
        Box::new(hpa_scale_down_flapping::HpaScaleDownFlapping),
        Box::new(readiness_cascade::ReadinessCascade),
        Box::new(etcd_heartbeat_overtuned::EtcdHeartbeatOvertuned),
        Box::new(etcd_without_compaction::EtcdWithoutCompaction),
        Box::new(unguarded_etcd_defrag::UnguardedEtcdDefrag),
        Box::new(etcd_liveness_too_strict::EtcdLivenessTooStrict),
    ]
}
