import OMSTestKit
import OMSCrypto
import Testing

/// HMAC-BLAKE2b-512 and Noise's HKDF over it. The expected values were computed once, outside
/// this code base, with python3's standard library:
///
///     import hmac, hashlib
///     H = lambda k, d: hmac.new(k, d, hashlib.blake2b).digest()   # block 128, digest 64
///     def hkdf(ck, ikm, n):
///         t = H(ck, ikm); o1 = H(t, b'\x01'); o2 = H(t, o1 + b'\x02'); o3 = H(t, o2 + b'\x03')
///         return [o1, o2, o3][:n]
@Suite struct HMACBLAKE2bTests {
    @Test func shortKey() {
        // H(b'key', b'The quick brown fox jumps over the lazy dog')
        let mac = HMACBLAKE2b.authenticationCode(
            key: Array("key".utf8), data: Array("The quick brown fox jumps over the lazy dog".utf8))
        #expect(
            mac
                == [UInt8](
                    hex: "92294f92c0dfb9b00ec9ae8bd94d7e7d8a036b885a499f149dfe2fd2199394aa"
                        + "af6b8894a1730cccb2cd050f9bcf5062a38b51b0dab33207f8ef35ae2c9df51b"))
    }

    @Test func emptyKeyAndData() {
        // H(b'', b'')
        #expect(
            HMACBLAKE2b.authenticationCode(key: [], data: [])
                == [UInt8](
                    hex: "198cd2006f66ff83fbbd913f78aca2251caf4f19fe9475aade8cf2091b99a684"
                        + "66775177424f58286886cbae8229644cec747237d4b721735485e17372fdf59c"))
    }

    /// A key of exactly one block is used as is; one byte longer is hashed first.
    @Test func keysAtAndAboveTheBlockLength() {
        // H(bytes(range(128)), b'abc')
        #expect(
            HMACBLAKE2b.authenticationCode(key: [UInt8](0..<128), data: Array("abc".utf8))
                == [UInt8](
                    hex: "442e7244d3deea49a4a6263da650c3205f4a1bde97fd5e4dcf530a492e4f7885"
                        + "a7086f428a04f08150af3b693d3532171d371d88c23aa56cf6f1d7cdfe5b485c"))
        // H(bytes(range(129)), b'abc')
        #expect(
            HMACBLAKE2b.authenticationCode(key: [UInt8](0..<129), data: Array("abc".utf8))
                == [UInt8](
                    hex: "e57d41295899b3cf6d0fee842fcf5d31b7db3dd88484753a6fa971429fa955fa"
                        + "8cf94f722f8f0bd6f63128db546d522c6a794345c288e1fdfa562127e77eaf4a"))
    }

    @Test func noiseHKDFThreeOutputs() {
        // hkdf(bytes(range(64)), bytes(range(0x40, 0x60)), 3)
        let outputs = HMACBLAKE2b.noiseHKDF(
            chainingKey: [UInt8](0..<64), inputKeyMaterial: [UInt8](0x40..<0x60), outputs: 3)
        #expect(
            outputs == [
                [UInt8](
                    hex: "53a22334fb402fe757480b953f4ea7077e9ea2dfb7f42595792c1b41c210e73c"
                        + "dd9f42a3411540b52a39f09330f4c177b6dd94f6a9d3a0f34fd83d3f13a4ea31"),
                [UInt8](
                    hex: "2177d1f87d50dbd71ab6f92ae2cb128e9b14be6cc976b8ef3100e8bb1a505932"
                        + "4dd854b9bfcfa2abe870da9089d323469b70ae63cf4aa8236fbfb83e9eb89bcb"),
                [UInt8](
                    hex: "cfc5b85ae7d6490993566c9b3b1e04141d4505cc9db3d89617ab10e37615e81f"
                        + "e2b824d2c9f8bd080537cc33eb43bd97858950a76351f7fe0516209263ef800d"),
            ])
    }

    /// Noise's Split() calls HKDF with empty input key material and two outputs; the two outputs
    /// are also a prefix of the three-output form.
    @Test func noiseHKDFTwoOutputsWithEmptyInput() {
        // hkdf(bytes(range(64)), b'', 2)
        let chainingKey = [UInt8](0..<64)
        let two = HMACBLAKE2b.noiseHKDF(chainingKey: chainingKey, inputKeyMaterial: [], outputs: 2)
        #expect(
            two == [
                [UInt8](
                    hex: "03be0946afb62e33dcc2e8cb76dfad47663d284d81c0bde963f32a283dede221"
                        + "be2b9e3a86fa82934234d2a6ed331fb664a3e670252b9454da9ed2567b435e11"),
                [UInt8](
                    hex: "8481b385940ea1ddc1e37243d34e6a00d9e35fe86844b75be2f9d084efcbf4a9"
                        + "d18c764645baf5262707efcb490c9ddfcc81c78ff75e1e727428f05b9fee857f"),
            ])
        let three = HMACBLAKE2b.noiseHKDF(chainingKey: chainingKey, inputKeyMaterial: [], outputs: 3)
        #expect(Array(three.prefix(2)) == two)
    }
}
