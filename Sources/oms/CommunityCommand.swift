import ArgumentParser
import Foundation
import OMSAPI
import OMSNode
import OMSProtocol

/// `oms community` and `oms institution`: found, join, decide, propose, vote and leave. In a
/// community one of this node's TCCs acts (`--tcc`), through its persona there; an institution
/// is the same one level up, its members communities, and a community held here acts
/// (`--community`), through its key. The commands are one set, generic over the level.
protocol LogLevel {
    /// The API's collection: `communities` or `institutions`.
    static var root: String { get }
    /// `community` or `institution`, as the CLI names it.
    static var noun: String { get }
    /// The option naming who acts, and its help.
    static var actor: String { get }
    static var actorHelp: String { get }
    /// Names for the examples in help texts: a log, and who acts in it.
    static var exampleLog: String { get }
    static var exampleActor: String { get }
    /// Who answers a question, for `ask`'s help.
    static var answering: String { get }
}

enum CommunityLevel: LogLevel {
    static let root = "communities"
    static let noun = "community"
    static let actor = "tcc"
    static let actorHelp = "The TCC acting (id or name): its persona in the community signs."
    static let exampleLog = "riders"
    static let exampleActor = "alice"
    static let answering = "each consenting member's node answers under the consent and its owner's policies"
}

enum InstitutionLevel: LogLevel {
    static let root = "institutions"
    static let noun = "institution"
    static let actor = "community"
    static let actorHelp = "The member community acting (id or name): its key, held by this node, signs."
    static let exampleLog = "alliance"
    static let exampleActor = "riders"
    static let answering = "each member community's key node asks its members, under every layer's terms, and reports"
}

struct ActorOptions<Level: LogLevel>: ParsableArguments {
    @Option(name: .customLong(Level.actor), help: ArgumentHelp(Level.actorHelp)) var value: String
}

struct CommunityCommand: AsyncParsableCommand {
    typealias L = CommunityLevel
    static let configuration = CommandConfiguration(
        commandName: "community",
        abstract: "Communities: a replicated log of signed events whose manifest's rules every member's node enforces.",
        discussion: """
            A community is named by its id (tcc1…) or, once held here, its manifest's name.
            Example: oms community create riders.yaml --tcc alice; oms community join tcc1… --via node1… --tcc bob
            """,
        subcommands: [
            Create.self, List<L>.self, Show<L>.self, Members<L>.self, Join<L>.self, Decide<L>.self, Propose<L>.self, Vote<L>.self,
            Enact<L>.self, Consent<L>.self, Leave<L>.self, Sync<L>.self, Ask<L>.self, Kept.self,
        ])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Found a community from a manifest file; your TCC's new persona signs it.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The manifest (YAML; check it first with 'oms manifest lint').") var file: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let yaml = try String(contentsOfFile: file, encoding: .utf8)
            let view: CommunityView = try await dataDir.client().send(
                .POST, apiPath("communities"), json: CreateCommunityRequest(tcc: tcc.tcc, manifest: yaml))
            if json { return try printJSON(view) }
            print("founded \(view.group) \(view.name): \(view.id)")
            print("others join with: oms community join \(view.id) --via NODE_ID --tcc THEIR_TCC")
        }
    }
}

/// The commands both levels share.
extension CommunityCommand {

