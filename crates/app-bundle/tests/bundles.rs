//! Bundles written and read back (a property over images and policies), one made by the
//! vendor's rules without this crate, and every way a bundle is refused.

use std::io::{Cursor, Write};

use app_bundle::keys::{SigningKey, build_signed, signer_id, verify};
use app_bundle::manifest::{AppBody, OpaqueManifest};
use app_bundle::{
    BuildOptions, BundleError, Limits, Signer, USER_FLASH_BYTES, Warning, build, hex, read, sha256,
};
use proptest::prelude::*;
use prost::Message;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a valid scalar")
}

/// A ZIP of these entries, stored or deflated as asked.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, contents) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The entries of a bundle, to be changed and zipped again.
fn entries_of(bundle: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bundle)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut contents = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut contents).unwrap();
            (entry.name().to_owned(), contents)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let borrowed: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(name, contents)| (name.as_str(), contents.as_slice()))
        .collect();
    zip_of(&borrowed)
}

fn image() -> Vec<u8> {
    (0..20_000u32).map(|i| (i % 253) as u8).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_bundle_reads_back_as_it_was_written(
        image in proptest::collection::vec(any::<u8>(), 1..40_000),
        debuggable in any::<bool>(),
        kernel in 0u32..1000,
        grace in 0u32..100_000,
        check_in in 0u32..100_000,
        restart in (0u32..10_000, 0u32..1_000_000),
    ) {
        let options = BuildOptions {
            debuggable,
            minimum_kernel_version: kernel,
            maximum_politeness_time_sec: 5,
            connection_grace_time_sec: grace,
            minimum_check_in_time_sec: check_in,
            minimum_restart_ms: restart.0,
            maximum_restart_ms: restart.1,
        };
        let bytes = build(&image, &options).unwrap();
        let bundle = read(&bytes, Limits::default()).unwrap();
        let manifest = &bundle.manifest;
        prop_assert_eq!(&manifest.hash, &format!("sha256:{}", hex(&sha256(&manifest.bytes))));
        prop_assert_eq!(manifest.signer, Signer::Unsigned);
        prop_assert_eq!(manifest.debuggable(), debuggable);
        prop_assert_eq!(manifest.minimum_kernel_version(), kernel);
        prop_assert_eq!(manifest.connectivity(), (grace, check_in));
        prop_assert_eq!(manifest.crash_restart_ms(), restart);
        prop_assert_eq!(bundle.layers.len(), 1);
        let layer = &bundle.layers[0];
        prop_assert_eq!(&layer.file, &hex(&sha256(&image)));
        prop_assert_eq!(layer.size, image.len() as u64);
        prop_assert_eq!(layer.region, (false, 0, USER_FLASH_BYTES));
        prop_assert!(layer.measurement_matches);
        prop_assert!(bundle.unreferenced.is_empty());
        prop_assert_eq!(manifest.warnings().contains(&Warning::Debuggable), debuggable);
        prop_assert!(manifest.warnings().contains(&Warning::Unsigned));
    }

    #[test]
    fn any_bytes_are_read_or_refused_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2_000)) {
        let _ = read(&bytes, Limits::default());
    }
}

