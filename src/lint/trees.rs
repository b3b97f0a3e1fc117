//! The parsed documents a cross-object fix edits: the chunks of the objects it names, parsed
//! again when the fix is built (the run does not keep trees: it would hold several times the
//! input in memory).

use crate::diag::{ObjId, ObjectInfo};
use crate::k8s::{self, Object};
use crate::source::FileId;
use crate::yaml::{self, Doc};

use super::EditEnv;

/// Parsed chunks by chunk id.
pub(crate) struct Trees<'a> {
    env: &'a EditEnv<'a>,
    chunks: Vec<(u32, FileId, Vec<Doc<'a>>)>,
}

impl<'a> Trees<'a> {
    /// Parses the chunks that hold `objects` (each once).
    pub(crate) fn load(env: &'a EditEnv<'a>, objects: &[&ObjectInfo]) -> Trees<'a> {
        let mut chunks: Vec<(u32, FileId, Vec<Doc<'a>>)> = Vec::new();
        for info in objects {
            let id = info.id.chunk;
            if chunks.iter().any(|(c, _, _)| *c == id) {
                continue;
            }
            let Some((file, range)) = env.chunks.get(id) else { continue };
            let Some(source) = env.files.get(file) else { continue };
            let (docs, _) = yaml::parse_chunk(&source.text, range, env.limits);
            chunks.push((id, file, docs));
        }
        Trees { env, chunks }
    }

    fn docs(&self, chunk: u32) -> Option<(FileId, &Vec<Doc<'a>>)> {
        self.chunks.iter().find(|(c, _, _)| *c == chunk).map(|(_, f, d)| (*f, d))
    }

    /// The object with this id.
    pub(crate) fn object(&self, id: ObjId) -> Option<Object<'_>> {
        let (file, docs) = self.docs(id.chunk)?;
        let doc = docs.get(id.doc as usize)?;
        let text = &self.env.files.get(file)?.text;
        k8s::objects_in(doc, text, file, self.env.custom, ObjId { item: 0, ..id }).into_iter().nth(id.item as usize)
    }

    /// The document holding the object with this id, and how many documents its chunk holds.
    pub(crate) fn document(&self, id: ObjId) -> Option<(&Doc<'a>, usize)> {
        let (_, docs) = self.docs(id.chunk)?;
        Some((docs.get(id.doc as usize)?, docs.len()))
    }
}
