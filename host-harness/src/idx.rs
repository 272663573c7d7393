//! The IDX file format of MNIST and Fashion-MNIST: images and labels, gzipped or raw.
//!
//! An IDX file is a 4-byte magic `00 00 08 r` (unsigned bytes, rank `r`), `r` big-endian `u32`
//! dimensions, then the data. Image files have rank 3 (`n × 28 × 28`), label files rank 1 (`n`).
//! Compression is detected from the content (the gzip magic `1f 8b`), not from the file name.
//!
//! Every defect is an [`IdxError`] naming the file: never a panic.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

/// Pixels per image (28 × 28).
pub const PIXELS: usize = 784;
/// Image side length.
pub const SIDE: usize = 28;
/// Number of classes.
pub const CLASSES: usize = 10;
/// Largest decompressed file accepted (guards against gzip bombs): 256 MiB.
pub const MAX_DECOMPRESSED: u64 = 256 << 20;

/// The one normalisation of a pixel, used by the host and the firmware alike: `p / 255`.
#[inline]
pub fn normalize(p: u8) -> f32 {
    p as f32 / 255.0
}

/// A set of labelled 28 × 28 images.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dataset {
    /// Raw pixels, row by row, 0 (background) ..= 255.
    pub pixels: Vec<[u8; PIXELS]>,
    /// Class of each image, 0..=9.
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images as normalised scalars ([`normalize`]).
    pub fn images_f32(&self) -> Vec<[f32; PIXELS]> {
        self.pixels.iter().map(image_f32).collect()
    }

    /// The first `n` samples (or all if there are fewer).
    pub fn take(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset {
            pixels: self.pixels[..n].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }
}

/// One image as normalised scalars.
pub fn image_f32(p: &[u8; PIXELS]) -> [f32; PIXELS] {
    let mut out = [0.0; PIXELS];
    image_f32_into(p, &mut out);
    out
}

/// [`normalize`] of every byte value, computed at compile time (the same correctly rounded
/// division, so the same bits).
const NORMALIZED: [f32; 256] = {
    let mut t = [0.0f32; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i as f32 / 255.0;
        i += 1;
    }
    t
};

/// [`image_f32`] written into `out`: one table lookup per pixel instead of a division (a
/// training loop converts a batch of shuffled images before every step; with a division per
/// pixel and a copy of each image that was about a sixth of a 784-100-10 batch-100 epoch on one
/// thread, `perf`).
pub fn image_f32_into(p: &[u8; PIXELS], out: &mut [f32; PIXELS]) {
    for (o, &p) in out.iter_mut().zip(p) {
        *o = NORMALIZED[usize::from(p)];
    }
}

/// Which half of the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// 60 000 training images (`train-*`).
    Train,
    /// 10 000 test images (`t10k-*`).
    Test,
}

impl Split {
    /// File name stems of the images and labels of this split.
    pub fn stems(self) -> (&'static str, &'static str) {
        match self {
            Split::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
            Split::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
        })
    }
}

/// Why an IDX file could not be read. Each variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdxError {
    /// Neither `<stem>` nor `<stem>.gz` exists in the directory.
    #[error("{}: no file {stem} or {stem}.gz (set --data or STACKNN_DATA)", dir.display())]
    NotFound {
        /// The data directory searched.
        dir: PathBuf,
        /// The file name searched for.
        stem: String,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file starts like gzip but does not decompress.
    #[error("{}: gzip error: {source}", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// The decompressed file is larger than [`MAX_DECOMPRESSED`].
    #[error("{}: decompresses to more than {MAX_DECOMPRESSED} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The first four bytes are not an IDX magic for unsigned bytes (`00 00 08 r`).
    #[error("{}: not an IDX file of unsigned bytes (magic {found:02x?})", path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The bytes found (fewer than four if the file is shorter).
        found: Vec<u8>,
    },
    /// The rank (number of dimensions) is not the expected one.
    #[error("{}: rank {found}, expected {expected} ({what})", path.display())]
    WrongRank {
        /// The file.
        path: PathBuf,
        /// Expected rank.
        expected: u8,
        /// Rank in the file.
        found: u8,
        /// "images" or "labels".
        what: &'static str,
    },
    /// Images are not 28 × 28.
    #[error("{}: images are {rows}×{cols}, expected 28×28", path.display())]
    WrongImageSize {
        /// The file.
        path: PathBuf,
        /// Rows per image.
        rows: u32,
        /// Columns per image.
        cols: u32,
    },
    /// The file is shorter than its header says.
    #[error("{}: truncated: header needs {expected} bytes, file has {found}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header implies.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The file is longer than its header says.
    #[error("{}: over-long: header needs {expected} bytes, file has {found}", path.display())]
    TooLong {
        /// The file.
        path: PathBuf,
        /// Bytes the header implies.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A label is not a digit class 0..=9.
    #[error("{}: label {label} at index {index} is not in 0..=9", path.display())]
    BadLabel {
        /// The file.
        path: PathBuf,
        /// Index of the first bad label.
        index: usize,
        /// Its value.
        label: u8,
    },
    /// The image and label files hold different numbers of items.
    #[error(
        "{} holds {images} images but {} holds {labels} labels",
        images_path.display(),
        labels_path.display()
    )]
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// Its count.
        images: u32,
        /// The label file.
        labels_path: PathBuf,
        /// Its count.
        labels: u32,
    },
}

