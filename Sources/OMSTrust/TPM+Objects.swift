import CTSS2
import OMSCrypto

/// An object the TPM made under its storage key, in the form the TPM lets it out: the public
/// area, and the private part encrypted under the storage key, so that it loads into this TPM
/// and no other. A copied disk holding it holds nothing usable.
public struct TPMObject: Sendable, Hashable {
    public var publicArea: TPMPublicArea
    /// The `TPM2B_PRIVATE`'s contents.
    public var privateBlob: [UInt8]

    public init(publicArea: TPMPublicArea, privateBlob: [UInt8]) {
        self.publicArea = publicArea
        self.privateBlob = privateBlob
    }
}

extension TPM {
    /// The node's attestation key: made from the endorsement hierarchy's seed with a fixed
    /// template, so it is the same key on every start of this TPM and nothing is stored.
    public func attestationKey() throws(TrustError) -> TPMPublicArea {
        try withPrimary(TPMTemplate.attestationKey, hierarchy: OMS_ESYS_TR_RH_ENDORSEMENT) { _, area throws(TrustError) in area }
    }

    /// A quote of the SHA-256 PCRs `pcrs` over `qualifyingData` (at most 64 bytes), signed by the
    /// attestation key.
    public func quote(_ pcrs: PCRSelection, qualifyingData: [UInt8]) throws(TrustError) -> SignedAttestation {
        var data = try TPMMarshalling.data(qualifyingData)
        var selection = try TPMMarshalling.selection(pcrs)
        var scheme = TPMT_SIG_SCHEME()
        scheme.scheme = OMS_TPM2_ALG_NULL
        return try withPrimary(TPMTemplate.attestationKey, hierarchy: OMS_ESYS_TR_RH_ENDORSEMENT) { key, _ throws(TrustError) in
            var quoted: UnsafeMutablePointer<TPM2B_ATTEST>?
            var signature: UnsafeMutablePointer<TPMT_SIGNATURE>?
            try check(
                Esys_Quote(context, key, OMS_ESYS_TR_PASSWORD, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &data, &scheme, &selection, &quoted, &signature),
                "Quote")
            defer {
                Esys_Free(quoted)
                Esys_Free(signature)
            }
            return try Self.signed(quoted, signature)
        }
    }

    /// A fresh P-256 decryption key inside the TPM, for one migration: its private part never
    /// leaves the TPM in the clear.
    public func createTransferKey() throws(TrustError) -> TPMObject {
        try create(TPMTemplate.transferKey, secret: [])
    }

    /// The attestation key's certification, over `qualifyingData`, that `object` is loaded in
    /// this TPM.
    public func certify(_ object: TPMObject, qualifyingData: [UInt8]) throws(TrustError) -> SignedAttestation {
        var data = try TPMMarshalling.data(qualifyingData)
        var scheme = TPMT_SIG_SCHEME()
        scheme.scheme = OMS_TPM2_ALG_NULL
        return try withLoaded(object) { handle, _ throws(TrustError) in
            try withPrimary(TPMTemplate.attestationKey, hierarchy: OMS_ESYS_TR_RH_ENDORSEMENT) { key, _ throws(TrustError) in
                var certified: UnsafeMutablePointer<TPM2B_ATTEST>?
                var signature: UnsafeMutablePointer<TPMT_SIGNATURE>?
                try check(
                    Esys_Certify(context, handle, key, OMS_ESYS_TR_PASSWORD, OMS_ESYS_TR_PASSWORD, OMS_ESYS_TR_NONE, &data, &scheme, &certified, &signature),
                    "Certify")
                defer {
                    Esys_Free(certified)
                    Esys_Free(signature)
                }
                return try Self.signed(certified, signature)
            }
        }
    }

