//! etcd as manifests configure it: which container is an etcd member (SPEC §12), its settings
//! from flags (`--flag=value`, `--flag value`, also inside `sh -c` wrappers), `ETCD_*`
//! environment variables, kubeadm `ClusterConfiguration` `extraArgs` (a map in v1beta3, a list
//! of `{name, value}` in v1beta4; as a document, inside the `kubeadm-config` ConfigMap, or in a
//! Cluster API `KubeadmControlPlane`), and which etcd a kube-apiserver compacts. Uses `yaml` and
//! the shell reader.
//!
//! Precedence is etcd's own: a flag on the command line wins over its `ETCD_*` variable (etcd's
//! `pkg/flags.SetFlagsFromEnv` sets from the environment only the flags the command line left
//! unset, and logs the variable as shadowed; etcd's configuration docs: "Options set on the
//! command line take precedence over those from the environment"); with `--config-file` (or
//! `ETCD_CONFIG_FILE`) etcd ignores both, so such a member's settings are unknown here.

use std::collections::BTreeMap;

use super::pod::{Container, Pod};
use super::shell::{self, Stmt};
use super::{Kind, Object};
use crate::diag::Loc;
use crate::yaml::{self, NodePath, NodeRef};

/// etcd's defaults (etcd `embed.NewConfig`; etcd tuning docs).
pub(crate) const DEFAULT_HEARTBEAT_MS: i64 = 100;
pub(crate) const DEFAULT_ELECTION_MS: i64 = 1000;

/// One etcd setting as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Setting {
    pub(crate) value: String,
    /// The node that holds it (object-relative).
    pub(crate) path: NodePath,
    pub(crate) form: Form,
}

/// How a setting is written, which says how a fix rewrites it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// A list item `--flag=value` (the item is rewritten; `flag` as spelled, `-x` or `--x`).
    Joined { flag: String },
    /// A node that is the value: the item after `--flag`, an env var's `value`, an `extraArgs`
    /// value.
    Value,
    /// Inside a shell script or an embedded document (kubeadm-config's `ClusterConfiguration`
    /// string): reported, never edited.
    Embedded,
}

/// Where settings that are not written yet go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AddSite {
    /// A list of flags (`command` or `args`): items `--flag=value` are appended.
    Flags(NodePath),
    /// The container at this path: `ETCD_*` entries are appended to its `env` (made when absent).
    Env(NodePath),
    /// kubeadm `extraArgs` as a map (v1beta3, Cluster API v1beta1).
    ArgsMap(NodePath),
    /// kubeadm `extraArgs` as a list of `{name, value}` (v1beta4, Cluster API v1beta2).
    ArgsList(NodePath),
}

/// The settings of one etcd, by flag name without dashes (`heartbeat-interval`).
#[derive(Clone, Debug, Default)]
pub(crate) struct EtcdConfig {
    settings: BTreeMap<String, Setting>,
    /// Where a fix adds a setting; `None` when nothing can be added by an edit.
    pub(crate) add: Option<AddSite>,
    /// etcd reads `--config-file` / `ETCD_CONFIG_FILE` and ignores its flags and environment.
    pub(crate) config_file: bool,
    /// The container takes variables from `envFrom`, which may set `ETCD_*` unseen.
    pub(crate) env_from: bool,
}

impl EtcdConfig {
    pub(crate) fn get(&self, flag: &str) -> Option<&Setting> {
        self.settings.get(flag)
    }

    /// A setting in milliseconds (etcd's timing flags are integers of milliseconds).
    pub(crate) fn millis(&self, flag: &str) -> Option<(i64, &Setting)> {
        let s = self.get(flag)?;
        Some((s.value.trim().parse::<i64>().ok()?, s))
    }

    /// Whether the settings seen here are all there are.
    pub(crate) fn is_complete(&self) -> bool {
        !self.config_file && !self.env_from
    }

    /// Whether settings come from `ETCD_*` variables (bitnami's images read only those).
    pub(crate) fn uses_env(&self) -> bool {
        matches!(self.add, Some(AddSite::Env(_)))
    }

    fn set(&mut self, flag: &str, setting: Setting) {
        self.settings.insert(flag.to_string(), setting);
    }
}

