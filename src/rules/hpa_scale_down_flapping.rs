//! LL016 hpa-scale-down-flapping.

use crate::diag::Fix;
use crate::k8s::rollout::{DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS, IntSetting};
use crate::k8s::{Kind, Object};
use crate::lint::{Ctx, Rule};
use crate::yaml::NodePath;
use crate::yaml::edit::{EditError, Value};

/// Finds HorizontalPodAutoscalers whose `spec.behavior.scaleDown.stabilizationWindowSeconds` is
/// explicitly below `thresholds.scaleDownStabilizationSeconds` (300). Kubernetes' default is 300
/// s, so an HPA that does not set it (every autoscaling/v1 HPA, and v2 without `behavior`) is
/// never reported.
///
/// Skipped: `scaleDown.selectPolicy: Disabled` (it never scales down), an HPA whose
/// `minReplicas` (default 1) equals its `maxReplicas` (it never scales), and a value the API
/// server rejects.
///
/// ## Fix safety
/// Unsafe: a longer window keeps replicas (and their cost) up to 300 s longer after load drops.
pub(crate) struct HpaScaleDownFlapping;

impl Rule for HpaScaleDownFlapping {
    fn code(&self) -> &'static str {
        "LL016"
    }

    fn name(&self) -> &'static str {
        "hpa-scale-down-flapping"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        if obj.kind != Kind::HorizontalPodAutoscaler {
            return;
        }
        let Some(spec) = obj.root.get("spec") else { return };
        let Some(scale_down) = spec.get_path(&["behavior", "scaleDown"]) else { return };
        if scale_down.get("selectPolicy").and_then(|p| p.as_str()) == Some("Disabled") {
            return;
        }
        let min = spec.get("minReplicas").and_then(|m| m.as_i64()).unwrap_or(1);
        if spec.get("maxReplicas").and_then(|m| m.as_i64()) == Some(min) {
            return;
        }
        let IntSetting::Set(window) = IntSetting::of(scale_down.get("stabilizationWindowSeconds")) else { return };
        let threshold = cx.config.thresholds.scale_down_stabilization_seconds;
        if window >= threshold {
            return;
        }
        let fixed = DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS.max(threshold);
        let default = if threshold == DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS {
            format!("{threshold} (Kubernetes' default)")
        } else {
            format!("{threshold} (Kubernetes' default is {DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS})")
        };
        let when = if window == 0 {
            "the moment load dips".to_string()
        } else {
            format!("as soon as load has dipped for {window}s")
        };
        let message = format!(
            "HorizontalPodAutoscaler `{}` scales down after `stabilizationWindowSeconds: {window}`, below {default}: \
             it removes pods {when} and adds them back at the next spike, so replicas flap and every new pod starts \
             cold",
            obj.info.object.name
        );
        let fix = Fix::unsafe_(format!(
            "set `stabilizationWindowSeconds: {fixed}` (replicas stay up to {fixed}s after load drops)"
        ));
        let node = scale_down.get("stabilizationWindowSeconds");
        let file = obj.info.file;
        let fix = cx.with_edits(fix, &[], |e| {
            let node = node.ok_or_else(|| EditError("internal error: the window moved".into()))?;
            e.editor(file)?.replace_scalar(node, &Value::raw(fixed.to_string()))
        });
        let path = NodePath::keys(&["spec", "behavior", "scaleDown", "stabilizationWindowSeconds"]);
        cx.report(obj.at(&path), message).fix(fix).emit();
    }
}
