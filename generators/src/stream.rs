//! Streaming a world of any size: case files are drawn in fixed-size chunks by worker threads, each chunk
//! into reusable per-entity buffers, and written in chunk order by one writer. Every case draws from its own
//! random stream and chunk boundaries do not depend on the thread count, so the output is byte-identical
//! whatever the number of threads; a bounded window of chunks in flight keeps memory flat.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

use crate::bundle;
use crate::config::GenConfig;
use crate::draw::{CaseDraw, Drawer};
use crate::emit::{self, Csv, Enc, Encoders, Format, Json};
use crate::error::GenError;
use crate::geo::geo;
use crate::realism::{Report, Verifier};
use crate::schema::Entity;
use crate::world::document_pdf;

/// Options of a streamed generation.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Output format.
    pub format: Format,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Also produce the PDF of every document.
    pub documents: bool,
    /// Run the realism checks on every case file (slower).
    pub verify: bool,
    /// Case files per chunk (fixed: part of the determinism of chunked hashing only, not of the bytes).
    pub chunk_cases: u64,
}

impl Default for StreamOptions {
    fn default() -> StreamOptions {
        StreamOptions {
            format: Format::Jsonl,
            threads: 1,
            documents: false,
            verify: false,
            chunk_cases: 2048,
        }
    }
}

/// Where streamed bytes go.
pub trait Sink {
    /// Append bytes to an entity's output.
    fn write(&mut self, entity: Entity, bytes: &[u8]) -> Result<(), GenError>;
    /// Store one document's PDF.
    fn document(
        &mut self,
        tenant_code: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<(), GenError>;
}

/// What a streamed generation produced.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    /// Records written per entity, in [`Entity::ALL`] order.
    pub counts: Vec<(Entity, u64)>,
    /// PDF files written.
    pub documents_written: u64,
    /// Total bytes of the entity files.
    pub bytes: u64,
    /// The realism report, with `verify`.
    pub report: Option<Report>,
}

struct ChunkOut<E> {
    index: u64,
    enc: Encoders<E>,
    counts: [u64; 12],
    docs: Vec<(usize, String, Vec<u8>)>,
    cases: u64,
}

fn count_case(counts: &mut [u64; 12], d: &CaseDraw) {
    counts[Entity::Persons as usize] += d.persons().count() as u64;
    counts[Entity::Representations as usize] += d.reps.iter().flatten().count() as u64;
    counts[Entity::Accounts as usize] += d.persons().filter(|p| p.account).count() as u64;
    counts[Entity::CaseFiles as usize] += 1;
    counts[Entity::StatusEvents as usize] += d.n_statuses as u64;
    counts[Entity::Requests as usize] += d.n_rights as u64;
    counts[Entity::Documents as usize] += d.n_docs as u64;
    counts[Entity::Evaluations as usize] += u64::from(d.evaluation.is_some());
    counts[Entity::Decisions as usize] += if d.decided() { d.n_rights as u64 } else { 0 };
    counts[Entity::Appeals as usize] += u64::from(d.appeal.is_some());
    counts[Entity::Notes as usize] += d.n_notes as u64;
}

fn bufs<E: Enc>(enc: &mut Encoders<E>) -> impl Iterator<Item = (Entity, &mut Vec<u8>)> {
    Entity::ALL
        .iter()
        .copied()
        .zip(enc.by_entity.iter_mut().map(|e| e.out()))
}

/// Stream the world of `config` into `sink`. `progress` is called with the number of case files written
/// after each chunk.
pub fn stream<S: Sink>(
    config: &GenConfig,
    opts: &StreamOptions,
    sink: &mut S,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StreamSummary, GenError> {
    match opts.format {
        Format::Jsonl => stream_with::<Json, S>(config, opts, sink, progress),
        Format::Csv => stream_with::<Csv, S>(config, opts, sink, progress),
    }
}

/// What the workers share: the chunks to draw, the writer's progress (a bounded window of chunks in flight
/// keeps memory flat), the spare encoders and the workers' verifiers.
struct Shared<'a, E> {
    drawer: &'a Drawer,
    config: &'a GenConfig,
    opts: &'a StreamOptions,
    n_chunks: u64,
    chunk: u64,
    window: u64,
    next_chunk: AtomicU64,
    written: (Mutex<u64>, Condvar),
    pool: Mutex<Vec<Encoders<E>>>,
    verifiers: Mutex<Vec<Verifier>>,
}