/// An etcd member: a container that runs the etcd server.
#[derive(Clone)]
pub(crate) struct Member<'d> {
    pub(crate) container: Container<'d>,
    pub(crate) config: EtcdConfig,
    /// The major version in the image tag (`3` for `registry.k8s.io/etcd:3.5.15-0`).
    pub(crate) major: Option<u32>,
}

/// A cheap first test: the container's image, command or args mention etcd at all (an etcd
/// member, etcdctl, or a kube-apiserver's `--etcd-servers`). Everything else costs nothing more.
pub(crate) fn mentions_etcd(c: &Container<'_>) -> bool {
    let image = c.node.get("image").and_then(|i| i.as_text()).is_some_and(|i| i.contains("etcd"));
    image
        || ["command", "args"].iter().any(|list| {
            c.node.get(list).is_some_and(|l| l.items().any(|i| i.as_text().is_some_and(|t| t.contains("etcd"))))
        })
}

/// The etcd members among a pod's containers (init containers never are).
pub(crate) fn members<'d>(pod: &Pod<'d>) -> Vec<Member<'d>> {
    pod.containers().into_iter().filter(|c| !c.init && mentions_etcd(c)).filter_map(member).collect()
}

/// The container as an etcd member, when it is one: its command starts with `etcd` (directly,
/// after `exec`/`tini`-style prefixes, or in a `sh -c` script), or its image is an etcd image
/// and it sets no command of its own (no args, flags as args, or the image's own start script).
pub(crate) fn member(c: Container<'_>) -> Option<Member<'_>> {
    let image = c.node.get("image").and_then(|i| i.as_text()).unwrap_or_default();
    let command = list_words(&c, "command");
    let args = list_words(&c, "args");
    let etcd_image = is_etcd_image(image);
    let flags = if command.is_empty() {
        if !etcd_image {
            return None;
        }
        match args.first() {
            None => Some(Vec::new()),
            Some(first) if first.text.starts_with('-') => Some(args.clone()),
            Some(_) => program_args(&args, "etcd").or_else(|| is_image_start_script(&args).then(Vec::new)),
        }
    } else {
        let all: Vec<Word> = command.iter().chain(args.iter()).cloned().collect();
        program_args(&all, "etcd")
    }?;
    let mut config = EtcdConfig {
        env_from: c.node.get("envFrom").is_some_and(|e| e.items().next().is_some()),
        ..EtcdConfig::default()
    };
    // The environment first: flags override it.
    for (i, name, entry) in c.env() {
        let Some(flag) = name.strip_prefix("ETCD_").filter(|f| !f.is_empty()) else { continue };
        let flag = flag.to_ascii_lowercase().replace('_', "-");
        if flag == "config-file" {
            config.config_file = true;
        }
        if let Some(value) = entry.get("value").and_then(|v| v.as_text()) {
            let path = c.path.key("env").index(i).key("value");
            config.set(&flag, Setting { value: value.to_string(), path, form: Form::Value });
        }
    }
    let env_settings = !config.settings.is_empty();
    read_flags(&flags, &mut config);
    config.config_file |= config.get("config-file").is_some();
    let flag_list = flags.iter().rev().find(|w| !w.in_script).map(|w| w.path.prefix(w.path.len() - 1));
    config.add = Some(match flag_list {
        Some(list) if !env_settings => AddSite::Flags(list),
        _ => AddSite::Env(c.path.clone()),
    });
    let major = image_major(image);
    Some(Member { container: c, config, major })
}

/// A word of a container's `command`/`args`, or of a script in one of them.
#[derive(Clone, Debug)]
struct Word {
    text: String,
    /// The list item it is (or whose script it is in).
    path: NodePath,
    in_script: bool,
}

fn list_words(c: &Container<'_>, list: &'static str) -> Vec<Word> {
    let Some(node) = c.node.get(list) else { return Vec::new() };
    node.items()
        .enumerate()
        .filter_map(|(i, item)| {
            Some(Word { text: item.as_text()?.to_string(), path: c.path.key(list).index(i), in_script: false })
        })
        .collect()
}

/// Commands that run the next word as the program (`exec etcd`, `tini -- etcd`).
fn is_prefix(word: &str) -> bool {
    matches!(
        shell::basename(word),
        "exec" | "command" | "nohup" | "tini" | "dumb-init" | "env" | "nice" | "ionice" | "chrt" | "taskset" | "--"
    )
}

/// The words after `program` when the words run it: directly, after prefixes, or in the
/// script of `sh -c` (the last simple command of the script that runs it).
fn program_args(words: &[Word], program: &str) -> Option<Vec<Word>> {
    let start = words
        .iter()
        .position(|w| !is_prefix(&w.text) && !w.text.starts_with('-') && shell::assignment(&w.text).is_none())?;
    let first = words.get(start)?;
    if shell::basename(&first.text) == program {
        return Some(words.get(start + 1..).unwrap_or_default().to_vec());
    }
    let texts: Vec<&str> = words.get(start..).unwrap_or_default().iter().map(|w| w.text.as_str()).collect();
    let (i, script) = shell::script_of(&texts)?;
    let path = words.get(start + i)?.path.clone();
    let stmts = shell::parse(script);
    let mut vars = BTreeMap::new();
    let found = find_program(&stmts, program, &mut vars)?;
    Some(found.into_iter().map(|text| Word { text, path: path.clone(), in_script: true }).collect())
}

/// The arguments of the last simple command in `stmts` that runs `program`, with the script's
/// plain assignments expanded.
fn find_program(stmts: &[Stmt], program: &str, vars: &mut BTreeMap<String, String>) -> Option<Vec<String>> {
    let mut found = None;
    for s in stmts {
        let hit = match s {
            Stmt::Simple { assigns, words, .. } => {
                if words.is_empty() {
                    for (n, v) in assigns {
                        let value = shell::expand(v, &|name| vars.get(name).cloned()).unwrap_or_else(|| v.clone());
                        vars.insert(n.clone(), value);
                    }
                    None
                } else {
                    let start = words.iter().position(|w| !is_prefix(w) && !w.starts_with('-'));
                    start.and_then(|i| {
                        let w = words.get(i)?;
                        (shell::basename(w) == program).then(|| {
                            words
                                .get(i + 1..)
                                .unwrap_or_default()
                                .iter()
                                .map(|w| shell::expand(w, &|name| vars.get(name).cloned()).unwrap_or_else(|| w.clone()))
                                .collect()
                        })
                    })
                }
            }
            Stmt::AndOr(first, rest) => {
                let mut all = vec![(**first).clone()];
                all.extend(rest.iter().map(|(_, s)| s.clone()));
                find_program(&all, program, vars)
            }
            Stmt::Group(b) | Stmt::Pipeline(b) => find_program(b, program, vars),
            Stmt::If { arms, otherwise } => arms
                .iter()
                .map(|(_, b)| b)
                .chain(std::iter::once(otherwise))
                .filter_map(|b| find_program(b, program, vars))
                .last(),
            _ => None,
        };
        if hit.is_some() {
            found = hit;
        }
    }
    found
}

/// Flags that take no value (a word after them is no value of theirs).
fn is_bool_flag(name: &str) -> bool {
    matches!(
        name,
        "enable-pprof"
            | "force-new-cluster"
            | "strict-reconfig-check"
            | "enable-v2"
            | "auto-tls"
            | "peer-auto-tls"
            | "client-cert-auth"
            | "peer-client-cert-auth"
            | "debug"
            | "enable-grpc-gateway"
            | "version"
            | "help"
    ) || name.starts_with("experimental-enable")
}

fn read_flags(words: &[Word], config: &mut EtcdConfig) {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        i += 1;
        let Some(body) = w.text.strip_prefix("--").or_else(|| w.text.strip_prefix('-')) else { continue };
        if body.is_empty() {
            continue;
        }
        if let Some((name, value)) = body.split_once('=') {
            let form = if w.in_script {
                Form::Embedded
            } else {
                Form::Joined { flag: w.text.get(..w.text.len() - value.len() - 1).unwrap_or_default().to_string() }
            };
            config.set(name, Setting { value: value.to_string(), path: w.path.clone(), form });
        } else if let Some(next) = words.get(i).filter(|n| !n.text.starts_with('-') && !is_bool_flag(body)) {
            let form = if next.in_script { Form::Embedded } else { Form::Value };
            config.set(body, Setting { value: next.text.clone(), path: next.path.clone(), form });
            i += 1;
        }
    }
}

