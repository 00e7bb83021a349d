import OMSCore
import OMSCrypto
import OMSProtocol
import OMSStore

/// Checks, before anything is written, that an archive's sealed keys open with its TCF key.
enum TCFArchiveCheck {
    static func keysOpen(_ rows: TCFRows, under key: SecureBytes) throws {
        for table in rows.tables where ["tcf", "tcc", "persona"].contains(table.name) {
            let idColumn = table.columns.firstIndex(of: "id")!
            let publicColumn = table.name == "tcf" ? table.columns.firstIndex(of: "owner_key")! : idColumn
            let sealedColumn = table.columns.firstIndex(of: table.name == "tcf" ? "sealed_owner" : "sealed_key")!
            for row in table.rows where row.count == table.columns.count {
                guard case .blob(let publicKey) = row[publicColumn], case .blob(let sealed) = row[sealedColumn] else {
                    throw HostingError(.badArchive, "a row of \(table.name) in the archive lacks its key")
                }
                do {
                    _ = try TCFSealing.open(Array(sealed), publicKey: Array(publicKey), tcf: rows.tcf, under: key)
                } catch {
                    throw HostingError(.badArchive, "a sealed key in the archive's \(table.name) table does not open")
                }
            }
        }
        for table in rows.tables where table.name == "data_key" {
            for row in table.rows where row.count == 2 {
                guard case .blob(let id) = row[0], case .blob(let sealed) = row[1], let tcc = try? TCCID(bytes: Array(id)),
                    (try? RecordSealing.openDataKey(Array(sealed), tcc: tcc, tcf: rows.tcf, under: key)) != nil
                else { throw HostingError(.badArchive, "a data key in the archive does not open") }
            }
        }
    }
}