impl<E> Shared<'_, E> {
    /// Wait until chunk `c` is inside the window of chunks in flight.
    fn wait_for_window(&self, c: u64) {
        let (lock, cv) = &self.written;
        let mut w = lock.lock().unwrap_or_else(|e| e.into_inner());
        while c >= *w + self.window {
            w = cv.wait(w).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Record that `next` chunks are written, which lets the workers draw further.
    fn release(&self, next: u64) {
        let (lock, cv) = &self.written;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = next;
        cv.notify_all();
    }
}

/// What the writer has written so far, and its first error.
#[derive(Default)]
struct Totals {
    counts: [u64; 12],
    bytes: u64,
    documents_written: u64,
    error: Option<GenError>,
}

fn stream_with<E: Enc + Default + Send, S: Sink>(
    config: &GenConfig,
    opts: &StreamOptions,
    sink: &mut S,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StreamSummary, GenError> {
    let drawer = Drawer::new(config)?;
    let threads = opts.threads.max(1);
    let chunk = opts.chunk_cases.max(1);
    let mut totals = Totals::default();
    let verifier = write_head::<E, S>(&drawer, config, opts, sink, &mut totals)?;
    let shared = Shared {
        drawer: &drawer,
        config,
        opts,
        n_chunks: drawer.plan.cases.div_ceil(chunk),
        chunk,
        window: 2 * threads as u64 + 2,
        next_chunk: AtomicU64::new(0),
        written: (Mutex::new(0u64), Condvar::new()),
        pool: Mutex::new(Vec::new()),
        verifiers: Mutex::new(Vec::new()),
    };
    let (tx, rx) = mpsc::sync_channel::<ChunkOut<E>>(shared.window as usize);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let shared = &shared;
            scope.spawn(move || worker(shared, tx));
        }
        drop(tx);
        write_chunks(&shared, &rx, sink, progress, &mut totals);
    });
    if let Some(e) = totals.error {
        return Err(e);
    }
    let report = verifier.map(|mut v| {
        for w in shared
            .verifiers
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
        {
            v.merge(&w);
        }
        v
    });
    Ok(StreamSummary {
        counts: Entity::ALL
            .iter()
            .map(|e| (*e, totals.counts[*e as usize]))
            .collect(),
        documents_written: totals.documents_written,
        bytes: totals.bytes,
        report: report.map(|v| v.finish(&config.weights, None)),
    })
}

/// Write the headers (CSV), the tenants and the agents; the verifier of the run (with `verify`) has
/// observed the agents.
fn write_head<E: Enc + Default, S: Sink>(
    drawer: &Drawer,
    config: &GenConfig,
    opts: &StreamOptions,
    sink: &mut S,
    totals: &mut Totals,
) -> Result<Option<Verifier>, GenError> {
    let mut head: Encoders<E> = Encoders::default();
    if opts.format == Format::Csv {
        for (entity, buf) in bufs(&mut head) {
            buf.extend_from_slice(entity.csv_header().as_bytes());
        }
    }
    let mut verifier = opts.verify.then(|| Verifier::for_config(config));
    for tp in &drawer.plan.tenants {
        emit::tenant(head.get(Entity::Tenants), tp);
        totals.counts[Entity::Tenants as usize] += 1;
        for k in 0..tp.agents {
            emit::agent(head.get(Entity::Accounts), config.seed, tp, k);
            totals.counts[Entity::Accounts as usize] += 1;
            if let Some(v) = verifier.as_mut() {
                v.observe_agents(&[bundle::agent(config.seed, tp, k)]);
            }
        }
    }
    for (entity, buf) in bufs(&mut head) {
        sink.write(entity, buf)?;
        totals.bytes += buf.len() as u64;
    }
    Ok(verifier)
}