/// An etcd image: its repository's last segment is `etcd` (`registry.k8s.io/etcd:3.5.15-0`,
/// `quay.io/coreos/etcd:v3.5.0`, `docker.io/bitnami/etcd:3.6.4-debian-12-r3`), not `etcdctl`,
/// `etcd-operator` or `openshift/etcd-20-centos7`.
pub(crate) fn is_etcd_image(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or_default();
    let last = without_digest.rsplit('/').next().unwrap_or_default();
    last.split(':').next() == Some("etcd")
}

/// The major version of an image's tag (`v3.5.0` → 3, `3.6.4-debian-12-r3` → 3).
pub(crate) fn image_major(image: &str) -> Option<u32> {
    let without_digest = image.split('@').next().unwrap_or_default();
    let last = without_digest.rsplit('/').next().unwrap_or_default();
    let tag = last.split_once(':')?.1;
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    tag.get(digits.len()..).filter(|rest| rest.starts_with('.'))?;
    digits.parse().ok()
}

/// The start script of bitnami's etcd image given as `args` (`/opt/bitnami/scripts/etcd/run.sh`,
/// its default command): the container runs etcd as the image does.
fn is_image_start_script(args: &[Word]) -> bool {
    args.first().is_some_and(|w| w.text.contains("etcd") && shell::basename(&w.text) == "run.sh")
}