    /// ECDH inside the TPM: the x coordinate of `key`'s private scalar times the point
    /// (`x`, `y`), which is what the other side's own ECDH gives.
    public func sharedSecret(_ key: TPMObject, withPoint x: [UInt8], _ y: [UInt8]) throws(TrustError) -> SecureBytes {
        var point = try TPMMarshalling.point(x: x, y: y)
        return try withLoaded(key) { handle, parent throws(TrustError) in
            // The shared secret comes back encrypted: it is the key to the TCF in transit.
            let session = try encryptedSession(salt: parent, type: OMS_TPM2_SE_HMAC)
            defer { Esys_FlushContext(context, session) }
            var shared: UnsafeMutablePointer<TPM2B_ECC_POINT>?
            try check(Esys_ECDH_ZGen(context, handle, session, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &point, &shared), "ECDH_ZGen")
            defer { Esys_Free(shared) }
            guard let shared else { throw TrustError(.tpm, "ECDH_ZGen answered no point") }
            let bytes = try TPMMarshalling.contents(shared.pointee, Tss2_MU_TPM2B_ECC_POINT_Marshal, "a shared point")
            var reader = TPMReader(bytes)
            return SecureBytes(copying: TPMPublicArea.padded(try reader.sized("the shared point's x", maximum: 32)))
        }
    }

    // MARK: Inside

    /// Creates `template` under the storage key, with `secret` as its sensitive data (for a
    /// sealed object), and returns it as the TPM lets it out.
    func create(_ template: [UInt8], secret: [UInt8]) throws(TrustError) -> TPMObject {
        var sensitive = try TPMMarshalling.sensitive(secret)
        var publicArea = try TPMMarshalling.publicArea(template)
        var outside = TPM2B_DATA()
        var creationPCRs = TPML_PCR_SELECTION()
        return try withPrimary(TPMTemplate.storageKey, hierarchy: OMS_ESYS_TR_RH_OWNER) { parent, _ throws(TrustError) in
            // The sensitive data (a secret to seal) goes in encrypted.
            let session = try encryptedSession(salt: parent, type: OMS_TPM2_SE_HMAC)
            defer { Esys_FlushContext(context, session) }
            var outPrivate: UnsafeMutablePointer<TPM2B_PRIVATE>?
            var outPublic: UnsafeMutablePointer<TPM2B_PUBLIC>?
            var creationData: UnsafeMutablePointer<TPM2B_CREATION_DATA>?
            var creationHash: UnsafeMutablePointer<TPM2B_DIGEST>?
            var ticket: UnsafeMutablePointer<TPMT_TK_CREATION>?
            try check(
                Esys_Create(
                    context, parent, session, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &sensitive, &publicArea, &outside, &creationPCRs,
                    &outPrivate, &outPublic, &creationData, &creationHash, &ticket),
                "Create")
            defer {
                Esys_Free(outPrivate)
                Esys_Free(outPublic)
                Esys_Free(creationData)
                Esys_Free(creationHash)
                Esys_Free(ticket)
            }
            guard let outPrivate, let outPublic else { throw TrustError(.tpm, "Create answered no object") }
            return TPMObject(
                publicArea: try Self.area(outPublic.pointee),
                privateBlob: try TPMMarshalling.contents(outPrivate.pointee, Tss2_MU_TPM2B_PRIVATE_Marshal, "a private blob"))
        }
    }

    /// Runs `body` with `object` loaded under the storage key (both handles given), and flushes
    /// both after.
    func withLoaded<T>(_ object: TPMObject, _ body: (ESYS_TR, ESYS_TR) throws(TrustError) -> T) throws(TrustError) -> T {
        var inPrivate = try TPMMarshalling.privateBlob(object.privateBlob)
        var inPublic = try TPMMarshalling.publicArea(object.publicArea.bytes)
        return try withPrimary(TPMTemplate.storageKey, hierarchy: OMS_ESYS_TR_RH_OWNER) { parent, _ throws(TrustError) in
            var handle: ESYS_TR = OMS_ESYS_TR_NONE
            let loaded = Esys_Load(context, parent, OMS_ESYS_TR_PASSWORD, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &inPrivate, &inPublic, &handle)
            guard loaded == OMS_TSS2_RC_SUCCESS else {
                throw TrustError(.sealed, "this TPM will not load the object (made by another TPM, or changed): \(Self.describe(loaded))")
            }
            defer { Esys_FlushContext(context, handle) }
            return try body(handle, parent)
        }
    }

