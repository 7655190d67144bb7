//! The index saved to a file, so that a restart reads it back in a fraction
//! of the time rebuilding it from every stored entity takes (parsing 100,000
//! bodies and interning 2.3 million rows), then catches up by following
//! `catalog_changes` from where the file left off.
//!
//! The file says which change it is current to: its sequence number and the
//! uid that change row carries. A file whose change row the database does not
//! have (another database, a restored backup, trimmed rows) is ignored, as is
//! a file that cannot be read whole; the index is then built from the
//! entities as before. The database stays the truth.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use portolan_catalog::RelationType;
use portolan_frontend::EntitySummary;

use super::intern::Interner;
use super::summary::SharedText;
use super::{Entry, Row, State};

/// Version 2 puts the byte length of the strings before them, so that the
/// strings and the entries are read back at once, on two threads.
const MAGIC: &[u8; 8] = b"PRTLIDX2";

/// Why a snapshot file was not used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// It could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Its contents are not a snapshot of this version.
    #[error("the file is not an index snapshot of this version: {0}")]
    Corrupt(&'static str),
}

/// The change a snapshot is current to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPoint {
    /// The `catalog_changes` sequence number.
    pub seq: i64,
    /// The uid of that change row.
    pub uid: String,
}

struct Out<W: Write>(W);

impl<W: Write> Out<W> {
    fn u32(&mut self, v: u32) -> std::io::Result<()> {
        self.0.write_all(&v.to_le_bytes())
    }
    fn len(&mut self, n: usize) -> std::io::Result<()> {
        self.u32(u32::try_from(n).map_err(|_| std::io::Error::other("a list too long for a snapshot"))?)
    }
    fn str(&mut self, s: &str) -> std::io::Result<()> {
        self.len(s.len())?;
        self.0.write_all(s.as_bytes())
    }
    fn opt(&mut self, s: Option<&str>) -> std::io::Result<()> {
        match s {
            None => self.0.write_all(&[0]),
            Some(s) => {
                self.0.write_all(&[1])?;
                self.str(s)
            }
        }
    }
}

/// A snapshot being read: streamed from the file (a whole 100 MB buffer
/// would add its size to the server's memory at start), with the bytes left
/// counted so that a bad length is caught before it allocates.
struct In<R: Read> {
    input: R,
    left: u64,
    scratch: Vec<u8>,
}

impl<R: Read> In<R> {
    fn new(input: R, len: u64) -> Self {
        In { input, left: len, scratch: Vec::new() }
    }
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), SnapshotError> {
        if self.left < buf.len() as u64 {
            return Err(SnapshotError::Corrupt("it ends early"));
        }
        self.input.read_exact(buf)?;
        self.left -= buf.len() as u64;
        Ok(())
    }
    fn u8(&mut self) -> Result<u8, SnapshotError> {
        let mut b = [0u8; 1];
        self.fill(&mut b)?;
        Ok(b[0])
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn i64(&mut self) -> Result<i64, SnapshotError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(i64::from_le_bytes(b))
    }
    fn u64(&mut self) -> Result<u64, SnapshotError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn len(&mut self) -> Result<usize, SnapshotError> {
        let n = self.u32()?;
        // No list is longer than the bytes left: a bad length fails here, not in an allocation.
        if u64::from(n) > self.left {
            return Err(SnapshotError::Corrupt("a length runs past the end"));
        }
        Ok(n as usize)
    }
    /// The next string, valid until the next read.
    fn str(&mut self) -> Result<&str, SnapshotError> {
        let n = self.len()?;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(n, 0);
        let filled = self.fill(&mut scratch);
        self.scratch = scratch;
        filled?;
        std::str::from_utf8(&self.scratch).map_err(|_| SnapshotError::Corrupt("a string is not UTF-8"))
    }
    fn string(&mut self) -> Result<String, SnapshotError> {
        self.str().map(str::to_owned)
    }
    fn opt(&mut self) -> Result<Option<String>, SnapshotError> {
        Ok(self.opt_str()?.map(str::to_owned))
    }
    /// The next optional string, valid until the next read.
    fn opt_str(&mut self) -> Result<Option<&str>, SnapshotError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.str()?)),
            _ => Err(SnapshotError::Corrupt("a bad option tag")),
        }
    }
    fn at_end(&mut self) -> Result<bool, SnapshotError> {
        let mut b = [0u8; 1];
        Ok(self.left == 0 && self.input.read(&mut b)? == 0)
    }
}