/// A kube-apiserver container: the etcd servers it uses and whether it compacts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Apiserver {
    /// Hosts of `--etcd-servers` (`etcd-0.etcd-headless.ns.svc`, `127.0.0.1`).
    pub(crate) hosts: Vec<String>,
    /// `--etcd-compaction-interval` is not `0` (default 5m: the API server compacts every five
    /// minutes).
    pub(crate) compacts: bool,
}

/// The kube-apiserver containers of a pod.
pub(crate) fn apiservers(pod: &Pod<'_>) -> Vec<Apiserver> {
    let mut out = Vec::new();
    for c in pod.containers().into_iter().filter(|c| !c.init && mentions_etcd(c)) {
        let mut words = list_words(&c, "command");
        words.extend(list_words(&c, "args"));
        let image = c.node.get("image").and_then(|i| i.as_text()).unwrap_or_default();
        let flags = match program_args(&words, "kube-apiserver") {
            Some(f) => f,
            None if list_words(&c, "command").is_empty() && image.contains("kube-apiserver") => words,
            None => continue,
        };
        let mut config = EtcdConfig::default();
        read_flags(&flags, &mut config);
        let env: BTreeMap<&str, &str> =
            c.env().into_iter().filter_map(|(_, n, e)| Some((n, e.get("value")?.as_text()?))).collect();
        let servers = config.get("etcd-servers").map(|s| kubelet_expand(&s.value, &env)).unwrap_or_default();
        let compacts = config
            .get("etcd-compaction-interval")
            .is_none_or(|s| !matches!(s.value.trim(), "0" | "0s" | "0m" | "0h" | "0m0s"));
        out.push(Apiserver { hosts: servers.split(',').filter_map(url_host).collect(), compacts });
    }
    out
}

/// `$(VAR)` resolved from the container's literal env values, as the kubelet does.
fn kubelet_expand(value: &str, env: &BTreeMap<&str, &str>) -> String {
    let mut out = value.to_string();
    for (name, v) in env {
        out = out.replace(&format!("$({name})"), v);
    }
    out
}

/// The host of `https://host:2379` (or of `host:2379`), lower case.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':']).next()?.trim();
    (!host.is_empty() && !host.contains('$')).then(|| host.to_ascii_lowercase())
}

/// kubeadm's static etcd Pod (labels `component: etcd` and `tier: control-plane`, in
/// `kube-system`): its kube-apiserver, on the same node, compacts it.
pub(crate) fn is_kubeadm_static_pod(obj: &Object<'_>) -> bool {
    let labels = obj.labels();
    obj.kind == Kind::Pod
        && labels.get("component").map(String::as_str) == Some("etcd")
        && labels.get("tier").map(String::as_str) == Some("control-plane")
        && obj.info.object.namespace.as_deref().is_none_or(|ns| ns == "kube-system")
}

/// What LL019 needs of a workload's pod once its tree is gone (the run's inventory keeps it):
/// the members nobody in the pod compacts, and the etcd servers that compacting kube-apiservers
/// of the pod use (a hosted control plane's API server compacts an etcd of another object).
#[derive(Clone, Debug)]
pub(crate) struct EtcdFacts {
    pub(crate) uncompacted: Vec<Uncompacted>,
    /// Hosts of `--etcd-servers` of the pod's kube-apiservers that compact.
    pub(crate) compacting_hosts: Vec<String>,
}

