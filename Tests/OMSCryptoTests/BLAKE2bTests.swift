import OMSTestKit
import OMSCrypto
import Testing

@Suite struct BLAKE2bTests {
    /// RFC 7693 appendix A: BLAKE2b-512("abc").
    @Test func blake2b512OfABCMatchesRFC7693() {
        let expected = [UInt8](
            hex: "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        #expect(BLAKE2b.hash(Array("abc".utf8), outputLength: 64) == expected)
    }

    /// BLAKE2b-256 (the content-id size, and the default output length). Expected values computed
    /// independently with python3: `hashlib.blake2b(b'abc', digest_size=32).hexdigest()` and
    /// `hashlib.blake2b(b'', digest_size=32).hexdigest()`.
    @Test func blake2b256KnownAnswers() {
        #expect(
            BLAKE2b.hash(Array("abc".utf8))
                == [UInt8](hex: "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"))
        #expect(
            BLAKE2b.hash([UInt8]()) == [UInt8](hex: "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"))
    }

    /// The BLAKE2 reference KAT (`blake2b-kat.txt`): key 00 01 .. 3f, 64-byte output, for the
    /// empty input and for the one-byte input 00.
    @Test func keyedBLAKE2bMatchesReferenceKAT() {
        let key = [UInt8](0...63)
        #expect(
            BLAKE2b.hash([], outputLength: 64, key: key)
                == [UInt8](
                    hex: "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786"
                        + "b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"))
        #expect(
            BLAKE2b.hash([0x00], outputLength: 64, key: key)
                == [UInt8](
                    hex: "961f6dd1e4dd30f63901690c512e78e4b45e4742ed197c3c5e45c549fd25f2e4"
                        + "187b0bc9fe30492b16b0d0bc4ef9b0f34c7003fac09a5ef1532e69430234cebd"))
    }

    @Test(arguments: [16, 32, 64])
    func outputLengthIsHonoured(length: Int) {
        #expect(BLAKE2b.hash(Array("abc".utf8), outputLength: length).count == length)
    }

    /// Feeding the input in pieces, across and on block boundaries, gives the one-shot digest,
    /// plain and keyed.
    @Test(arguments: [0, 1, 127, 128, 129, 300])
    func incrementalHasherEqualsOneShot(split: Int) {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for (outputLength, key) in [
            (32, [UInt8]()), (64, [UInt8]()), (64, [UInt8](0...63)), (20, [UInt8](repeating: 9, count: 5)),
        ] {
            var hasher = BLAKE2b.Hasher(outputLength: outputLength, key: key)
            hasher.update(Array(data[..<split]))
            hasher.update([])
            hasher.update(Array(data[split...]))
            #expect(hasher.finalize() == BLAKE2b.hash(data, outputLength: outputLength, key: key))
        }
    }

    @Test func hasherWithNoUpdatesHashesTheEmptyInput() {
        let hasher = BLAKE2b.Hasher()
        #expect(hasher.finalize() == BLAKE2b.hash([UInt8]()))
    }
}