    /// A session salted with the loaded storage key `salt` (its secret is sent encrypted to that
    /// key, so nobody watching the link between node and TPM can derive the session key) that
    /// encrypts the first parameter each way with AES-128-CFB: what is sealed, unsealed or agreed
    /// never crosses the link in the clear. `type` is an HMAC session (authorizing objects with no
    /// password) or a policy session.
    func encryptedSession(salt: ESYS_TR, type: TPM2_SE) throws(TrustError) -> ESYS_TR {
        var symmetric = TPMT_SYM_DEF()
        symmetric.algorithm = OMS_TPM2_ALG_AES
        symmetric.keyBits.aes = 128
        symmetric.mode.aes = OMS_TPM2_ALG_CFB
        var session: ESYS_TR = OMS_ESYS_TR_NONE
        try check(
            Esys_StartAuthSession(
                context, salt, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, nil, type, &symmetric, OMS_TPM2_ALG_SHA256,
                &session),
            "StartAuthSession")
        let code = Esys_TRSess_SetAttributes(context, session, OMS_TPMA_SESSION_PARAMETER_ENCRYPTION, 0xFF)
        guard code == OMS_TSS2_RC_SUCCESS else {
            Esys_FlushContext(context, session)
            throw TrustError(.tpm, "TRSess_SetAttributes: \(Self.describe(code))")
        }
        return session
    }

    /// Runs `body` with the primary key of `template` under `hierarchy` loaded, and flushes it
    /// after: with no resource manager in front of the TPM, nothing may stay loaded.
    func withPrimary<T>(_ template: [UInt8], hierarchy: ESYS_TR, _ body: (ESYS_TR, TPMPublicArea) throws(TrustError) -> T) throws(TrustError) -> T {
        var sensitive = try TPMMarshalling.sensitive([])
        var publicArea = try TPMMarshalling.publicArea(template)
        var outside = TPM2B_DATA()
        var creationPCRs = TPML_PCR_SELECTION()
        var handle: ESYS_TR = OMS_ESYS_TR_NONE
        var outPublic: UnsafeMutablePointer<TPM2B_PUBLIC>?
        var creationData: UnsafeMutablePointer<TPM2B_CREATION_DATA>?
        var creationHash: UnsafeMutablePointer<TPM2B_DIGEST>?
        var ticket: UnsafeMutablePointer<TPMT_TK_CREATION>?
        try check(
            Esys_CreatePrimary(
                context, hierarchy, OMS_ESYS_TR_PASSWORD, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &sensitive, &publicArea, &outside, &creationPCRs,
                &handle, &outPublic, &creationData, &creationHash, &ticket),
            "CreatePrimary")
        defer {
            Esys_FlushContext(context, handle)
            Esys_Free(outPublic)
            Esys_Free(creationData)
            Esys_Free(creationHash)
            Esys_Free(ticket)
        }
        guard let outPublic else { throw TrustError(.tpm, "CreatePrimary answered no public area") }
        return try body(handle, try Self.area(outPublic.pointee))
    }

    static func area(_ value: TPM2B_PUBLIC) throws(TrustError) -> TPMPublicArea {
        try TPMPublicArea(bytes: TPMMarshalling.contents(value, Tss2_MU_TPM2B_PUBLIC_Marshal, "a public area"))
    }

    static func signed(_ attestation: UnsafeMutablePointer<TPM2B_ATTEST>?, _ signature: UnsafeMutablePointer<TPMT_SIGNATURE>?) throws(TrustError) -> SignedAttestation {
        guard let attestation, let signature else { throw TrustError(.tpm, "the TPM answered no attestation") }
        return SignedAttestation(
            attestation: try TPMMarshalling.contents(attestation.pointee, Tss2_MU_TPM2B_ATTEST_Marshal, "an attestation"),
            signature: try TPMMarshalling.marshal(signature.pointee, Tss2_MU_TPMT_SIGNATURE_Marshal, "a signature"))
    }
}
