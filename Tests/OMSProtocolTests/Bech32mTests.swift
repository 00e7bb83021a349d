import OMSTestKit
import OMSProtocol
import Testing

/// Bech32m against the test vectors published in BIP 350 ("Test vectors for Bech32m").
struct Bech32mTests {
    /// BIP 350's valid Bech32m strings.
    static let bipValid = [
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11" + String(repeating: "l", count: 83) + "udsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    ]

    /// BIP 350's invalid Bech32m strings. BIP 350 writes the third as the byte 0x80 followed by
    /// "1vctc34"; a Swift string holds it as U+0080, which is no more a valid prefix character.
    static let bipInvalid = [
        "\u{20}1xj0phk",
        "\u{7F}1g6xzxy",
        "\u{80}1vctc34",
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "qyrz8wqd2c9m",
        "1qyrz8wqd2c9m",
        "y1b0jsk6g",
        "lt1igcx5c0",
        "in1muywd",
        "mm1crxm3i",
        "au1s5cgom",
        "M1VUXWEZ",
        "16plkw9",
        "1p2gdwpf",
    ]

    /// BIP 173's valid Bech32 strings: the old checksum constant, which Bech32m must refuse.
    static let bech32Only = [
        "A12UEL5L",
        "a12uel5l",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    ]

    /// The checksum of every valid string holds. OMS decodes to bytes, so the one vector whose
    /// 5-bit data is not a whole number of bytes (83 'l's: 415 bits) decodes only as far as the
    /// padding check, which comes after the checksum.
    @Test(arguments: bipValid)
    func validStringsPassTheChecksum(_ text: String) throws {
        do {
            let decoded = try Bech32m.decode(text)
            #expect(decoded.prefix == String(text[..<text.lastIndex(of: "1")!]).lowercased())
            #expect(Bech32m.encode(prefix: decoded.prefix, bytes: decoded.bytes) == text.lowercased())
        } catch {
            #expect(error.reason == .badPadding, "\(text): \(error)")
            #expect(text.hasPrefix("11lll"))
        }
    }

    @Test(arguments: bipInvalid)
    func invalidStringsAreRefused(_ text: String) {
        #expect(throws: Bech32m.DecodingError.self) { try Bech32m.decode(text) }
    }

    @Test(arguments: bech32Only)
    func bech32ChecksumsAreRefused(_ text: String) {
        do {
            _ = try Bech32m.decode(text)
            Issue.record("accepted a bech32 (not bech32m) checksum: \(text)")
        } catch {
            #expect(error.reason == .badChecksum)
        }
    }

    @Test func specificReasons() {
        func reason(_ text: String) -> Bech32m.DecodingError.Reason? {
            do {
                _ = try Bech32m.decode(text)
                return nil
            } catch {
                return error.reason
            }
        }
        #expect(reason("qyrz8wqd2c9m") == .noSeparator)
        #expect(reason("in1muywd") == .noSeparator)
        #expect(reason("1qyrz8wqd2c9m") == .emptyPrefix)
        #expect(reason("16plkw9") == .emptyPrefix)
        #expect(reason("y1b0jsk6g") == .invalidCharacter("b"))
        #expect(reason("lt1igcx5c0") == .invalidCharacter("i"))
        #expect(reason("au1s5cgom") == .invalidCharacter("o"))
        #expect(reason("M1VUXWEZ") == .badChecksum)
        #expect(reason("a1LQFN3A") == .mixedCase)
        #expect(reason(Self.bipInvalid[3]) == .tooLong)
        #expect(Self.bipInvalid[3].count == 91)
        #expect(Self.bipValid[4].count == 90)
    }

    @Test func knownEncodings() {
        #expect(Bech32m.encode(prefix: "a", bytes: []) == "a1lqfn3a")
        #expect(Bech32m.encode(prefix: "?", bytes: []) == "?1v759aa")
        // BIP 350's "abcdef" vector carries the 5-bit values 31, 30, ..., 0: these 20 bytes.
        let abcdef: [UInt8] = [UInt8](hex: "ffbbcdeb38bdab49ca307b9ac5a928398a418820")
        #expect(Bech32m.encode(prefix: "abcdef", bytes: abcdef) == "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx")
        let split: [UInt8] = [UInt8](hex: "c5f38b70305f519bf66d85fb6cf03058f3dde463ecd7918f2dc743918f2d")
        #expect(
            Bech32m.encode(prefix: "split", bytes: split)
                == "split1checkupstagehandshakeupstreamerranterredcaperredlc445v")
    }

    @Test func encodeDecodeRoundTripsEveryLength() throws {
        var rng = SplitMix64(seed: 350)
        for count in 0...50 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Bech32m.encode(prefix: "oms", bytes: bytes)
            let decoded = try Bech32m.decode(text)
            #expect(decoded.prefix == "oms")
            #expect(decoded.bytes == bytes)
        }
    }
}
