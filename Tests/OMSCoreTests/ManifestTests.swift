import Foundation
import OMSCore
import Testing

/// Manifests as people write them: a good one reads into exactly what it says; a bad one is
/// refused with every problem at once, each with its path and line.
struct ManifestTests {
    static let example = """
        manifest: 1
        name: berlin-cycling-club
        purpose: Pool our rides to map safe routes across Berlin.
        tags: [cycling, berlin, safety]
        governance:
          roles: [admin, member]
          decisions:
            manifest: {by: quorum, quorum: 0.5, threshold: 0.66, period: 7d}
            roles: {by: admin}
            apps: {by: majority, period: 3d}
            admission: {by: admin}
            suspension: {by: majority, period: 2d}
        joining: {mode: approval}
        consent:
          - {stream: gps, answers: [distance, visited], min-count: 5, epsilon: 0.5, budget: 5}
        access:
          - {who: members, streams: [gps], answers: [distance]}
          - {who: "role:admin", streams: [gps], answers: [visited]}
        departure: {export: true, retain: 30d}
        apps: [route-map]
        """

    @Test func theExampleReadsIntoWhatItSays() throws {
        let manifest = try Manifest(yaml: Self.example)
        #expect(manifest.name == "berlin-cycling-club" && manifest.tags == ["cycling", "berlin", "safety"])
        #expect(manifest.governance.roles == ["admin", "member"])
        #expect(manifest.governance.decisions[.manifest] == .quorum(quorum: 0.5, threshold: 0.66, periodSeconds: 7 * 86_400))
        #expect(manifest.governance.decisions[.apps] == .majority(periodSeconds: 3 * 86_400))
        #expect(manifest.governance.decisions[.roles] == .admin)
        #expect(manifest.joining == .approval)
        #expect(manifest.consent == [.init(stream: "gps", answers: ["distance", "visited"], minimumCount: 5, epsilon: 0.5, budget: 5)])
        #expect(manifest.access.map(\.who) == ["members", "role:admin"])
        #expect(manifest.departure == .init(export: true, retainSeconds: 30 * 86_400))
        #expect(manifest.apps == ["route-map"])
        #expect(Manifest.lint(Self.example).isEmpty)
    }

    @Test func theHashIsOfTheExactBytes() {
        let a = Manifest.hash(Array(Self.example.utf8))
        let b = Manifest.hash(Array((Self.example + "\n").utf8))
        #expect(a.count == 32 && a != b, "one more byte is another manifest")
    }

    @Test func everyProblemIsReportedWithItsPathAndLine() {
        let bad = """
            manifest: 2
            name: Berlin Cycling
            tags: [ok, "not ok"]
            governance:
              roles: [admin, member]
              decisions:
                manifest: {by: quorum, quorum: 0, threshold: 0.4, period: 7d}
                roles: {by: admin, period: 3d}
                apps: {by: vote}
                admission: {by: majority}
            joining: {mode: secret}
            consent:
              - {stream: gps, answers: [distance, raw, median], budget: 5}
            access:
              - {who: "role:treasurer", streams: [gps], answers: [distance]}
            departure: {export: maybe, retain: forever}
            colour: blue
            """
        let problems = Manifest.lint(bad)
        let found = Dictionary(problems.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for (path, line, words) in [
            ("manifest", 1, "manifest: 1"),
            ("name", 2, "not a name"),
            ("purpose", nil, "missing"),
            ("tags[1]", 3, "not a name"),
            ("governance.decisions.manifest.quorum", 7, "fraction above 0"),
            ("governance.decisions.manifest.threshold", 7, "above 0.5"),
            ("governance.decisions.roles.period", 8, "admin decides alone"),
            ("governance.decisions.apps.by", 9, "admin, majority or quorum"),
            ("governance.decisions.admission.period", nil, "missing"),
            ("governance.decisions.suspension", nil, "missing"),
            ("joining.mode", 11, "open, approval, invitation or claim"),
            ("consent[0].answers[2]", 13, "not an answer module"),
            ("consent[0].answers", 13, "raw records"),
            ("consent[0].budget", 13, "needs an epsilon"),
            ("access[0].who", 15, "no role 'treasurer'"),
            ("departure.export", 16, "true or false"),
            ("departure.retain", 16, "duration"),
            ("colour", 17, "unknown key"),
        ] as [(String, Int?, String)] {
            guard let problem = found[path] else {
                Issue.record("no problem reported at \(path); got \(problems.map(\.path))")
                continue
            }
            #expect(problem.message.contains(words), "\(problem)")
            if let line { #expect(problem.line == line, "\(problem)") }
        }
        #expect(throws: ManifestError.self) { try Manifest(yaml: bad) }
    }

    @Test(arguments: ["", "{{{", "- a list\n- not a mapping", String(repeating: "x", count: Manifest.maximumBytes + 1)])
    func whatIsNotAManifestIsRefusedPlainly(_ text: String) {
        let problems = Manifest.lint(text)
        #expect(!problems.isEmpty)
    }

    @Test func aliasesCannotBlowUpTheReader() {
        // A "billion laughs" document: refused (an alias is not a value here), quickly.
        var text = "manifest: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let problems = Manifest.lint(text)
        #expect(problems.contains { $0.path == "a11" && $0.message.contains("unknown key") })
    }
}