/// Writes `state`, current to `point`, to `path` (through a temporary file
/// renamed over it, so a reader never sees half a snapshot).
pub(super) fn write(state: &State, point: &SnapshotPoint, path: &Path) -> Result<(), SnapshotError> {
    let partial = path.with_extension("partial");
    let file = std::fs::File::create(&partial)?;
    let mut out = Out(BufWriter::with_capacity(1 << 20, file));
    out.0.write_all(MAGIC)?;
    out.0.write_all(&point.seq.to_le_bytes())?;
    out.str(&point.uid)?;
    let strings = state.strings.entries();
    let strings_bytes: usize = 4 + strings.clone().map(|(_, text)| 8 + text.len()).sum::<usize>();
    out.0.write_all(&(strings_bytes as u64).to_le_bytes())?;
    out.len(strings.len())?;
    for (count, text) in strings {
        out.u32(count)?;
        out.str(text)?;
    }
    out.len(state.entries.len())?;
    for entry in &state.entries {
        let Some(e) = entry else {
            out.0.write_all(&[0])?;
            continue;
        };
        out.0.write_all(&[1])?;
        out.str(&e.uid)?;
        out.u32(e.entity_ref)?;
        out.len(e.rows.len())?;
        for row in e.rows.iter() {
            out.u32(row.key)?;
            out.u32(row.value)?;
            out.u32(row.original)?;
        }
        out.str(&e.text)?;
        out.len(e.relations.len())?;
        for &(relation_type, target) in e.relations.iter() {
            let index = RelationType::ALL.iter().position(|t| *t == relation_type).unwrap_or(0);
            out.0.write_all(&[u8::try_from(index).unwrap_or(0)])?;
            out.u32(target)?;
        }
        match e.summary.as_deref() {
            None => out.0.write_all(&[0])?,
            Some(s) => {
                out.0.write_all(&[1])?;
                out.str(&s.kind)?;
                out.str(&s.namespace)?;
                out.str(&s.name)?;
                out.opt(s.title.as_deref())?;
                out.opt(s.description.as_deref())?;
                out.opt(s.owner.as_deref())?;
                out.opt(s.spec_type.as_deref())?;
                out.opt(s.lifecycle.as_deref())?;
                out.opt(s.system.as_deref())?;
                out.len(s.tags.len())?;
                for tag in s.tags.iter() {
                    out.str(tag)?;
                }
            }
        }
    }
    out.0.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

/// The change the snapshot at `path` is current to, read from its head.
pub(super) fn point_of(path: &Path) -> Result<SnapshotPoint, SnapshotError> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    read_point(&mut In::new(BufReader::new(file), len))
}

fn read_point<R: Read>(input: &mut In<R>) -> Result<SnapshotPoint, SnapshotError> {
    let mut magic = [0u8; 8];
    input.fill(&mut magic)?;
    if &magic != MAGIC {
        return Err(SnapshotError::Corrupt("a wrong magic number"));
    }
    let seq = input.i64()?;
    Ok(SnapshotPoint { seq, uid: input.string()? })
}