/// A member that neither compacts itself nor is compacted by a kube-apiserver of its pod.
#[derive(Clone, Debug)]
pub(crate) struct Uncompacted {
    pub(crate) container: String,
    /// The container's path: a fix reads the member again there.
    pub(crate) path: NodePath,
    /// Where to report: the retention set to `0`, the member's flag list, or its `env`.
    pub(crate) loc: Loc,
    /// `--auto-compaction-retention` as written, when it turns compaction off.
    pub(crate) retention: Option<String>,
    /// The pod runs a kube-apiserver, with `--etcd-compaction-interval=0`.
    pub(crate) apiserver_off: bool,
    /// A fix can turn compaction on: the settings are not in a script, and the mode is not
    /// `revision` (where a retention of hours means nothing).
    pub(crate) editable: bool,
    /// The member is configured through `ETCD_*` variables (a fix adds those).
    pub(crate) via_env: bool,
}

impl EtcdFacts {
    /// The facts moved by `delta` bytes.
    pub(crate) fn shift(&mut self, delta: isize) {
        for u in &mut self.uncompacted {
            u.loc.shift(delta);
        }
    }
}

/// The etcd facts of a pod's containers; `None` (at the cost of a few string tests per
/// container) when no container mentions etcd.
pub(crate) fn facts(obj: &Object<'_>, containers: &[Container<'_>]) -> Option<Box<EtcdFacts>> {
    if !containers.iter().any(|c| !c.init && mentions_etcd(c)) {
        return None;
    }
    let pod = obj.pod()?;
    let apiservers = apiservers(&pod);
    let compacting_hosts: Vec<String> =
        apiservers.iter().filter(|a| a.compacts).flat_map(|a| a.hosts.clone()).collect();
    let mut uncompacted = Vec::new();
    if !is_kubeadm_static_pod(obj) && compacting_hosts.is_empty() && !apiservers.iter().any(|a| a.compacts) {
        for m in members(&pod) {
            if m.major.is_some_and(|v| v < 3) || !m.config.is_complete() {
                continue;
            }
            let retention = m.config.get("auto-compaction-retention");
            if retention.is_some_and(|r| !is_retention_off(&r.value)) {
                continue;
            }
            let path = match (retention, &m.config.add) {
                (Some(r), _) => r.path.clone(),
                (None, Some(AddSite::Flags(list))) => list.clone(),
                (None, _) => m.container.path.key("env"),
            };
            let mode = m.config.get("auto-compaction-mode");
            let editable = mode.is_none_or(|s| s.value.trim() != "revision")
                && retention.is_none_or(|r| r.form != Form::Embedded)
                && mode.is_none_or(|s| s.form != Form::Embedded)
                && m.config.add.is_some();
            uncompacted.push(Uncompacted {
                editable,
                via_env: m.config.uses_env(),
                container: m.container.name.to_string(),
                path: m.container.path.clone(),
                loc: obj.at(&path),
                retention: retention.map(|r| r.value.clone()),
                apiserver_off: !apiservers.is_empty(),
            });
        }
    }
    (!uncompacted.is_empty() || !compacting_hosts.is_empty())
        .then(|| Box::new(EtcdFacts { uncompacted, compacting_hosts }))
}

/// A retention that turns compaction off (`0`, `0h`, `0s`, `0m`).
pub(crate) fn is_retention_off(retention: &str) -> bool {
    let digits = retention.trim().trim_end_matches(['h', 'm', 's']);
    !digits.is_empty() && digits.chars().all(|c| c == '0' || c == '.')
}

/// Whether an API server host (`etcd`, `etcd.ns.svc`, `etcd-0.etcd-headless.ns.svc.cluster.local`)
/// names the pods of a workload `name` in namespace `ns`, reached through one of `services`
/// (the Services that select its pods), or as a StatefulSet pod `name-N`. `apiserver_ns` is
/// where the API server runs (a short name resolves there).
pub(crate) fn host_names(
    host: &str,
    name: &str,
    ns: Option<&str>,
    services: &[&str],
    apiserver_ns: Option<&str>,
) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let first = labels.first().copied().unwrap_or_default();
    let in_ns = |i: usize| labels.get(i).map_or(apiserver_ns == ns, |n| Some(*n) == ns);
    let pod_of_set = first
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if pod_of_set {
        return labels.get(1).is_some_and(|svc| services.contains(svc)) && in_ns(2);
    }
    services.contains(&first) && in_ns(1)
}

