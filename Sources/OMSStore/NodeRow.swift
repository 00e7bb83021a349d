import Foundation
import GRDB
import OMSCrypto

/// The single row of the `node` table.
struct NodeRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "node"

    var network: String
    var sealed: IdentityVault.Sealed
    var createdAt: Date

    var publicKey: [UInt8] { sealed.publicKey }

    init(network: String, sealed: IdentityVault.Sealed, createdAt: Date) {
        self.network = network
        self.sealed = sealed
        self.createdAt = createdAt
    }

    init(row: Row) throws {
        network = row["network"]
        createdAt = row["created_at"]
        let protection: IdentityKeyProtection
        switch row["key_protection"] as String {
        case "passphrase-argon2id":
            let salt: Data = row["kdf_salt"]
            protection = .passphrase(
                salt: Array(salt),
                parameters: Argon2id.Parameters(opsLimit: row["kdf_ops_limit"], memLimit: row["kdf_mem_limit"]))
        case "key-file":
            protection = .keyFile
        case "tpm":
            protection = .tpm(
                TPMSealedKey(tcti: row["tpm_tcti"], publicArea: Array(row["tpm_public"] as Data), privateBlob: Array(row["tpm_private"] as Data)))
        case let other:
            throw StoreError(.corrupt, "unknown key protection '\(other)' in the node table (written by a newer oms?)")
        }
        sealed = IdentityVault.Sealed(
            publicKey: Array(row["public_key"] as Data), protection: protection,
            nonce: Array(row["key_nonce"] as Data), ciphertext: Array(row["sealed_key"] as Data))
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = 1
        container["network"] = network
        container["public_key"] = Data(sealed.publicKey)
        container["key_protection"] = sealed.protection.storedName
        if case .passphrase(let salt, let parameters) = sealed.protection {
            container["kdf_salt"] = Data(salt)
            container["kdf_ops_limit"] = Int64(parameters.opsLimit)
            container["kdf_mem_limit"] = Int64(parameters.memLimit)
        }
        if case .tpm(let sealed) = sealed.protection {
            container["tpm_tcti"] = sealed.tcti
            container["tpm_public"] = Data(sealed.publicArea)
            container["tpm_private"] = Data(sealed.privateBlob)
        }
        container["key_nonce"] = Data(sealed.nonce)
        container["sealed_key"] = Data(sealed.ciphertext)
        container["created_at"] = createdAt
    }
}
