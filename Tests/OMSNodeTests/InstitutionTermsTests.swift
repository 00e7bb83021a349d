import Foundation
import OMSCore
@testable import OMSNode
import OMSProtocol
import Testing

/// The institution's terms a relayed `CommunityQuestion` carries (protocol-spec §15,
/// "Institutions", fields 3 to 6): 0 sets nothing, and nothing a sender writes there can make
/// an answer less strict than the member's own terms.
@Suite struct InstitutionTermsTests {
    let institution = TCCID(uncheckedBytes: [UInt8](repeating: 9, count: 32))

    @Test func termsRoundTripThroughTheFrame() {
        let terms = InstitutionTerms(institution: institution, conditions: PolicyRule.Conditions(minimumCount: 2, epsilon: 0.5, budget: 4))
        var question = WireCommunityQuestion()
        terms.write(into: &question)
        #expect(InstitutionTerms(question) == terms)
        let none = InstitutionTerms(institution: institution, conditions: PolicyRule.Conditions())
        var bare = WireCommunityQuestion()
        none.write(into: &bare)
        #expect(bare.minCount == 0 && bare.epsilon == 0 && bare.budget == 0)
        #expect(InstitutionTerms(bare) == none)
    }

    @Test func aCommunitysOwnQuestionCarriesNone() {
        #expect(InstitutionTerms(WireCommunityQuestion()) == nil)
        var short = WireCommunityQuestion()
        short.institution = Data([1, 2, 3])
        #expect(InstitutionTerms(short) == nil)
    }

    /// Negative, infinite or NaN numbers set nothing rather than loosen or break the terms.
    @Test func numbersThatAreNotPositiveAndFiniteSetNothing() {
        for bad in [-1.0, 0, .infinity, -.infinity, .nan] {
            var question = WireCommunityQuestion()
            question.institution = Data(institution.bytes)
            question.epsilon = bad
            question.budget = bad
            let terms = InstitutionTerms(question)
            #expect(terms?.conditions.epsilon == nil && terms?.conditions.budget == nil, "\(bad)")
        }
        let mine = PolicyRule.Conditions(minimumCount: 5, epsilon: 0.2, budget: 1)
        let loose = PolicyRule.Conditions(minimumCount: 1, epsilon: 9, budget: 100)
        #expect(mine.stricter(with: loose) == mine)
    }
}