#[test]
fn a_bundle_made_by_the_vendor_rules_reads_with_the_same_hash_and_fields() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let bytes = std::fs::read(dir.join("vendor-bundle.zip")).unwrap();
    let facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("vendor-bundle.json")).unwrap())
            .unwrap();
    let bundle = read(&bytes, Limits::default()).unwrap();
    let manifest = &bundle.manifest;
    let number = |name: &str| facts[name].as_u64().unwrap() as u32;
    assert_eq!(manifest.hash, facts["hash"].as_str().unwrap());
    assert_eq!(manifest.signer, Signer::Unsigned);
    assert_eq!(bundle.layers[0].file, facts["layer_file"].as_str().unwrap());
    assert_eq!(bundle.layers[0].size, facts["layer_size"].as_u64().unwrap());
    assert_eq!(bundle.layers[0].region, (false, 0, number("region_size")));
    assert!(bundle.layers[0].measurement_matches);
    assert_eq!(
        manifest.debuggable(),
        facts["debuggable"].as_bool().unwrap()
    );
    assert_eq!(
        manifest.minimum_kernel_version(),
        number("minimum_kernel_version")
    );
    assert_eq!(
        manifest.connectivity(),
        (
            number("connection_grace_time_sec"),
            number("minimum_check_in_time_sec")
        )
    );
    assert_eq!(
        manifest.crash_restart_ms(),
        (number("minimum_restart_ms"), number("maximum_restart_ms"))
    );
    let crash = manifest.body.crash.as_ref().unwrap();
    assert_eq!(crash.include_stack_bytes, number("include_stack_bytes"));
    let update = manifest.body.update.as_ref().unwrap();
    assert_eq!(
        update.maximum_politeness_time_sec,
        number("maximum_politeness_time_sec")
    );
    assert_eq!(
        manifest.warnings(),
        vec![
            Warning::Unsigned,
            Warning::Debuggable,
            Warning::NeedsKernel(17)
        ]
    );
}

#[test]
fn a_signed_bundle_names_its_signer_and_its_signature_checks_only_under_that_key() {
    let (signer, other) = (key(7), key(9));
    let bytes = build_signed(&image(), &BuildOptions::default(), &signer).unwrap();
    let manifest = read(&bytes, Limits::default()).unwrap().manifest;
    assert_eq!(
        manifest.signer,
        Signer::Signed {
            signer_id: signer_id(signer.verifying_key())
        }
    );
    assert!(!manifest.warnings().contains(&Warning::Unsigned));
    verify(&manifest, signer.verifying_key()).unwrap();
    assert!(matches!(
        verify(&manifest, other.verifying_key()),
        Err(BundleError::OtherSigner { .. })
    ));
    // One bit of the body changed: the signature no longer holds.
    let mut opaque = manifest.opaque.clone();
    let mut body = AppBody::decode(opaque.body.as_slice()).unwrap();
    body.update.as_mut().unwrap().minimum_kernel_version += 1;
    opaque.body = body.encode_to_vec();
    let tampered = app_bundle::Manifest::decode(&opaque.encode_to_vec()).unwrap();
    assert!(matches!(
        verify(&tampered, signer.verifying_key()),
        Err(BundleError::BadSignature(_))
    ));
    // An unsigned bundle where a key is configured.
    let unsigned = read(
        &build(&image(), &BuildOptions::default()).unwrap(),
        Limits::default(),
    )
    .unwrap()
    .manifest;
    assert!(matches!(
        verify(&unsigned, signer.verifying_key()),
        Err(BundleError::Unsigned { .. })
    ));
}

#[test]
fn keys_are_read_from_pem() {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let signer = key(7);
    let private = signer.to_pkcs8_pem(LineEnding::LF).unwrap();
    let public = signer
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let read_back = app_bundle::keys::signing_key_from_pem(&private).unwrap();
    assert_eq!(read_back.verifying_key(), signer.verifying_key());
    let verifying = app_bundle::keys::verifying_key_from_pem(&public).unwrap();
    assert_eq!(&verifying, signer.verifying_key());
    assert!(matches!(
        app_bundle::keys::signing_key_from_pem("not a key"),
        Err(BundleError::BadKey(_))
    ));
}

