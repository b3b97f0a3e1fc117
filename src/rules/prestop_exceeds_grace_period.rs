//! LL014 prestop-exceeds-grace-period.

use crate::k8s::Object;
use crate::k8s::rollout::{DEFAULT_TERMINATION_GRACE_SECONDS, IntSetting, MIN_GRACE_AFTER_PRESTOP_SECONDS};
use crate::k8s::sleep::{Sleep, prestop_sleep};
use crate::lint::{Ctx, Rule};

use super::helpers::policy::number;

/// Finds containers whose preStop hook sleeps for at least the pod's
/// `terminationGracePeriodSeconds` (default 30). The kubelet gives the hook the whole grace
/// period; when the hook has used it up, it sends SIGTERM with 2 s of grace left
/// (`minimumGracePeriodInSeconds`) and then SIGKILL, so the container cannot finish its
/// in-flight requests.
///
/// A sleep is `lifecycle.preStop.sleep.seconds`, or an exec of `sleep N` (`["sleep", "N"]`,
/// `["/bin/sleep", "N"]`, `busybox sleep`, or a `sh -c`/`bash -c` script). In a script only the
/// sleeps that surely run count, added up: those at its top level, not inside `if`, loops or
/// `case`, after `||`, in the background or in a pipeline (`sleep 5 && nginx -s quit` sleeps
/// 5 s). Durations are read as GNU `sleep` reads them (`5`, `5s`, `1m`, `1m 30s`, `infinity`); a
/// sleep of `$VAR` is unknown and does not count.
///
/// Checked on regular containers and restartable (sidecar) init containers (one-shot init
/// containers have no lifecycle hooks). Skipped: Jobs, CronJobs and Helm hooks and tests (they
/// serve no traffic to drain), and a grace period the API server rejects.
pub(crate) struct PrestopExceedsGracePeriod;

impl Rule for PrestopExceedsGracePeriod {
    fn code(&self) -> &'static str {
        "LL014"
    }

    fn name(&self) -> &'static str {
        "prestop-exceeds-grace-period"
    }

    fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
        if obj.kind.is_batch() || obj.helm_hook().is_some() {
            return;
        }
        let Some(pod) = obj.pod() else { return };
        let (grace, shown) = match IntSetting::of(pod.spec.get("terminationGracePeriodSeconds")) {
            IntSetting::Unset => {
                (DEFAULT_TERMINATION_GRACE_SECONDS, format!("{DEFAULT_TERMINATION_GRACE_SECONDS}s, the default"))
            }
            IntSetting::Set(g) => (g, format!("{g}s")),
            IntSetting::Invalid => return,
        };
        for c in pod.containers() {
            if c.init && !c.restartable {
                continue;
            }
            let Some(found) = prestop_sleep(c.node, &c.path) else { continue };
            // `sleep 0` waits for nothing (and a grace period of 0 kills at once anyway).
            if found.sleep == Sleep::Seconds(0.0) || !found.sleep.at_least(grace as f64) {
                continue;
            }
            let (sleeps, compared) = match found.sleep {
                Sleep::Forever => ("sleeps forever".to_string(), "longer than"),
                Sleep::Seconds(s) if s > grace as f64 => (format!("sleeps {}s", number(s)), "longer than"),
                Sleep::Seconds(s) => (format!("sleeps {}s", number(s)), "as long as"),
            };
            let message = format!(
                "the preStop hook of container `{}` {sleeps}, {compared} the pod's `terminationGracePeriodSeconds` \
                 ({shown}): the kubelet sends SIGTERM only when the hook has used up the grace period, and SIGKILL \
                 {MIN_GRACE_AFTER_PRESTOP_SECONDS}s later, so the container cannot finish its in-flight requests",
                c.name
            );
            cx.report(obj.at(&found.path), message).emit();
        }
    }
}
