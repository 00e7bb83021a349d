import Foundation
import OMSCore
import OMSCrypto
import OMSProtocol
import Synchronization

/// The relying-party side of "sign in with my TCC" for apps this node serves: one
/// `SignInVerifier` per app, and the short-lived sessions it grants. Memory is bounded: at
/// most `maximumApps` apps, `SignInVerifier`'s cap on challenges each, and at most
/// `maximumSessions` sessions (lapsed ones swept, then the oldest dropped, when full).
public final class AppSignIns: Sendable {
    public static let sessionLifetime: TimeInterval = 15 * 60
    static let maximumApps = 256
    static let challengesPerApp = 1000
    static let maximumSessions = 100_000

    public struct Session: Sendable {
        public let app: Name
        public let persona: PersonaID
        public let expires: Date
    }

    private struct State {
        var verifiers: [Name: SignInVerifier] = [:]
        /// Keyed by BLAKE2b of the token, so the table never holds a usable token.
        var sessions: [[UInt8]: Session] = [:]
    }

    private let state = Mutex(State())
    let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    var unixNow: UInt64 { UInt64(max(0, now().timeIntervalSince1970)) }

    public func challenge(app: Name) throws -> SignInChallenge {
        let audience = try Audience(app.rawValue)
        let nonce = SecureRandom.bytes(SignInChallenge.nonceLength)
        let time = unixNow
        return try state.withLock { state in
            if state.verifiers[app] == nil {
                state.verifiers = state.verifiers.filter { $0.value.outstandingCount > 0 }
                guard state.verifiers.count < Self.maximumApps else {
                    throw APIError(.serviceUnavailable, code: "busy", "too many apps are signing people in; try again shortly")
                }
            }
            var verifier = state.verifiers[app] ?? SignInVerifier(audience: audience, capacity: Self.challengesPerApp)
            let challenge = verifier.challenge(nonce: nonce, now: time)
            state.verifiers[app] = verifier
            return challenge
        }
    }

    /// Accepts a signed answer once and returns a new session with its bearer token.
    public func accept(app: Name, answer: [UInt8]) throws -> (token: String, session: Session) {
        let time = unixNow
        let token = SecureRandom.bytes(32)
        let session = try state.withLock { state throws -> Session in
            guard var verifier = state.verifiers[app] else {
                throw IdentityError(.unknownNonce, "\(app) has issued no challenge: ask for one first")
            }
            let persona = try verifier.accept(answer, now: time)
            state.verifiers[app] = verifier
            let current = now()
            // Lapsed sessions are swept only when the table is full, so a sign-in costs O(1)
            // until then; a lookup refuses a lapsed one either way.
            if state.sessions.count >= Self.maximumSessions {
                state.sessions = state.sessions.filter { $0.value.expires > current }
                if state.sessions.count >= Self.maximumSessions,
                    let oldest = state.sessions.min(by: { $0.value.expires < $1.value.expires })
                {
                    state.sessions[oldest.key] = nil
                }
            }
            let session = Session(app: app, persona: persona, expires: current.addingTimeInterval(Self.sessionLifetime))
            state.sessions[BLAKE2b.hash(token)] = session
            return session
        }
        return (token.hex, session)
    }

    /// The live session a token opens for `app`, or nil (unknown, expired or another app's).
    public func session(app: Name, token: String) -> Session? {
        guard let bytes = [UInt8](hexString: token) else { return nil }
        let current = now()
        return state.withLock { state in
            guard let session = state.sessions[BLAKE2b.hash(bytes)], session.app == app, session.expires > current else { return nil }
            return session
        }
    }
}
