import CTSS2
import OMSCrypto

extension TPM {
    /// The largest secret a sealed object holds (`MAX_SYM_DATA`).
    public static let maximumSealedSize = 128

    /// Seals `secret` under this TPM's storage key. With `pcrs`, the TPM opens it again only
    /// while those PCRs hold those values (a policy of `TPM2_PolicyPCR`); without, whenever
    /// asked, but only this TPM.
    public func seal(_ secret: SecureBytes, toPCRs pcrs: [Int: [UInt8]]? = nil) throws(TrustError) -> TPMObject {
        guard (1...Self.maximumSealedSize).contains(secret.count) else {
            throw TrustError(.invalidArgument, "a secret of \(secret.count) bytes; 1 to \(Self.maximumSealedSize)")
        }
        var policy: [UInt8] = []
        if let pcrs { policy = try PCRSelection(pcrs.keys).policyDigest(values: pcrs) }
        return try create(TPMTemplate.sealedData(policy: policy), secret: secret.exposedBytes)
    }

    /// Opens what `seal` sealed. A sealed object bound to PCRs names them in `pcrs`, so the
    /// policy session can be satisfied; the TPM itself checks their values. The secret comes
    /// back encrypted under the session (salted with the storage key).
    public func unseal(_ object: TPMObject, pcrs: PCRSelection? = nil) throws(TrustError) -> SecureBytes {
        try withLoaded(object) { item, parent throws(TrustError) in
            let session: ESYS_TR
            if let pcrs {
                session = try policySession(pcrs, salt: parent)
            } else {
                session = try encryptedSession(salt: parent, type: OMS_TPM2_SE_HMAC)
            }
            defer { Esys_FlushContext(context, session) }
            var data: UnsafeMutablePointer<TPM2B_SENSITIVE_DATA>?
            let code = Esys_Unseal(context, item, session, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &data)
            defer { Esys_Free(data) }
            guard code == OMS_TSS2_RC_SUCCESS, let data else {
                throw TrustError(
                    .sealed, "the TPM will not unseal: \(pcrs == nil ? "" : "PCRs \(pcrs!.indices) no longer hold the values it was sealed to, or ")\(Self.describe(code))")
            }
            return SecureBytes(copying: try TPMMarshalling.contents(data.pointee, Tss2_MU_TPM2B_SENSITIVE_DATA_Marshal, "unsealed data"))
        }
    }

    /// A policy session, salted and encrypting, that has run `TPM2_PolicyPCR` over `pcrs` at
    /// their current values.
    private func policySession(_ pcrs: PCRSelection, salt: ESYS_TR) throws(TrustError) -> ESYS_TR {
        var selection = try TPMMarshalling.selection(pcrs)
        let session = try encryptedSession(salt: salt, type: OMS_TPM2_SE_POLICY)
        var current = TPM2B_DIGEST()
        let code = Esys_PolicyPCR(context, session, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, OMS_ESYS_TR_NONE, &current, &selection)
        guard code == OMS_TSS2_RC_SUCCESS else {
            Esys_FlushContext(context, session)
            throw TrustError(.tpm, "PolicyPCR: \(Self.describe(code))")
        }
        return session
    }
}
