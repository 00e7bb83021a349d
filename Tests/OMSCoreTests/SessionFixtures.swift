import OMSCore
import OMSCrypto
import OMSProtocol

/// Hand-built inputs for `SessionInstance` tests: ids, frames and a session past its Hello.
enum SessionFixtures {
    static func randomNodeID() -> NodeID { NodeID(publicKey: Ed25519.PrivateKey().publicKey) }

    static func hello(agent: String = "oms-test/1", listenAddress: String = "127.0.0.1:7400") -> WireFrame {
        var frame = WireFrame()
        frame.hello = .with {
            $0.agent = agent
            $0.listenAddress = listenAddress
            $0.sentAtUnixMs = 1_700_000_000_000
        }
        return frame
    }

    static func ping(nonce: UInt64, requestID: UInt64 = 0) -> WireFrame {
        var frame = WireFrame()
        frame.requestID = requestID
        frame.ping = .with { $0.nonce = nonce }
        return frame
    }

    static func pong(nonce: UInt64) -> WireFrame {
        var frame = WireFrame()
        frame.pong = .with { $0.nonce = nonce }
        return frame
    }

    static func error(_ code: WireErrorCode) -> WireFrame {
        SessionInstance.errorFrame(code, "from the test")
    }

    /// A session whose peer's Hello arrived at `now`.
    static func established(
        peer: NodeID = randomNodeID(), settings: SessionInstance.Settings = .init(), now: ContinuousClock.Instant
    ) -> SessionInstance {
        var session = SessionInstance(peer: peer, settings: settings, now: now)
        _ = session.onFrame(hello(), now: now)
        precondition(session.isEstablished)
        return session
    }
}

extension SessionInstance.Directive {
    /// The frame of a `.send`, else nil.
    var sentFrame: WireFrame? {
        if case .send(let frame) = self { return frame }
        return nil
    }

    /// The reason and farewell of a `.close`, else nil.
    var closing: (reason: SessionInstance.CloseReason, farewell: WireFrame?)? {
        if case .close(let reason, let farewell) = self { return (reason, farewell) }
        return nil
    }
}

extension WireFrame {
    /// The code of an Error frame, else nil.
    var errorCode: WireErrorCode? {
        if case .error(let error)? = body { return error.code }
        return nil
    }
}
