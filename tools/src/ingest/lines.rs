//! Line-by-line input from a file (plain or gzip), or stdin, with line numbers.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened.
    #[error("{origin}: cannot open: {source}")]
    Open {
        /// The file.
        origin: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Reading failed part-way (a truncated gzip stream, an I/O error).
    #[error("read failed: {source}")]
    Read {
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not UTF-8 text.
    #[error("not UTF-8 text (invalid byte at offset {offset} of the line)")]
    NotUtf8 {
        /// Byte offset within the line.
        offset: usize,
    },
}

impl InputError {
    /// True when reading cannot go on after this error.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, InputError::NotUtf8 { .. })
    }
}

/// Counts bytes as they are read from the underlying input.
struct CountingReader<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.count.fetch_add(read as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(read)
    }
}

/// The UTF-8 byte-order mark some editors write at the start of a file: ignored.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// A source of lines with its origin name (for error messages) and position.
pub struct LineSource {
    origin: String,
    reader: Box<dyn BufRead + Send>,
    line_number: u64,
    buffer: Vec<u8>,
    bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    total_bytes: Option<u64>,
}

/// Opens `path` (`-` for stdin); `.gz` files are decompressed.
pub fn open_input(path: &Path) -> Result<LineSource, InputError> {
    let origin = path.display().to_string();
    let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    if origin == "-" {
        let counting = CountingReader { inner: std::io::stdin(), count: bytes_read.clone() };
        return Ok(LineSource::new("stdin".into(), Box::new(BufReader::new(counting)), bytes_read, None));
    }
    let file = File::open(path).map_err(|source| InputError::Open { origin: origin.clone(), source })?;
    let total_bytes = file.metadata().ok().map(|metadata| metadata.len());
    let counting = CountingReader { inner: file, count: bytes_read.clone() };
    let reader: Box<dyn BufRead + Send> = if origin.ends_with(".gz") {
        Box::new(BufReader::with_capacity(1 << 16, flate2::read::MultiGzDecoder::new(BufReader::new(counting))))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, counting))
    };
    Ok(LineSource::new(origin, reader, bytes_read, total_bytes))
}

impl LineSource {
    /// Wraps any reader (used for request bodies and tests).
    pub fn from_reader(origin: &str, reader: impl Read + Send + 'static) -> LineSource {
        let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counting = CountingReader { inner: reader, count: bytes_read.clone() };
        LineSource::new(origin.to_string(), Box::new(BufReader::new(counting)), bytes_read, None)
    }

    fn new(
        origin: String,
        reader: Box<dyn BufRead + Send>,
        bytes_read: std::sync::Arc<std::sync::atomic::AtomicU64>,
        total_bytes: Option<u64>,
    ) -> LineSource {
        LineSource { origin, reader, line_number: 0, buffer: Vec::with_capacity(4096), bytes_read, total_bytes }
    }

    /// The next line without its line ending (nor, on line 1, a byte-order mark), `None` at
    /// the end.
    pub fn next_line(&mut self) -> Result<Option<&str>, InputError> {
        self.buffer.clear();
        let read = self.reader.read_until(b'\n', &mut self.buffer).map_err(|source| InputError::Read { source })?;
        if read == 0 {
            return Ok(None);
        }
        self.line_number += 1;
        while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
            self.buffer.pop();
        }
        if self.line_number == 1 && self.buffer.starts_with(BYTE_ORDER_MARK) {
            self.buffer.drain(..BYTE_ORDER_MARK.len());
        }
        match std::str::from_utf8(&self.buffer) {
            Ok(text) => Ok(Some(text)),
            Err(error) => Err(InputError::NotUtf8 { offset: error.valid_up_to() }),
        }
    }

    /// The file name, or `stdin`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The 1-based number of the line last returned.
    pub fn line_number(&self) -> u64 {
        self.line_number
    }

    /// Bytes read from the underlying file so far (compressed bytes for `.gz`).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Size of the underlying file, when known.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_and_reports_bad_utf8() {
        let input: &[u8] = b"first\r\n\xff\xfe\nthird";
        let mut source = LineSource::from_reader("test", input);
        assert_eq!(source.next_line().ok().flatten(), Some("first"));
        assert!(matches!(source.next_line(), Err(InputError::NotUtf8 { offset: 0 })));
        assert_eq!(source.line_number(), 2);
        assert_eq!(source.next_line().ok().flatten(), Some("third"));
        assert_eq!(source.line_number(), 3);
        assert!(matches!(source.next_line(), Ok(None)));
    }
}
