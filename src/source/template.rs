//! Finding a node's key in a file that is not parsed: a Helm template (Go template syntax
//! around YAML) or a Kustomize resource, so that findings of `leaselint render` point at the
//! line of the file in the repository. A text search by indentation, not a YAML parse: it
//! answers only when the key is found unambiguously.

use crate::change::{NodePath, Seg};

/// One line: its byte offset, its indentation (spaces) and its content after them.
struct Line<'a> {
    offset: usize,
    indent: usize,
    content: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if !content.is_empty() && !content.starts_with('#') {
            out.push(Line { offset, indent, content });
        }
        offset += raw.len();
    }
    out
}

/// Whether `content` (a line after its indentation, a list dash allowed) is the key `key`.
/// Returns the key's byte position within `content`.
fn key_at(content: &str, key: &str) -> Option<usize> {
    let (dash, rest) = match content.strip_prefix("- ") {
        Some(r) => (content.len() - r.len(), r.trim_start_matches(' ')),
        None => (0, content),
    };
    let skipped = content.len() - dash - rest.len();
    for quoted in [format!("{key}:"), format!("\"{key}\":"), format!("'{key}':")] {
        if let Some(after) = rest.strip_prefix(quoted.as_str())
            && (after.is_empty() || after.starts_with([' ', '\t']))
        {
            return Some(dash + skipped);
        }
    }
    None
}

/// The byte offset of the key at `path` (`spec.template.spec.containers[0].resources`) in
/// `text`, found by walking the keys down the indentation: each key must be the only one of its
/// name at the shallowest indentation of its parent's block, and a list index picks that item
/// of the block. `None` when a key is missing (written by a template function such as
/// `toYaml`) or ambiguous.
pub(crate) fn locate_key(text: &str, path: &NodePath) -> Option<usize> {
    let all = lines(text);
    let (mut lo, mut hi) = (0, all.len());
    let mut found: Option<usize> = None;
    let mut parent_indent: Option<usize> = None;
    for seg in path.segments() {
        let block = all.get(lo..hi)?;
        match seg {
            Seg::Key(key) => {
                let candidates: Vec<(usize, usize)> = block
                    .iter()
                    .enumerate()
                    .filter_map(|(i, l)| key_at(l.content, key).map(|at| (i, l.indent + at)))
                    .filter(|&(_, col)| parent_indent.is_none_or(|p| col > p))
                    .collect();
                let shallowest = candidates.iter().map(|&(_, col)| col).min()?;
                let at_top: Vec<&(usize, usize)> = candidates.iter().filter(|(_, col)| *col == shallowest).collect();
                let &[&(i, col)] = at_top.as_slice() else { return None };
                let line = block.get(i)?;
                found = Some(line.offset + col);
                lo += i + 1;
                // The key's block: the lines after it that are indented deeper than the key.
                hi = lo + all.get(lo..hi)?.iter().take_while(|l| l.indent > col).count();
                parent_indent = Some(col);
            }
            Seg::Index(index) => {
                // Items are `- ` lines at the shallowest indentation of the block.
                let dashes: Vec<usize> =
                    block.iter().enumerate().filter(|(_, l)| l.content.starts_with("- ")).map(|(i, _)| i).collect();
                if dashes.is_empty() {
                    // A flow sequence (`args: [a, b]`) on the key's own line: that line is the
                    // item's place.
                    let flow = found.and_then(|f| all.get(lo.checked_sub(1)?).filter(|l| l.offset <= f));
                    if flow.is_some_and(|l| l.content.contains('[')) {
                        return found;
                    }
                    return None;
                }
                let shallowest = dashes.iter().filter_map(|&i| block.get(i)).map(|l| l.indent).min()?;
                let items: Vec<usize> =
                    dashes.into_iter().filter(|&i| block.get(i).is_some_and(|l| l.indent == shallowest)).collect();
                let start = *items.get(*index)?;
                let end = items.get(*index + 1).copied().unwrap_or(block.len());
                let line = block.get(start)?;
                found = Some(line.offset + line.indent);
                // The item's own keys start on its dash line, two columns further in.
                hi = lo + end;
                lo += start;
                parent_indent = Some(line.indent + 1);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include \"shop.fullname\" . }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    metadata:
      labels: {{- include \"shop.labels\" . | nindent 8 }}
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: x
          resources:
            limits:
              cpu: 500m
        - name: sidecar
          resources:
            limits:
              cpu: 100m
";

    fn line_of(text: &str, path: &NodePath) -> Option<usize> {
        locate_key(text, path).map(|o| text[..o].matches('\n').count() + 1)
    }

    #[test]
    fn keys_are_found_down_the_indentation() {
        let path = NodePath::keys(&["spec", "template", "spec"]).key("containers").index(1).key("resources");
        assert_eq!(line_of(TEMPLATE, &path.key("limits").key("cpu")), Some(20));
        let first = NodePath::keys(&["spec", "template", "spec"]).key("containers").index(0);
        assert_eq!(line_of(TEMPLATE, &first.key("resources").key("limits").key("cpu")), Some(16));
        assert_eq!(line_of(TEMPLATE, &first), Some(12));
        assert_eq!(line_of(TEMPLATE, &first.key("name")), Some(12));
        assert_eq!(line_of(TEMPLATE, &NodePath::keys(&["spec", "replicas"])), Some(6));
        assert_eq!(line_of(TEMPLATE, &NodePath::keys(&["metadata", "name"])), Some(4));
        let flow = "spec:\n  args: [--a, --b]\n";
        assert_eq!(line_of(flow, &NodePath::keys(&["spec", "args"]).index(1)), Some(2), "a flow item: its key's line");
    }

    #[test]
    fn keys_a_template_function_writes_are_not_found() {
        let path = NodePath::keys(&["spec", "template", "metadata", "labels", "app"]);
        assert_eq!(line_of(TEMPLATE, &path), None);
        assert_eq!(line_of("a:\n  b: 1\na:\n  b: 2\n", &NodePath::keys(&["a", "b"])), None, "ambiguous");
    }
}