/// The data directory: `flag` (`--data`), else `$STACKNN_DATA`, else `<workspace>/data/mnist`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("STACKNN_DATA").map(PathBuf::from))
        .unwrap_or_else(default_data_dir)
}

/// `<workspace>/data/mnist`, found from this crate's source location at build time.
pub fn default_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .join("data")
        .join("mnist")
}

/// Finds `<stem>` or `<stem>.gz` in `dir` (the raw file first).
pub fn find(dir: &Path, stem: &str) -> Result<PathBuf, IdxError> {
    [stem.to_string(), format!("{stem}.gz")]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| IdxError::NotFound {
            dir: dir.to_path_buf(),
            stem: stem.to_string(),
        })
}

/// Loads one split of a data set from `dir` (files `train-images-idx3-ubyte[.gz]` and so on).
pub fn load(dir: &Path, split: Split) -> Result<Dataset, IdxError> {
    let (img_stem, lbl_stem) = split.stems();
    let img_path = find(dir, img_stem)?;
    let lbl_path = find(dir, lbl_stem)?;
    let img = read_file(&img_path)?;
    let lbl = read_file(&lbl_path)?;
    let pixels = parse_images(&img, &img_path)?;
    let labels = parse_labels(&lbl, &lbl_path)?;
    if pixels.len() != labels.len() {
        return Err(IdxError::CountMismatch {
            images_path: img_path,
            images: pixels.len() as u32,
            labels_path: lbl_path,
            labels: labels.len() as u32,
        });
    }
    Ok(Dataset { pixels, labels })
}