/// The local etcd a kubeadm configuration sets up.
#[derive(Clone, Debug)]
pub(crate) struct KubeadmEtcd {
    pub(crate) config: EtcdConfig,
    /// The node to report at when a setting is absent: `etcd.local.extraArgs`, `etcd.local`,
    /// `etcd`, the configuration itself, or the ConfigMap's `data.ClusterConfiguration`.
    pub(crate) anchor: NodePath,
    /// Read from the `kubeadm-config` ConfigMap's `ClusterConfiguration` string.
    pub(crate) embedded: bool,
}

/// The local etcd of a kubeadm `ClusterConfiguration` document, a Cluster API
/// `KubeadmControlPlane`, or a ConfigMap holding a `ClusterConfiguration` (kubeadm-config);
/// `None` for other objects and for external etcd.
pub(crate) fn kubeadm_etcd(obj: &Object<'_>) -> Option<KubeadmEtcd> {
    match obj.kind {
        Kind::KubeadmClusterConfiguration => cluster_configuration(obj.root, &NodePath::root(), None),
        Kind::KubeadmControlPlane => {
            let base = NodePath::keys(&["spec", "kubeadmConfigSpec", "clusterConfiguration"]);
            cluster_configuration(obj.get(&base)?, &base, None)
        }
        Kind::ConfigMap => {
            let path = NodePath::keys(&["data", "ClusterConfiguration"]);
            let text = obj.get(&path)?.as_str()?;
            if !text.contains("ClusterConfiguration") || !text.contains("etcd") {
                return None;
            }
            let (docs, _) = yaml::parse_chunk(text, 0..text.len(), yaml::Limits::default());
            let root = docs.iter().find_map(|d| d.root())?;
            cluster_configuration(root, &NodePath::root(), Some(path))
        }
        _ => None,
    }
}

fn cluster_configuration(cc: NodeRef<'_, '_>, base: &NodePath, embedded: Option<NodePath>) -> Option<KubeadmEtcd> {
    let etcd = cc.get("etcd");
    if etcd.is_some_and(|e| e.get("external").is_some()) {
        return None;
    }
    let local = etcd.and_then(|e| e.get("local"));
    let extra = local.and_then(|l| l.get("extraArgs"));
    let extra_path = base.key("etcd").key("local").key("extraArgs");
    let at = |p: NodePath| embedded.clone().unwrap_or(p);
    let form = if embedded.is_some() { Form::Embedded } else { Form::Value };
    let mut config = EtcdConfig::default();
    if let Some(extra) = extra {
        if extra.is_mapping() {
            for (k, v) in extra.entries() {
                let (Some(k), Some(value)) = (k.scalar(), v.as_text()) else { continue };
                let path = at(extra_path.key(k.to_string()));
                config.set(k, Setting { value: value.to_string(), path, form: form.clone() });
            }
            config.add = embedded.is_none().then(|| AddSite::ArgsMap(extra_path.clone()));
        } else if extra.is_sequence() {
            for (i, item) in extra.items().enumerate() {
                let (Some(name), Some(value)) = (item.get_str("name"), item.get("value").and_then(|v| v.as_text()))
                else {
                    continue;
                };
                let path = at(extra_path.index(i).key("value"));
                config.set(name, Setting { value: value.to_string(), path, form: form.clone() });
            }
            config.add = embedded.is_none().then(|| AddSite::ArgsList(extra_path.clone()));
        }
    }
    let anchor = match (&embedded, extra, local, etcd) {
        (Some(p), ..) => p.clone(),
        (None, Some(_), ..) => extra_path,
        (None, None, Some(_), _) => base.key("etcd").key("local"),
        (None, None, None, Some(_)) => base.key("etcd"),
        _ => base.clone(),
    };
    Some(KubeadmEtcd { config, anchor, embedded: embedded.is_some() })
}

#[cfg(test)]
#[path = "etcd_tests.rs"]
pub(crate) mod tests;
