import Foundation
import NIOPosix
import OMSCore
import OMSCrypto
import OMSProtocol

/// The answering side of protocol-spec §15's frames: describe to anyone, sync only to the
/// nodes of members and applicants, push from anyone (each event speaks for itself).
extension Communities {
    /// What the node calls with each community request a peer sends.
    public var handler: RequestHandler {
        { [self] frame, peer in
            if case .communityQuestion(let question)? = frame.body, held(question.community)?.state.group == .institution {
                // An institution's question: this node relays it to the community whose key it
                // holds, which takes requests of its own; the relay puts its checks, answers and
                // signature on the blocking pool itself.
                let envelope = await relay(question: Array(question.query), in: communityID(question.community), from: peer)
                var reply = WireFrame()
                reply.answer = .with { $0.envelope = Data(envelope) }
                return reply
            }
            // Serving folds, reads and writes the store, under the logs' lock: on the blocking
            // pool, like any query, never on the threads the node's async work runs on.
            let reply = try? await NIOThreadPool.singleton.runIfActive { () -> WireFrame in
                guard case .communityQuestion(let question)? = frame.body else { return self.answer(frame, from: peer) }
                let envelope = self.answer(question: Array(question.query), in: self.communityID(question.community), from: peer, via: InstitutionTerms(question))
                var frame = WireFrame()
                frame.answer = .with { $0.envelope = Data(envelope) }
                return frame
            }
            if let reply { return reply }
            let refused = SessionInstance.errorFrame(.shuttingDown, "this node is shutting down; ask again later")
            // A question is still answered by a (node-signed) refusal, as section 13 wants.
            guard case .communityQuestion(let question)? = frame.body else { return refused }
            var answer = WireFrame()
            answer.answer = .with {
                $0.envelope = Data(
                    Exchange.refusal(
                        for: ObjectID(uncheckedBytes: BLAKE2b.hash(Array(question.query), outputLength: 32)), code: .busy, rules: [],
                        reason: "the node is shutting down", signer: self.exchange.nodeIdentity, at: self.nowMs))
            }
            return answer
        }
    }

