//! Keys: who a public key's signer id is, a manifest's signature checked against a key, and a
//! bundle signed with one (ECDSA P-256 over SHA-256, `r ‖ s`, as the vendor's bundler signs).

use p256::ecdsa::signature::{Signer as _, Verifier as _};
pub use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};

use crate::error::{BundleError, SIGNATURE_PREFIX};
use crate::hash::sha256;
use crate::summary::{Manifest, Signer};
use crate::write::{BuildOptions, build_signed_by};

/// The id a signature names its key by: the first 8 bytes (big-endian) of SHA-256 over `00 00`
/// and the public key in X9.62 uncompressed form.
pub fn signer_id(key: &VerifyingKey) -> u64 {
    let mut data = vec![0u8, 0u8];
    data.extend_from_slice(key.to_encoded_point(false).as_bytes());
    let hash = sha256(&data);
    u64::from_be_bytes([
        hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
    ])
}

/// A private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`).
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, BundleError> {
    SigningKey::from_pkcs8_pem(pem)
        .or_else(|_| {
            p256::SecretKey::from_sec1_pem(pem)
                .map(SigningKey::from)
                .map_err(|err| err.to_string())
        })
        .map_err(|err| BundleError::BadKey(format!("not a P-256 private key in PEM ({err})")))
}

/// A public key from PEM (`BEGIN PUBLIC KEY`), or the public half of a private key's PEM.
pub fn verifying_key_from_pem(pem: &str) -> Result<VerifyingKey, BundleError> {
    VerifyingKey::from_public_key_pem(pem)
        .or_else(|_| signing_key_from_pem(pem).map(|key| *key.verifying_key()))
        .map_err(|_| BundleError::BadKey("not a P-256 public key in PEM".to_owned()))
}

/// Checks that `manifest` is signed by `key`, over its body.
pub fn verify(manifest: &Manifest, key: &VerifyingKey) -> Result<(), BundleError> {
    let expected = signer_id(key);
    match manifest.signer {
        Signer::Unsigned => Err(BundleError::Unsigned { expected }),
        Signer::Signed { signer_id } if signer_id != expected => Err(BundleError::OtherSigner {
            found: signer_id,
            expected,
        }),
        Signer::Signed { .. } => {
            let signature = Signature::from_slice(&manifest.opaque.signature)
                .map_err(|err| BundleError::BadSignature(err.to_string()))?;
            key.verify(&signed_bytes(&manifest.opaque.body), &signature)
                .map_err(|_| {
                    BundleError::BadSignature(
                        "it does not match the manifest's body under this key".to_owned(),
                    )
                })
        }
    }
}

/// A bundle of `image`, signed with `key`.
pub fn build_signed(
    image: &[u8],
    options: &BuildOptions,
    key: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    build_signed_by(image, options, |body| {
        let signature: Signature = key.sign(&signed_bytes(body));
        (
            signer_id(key.verifying_key()),
            signature.to_bytes().to_vec(),
        )
    })
}

fn signed_bytes(body: &[u8]) -> Vec<u8> {
    let mut message = SIGNATURE_PREFIX.to_vec();
    message.extend_from_slice(body);
    message
}