    struct List<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "list", abstract: "The \(L.root) this node holds a replica of.")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let all: [CommunitySummary] = try await dataDir.client().get(apiPath(L.root))
            if json { return try printJSON(all) }
            if all.isEmpty { print("no \(L.root) (found one with 'oms \(L.noun) create', or join one)") }
            for c in all {
                print("\(column(c.name, 24))\(column(c.group, 12))v\(column(String(c.version), 4))\(column("\(c.members) members", 12))\(column("\(c.events) events", 12))\(c.id)")
            }
        }
    }

    struct Show<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "show", abstract: "The \(L.noun), as this node's replica folds it: manifest, members, proposals, apps.")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String
        @Flag(help: "Print the manifest itself.") var manifest = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let view: CommunityView = try await dataDir.client().get(apiPath(L.root, community))
            if json { return try printJSON(view) }
            if manifest { return print(view.manifest) }
            print("\(view.group) \(view.name)  \(view.id)")
            print("purpose:   \(view.purpose)")
            print("manifest:  version \(view.version), hash \(view.manifestHash.prefix(16))…")
            print("state:     \(view.stateHash.prefix(16))… after \(view.events) events, \(view.heads.count) head(s)")
            print("members:   \(view.members.filter { $0.status == "active" }.count) active, \(view.applicants.count) applying")
            for p in view.proposals {
                print("proposal   \(p.id)  \(p.status)  \(p.action)  (\(p.decision); yes \(p.yes), no \(p.no) of \(p.eligible); until \(p.deadline))")
            }
            if !view.apps.isEmpty { print("apps:      \(view.apps.joined(separator: ", "))") }
            for a in view.affiliations { print("answers to \(a.institution) through key \(a.key.short) at \(a.node.short)") }
            for v in view.void { print("void       \(v.event)  \(v.code): \(v.reason)") }
        }
    }

    struct Members<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "members", abstract: "Members and applicants, with their status, roles and consent.")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let view: CommunityView = try await dataDir.client().get(apiPath(L.root, community))
            if json { return try printJSON(view.members) }
            for m in view.members {
                let consent = m.consenting ? "" : "  (has not consented to the terms in force)"
                // In an institution a member is a community: its id says which, its key signs.
                let who = L.self == InstitutionLevel.self ? "community \(m.tcc)  key \(m.persona.short)" : "\(m.persona)"
                print("\(column(m.status, 10))\(column(m.roles.joined(separator: ","), 16))\(who)  at \(m.node.short)\(consent)")
            }
            for a in view.applicants {
                let who = L.self == InstitutionLevel.self ? "community \(a.tcc)  key \(a.persona)" : "\(a.persona)"
                print("\(column("applying", 10))\(column("", 16))\(who)  at \(a.node.short)")
            }
        }
    }

    struct Join<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "join", abstract: "Join through a node that holds the \(L.noun): read its manifest, sign it (the opt-in), sync the log.")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun)'s id (tcc1…).")) var community: String
        @Option(help: "A node that holds it (its id); you need a session with it ('oms peer add').") var via: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard let node = NodeID(via) else { throw ValidationError("'\(via)' is not a node id") }
            let view: CommunityView = try await dataDir.client().send(
                .POST, apiPath(L.root, community, "join"), json: JoinCommunityRequest(tcc: actor.value, via: node))
            if json { return try printJSON(view) }
            print("joined \(view.name) (\(view.id)): \(view.members.filter { $0.status == "active" }.count) active members")
            if !view.applicants.isEmpty {
                print("\(view.applicants.count) application(s) wait for approval, as the manifest says ('oms \(L.noun) members')")
            }
        }
    }

    /// The decisions an admin takes directly, or a proposal puts to a vote.
    struct ActionOptions: ParsableArguments {
        @Argument(
            help: """
                approve|reject|suspend|reinstate|invite PERSONA, role NAME PERSONA, app NAME, manifest FILE, \
                affiliate|disaffiliate INSTITUTION (a community's, to an institution).
                """)
        var action: String
        @Argument(help: "The action's arguments.") var arguments: [String] = []
        @Option(help: "Why (reject, suspend).") var reason: String?
        @Flag(help: "Revoke the role, or remove the app, instead.") var revoke = false
        @Option(help: "affiliate: a node holding the institution, when this one does not (it describes the manifest agreed to).")
        var via: String?

        func request(tcc: String, propose: Bool) throws -> CommunityActionRequest {
            func persona(_ index: Int) throws -> PersonaID {
                guard arguments.count > index, let id = PersonaID(arguments[index]) else {
                    throw ValidationError("\(action) needs a persona id (persona1…)")
                }
                return id
            }
            var request = CommunityActionRequest(tcc: tcc, action: action, reason: reason, propose: propose)
            switch action {
            case "approve", "reject", "suspend", "reinstate", "invite": request.persona = try persona(0)
            case "role":
                guard let name = arguments.first else { throw ValidationError("role needs a name and a persona") }
                request.name = name
                request.persona = try persona(1)
                request.grant = !revoke
            case "app":
                guard let name = arguments.first else { throw ValidationError("app needs a name") }
                request.name = name
                request.grant = !revoke
            case "manifest":
                guard let file = arguments.first else { throw ValidationError("manifest needs the new manifest's file") }
                request.manifest = try String(contentsOfFile: file, encoding: .utf8)
            case "affiliate", "disaffiliate":
                guard let text = arguments.first, let institution = TCCID(text) else {
                    throw ValidationError("\(action) needs the institution's id (tcc1…)")
                }
                request.institution = institution
                if let via {
                    guard let node = NodeID(via) else { throw ValidationError("'\(via)' is not a node id") }
                    request.via = node
                }
            default:
                throw ValidationError("'\(action)' is not approve, reject, suspend, reinstate, invite, role, app, manifest, affiliate or disaffiliate")
            }
            return request
        }
    }

    struct Decide<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "decide", abstract: "Take a decision an admin takes alone under the manifest (e.g. approve an applicant).",
            discussion: "Example: oms \(L.noun) decide \(L.exampleLog) approve persona1… --\(L.actor) \(L.exampleActor)")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String
        @OptionGroup var action: ActionOptions

        func run() async throws {
            let result: CommunityEventResult = try await dataDir.client().send(
                .POST, apiPath(L.root, community, "actions"), json: try action.request(tcc: actor.value, propose: false))
            print("\(result.kind): event \(result.event); state \(result.stateHash.prefix(16))…")
        }
    }

    struct Propose<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "propose", abstract: "Put a decision to a vote, under the manifest's rule for its kind.",
            discussion: "Example: oms \(L.noun) propose \(L.exampleLog) app route-map --\(L.actor) \(L.exampleActor)")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String
        @OptionGroup var action: ActionOptions

        func run() async throws {
            let result: CommunityEventResult = try await dataDir.client().send(
                .POST, apiPath(L.root, community, "actions"), json: try action.request(tcc: actor.value, propose: true))
            print("proposal \(result.event)")
            print("members vote with: oms \(L.noun) vote \(community) \(result.event) yes|no --\(L.actor) THEIRS")
        }
    }

    struct Vote<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "vote", abstract: "Vote on an open proposal.")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String
        @Argument(help: "The proposal (its event id, obj1…).") var proposal: String
        @Argument(help: "yes or no.") var choice: String

        func run() async throws {
            guard choice == "yes" || choice == "no" else { throw ValidationError("vote yes or no") }
            let result: CommunityEventResult = try await dataDir.client().send(
                .POST, apiPath(L.root, community, "proposals", proposal, "votes"), json: VoteRequest(tcc: actor.value, yes: choice == "yes"))
            print("voted \(choice): event \(result.event)")
        }
    }

    struct Enact<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "enact", abstract: "Close a vote (after its deadline, or once every eligible member has voted); a passed proposal takes effect.")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String
        @Argument(help: "The proposal (its event id, obj1…).") var proposal: String

        func run() async throws {
            let client = try dataDir.client()
            let _: CommunityEventResult = try await client.send(
                .POST, apiPath(L.root, community, "proposals", proposal, "enact"), json: CommunityMemberRequest(tcc: actor.value))
            let view: CommunityView = try await client.get(apiPath(L.root, community))
            let closed = view.proposals.first { $0.id.description == proposal }
            print("proposal \(closed?.status ?? "closed"): yes \(closed?.yes ?? 0), no \(closed?.no ?? 0) of \(closed?.eligible ?? 0)")
        }
    }

    struct Consent<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "consent", abstract: "Sign the consent terms of the manifest in force (after they changed).")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String

        func run() async throws {
            let result: CommunityEventResult = try await dataDir.client().send(
                .POST, apiPath(L.root, community, "consent"), json: CommunityMemberRequest(tcc: actor.value))
            print("consented: event \(result.event)")
        }
    }

    struct Leave<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "leave", abstract: "Leave the \(L.noun): your node stops answering for it.")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String

        func run() async throws {
            let result: CommunityEventResult = try await dataDir.client().send(
                .POST, apiPath(L.root, community, "leave"), json: CommunityMemberRequest(tcc: actor.value))
            print("left: event \(result.event)")
        }
    }

    struct Sync<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "sync", abstract: "Sync the log now from every connected member's node (it also happens every few seconds).")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String

        func run() async throws {
            let result: CommunitySyncResult = try await dataDir.client().send(.POST, apiPath(L.root, community, "sync"), json: [String: String]())
            print("received \(result.received) event(s); state \(result.stateHash.prefix(16))…")
            for failure in result.failed { print("  not synced from \(failure)") }
        }
    }
}

