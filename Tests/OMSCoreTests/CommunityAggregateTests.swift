import OMSCore
import Testing

/// How a community (and an institution) combines its members' answers (protocol-spec §15,
/// "Community questions"): each member weighs one, only answers of the module's shape and with a
/// value count, towards k too, and below k nothing is given.
@Suite struct CommunityAggregateTests {
    @Test func eachModuleCombinesAsTheSpecSays() {
        let values: [AnswerValue] = [.number(4), .number(10), .number(1)]
        #expect(CommunityAggregate.combine("count", values, minimumMembers: 3) == .number(15))
        #expect(CommunityAggregate.combine("sum", values, minimumMembers: 1) == .number(15))
        #expect(CommunityAggregate.combine("mean", values, minimumMembers: 1) == .number(5))
        #expect(CommunityAggregate.combine("min", values, minimumMembers: 1) == .number(1))
        #expect(CommunityAggregate.combine("max", values, minimumMembers: 1) == .number(10))
        #expect(CommunityAggregate.combine("histogram", [.counts([1, 2]), .counts([3, 4])], minimumMembers: 2) == .counts([4, 6]))
        #expect(CommunityAggregate.combine("quantiles", values, minimumMembers: 1) == nil)
    }

    @Test func belowKNothingIsGiven() {
        #expect(CommunityAggregate.combine("count", [.number(4), .number(10)], minimumMembers: 3) == nil)
        #expect(CommunityAggregate.combine("count", [], minimumMembers: 0) == nil, "k is at least 1")
    }

    /// A NaN (a mean of no records) or an answer of another shape adds nothing, so it neither
    /// releases the others nor turns the aggregate into NaN, whatever order the members come in.
    @Test func answersWithoutAValueOrOfAnotherShapeDoNotCount() {
        let withNaN: [AnswerValue] = [.number(.nan), .number(6), .number(2)]
        #expect(CommunityAggregate.counted("mean", withNaN).count == 2)
        #expect(CommunityAggregate.combine("mean", withNaN, minimumMembers: 3) == nil)
        #expect(CommunityAggregate.combine("mean", withNaN, minimumMembers: 2) == .number(4))
        #expect(CommunityAggregate.combine("min", withNaN, minimumMembers: 2) == .number(2))
        #expect(CommunityAggregate.combine("min", withNaN.reversed(), minimumMembers: 2) == .number(2))
        #expect(CommunityAggregate.counted("count", [.counts([1]), .yesNo(true), .number(3)]) == [.number(3)])
        #expect(CommunityAggregate.counted("histogram", [.counts([1]), .number(3)]) == [.counts([1])])
        #expect(CommunityAggregate.combine("histogram", [.counts([1, 2]), .counts([3])], minimumMembers: 1) == nil, "different edges")
    }
}
