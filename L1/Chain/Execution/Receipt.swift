public import Primitives

/// What happened to one included transaction: success or a failure with its reason, the fee it
/// was charged, what it used and the events it emitted.
///
/// The receipt root of a block is the `MerkleTree` root over the receipts' canonical encodings,
/// in block order, so everything here, the failure message included, is consensus data.
public struct TransactionReceipt: Hashable, Sendable {
    /// The transaction's id.
    public let transactionID: TransactionID
    /// nil on success; otherwise why the messages failed (their writes were discarded).
    public let failure: TransactionFailure?
    /// AIC base units charged to the sender and burned.
    public let feeCharged: UInt64
    /// What the messages used (up to the point of failure when they failed).
    public let usage: ResourceUsage
    /// The events the messages emitted (none when they failed).
    public let events: [Event]

    /// A receipt from its parts.
    public init(
        transactionID: TransactionID,
        failure: TransactionFailure?,
        feeCharged: UInt64,
        usage: ResourceUsage,
        events: [Event]
    ) {
        self.transactionID = transactionID
        self.failure = failure
        self.feeCharged = feeCharged
        self.usage = usage
        self.events = events
    }

    /// True when every message succeeded.
    public var succeeded: Bool { failure == nil }
}

/// Why an included transaction's messages failed: a code space (a module name, or `chain` for the
/// executor's own codes), a code and a message.
public struct TransactionFailure: Hashable, Sendable, CustomStringConvertible {
    /// `chain` for failures the executor reports; otherwise the module that failed the message.
    public let codespace: String
    /// The code within the code space.
    public let code: UInt32
    /// The index of the message that failed (0 for failures not tied to one message).
    public let messageIndex: UInt32
    /// What went wrong.
    public let message: String

    /// The longest message kept, in UTF-8 bytes; longer ones are cut (deterministically).
    public static let maxMessageLength = 1024

    /// A failure from its parts; `message` is cut to `maxMessageLength` bytes.
    public init(codespace: String, code: UInt32, messageIndex: UInt32, message: String) {
        self.codespace = codespace
        self.code = code
        self.messageIndex = messageIndex
        let utf8 = message.utf8
        // Cutting may split a character; decoding repairs it the same way on every node.
        self.message =
            utf8.count <= Self.maxMessageLength
            ? message : String(decoding: Array(utf8.prefix(Self.maxMessageLength)), as: UTF8.self)
    }

    /// The executor's code space.
    public static let chainCodespace = "chain"

    /// Codes in the `chain` code space.
    public enum Code {
        /// The metered fee would have passed `maxFee − priorityFee`; the sender is charged `maxFee`.
        public static let outOfFee: UInt32 = 1
        /// No registered module handles the message's route.
        public static let unknownRoute: UInt32 = 2
        /// A module could not decode the message body.
        public static let malformedMessage: UInt32 = 3
        /// A module threw an error that is not a `ModuleError`.
        public static let unclassified: UInt32 = 4
    }

    public var description: String { "\(codespace) error \(code) in message \(messageIndex): \(message)" }
}

extension TransactionReceipt: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(transactionID)
        encoder.write(failure)
        encoder.write(feeCharged)
        encoder.write(usage.steps)
        encoder.write(usage.memory)
        encoder.write(events)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        transactionID = try decoder.read(TransactionID.self)
        failure = try decoder.readOptional(TransactionFailure.self)
        feeCharged = try decoder.read(UInt64.self)
        usage = ResourceUsage(steps: try decoder.read(UInt64.self), memory: try decoder.read(UInt64.self))
        events = try decoder.readArray(of: Event.self)
    }
}

extension TransactionFailure: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(codespace)
        encoder.write(code)
        encoder.write(messageIndex)
        encoder.write(message)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        codespace = try decoder.read(String.self, maxLength: Message.maxModuleNameLength)
        code = try decoder.read(UInt32.self)
        messageIndex = try decoder.read(UInt32.self)
        message = try decoder.read(String.self, maxLength: 4 * TransactionFailure.maxMessageLength)
    }
}