extension CommunityCommand {
    struct Ask<L: LogLevel>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "ask", abstract: "Ask the \(L.noun): \(L.answering).",
            discussion: "Modules: count sum mean min max histogram. Example: oms \(L.noun) ask \(L.exampleLog) count --stream steps --\(L.actor) \(L.exampleActor)")
        }
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: ArgumentHelp("The \(L.noun) (id or name).")) var community: String
        @Argument(help: "The answer module.") var module: String
        @Option(help: "The stream asked about.") var stream: String
        @Option(help: "Start of the time window (ISO 8601).") var from: String?
        @Option(help: "End of the time window (ISO 8601).") var to: String?
        @Option(help: "A histogram's edges, comma-separated.") var numbers: String?
        @Option(help: "Why you ask.") var purpose: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let edges = try numberList(numbers)
            let result: CommunityAskResult = try await dataDir.client().send(
                .POST, apiPath(L.root, community, "asks"),
                json: CommunityAskRequest(
                    tcc: actor.value, module: module, stream: stream, from: try isoDate(from), to: try isoDate(to), numbers: edges, purpose: purpose))
            if json { return try printJSON(result) }
            if let number = result.number {
                print("answer: \(number)  (\(result.answered) of \(result.asked) \(L.self == InstitutionLevel.self ? "member communities" : "members") answered; k = \(result.minimumMembers))")
            } else if let counts = result.counts {
                print("answer: \(counts.map { String($0) }.joined(separator: ", "))  (\(result.answered) of \(result.asked) answered)")
            } else {
                print("withheld: \(result.withheld ?? "no aggregate")")
            }
            for reply in result.replies {
                let value = reply.number.map { " \($0)" } ?? reply.counts.map { " \($0)" } ?? ""
                // A member community's report says how many of its own members it asked.
                let members = reply.membersAsked.map { " (\(reply.membersAnswered ?? 0) of \($0) of its members answered)" } ?? ""
                let who = L.self == InstitutionLevel.self ? "community \(reply.tcc.short)" : "\(reply.member.short)"
                print("  \(column(reply.outcome, 16))\(who) at \(reply.node.short)\(value)\(members)\(reply.reason.map { "  (\($0.prefix(100)))" } ?? "")")
            }
            if !result.notConsenting.isEmpty { print("  not asked (not consenting to the terms in force): \(result.notConsenting.count)") }
            if !result.suspended.isEmpty { print("  not asked (suspended): \(result.suspended.count)") }
        }
    }
}