#[test]
fn what_is_not_a_bundle_is_refused_with_its_reason() {
    let good = build(&image(), &BuildOptions::default()).unwrap();
    let entries = entries_of(&good);
    let layer_name = entries
        .iter()
        .find(|(name, _)| name != "manifest")
        .unwrap()
        .0
        .clone();
    let manifest = entries
        .iter()
        .find(|(name, _)| name == "manifest")
        .unwrap()
        .1
        .clone();

    assert!(matches!(
        read(b"PK\x03\x04 certainly not", Limits::default()),
        Err(BundleError::NotZip(_))
    ));
    assert!(matches!(
        read(&zip_of(&[("readme.txt", b"hello")]), Limits::default()),
        Err(BundleError::NoManifest)
    ));
    assert!(matches!(
        read(&zip_of(&[("manifest", &manifest)]), Limits::default()),
        Err(BundleError::MissingLayer { layer: 0, .. })
    ));
    let mut wrong = image();
    wrong[0] ^= 1;
    assert!(matches!(
        read(
            &zip_of(&[("manifest", &manifest), (&layer_name, &wrong)]),
            Limits::default()
        ),
        Err(BundleError::LayerHash { layer: 0, .. })
    ));
    assert!(matches!(
        read(&zip_of(&[("manifest", b"\xff\xff\xff")]), Limits::default()),
        Err(BundleError::BadManifest(_))
    ));
    let small = Limits {
        archive_bytes: good.len() as u64 - 1,
        ..Limits::default()
    };
    assert!(matches!(
        read(&good, small),
        Err(BundleError::TooLarge { .. })
    ));
    let mut escaping = entries.clone();
    escaping.push(("../x".to_owned(), b"escape".to_vec()));
    assert_eq!(
        read(&rezip(&escaping), Limits::default()),
        Err(BundleError::BadEntryName("../x".to_owned()))
    );
    let mut folder = entries.clone();
    folder.push(("a/b".to_owned(), b"nested".to_vec()));
    assert!(matches!(
        read(&rezip(&folder), Limits::default()),
        Err(BundleError::BadEntryName(_))
    ));
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    // 16 MiB of zeros deflate to a few KB, beside a real manifest.
    let zeros = vec![0u8; 16 * 1024 * 1024];
    let good = build(&image(), &BuildOptions::default()).unwrap();
    let entries = entries_of(&good);
    let manifest = &entries
        .iter()
        .find(|(name, _)| name == "manifest")
        .unwrap()
        .1;
    let bomb = zip_of(&[("manifest", manifest), ("filler", &zeros)]);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let limits = Limits {
        uncompressed_bytes: 4 * 1024 * 1024,
        ..Limits::default()
    };
    assert_eq!(
        read(&bomb, limits),
        Err(BundleError::Inflates {
            limit: 4 * 1024 * 1024
        })
    );
}

#[test]
fn a_layer_larger_than_its_region_and_an_image_too_big_are_refused() {
    let too_big = vec![1u8; USER_FLASH_BYTES as usize + 1];
    assert!(matches!(
        build(&too_big, &BuildOptions::default()),
        Err(BundleError::ImageTooBig { .. })
    ));
    assert_eq!(
        build(&[], &BuildOptions::default()),
        Err(BundleError::EmptyImage)
    );
    // A manifest that puts a 2 KB layer in a 1 KB region.
    let layer = vec![3u8; 2048];
    let good = build(&layer, &BuildOptions::default()).unwrap();
    let mut entries = entries_of(&good);
    let manifest = entries
        .iter_mut()
        .find(|(name, _)| name == "manifest")
        .unwrap();
    let mut opaque = OpaqueManifest::decode(manifest.1.as_slice()).unwrap();
    let mut body = AppBody::decode(opaque.body.as_slice()).unwrap();
    if let Some(app_bundle::manifest::Region::InternalFlash(region)) = body.layers[0]
        .target
        .as_mut()
        .and_then(|t| t.region.as_mut())
    {
        region.size = 1024;
    }
    opaque.body = body.encode_to_vec();
    manifest.1 = opaque.encode_to_vec();
    assert_eq!(
        read(&rezip(&entries), Limits::default()),
        Err(BundleError::LayerTooBig {
            layer: 0,
            size: 2048,
            region: 1024
        })
    );
}
