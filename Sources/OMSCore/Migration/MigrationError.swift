import OMSCrypto

/// Why a migration step was refused. Each refusal ends the attempt with nothing sent (before
/// the transfer) or nothing changed (after it): the source keeps serving the TCF.
public typealias MigrationError = CodedError<MigrationErrorDomain>

public enum MigrationErrorDomain: ErrorDomain {
    public static func describe(code: String, context: String) -> String { "migration \(code): \(context)" }
}

extension CodedError.Code where Domain == MigrationErrorDomain {
    /// A message that does not read (wrong sizes, missing fields).
    public static var malformed: Self { Self("malformed") }
    /// The destination's trust is below what the owner's policy requires.
    public static var untrustedNode: Self { Self("untrustedNode") }
    /// The destination's attestation key is not one the owner's policy allows.
    public static var unknownAttestationKey: Self { Self("unknownAttestationKey") }
    /// The quote or certification is over another nonce (a replayed attestation).
    public static var wrongNonce: Self { Self("wrongNonce") }
    /// The quoted PCRs are not the values the owner's policy expects.
    public static var pcrMismatch: Self { Self("pcrMismatch") }
    /// A signature (the TPM's, or the node's over its attestation or receipt) does not verify.
    public static var badSignature: Self { Self("badSignature") }
    /// A chunk that does not open, or an archive whose digest is not the one announced.
    public static var badChunk: Self { Self("badChunk") }
    /// A step out of its order, or for a migration that is not (or no longer) under way.
    public static var outOfOrder: Self { Self("outOfOrder") }
    /// A receipt for another migration, or for one already handed over.
    public static var replayedReceipt: Self { Self("replayedReceipt") }
    /// A location record not newer than the one held.
    public static var staleLocation: Self { Self("staleLocation") }
    /// An archive or a chunk over the limits.
    public static var tooLarge: Self { Self("tooLarge") }
    /// The commit went unanswered: the destination may hold the TCF, so the source keeps it
    /// frozen and asks again rather than run it too.
    public static var unknownOutcome: Self { Self("unknownOutcome") }
    /// The destination takes no migrations (its owner did not start it with --accept-migrations).
    public static var notAccepted: Self { Self("notAccepted") }
    /// The destination refused a step, or did not answer (it went away, or timed out).
    public static var destination: Self { Self("destination") }
    /// The owner's policy cannot be met as written (no attestation key allowed).
    public static var badPolicy: Self { Self("badPolicy") }
}