/// A worker: draws chunk after chunk (within the window) and sends them to the writer.
fn worker<E: Enc + Default>(sh: &Shared<'_, E>, tx: mpsc::SyncSender<ChunkOut<E>>) {
    let mut d = CaseDraw::default();
    let mut local_verifier = sh.opts.verify.then(|| Verifier::for_config(sh.config));
    loop {
        let c = sh.next_chunk.fetch_add(1, Ordering::Relaxed);
        if c >= sh.n_chunks {
            break;
        }
        sh.wait_for_window(c);
        let enc = sh
            .pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        let out = draw_chunk(sh, c, enc, &mut d, local_verifier.as_mut());
        if tx.send(out).is_err() {
            break;
        }
    }
    if let Some(v) = local_verifier {
        sh.verifiers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(v);
    }
}

/// Draw the case files of chunk `c` into `enc`, with their documents and realism observations.
fn draw_chunk<E: Enc>(
    sh: &Shared<'_, E>,
    c: u64,
    mut enc: Encoders<E>,
    d: &mut CaseDraw,
    mut verifier: Option<&mut Verifier>,
) -> ChunkOut<E> {
    let drawer = sh.drawer;
    let mut out = ChunkOut {
        index: c,
        enc: Encoders {
            by_entity: Vec::new(),
        },
        counts: [0; 12],
        docs: Vec::new(),
        cases: 0,
    };
    let start = c * sh.chunk;
    let end = (start + sh.chunk).min(drawer.plan.cases);
    let mut t = drawer.plan.tenant_of(start);
    for g in start..end {
        while g >= drawer.plan.tenants[t].first_case + drawer.plan.tenants[t].cases {
            t += 1;
        }
        drawer.draw(g, t, d);
        emit::case(&mut enc, drawer, d);
        count_case(&mut out.counts, d);
        if sh.opts.documents {
            let tp = drawer.tenant(d);
            for k in 0..d.n_docs {
                let name = bundle::string(|b| crate::render::document_file_name(b, tp, d, k));
                out.docs.push((tp.dept, name, document_pdf(drawer, d, k)));
            }
        }
        if let Some(v) = verifier.as_deref_mut() {
            let code = geo().departements[drawer.tenant(d).dept].code;
            v.observe(code, &bundle::bundle(drawer, d));
        }
    }
    out.cases = end - start;
    out.enc = enc;
    out
}

/// The writer: chunks in order, as they arrive; each written chunk's encoders go back to the pool.
fn write_chunks<E: Enc, S: Sink>(
    sh: &Shared<'_, E>,
    rx: &mpsc::Receiver<ChunkOut<E>>,
    sink: &mut S,
    progress: &(dyn Fn(u64) + Sync),
    totals: &mut Totals,
) {
    let mut pending: BTreeMap<u64, ChunkOut<E>> = BTreeMap::new();
    let mut next = 0u64;
    let mut received = 0u64;
    let mut done_cases = 0u64;
    while received < sh.n_chunks {
        let Ok(out) = rx.recv() else { break };
        received += 1;
        pending.insert(out.index, out);
        while let Some(mut out) = pending.remove(&next) {
            if totals.error.is_none() {
                write_chunk(sink, &mut out, totals);
            }
            for (a, b) in totals.counts.iter_mut().zip(out.counts) {
                *a += b;
            }
            done_cases += out.cases;
            sh.pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(out.enc);
            next += 1;
            sh.release(next);
            progress(done_cases);
        }
    }
}

/// Write one chunk's entity buffers (clearing them) and documents; the first error stops the writing.
fn write_chunk<E: Enc, S: Sink>(sink: &mut S, out: &mut ChunkOut<E>, totals: &mut Totals) {
    for (entity, buf) in bufs(&mut out.enc) {
        if let Err(e) = sink.write(entity, buf) {
            totals.error = Some(e);
            break;
        }
        totals.bytes += buf.len() as u64;
        buf.clear();
    }
    for (dept, name, pdf) in &out.docs {
        if totals.error.is_none() {
            match sink.document(geo().departements[*dept].code, name, pdf) {
                Ok(()) => totals.documents_written += 1,
                Err(e) => totals.error = Some(e),
            }
        }
    }
}

