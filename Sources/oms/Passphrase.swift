import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a passphrase comes from: a file (first line), an environment variable
/// (`$OMS_PASSPHRASE` for the node's key), or the terminal.
enum Passphrase {
    struct Missing: Error, CustomStringConvertible {
        let hint: String
        var description: String { hint }
    }

    static func read(file: String?, confirm: Bool, environment: String = "OMS_PASSPHRASE") throws -> String? {
        if let file {
            guard let text = try? String(contentsOfFile: (file as NSString).expandingTildeInPath, encoding: .utf8) else {
                throw Missing(hint: "cannot read the passphrase file \(file)")
            }
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
            return String(line.hasSuffix("\r") ? line.dropLast() : line)
        }
        if let env = ProcessInfo.processInfo.environment[environment] {
            // Read once; a long-running node need not carry it in its environment.
            unsetenv(environment)
            return env
        }
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        guard let first = prompt("Passphrase: ") else { return nil }
        if confirm {
            guard prompt("Again: ") == first else { throw Missing(hint: "the two passphrases differ; nothing was changed") }
        }
        return first
    }

    private static func prompt(_ text: String) -> String? {
        guard let raw = getpass(text) else { return nil }
        return String(cString: raw)
    }
}
