import Foundation
import OMSCore
import OMSProtocol

/// An institution's question as a community's key node relays it to the community's members
/// (protocol-spec §15, "Institutions"): the institution, and its consent terms, which each
/// member's node adds to its own. They travel in `CommunityQuestion` fields 3 to 6, written and
/// read only here.
struct InstitutionTerms: Sendable, Equatable {
    var institution: TCCID
    var conditions: PolicyRule.Conditions

    init(institution: TCCID, conditions: PolicyRule.Conditions) {
        self.institution = institution
        self.conditions = conditions
    }

    /// The terms a frame carries, nil for a community's own question (no institution). Taken
    /// unchecked: they can only make an answer stricter; 0, or a number that is not positive
    /// and finite, sets nothing.
    init?(_ question: WireCommunityQuestion) {
        guard question.institution.count == 32 else { return nil }
        let positive = { (x: Double) -> Double? in x.isFinite && x > 0 ? x : nil }
        institution = TCCID(uncheckedBytes: Array(question.institution))
        conditions = PolicyRule.Conditions(
            minimumCount: question.minCount > 0 ? Int(question.minCount) : nil, epsilon: positive(question.epsilon),
            budget: positive(question.budget))
    }

    func write(into question: inout WireCommunityQuestion) {
        question.institution = Data(institution.bytes)
        question.minCount = UInt32(clamping: conditions.minimumCount ?? 0)
        question.epsilon = conditions.epsilon ?? 0
        question.budget = conditions.budget ?? 0
    }
}
