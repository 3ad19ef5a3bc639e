//! The deployable artifacts: each function's `bootstrap` that `sam build` leaves in
//! `.aws-sam/build/<Name>Function/`, its architecture (from the ELF header), its size and the
//! size of the zip Lambda receives. The zip is computed, not written: one deflated entry
//! (`bootstrap`, level 6 as SAM's `zipfile` and `zip` use) plus the zip headers.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::DeflateEncoder;

/// One function's artifact.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub function: String,
    pub arch: String,
    pub bytes: u64,
    pub zip_bytes: u64,
}

/// Local file header (30) + central directory entry (46) + end of central directory (22),
/// plus the entry name twice.
fn zip_overhead(name: &str) -> u64 {
    30 + 46 + 22 + 2 * name.len() as u64
}

/// Size of a one-entry deflated zip of `data` named `name`.
pub fn zip_size(name: &str, data: &[u8]) -> std::io::Result<u64> {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::new(6));
    enc.write_all(data)?;
    let deflated = enc.finish()?;
    Ok(deflated.len() as u64 + zip_overhead(name))
}

/// The ELF machine of a binary: `arm64`, `x86_64`, or what the header says.
pub fn elf_arch(data: &[u8]) -> String {
    if data.len() < 20 || &data[..4] != b"\x7fELF" {
        return "not ELF".into();
    }
    // e_machine at offset 18, little-endian for both targets we build.
    match u16::from_le_bytes([data[18], data[19]]) {
        0xB7 => "arm64".into(),
        0x3E => "x86_64".into(),
        m => format!("ELF machine {m:#x}"),
    }
}

/// Every `*Function/bootstrap` under `build_dir`, sorted by function; empty when not built.
pub fn scan(build_dir: &Path) -> std::io::Result<Vec<Artifact>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(build_dir) else {
        return Ok(out);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bootstrap = entry.path().join("bootstrap");
        if !name.ends_with("Function") || !bootstrap.is_file() {
            continue;
        }
        let data = std::fs::read(&bootstrap)?;
        out.push(Artifact {
            function: name,
            arch: elf_arch(&data),
            bytes: data.len() as u64,
            zip_bytes: zip_size("bootstrap", &data)?,
        });
    }
    out.sort_by(|a, b| a.function.cmp(&b.function));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_size_is_deflate_plus_headers_and_arch_is_read() {
        let data = vec![b'a'; 100_000];
        let z = zip_size("bootstrap", &data).unwrap();
        assert!(z > zip_overhead("bootstrap") && z < 1_000, "{z}");
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[18] = 0xB7;
        assert_eq!(elf_arch(&elf), "arm64");
        assert_eq!(elf_arch(b"#!/bin/sh"), "not ELF");
        let own = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(
            elf_arch(&own),
            match std::env::consts::ARCH {
                "aarch64" => "arm64",
                other => other,
            }
        );
    }

    #[test]
    fn scan_finds_function_bootstraps_only() {
        let dir = std::env::temp_dir().join(format!("bench-scan-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("PostbackFunction")).unwrap();
        std::fs::create_dir_all(dir.join("Layer")).unwrap();
        std::fs::write(dir.join("PostbackFunction/bootstrap"), b"\x7fELF").unwrap();
        std::fs::write(dir.join("Layer/bootstrap"), b"x").unwrap();
        let found = scan(&dir).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].function, "PostbackFunction");
        assert_eq!(found[0].bytes, 4);
        assert!(scan(&dir.join("missing")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