/// A sink writing one file per entity in a directory, and documents under `documents/{departement}/`.
#[derive(Debug)]
pub struct DirSink {
    dir: PathBuf,
    files: Vec<File>,
    extension: &'static str,
}

impl DirSink {
    /// Create (truncate) the entity files of `format` in `dir`, which must exist.
    pub fn create(dir: &Path, format: Format) -> Result<DirSink, GenError> {
        let mut files = Vec::new();
        for e in Entity::ALL {
            let path = dir.join(format!("{}.{}", e.name(), format.extension()));
            let f = File::create(&path).map_err(|source| GenError::Io {
                what: path.display().to_string(),
                source,
            })?;
            files.push(f);
        }
        Ok(DirSink {
            dir: dir.to_path_buf(),
            files,
            extension: format.extension(),
        })
    }

    /// Flush every file.
    pub fn finish(self) -> Result<(), GenError> {
        for (mut f, e) in self.files.into_iter().zip(Entity::ALL) {
            f.flush().map_err(|source| GenError::Io {
                what: e.name().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// File name of an entity.
    pub fn file_name(&self, e: Entity) -> String {
        format!("{}.{}", e.name(), self.extension)
    }
}

impl Sink for DirSink {
    fn write(&mut self, entity: Entity, bytes: &[u8]) -> Result<(), GenError> {
        let ext = self.extension;
        self.files[entity as usize]
            .write_all(bytes)
            .map_err(|source| GenError::Io {
                what: format!("{}.{ext}", entity.name()),
                source,
            })
    }

    fn document(
        &mut self,
        tenant_code: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<(), GenError> {
        let dir = self.dir.join("documents").join(tenant_code);
        std::fs::create_dir_all(&dir).map_err(|source| GenError::Io {
            what: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(file_name);
        std::fs::write(&path, bytes).map_err(|source| GenError::Io {
            what: path.display().to_string(),
            source,
        })
    }
}

/// A streaming 64-bit digest (word-at-a-time multiply-rotate; not cryptographic), independent of how the
/// bytes are split across writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    h: u64,
    carry: u64,
    carried: u32,
    len: u64,
}

impl Default for Digest {
    fn default() -> Digest {
        Digest {
            h: 0x6A09_E667_F3BC_C908,
            carry: 0,
            carried: 0,
            len: 0,
        }
    }
}

impl Digest {
    #[inline]
    fn word(&mut self, w: u64) {
        self.h = (self.h ^ w)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }

    /// Feed bytes.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        while self.carried > 0 && !bytes.is_empty() {
            self.carry |= u64::from(bytes[0]) << (8 * self.carried);
            self.carried = (self.carried + 1) % 8;
            bytes = &bytes[1..];
            if self.carried == 0 {
                let w = self.carry;
                self.word(w);
                self.carry = 0;
            }
        }
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("chunks of 8")));
        }
        for &b in chunks.remainder() {
            self.carry |= u64::from(b) << (8 * self.carried);
            self.carried += 1;
        }
    }

    /// The digest value.
    pub fn value(&self) -> u64 {
        let mut d = *self;
        if d.carried > 0 {
            let w = d.carry;
            d.word(w);
        }
        crate::ident::mix(d.h ^ d.len)
    }
}

struct Tee<A> {
    inner: A,
    digest: DigestSink,
}

impl<A: Sink> Sink for Tee<A> {
    fn write(&mut self, entity: Entity, bytes: &[u8]) -> Result<(), GenError> {
        self.digest.write(entity, bytes)?;
        self.inner.write(entity, bytes)
    }

    fn document(
        &mut self,
        tenant_code: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<(), GenError> {
        self.inner.document(tenant_code, file_name, bytes)
    }
}

/// A sink that only digests each entity's bytes (and counts documents).
#[derive(Debug, Default)]
pub struct DigestSink {
    /// Per entity digest, in [`Entity::ALL`] order.
    pub digests: Vec<Digest>,
    /// Digest of all documents.
    pub documents: Digest,
}

impl Sink for DigestSink {
    fn write(&mut self, entity: Entity, bytes: &[u8]) -> Result<(), GenError> {
        if self.digests.is_empty() {
            self.digests = vec![Digest::default(); Entity::ALL.len()];
        }
        self.digests[entity as usize].update(bytes);
        Ok(())
    }

