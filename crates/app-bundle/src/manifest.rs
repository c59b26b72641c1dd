//! The manifest's protobuf messages (package `bundle`, proto3), written as prost structs so no
//! protoc is needed; field numbers as the vendor's descriptor has them.

/// What the `manifest` file holds: the body, and who signed it with what.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OpaqueManifest {
    /// 0 for an unsigned bundle; else the first 8 bytes of SHA-256 over `00 00` and the
    /// signer's public key (X9.62 uncompressed), big-endian.
    #[prost(uint64, tag = "1")]
    pub signer_id: u64,
    /// A serialized `AppBody`: what is signed.
    #[prost(bytes = "vec", tag = "2")]
    pub body: Vec<u8>,
    /// ECDSA P-256 `r ‖ s`, empty when unsigned.
    #[prost(bytes = "vec", tag = "3")]
    pub signature: Vec<u8>,
}

/// `AppManifest.AppBody`: the layers and the app's policies.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AppBody {
    #[prost(message, repeated, tag = "1")]
    pub layers: Vec<AppLayerReference>,
    #[prost(message, optional, tag = "2")]
    pub debug: Option<DebugPolicy>,
    #[prost(message, optional, tag = "3")]
    pub crash: Option<CrashPolicy>,
    #[prost(message, optional, tag = "4")]
    pub update: Option<UpdatePolicy>,
    #[prost(message, optional, tag = "5")]
    pub connectivity: Option<ConnectivityPolicy>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct DebugPolicy {
    /// Whether the app can be debugged remotely.
    #[prost(bool, tag = "1")]
    pub debuggable: bool,
    #[prost(bytes = "vec", tag = "2")]
    pub debug_auth_pubkey: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CrashPolicy {
    #[prost(uint32, tag = "1")]
    pub minimum_restart_ms: u32,
    #[prost(uint32, tag = "2")]
    pub maximum_restart_ms: u32,
    #[prost(bytes = "vec", tag = "3")]
    pub crash_report_pubkey: Vec<u8>,
    #[prost(uint32, tag = "4")]
    pub include_stack_bytes: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdatePolicy {
    #[prost(uint32, tag = "1")]
    pub maximum_politeness_time_sec: u32,
    /// The oldest Microvisor kernel the app runs on (0: any).
    #[prost(uint32, tag = "2")]
    pub minimum_kernel_version: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ConnectivityPolicy {
    #[prost(uint32, tag = "1")]
    pub connection_grace_time_sec: u32,
    #[prost(uint32, tag = "2")]
    pub minimum_check_in_time_sec: u32,
}

/// One layer: where it goes, and the hashes of its file and of the region it fills.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AppLayerReference {
    #[prost(message, optional, tag = "1")]
    pub target: Option<AppLayerRegion>,
    #[prost(uint64, tag = "2")]
    pub encrypted_with_key_id: u64,
    /// SHA-256 of the layer's file; the file is named by its lowercase hex.
    #[prost(bytes = "vec", tag = "3")]
    pub fetch_hash: Vec<u8>,
    /// SHA-256 of the whole region once the layer is written and the rest is 0xFF.
    #[prost(bytes = "vec", tag = "4")]
    pub measurement_hash: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AppLayerRegion {
    #[prost(oneof = "Region", tags = "1, 2")]
    pub region: Option<Region>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Region {
    #[prost(message, tag = "1")]
    InternalFlash(FlashRegion),
    #[prost(message, tag = "2")]
    ExternalFlash(FlashRegion),
}

#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct FlashRegion {
    #[prost(uint32, tag = "1")]
    pub start: u32,
    #[prost(uint32, tag = "2")]
    pub size: u32,
}