    func answer(_ frame: WireFrame, from peer: NodeID) -> WireFrame {
        switch frame.body {
        case .communityDescribe(let describe):
            guard let log = held(describe.community) else { return Self.unknown(describe.community) }
            var reply = WireFrame()
            reply.communityDescription = .with {
                $0.community = describe.community
                $0.createEvent = Data(log.create.envelope.bytes)
                $0.manifest = Data(log.state.manifest?.bytes ?? [])
                // A join names at most 16 parents: more would only make the frame larger.
                $0.heads = Self.ascending(log.heads).prefix(CommunityEvent.maximumParents).map { Data($0.bytes) }
            }
            return reply
        case .communitySync(let sync):
            guard let log = held(sync.community) else { return Self.unknown(sync.community) }
            guard log.state.mayRead(node: peer) else {
                return SessionInstance.errorFrame(
                    .notAMember, "node \(peer.short) hosts no member or applicant of \(log.community.short): join it first")
            }
            let theirs = sync.heads.prefix(4096).compactMap { $0.count == 32 ? ObjectID(uncheckedBytes: Array($0)) : nil }
            let (events, complete) = log.missing(after: theirs, limit: Self.batchEvents, byteLimit: Self.batchBytes)
            var reply = WireFrame()
            reply.communityEvents = .with {
                $0.community = sync.community
                $0.events = events.map { Data($0.envelope.bytes) }
                $0.complete = complete
            }
            return reply
        case .communityPush(let push):
            guard let log = held(push.community) else { return Self.unknown(push.community) }
            let community = log.community
            guard push.events.count <= Self.batchEvents else {
                return SessionInstance.errorFrame(.rateLimited, "at most \(Self.batchEvents) events in one push")
            }
            // A node outside the community offers one thing only: its own join, one at a time,
            // so that nobody outside can fill every replica's store.
            guard log.state.mayRead(node: peer) || push.events.count == 1 else {
                return SessionInstance.errorFrame(
                    .notAMember, "node \(peer.short) hosts no member of \(community.short): it may push its join, one event at a time")
            }
            var opened: [SignedCommunityEvent] = []
            var refused: [WireEventRefusal] = []
            for bytes in push.events {
                do {
                    opened.append(try SignedCommunityEvent.open(Array(bytes)))
                } catch {
                    refused.append(Self.refusal(ObjectID(uncheckedBytes: BLAKE2b.hash(Array(bytes), outputLength: 32)), error))
                }
            }
            if !log.state.mayRead(node: peer), let only = opened.first, case .join(_, _, let node, _) = only.event.body, node != peer {
                // An outsider's join names its own node: the one that will read the log.
                return SessionInstance.errorFrame(.notAMember, "node \(peer.short) may push only a join naming itself as the node")
            }
            var accepted = 0
            do {
                let result = try receive(opened, of: community)
                accepted = result.accepted.count
                refused += result.refused.map { Self.refusal($0.0, $0.1) }
                if !result.accepted.isEmpty {
                    // Passed on to the other members' nodes, after it is stored.
                    Task { await self.offer(result.accepted, of: community, except: peer) }
                }
                if result.refused.contains(where: { $0.1.code == .missingParents }), log.state.mayRead(node: peer) {
                    // What came before is on the sender's node: fetch it from there (section 15).
                    Task { _ = try? await self.sync(community, from: peer) }
                }
            } catch {
                // Not the error's text: it may say what the store holds.
                return SessionInstance.errorFrame(.unspecified, "the events could not be stored here; try again later")
            }
            // Refusals in the order the events were pushed.
            let pushed = Dictionary(
                push.events.enumerated().map { (Data(BLAKE2b.hash(Array($0.element), outputLength: 32)), $0.offset) }, uniquingKeysWith: { a, _ in a })
            refused.sort { pushed[$0.id, default: 0] < pushed[$1.id, default: 0] }
            var reply = WireFrame()
            reply.communityAck = .with {
                $0.community = push.community
                $0.accepted = UInt32(accepted)
                $0.refused = refused
            }
            return reply
        case .communityKeptRequest(let request):
            guard let log = held(request.community) else { return Self.unknown(request.community) }
            let member = PersonaID(uncheckedBytes: request.member.count == 32 ? Array(request.member) : [UInt8](repeating: 0, count: 32))
            guard log.state.manifest?.manifest.departure.export == true else {
                return SessionInstance.errorFrame(.notAMember, "the manifest of \(log.community.short) says a member's kept answers are not given out")
            }
            guard let record = log.state.members[member], record.node == peer else {
                return SessionInstance.errorFrame(.notAMember, "only the node of member \(member.short) may ask for what is kept of them")
            }
            guard let kept = try? host.store.contributions(log.community, member: member) else {
                return SessionInstance.errorFrame(.unspecified, "the kept answers could not be read here; try again later")
            }
            var reply = WireFrame()
            reply.communityKept = .with {
                $0.community = request.community
                $0.member = request.member
                $0.answers = kept.map { Data($0.envelope) }
            }
            return reply
        default:
            return SessionInstance.errorFrame(.unknownFrame, "not a community request")
        }
    }

    func communityID(_ bytes: Data) -> TCCID {
        TCCID(uncheckedBytes: bytes.count == 32 ? Array(bytes) : [UInt8](repeating: 0, count: 32))
    }

    func held(_ bytes: Data) -> CommunityLog? {
        guard bytes.count == 32 else { return nil }
        return logs.withLock { $0[TCCID(uncheckedBytes: Array(bytes))] }
    }

    static func unknown(_ bytes: Data) -> WireFrame {
        let name = bytes.count == 32 ? TCCID(uncheckedBytes: Array(bytes)).short : "(not a 32-byte id)"
        return SessionInstance.errorFrame(.unknownCommunity, "this node holds no community \(name)")
    }

    static func refusal(_ id: ObjectID, _ error: CommunityError) -> WireEventRefusal {
        .with {
            $0.id = Data(id.bytes)
            $0.code = error.code.name
            $0.reason = error.context.printable(limit: 200)
        }
    }

    static func ascending(_ ids: Set<ObjectID>) -> [ObjectID] { ids.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) } }
}