/// Reads the snapshot at `path` into a fresh index state: the strings on
/// this thread, the entries (and what is derived from them) on another.
pub(super) fn read(path: &Path) -> Result<(SnapshotPoint, State), SnapshotError> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut input = In::new(BufReader::with_capacity(1 << 20, file), len);
    let point = read_point(&mut input)?;
    let strings_bytes = input.u64()?;
    let entries_at = (len - input.left).checked_add(strings_bytes).filter(|&at| at <= len).ok_or(SnapshotError::Corrupt("a length runs past the end"))?;
    let before_strings = input.left;
    let n = input.len()?;
    let (strings, state) = std::thread::scope(|scope| {
        let entries = scope.spawn(move || {
            use std::io::Seek;
            let mut file = std::fs::File::open(path)?;
            file.seek(std::io::SeekFrom::Start(entries_at))?;
            let mut input = In::new(BufReader::with_capacity(1 << 20, file), len - entries_at);
            read_entries(&mut input, n).map(|(entries, text)| {
                let mut state = State::from_parts(Interner::default(), entries, text);
                state.shrink_to_fit();
                state
            })
        });
        let mut strings = Interner::with_slots(n);
        let read_strings = (0..n).try_for_each(|_| {
            let count = input.u32()?;
            strings.push_restored(count, input.str()?);
            Ok::<_, SnapshotError>(())
        });
        let state = entries.join().map_err(|_| SnapshotError::Corrupt("reading the entries failed"))?;
        read_strings?;
        if before_strings - input.left != strings_bytes {
            return Err(SnapshotError::Corrupt("the strings are not as long as the file says"));
        }
        Ok::<_, SnapshotError>((strings, state?))
    })?;
    let mut state = state;
    state.strings = strings;
    Ok((point, state))
}

/// The entries of a snapshot, whose ids must be below `slots`.
fn read_entries<R: Read>(input: &mut In<R>, slots: usize) -> Result<(Vec<Option<Entry>>, SharedText), SnapshotError> {
    let mut shared = SharedText::default();
    let known = |id: u32| id == super::intern::NONE || (id as usize) < slots;
    let n = input.len()?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        if input.u8()? == 0 {
            entries.push(None);
            continue;
        }
        let uid: Arc<str> = input.str()?.into();
        let entity_ref = input.u32()?;
        let rows = (0..input.len()?)
            .map(|_| Ok(Row { key: input.u32()?, value: input.u32()?, original: input.u32()? }))
            .collect::<Result<Box<[Row]>, SnapshotError>>()?;
        let text: Arc<str> = input.str()?.into();
        let relations = (0..input.len()?)
            .map(|_| {
                let relation_type = *RelationType::ALL.get(input.u8()? as usize).ok_or(SnapshotError::Corrupt("an unknown relation type"))?;
                Ok((relation_type, input.u32()?))
            })
            .collect::<Result<Box<[(RelationType, u32)]>, SnapshotError>>()?;
        let summary = match input.u8()? {
            0 => None,
            _ => {
                // The shared fields are looked up as read, not copied first.
                let kind = shared.text(input.str()?);
                let namespace = shared.text(input.str()?);
                let name = input.string()?;
                let title = input.opt()?;
                let description = input.opt()?;
                let owner = input.opt_str()?.map(|s| shared.text(s));
                let spec_type = input.opt_str()?.map(|s| shared.text(s));
                let lifecycle = input.opt_str()?.map(|s| shared.text(s));
                let system = input.opt_str()?.map(|s| shared.text(s));
                let tags = (0..input.len()?).map(|_| Ok(shared.text(input.str()?))).collect::<Result<Vec<_>, SnapshotError>>()?;
                let tags = shared.tag_list(&tags);
                Some(Arc::new(EntitySummary { kind, namespace, name, title, description, owner, spec_type, lifecycle, system, tags }))
            }
        };
        let ids_known = known(entity_ref)
            && rows.iter().all(|r| known(r.key) && known(r.value) && known(r.original))
            && relations.iter().all(|&(_, target)| known(target));
        if !ids_known {
            return Err(SnapshotError::Corrupt("an id no string has"));
        }
        entries.push(Some(Entry { uid, entity_ref, rows, text, relations, summary }));
    }
    if !input.at_end()? {
        return Err(SnapshotError::Corrupt("bytes after the end"));
    }
    Ok((entries, shared))
}
