//! `NodePath`: the path of a node inside its object, e.g.
//! `spec.template.spec.containers[0].resources.limits.cpu`.

use std::borrow::Cow;
use std::fmt;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    Key(Cow<'static, str>),
    Index(usize),
}

/// A path from an object's root to one of its nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct NodePath(Vec<Seg>);

impl NodePath {
    pub(crate) fn root() -> Self {
        NodePath(Vec::new())
    }

    /// A path of keys, e.g. `NodePath::keys(&["spec", "template", "spec"])`.
    pub(crate) fn keys(keys: &[&'static str]) -> Self {
        NodePath(keys.iter().map(|k| Seg::Key(Cow::Borrowed(*k))).collect())
    }

    /// This path with one more key (`&'static str` keys are not copied).
    #[must_use]
    pub(crate) fn key(&self, key: impl Into<Cow<'static, str>>) -> Self {
        let mut p = NodePath(Vec::with_capacity(self.0.len() + 1));
        p.0.extend(self.0.iter().cloned());
        p.0.push(Seg::Key(key.into()));
        p
    }

    /// This path with one more sequence index.
    #[must_use]
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut p = NodePath(Vec::with_capacity(self.0.len() + 1));
        p.0.extend(self.0.iter().cloned());
        p.0.push(Seg::Index(index));
        p
    }

    /// Parses a dotted path such as `spec.template` or `spec.jobs[0].template`; `None` when it
    /// is empty or malformed.
    pub(crate) fn parse_dotted(text: &str) -> Option<Self> {
        let mut segs = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            if key.is_empty() && (segs.is_empty() || rest.is_empty()) {
                return None;
            }
            if !key.is_empty() {
                segs.push(Seg::Key(Cow::Owned(key.to_string())));
            }
            while !rest.is_empty() {
                let (n, after) = rest.split_once(']')?;
                segs.push(Seg::Index(n.parse().ok()?));
                rest = match after {
                    "" => "",
                    a => a.strip_prefix('[')?,
                };
            }
        }
        (!segs.is_empty()).then_some(NodePath(segs))
    }

    pub(crate) fn segments(&self) -> &[Seg] {
        &self.0
    }

    /// The first `n` segments.
    #[must_use]
    pub(crate) fn prefix(&self, n: usize) -> Self {
        NodePath(self.0.iter().take(n).cloned().collect())
    }

    /// The path without its first `n` segments.
    #[must_use]
    pub(crate) fn skip(&self, n: usize) -> Self {
        NodePath(self.0.iter().skip(n).cloned().collect())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Keys made only of these characters print bare; others print as `["key"]`.
fn is_bare_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$' | b'@'))
}

impl fmt::Display for NodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if is_bare_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "[{}]", serde_json::Value::from(k.as_ref()))?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::NodePath;

    #[test]
    fn displays_like_kubectl_paths() {
        let p = NodePath::keys(&["spec", "template", "spec"]).key("containers").index(0).key("resources");
        assert_eq!(p.to_string(), "spec.template.spec.containers[0].resources");
        let a = NodePath::keys(&["metadata", "annotations"]).key("leaselint.io/ignore".to_string());
        assert_eq!(a.to_string(), "metadata.annotations[\"leaselint.io/ignore\"]");
        assert_eq!(NodePath::root().index(2).key("kind").to_string(), "[2].kind");
        assert_eq!(NodePath::root().to_string(), "");
    }

    #[test]
    fn parses_dotted_paths() {
        for text in ["spec.template", "spec.jobs[0].template", "a[1][2].b", "x"] {
            assert_eq!(NodePath::parse_dotted(text).map(|p| p.to_string()).as_deref(), Some(text));
        }
        for bad in ["", ".a", "a.", "a..b", "a[x]", "a[1", "a[1]b"] {
            assert_eq!(NodePath::parse_dotted(bad), None, "{bad}");
        }
    }
}
