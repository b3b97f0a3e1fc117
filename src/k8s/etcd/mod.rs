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

mod compaction;
mod kubeadm;

pub(crate) use compaction::{EtcdFacts, Uncompacted, facts, host_names};
pub(crate) use kubeadm::kubeadm_etcd;

use super::pod::{Container, Pod};
use super::shell::{self, Stmt};
use crate::yaml::NodePath;

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
    if !pod_mentions(pod, "etcd") {
        return Vec::new();
    }
    pod.containers().into_iter().filter(|c| !c.init && mentions_etcd(c)).filter_map(member).collect()
}

/// Whether a container of the pod (not an init container) mentions `word` in its image,
/// command or args: the test every etcd rule starts with, without building containers.
pub(crate) fn pod_mentions(pod: &Pod<'_>, word: &str) -> bool {
    pod.spec.get("containers").is_some_and(|cs| {
        cs.items().any(|c| {
            c.get("image").and_then(|i| i.as_text()).is_some_and(|i| i.contains(word))
                || ["command", "args"].iter().any(|list| {
                    c.get(list).is_some_and(|l| l.items().any(|i| i.as_text().is_some_and(|t| t.contains(word))))
                })
        })
    })
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

/// The words after `program` when the words run it: directly, after prefixes, or in the
/// script of `sh -c` (the last simple command of the script that runs it).
fn program_args(words: &[Word], program: &str) -> Option<Vec<Word>> {
    let start = words.iter().position(|w| {
        !shell::is_wrapper(&w.text) && !w.text.starts_with('-') && shell::assignment(&w.text).is_none()
    })?;
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
                    let start = words.iter().position(|w| !shell::is_wrapper(w) && !w.starts_with('-'));
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

#[cfg(test)]
pub(crate) mod tests;
