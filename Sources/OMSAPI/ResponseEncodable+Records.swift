import Hummingbird
import OMSNode
import OMSStore

// What handlers return is encoded as JSON with the context's encoder.

extension TCFRecord: ResponseGenerator, ResponseEncodable {}
extension TCCRecord: ResponseGenerator, ResponseEncodable {}
extension PersonaRecord: ResponseGenerator, ResponseEncodable {}
extension PersonaLinkRecord: ResponseGenerator, ResponseEncodable {}
extension ClaimRecord: ResponseGenerator, ResponseEncodable {}
extension RelationshipRecord: ResponseGenerator, ResponseEncodable {}
extension MembershipRecord: ResponseGenerator, ResponseEncodable {}
extension PolicyRecord: ResponseGenerator, ResponseEncodable {}
extension PeerRecord: ResponseGenerator, ResponseEncodable {}
extension Registry: ResponseGenerator, ResponseEncodable {}
extension NodeStatus: ResponseGenerator, ResponseEncodable {}
extension IngestReceipt: ResponseGenerator, ResponseEncodable {}
extension DeviceRecord: ResponseGenerator, ResponseEncodable {}
extension StreamRecord: ResponseGenerator, ResponseEncodable {}

extension ChangedResponse: ResponseEncodable {}
extension SendNoteResponse: ResponseEncodable {}
extension TCFDetail: ResponseEncodable {}
extension EnvelopeBody: ResponseEncodable {}
extension Verification: ResponseEncodable {}
extension AuditEntryBody: ResponseEncodable {}
extension AuditVerificationBody: ResponseEncodable {}
extension ChallengeBody: ResponseEncodable {}
extension SignInAnswer: ResponseEncodable {}
extension SessionBody: ResponseEncodable {}
extension AddedDevice: ResponseEncodable {}
extension StreamBody: ResponseEncodable {}
extension PolicyDecisionBody: ResponseEncodable {}