/// Reads a file and decompresses it if its content is gzip.
pub fn read_file(path: &Path) -> Result<Vec<u8>, IdxError> {
    let bytes = std::fs::read(path).map_err(|source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decompress(bytes, path)
}

/// Returns `bytes` decompressed if they start with the gzip magic `1f 8b`, else unchanged.
/// `path` is only used in errors.
pub fn decompress(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>, IdxError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(&bytes[..])
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|source| IdxError::Gzip {
            path: path.to_path_buf(),
            source,
        })?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(IdxError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// Parses the header of an uncompressed IDX file of rank `rank`: returns the dimensions and the
/// data bytes (whose length is checked by [`check_len`]).
fn header<'a>(
    bytes: &'a [u8],
    rank: u8,
    what: &'static str,
    path: &Path,
) -> Result<(Vec<u32>, &'a [u8]), IdxError> {
    let magic = bytes.get(..4).unwrap_or(bytes);
    if magic.len() < 4 || magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 {
        return Err(IdxError::BadMagic {
            path: path.to_path_buf(),
            found: magic.to_vec(),
        });
    }
    if magic[3] != rank {
        return Err(IdxError::WrongRank {
            path: path.to_path_buf(),
            expected: rank,
            found: magic[3],
            what,
        });
    }
    let head_len = 4 + 4 * rank as usize;
    let Some(dims_bytes) = bytes.get(4..head_len) else {
        return Err(IdxError::Truncated {
            path: path.to_path_buf(),
            expected: head_len as u64,
            found: bytes.len() as u64,
        });
    };
    let dims: Vec<u32> = dims_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((dims, &bytes[head_len..]))
}

/// Checks that `data` holds exactly the product of `dims` bytes.
fn check_len(dims: &[u32], data: &[u8], path: &Path) -> Result<(), IdxError> {
    let head_len = 4 + 4 * dims.len() as u64;
    // u128: three u32 dimensions cannot overflow it.
    let need = dims.iter().map(|&d| d as u128).product::<u128>();
    let expected = u64::try_from(need).map_or(u64::MAX, |n| n.saturating_add(head_len));
    let found = head_len + data.len() as u64;
    if found < expected {
        return Err(IdxError::Truncated {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    if found > expected {
        return Err(IdxError::TooLong {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    Ok(())
}

/// Parses an uncompressed IDX image file (rank 3, `n × 28 × 28`).
pub fn parse_images(bytes: &[u8], path: &Path) -> Result<Vec<[u8; PIXELS]>, IdxError> {
    let (dims, data) = header(bytes, 3, "images", path)?;
    if dims[1] as usize != SIDE || dims[2] as usize != SIDE {
        return Err(IdxError::WrongImageSize {
            path: path.to_path_buf(),
            rows: dims[1],
            cols: dims[2],
        });
    }
    check_len(&dims, data, path)?;
    Ok(data
        .chunks_exact(PIXELS)
        .map(|c| {
            let mut a = [0u8; PIXELS];
            a.copy_from_slice(c);
            a
        })
        .collect())
}

/// Parses an uncompressed IDX label file (rank 1), each label in 0..=9.
pub fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>, IdxError> {
    let (dims, data) = header(bytes, 1, "labels", path)?;
    check_len(&dims, data, path)?;
    if let Some((index, &label)) = data
        .iter()
        .enumerate()
        .find(|(_, &l)| l as usize >= CLASSES)
    {
        return Err(IdxError::BadLabel {
            path: path.to_path_buf(),
            index,
            label,
        });
    }
    Ok(data.to_vec())
}

/// Encodes images as an uncompressed IDX file (for tests and fixtures).
pub fn encode_images(pixels: &[[u8; PIXELS]]) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 3];
    for d in [pixels.len() as u32, SIDE as u32, SIDE as u32] {
        out.extend_from_slice(&d.to_be_bytes());
    }
    for p in pixels {
        out.extend_from_slice(p);
    }
    out
}

/// Encodes labels as an uncompressed IDX file (for tests and fixtures).
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 1];
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_table_is_the_division() {
        for p in 0..=255u8 {
            assert_eq!(
                NORMALIZED[usize::from(p)].to_bits(),
                normalize(p).to_bits(),
                "{p}"
            );
        }
        let mut img = [0u8; PIXELS];
        for (k, v) in img.iter_mut().enumerate() {
            *v = (k * 37 % 256) as u8;
        }
        let mut out = [1.0f32; PIXELS];
        image_f32_into(&img, &mut out);
        assert!(out
            .iter()
            .zip(&img)
            .all(|(&o, &p)| o == f32::from(p) / 255.0));
    }

    fn p() -> &'static Path {
        Path::new("x-idx")
    }

    fn gz(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn sample() -> (Vec<[u8; PIXELS]>, Vec<u8>) {
        let mut a = [0u8; PIXELS];
        a[0] = 255;
        a[783] = 7;
        let b = [128u8; PIXELS];
        (vec![a, b, a], vec![3, 9, 0])
    }

    #[test]
    fn round_trip_raw_and_gzip_by_content() {
        let (px, lb) = sample();
        let dir = tempfile::tempdir().unwrap();
        // Images gzipped under the raw name (content decides), labels raw under the .gz name.
        std::fs::write(
            dir.path().join("t10k-images-idx3-ubyte"),
            gz(&encode_images(&px)),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("t10k-labels-idx1-ubyte.gz"),
            encode_labels(&lb),
        )
        .unwrap();
        let d = load(dir.path(), Split::Test).unwrap();
        assert_eq!(d.pixels, px);
        assert_eq!(d.labels, lb);
        assert_eq!(d.len(), 3);
        let f = d.images_f32();
        assert_eq!(f[0][0], 1.0);
        assert_eq!(f[0][783], 7.0 / 255.0);
        assert_eq!(f[1][5], 128.0 / 255.0);
        // The train split is missing.
        assert!(matches!(
            load(dir.path(), Split::Train),
            Err(IdxError::NotFound { .. })
        ));
    }

    #[test]
    fn each_defect_is_its_own_error() {
        let (px, lb) = sample();
        let img = encode_images(&px);
        let lbl = encode_labels(&lb);
        let mut bad = img.clone();
        bad[2] = 9;
        assert!(matches!(
            parse_images(&bad, p()),
            Err(IdxError::BadMagic { .. })
        ));
        assert!(matches!(
            parse_images(&lbl, p()),
            Err(IdxError::WrongRank {
                expected: 3,
                found: 1,
                ..
            })
        ));
        assert!(matches!(
            parse_labels(&img, p()),
            Err(IdxError::WrongRank { .. })
        ));
        assert!(matches!(
            parse_images(&img[..img.len() - 1], p()),
            Err(IdxError::Truncated { .. })
        ));
        assert!(matches!(
            parse_images(&img[..10], p()),
            Err(IdxError::Truncated { .. })
        ));
        let mut long = lbl.clone();
        long.push(1);
        assert!(matches!(
            parse_labels(&long, p()),
            Err(IdxError::TooLong { .. })
        ));
        let mut l10 = lbl.clone();
        l10[9] = 10;
        let e = parse_labels(&l10, p()).unwrap_err();
        assert!(matches!(
            e,
            IdxError::BadLabel {
                index: 1,
                label: 10,
                ..
            }
        ));
        assert_eq!(e.to_string(), "x-idx: label 10 at index 1 is not in 0..=9");
        let mut side = img.clone();
        side[11] = 27;
        assert!(matches!(
            parse_images(&side, p()),
            Err(IdxError::WrongImageSize { rows: 27, .. })
        ));
        let mut g = gz(&img);
        let n = g.len();
        g.truncate(n - 12);
        assert!(matches!(decompress(g, p()), Err(IdxError::Gzip { .. })));
        // Counts that disagree.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("train-images-idx3-ubyte"), &img).unwrap();
        std::fs::write(
            dir.path().join("train-labels-idx1-ubyte"),
            encode_labels(&lb[..2]),
        )
        .unwrap();
        let e = load(dir.path(), Split::Train).unwrap_err();
        assert!(matches!(
            e,
            IdxError::CountMismatch {
                images: 3,
                labels: 2,
                ..
            }
        ));
        assert!(e.to_string().contains("train-labels-idx1-ubyte"));
    }

    #[test]
    fn data_dir_precedence() {
        assert_eq!(data_dir(Some(PathBuf::from("/a/b"))), PathBuf::from("/a/b"));
        assert!(default_data_dir().ends_with("data/mnist"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = parse_images(&bytes, p());
            let _ = parse_labels(&bytes, p());
            let _ = decompress(bytes.clone(), p()).map(|b| parse_labels(&b, p()));
            // Valid magics with arbitrary dimensions (huge counts must not allocate or panic).
            let mut img = vec![0, 0, 8, 3];
            img.extend_from_slice(&bytes);
            let _ = parse_images(&img, p());
            let mut lbl = vec![0, 0, 8, 1];
            lbl.extend_from_slice(&bytes);
            let _ = parse_labels(&lbl, p());
        }

        #[test]
        fn truncations_of_valid_files_are_errors(cut in 0usize..(16 + 3 * PIXELS), gzipped: bool) {
            let (px, lb) = sample();
            let img = encode_images(&px);
            let lbl = encode_labels(&lb);
            let (img_t, lbl_t) = (&img[..cut.min(img.len() - 1)], &lbl[..cut.min(lbl.len() - 1)]);
            if gzipped {
                let gi = gz(&img);
                let g = gi[..cut.min(gi.len() - 1)].to_vec();
                let r = decompress(g, p()).and_then(|b| parse_images(&b, p()).map(|_| ()));
                proptest::prop_assert!(r.is_err());
            }
            proptest::prop_assert!(parse_images(img_t, p()).is_err());
            proptest::prop_assert!(parse_labels(lbl_t, p()).is_err());
        }
    }
}