extension CommunityCommand {
    struct Kept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch what other members' nodes keep of your answers (when the manifest's departure says export: true).",
            discussion: "Each is your TCC's own signed answer; written as JSON lines with --out.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The community (id or name).") var community: String
        @Option(help: "Write the answers here, a JSON line each ({\"node\", \"answer\": base64}).") var out: String?

        func run() async throws {
            let result: CommunityKeptResult = try await dataDir.client().send(
                .POST, apiPath("communities", community, "kept"), json: CommunityMemberRequest(tcc: tcc.tcc))
            for node in result.nodes { print("\(node.node.short): \(node.answers.count) answer(s) kept") }
            for failure in result.failed { print("not asked: \(failure)") }
            if let out {
                var lines = ""
                for node in result.nodes {
                    for answer in node.answers { lines += "{\"node\":\"\(node.node)\",\"answer\":\"\(answer.base64EncodedString())\"}\n" }
                }
                try lines.write(toFile: out, atomically: true, encoding: .utf8)
            }
        }
    }
}

/// `oms institution`: the community commands one level up, and founding one.
struct InstitutionCommand: AsyncParsableCommand {
    typealias L = InstitutionLevel
    static let configuration = CommandConfiguration(
        commandName: "institution",
        abstract: "Institutions: communities of communities, each member community speaking through its key.",
        discussion: """
            A community joins an institution after its own proposal to affiliate passes; its key (held by the node that \
            proposed it) then signs the join, and the institution's questions reach the community's members under the \
            institution's terms, the community's and each owner's policies.
            Example: oms community propose riders affiliate tcc1… --via node1… --tcc alice; (vote, enact); \
            oms institution join tcc1… --via node1… --community riders
            """,
        subcommands: [
            Create.self, CommunityCommand.List<L>.self, CommunityCommand.Show<L>.self, CommunityCommand.Members<L>.self,
            CommunityCommand.Join<L>.self, CommunityCommand.Decide<L>.self, CommunityCommand.Propose<L>.self, CommunityCommand.Vote<L>.self,
            CommunityCommand.Enact<L>.self, CommunityCommand.Consent<L>.self, CommunityCommand.Leave<L>.self, CommunityCommand.Sync<L>.self,
            CommunityCommand.Ask<L>.self,
        ])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Found an institution from a manifest file, with a community held here as its first member; the community's key signs it.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var actor: ActorOptions<L>
        @Argument(help: "The manifest (YAML; check it first with 'oms manifest lint').") var file: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let yaml = try String(contentsOfFile: file, encoding: .utf8)
            let view: CommunityView = try await dataDir.client().send(
                .POST, apiPath(L.root), json: CreateCommunityRequest(tcc: actor.value, manifest: yaml))
            if json { return try printJSON(view) }
            print("founded institution \(view.name): \(view.id)")
            print("the community answers for it once it agrees: oms community propose \(actor.value) affiliate \(view.id) --tcc YOUR_TCC")
        }
    }
}