    fn document(
        &mut self,
        tenant_code: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<(), GenError> {
        self.documents.update(tenant_code.as_bytes());
        self.documents.update(file_name.as_bytes());
        self.documents.update(bytes);
        Ok(())
    }
}

/// Per-entity digests of the streamed output of `config` with `threads` threads.
pub fn digest_world(
    config: &GenConfig,
    format: Format,
    threads: usize,
) -> Result<Vec<u64>, GenError> {
    let mut sink = DigestSink::default();
    let opts = StreamOptions {
        format,
        threads,
        ..StreamOptions::default()
    };
    stream(config, &opts, &mut sink, &|_| {})?;
    Ok(sink.digests.iter().map(Digest::value).collect())
}

/// Write the world of `config` to `dir` (which must exist): one file per entity and `manifest.json`
/// ([`manifest`]), plus the PDFs with `documents`. Returns the summary (with the realism report when
/// `verify`).
pub fn write_world(
    config: &GenConfig,
    dir: &Path,
    opts: &StreamOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StreamSummary, GenError> {
    let dir_sink = DirSink::create(dir, opts.format)?;
    let files: Vec<String> = Entity::ALL.iter().map(|e| dir_sink.file_name(*e)).collect();
    let summary = if opts.verify {
        // Digest what is written, for check 9.
        let mut sink = Tee {
            inner: dir_sink,
            digest: DigestSink::default(),
        };
        let mut summary = stream(config, opts, &mut sink, progress)?;
        sink.inner.finish()?;
        if let Some(report) = summary.report.as_mut() {
            // Check 9: the same world with another thread count digests identically.
            let other = if opts.threads.max(1) == 1 { 2 } else { 1 };
            let written: Vec<u64> = sink.digest.digests.iter().map(Digest::value).collect();
            let again = digest_world(config, opts.format, other)?;
            report.set_determinism(if written == again {
                Ok(())
            } else {
                Err(format!(
                    "output with {} threads differs from output with {other}",
                    opts.threads
                ))
            });
        }
        summary
    } else {
        let mut sink = dir_sink;
        let summary = stream(config, opts, &mut sink, progress)?;
        sink.finish()?;
        summary
    };
    let m = manifest(config, opts, &summary, &files)?;
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&m).map_err(|e| GenError::Io {
        what: "manifest.json".into(),
        source: e.into(),
    })?;
    std::fs::write(&path, text + "\n").map_err(|source| GenError::Io {
        what: path.display().to_string(),
        source,
    })?;
    Ok(summary)
}

/// The manifest of a streamed world: generator and version, seed, run tag, reference date, tenants, format, counts
/// and files. It does not mention the thread count, which never changes the output.
pub fn manifest(
    config: &GenConfig,
    opts: &StreamOptions,
    summary: &StreamSummary,
    files: &[String],
) -> Result<serde_json::Value, GenError> {
    let plan = crate::plan::Plan::new(config)?;
    let g = geo();
    let mut counts = serde_json::Map::new();
    let mut file_map = serde_json::Map::new();
    for ((e, n), f) in summary.counts.iter().zip(files) {
        counts.insert(e.name().to_string(), (*n).into());
        file_map.insert(e.name().to_string(), f.clone().into());
    }
    Ok(serde_json::json!({
        "generator": "cloison-generators",
        "version": crate::GENERATOR_VERSION,
        "seed": config.seed,
        "run_tag": config.tag().get(),
        "reference_date": config.reference_date.to_string(),
        "cases": config.cases,
        "tenants": plan.tenants.iter().map(|t| g.departements[t.dept].code).collect::<Vec<_>>(),
        "format": opts.format.extension(),
        "real_birth_communes": config.real_birth_communes,
        "documents": if opts.documents { Some(summary.documents_written) } else { None },
        "counts": counts,
        "files": file_map,
    }))
}
