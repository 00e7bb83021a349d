import Foundation
import OMSProtocol
import Testing

/// Endpoint parsing: `host:port`, `[ipv6]:port`, and refusals that say what was wrong.
struct EndpointTests {
    @Test(arguments: [
        ("127.0.0.1:7400", "127.0.0.1", 7400),
        ("10.0.0.255:0", "10.0.0.255", 0),
        ("192.0.2.1:65535", "192.0.2.1", 65_535),
        ("node-1.example.org:7400", "node-1.example.org", 7400),
        ("localhost:1", "localhost", 1),
        ("[::1]:7400", "::1", 7400),
        ("[2001:db8::1]:7401", "2001:db8::1", 7401),
        ("[fe80::1%eth0]:7400", "fe80::1%eth0", 7400),
    ])
    func valid(_ text: String, _ host: String, _ port: Int) throws {
        let endpoint = try Endpoint(parsing: text)
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.description == text)
        #expect(Endpoint(endpoint.description) == endpoint)
    }

    @Test(arguments: [
        "127.0.0.1:65536", "127.0.0.1:99999999999999999999", "127.0.0.1:-1", "127.0.0.1:abc", "127.0.0.1:",
        "127.0.0.1: 80", "127.0.0.1:+80", "127.0.0.1:0x50", "127.0.0.1:080000", "[::1]:65536", "[::1]:", "[::1]:+1",
    ])
    func badPorts(_ text: String) {
        #expect(throws: EndpointError.self) { try Endpoint(parsing: text) }
    }

    @Test(arguments: ["127.0.0.1", "localhost", "[::1]", "[::1]7400", "::1", "::1:7400", "2001:db8::1:7400"])
    func missingPort(_ text: String) {
        #expect(throws: EndpointError.self) { try Endpoint(parsing: text) }
    }

    @Test(arguments: [
        "", ":", ":7400", "[]:7400", "[::1:7400", "a b:7400", "h\u{e9}llo:7400", "host/x:7400", "host:7400:1",
        "user@host:7400", "[::1]]:7400",
    ])
    func garbage(_ text: String) {
        #expect(throws: EndpointError.self) { try Endpoint(parsing: text) }
        #expect(Endpoint(text) == nil)
    }

    @Test func errorsQuoteTheText() {
        do {
            _ = try Endpoint(parsing: "127.0.0.1:70000")
            Issue.record("accepted port 70000")
        } catch {
            #expect(error.description.contains("127.0.0.1:70000"))
            #expect(error.description.contains("65535"))
        }
    }

    @Test func memberwiseChecksTheSameLimits() throws {
        #expect(throws: EndpointError.self) { try Endpoint(host: "", port: 1) }
        #expect(throws: EndpointError.self) { try Endpoint(host: "a", port: 65_536) }
        #expect(throws: EndpointError.self) { try Endpoint(host: String(repeating: "a", count: 254), port: 1) }
        #expect(try Endpoint(host: "::1", port: 9).description == "[::1]:9")
    }

    @Test func codableAsItsText() throws {
        let endpoint = try Endpoint(parsing: "[::1]:7400")
        let json = try JSONEncoder().encode([endpoint])
        #expect(String(decoding: json, as: UTF8.self) == #"["[::1]:7400"]"#)
        #expect(try JSONDecoder().decode([Endpoint].self, from: json) == [endpoint])
    }
}
