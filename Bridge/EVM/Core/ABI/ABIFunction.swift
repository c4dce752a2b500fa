import Primitives

/// A contract function: its name and parameter types give the signature and the 4-byte selector
/// that starts its call data.
public struct ABIFunction: Hashable, Sendable {
    /// The function's name.
    public let name: String
    /// The parameter types, in order.
    public let inputs: [ABIType]
    /// The return types, in order (not part of the signature).
    public let outputs: [ABIType]

    /// A function `name(inputs…) returns (outputs…)`.
    public init(name: String, inputs: [ABIType], outputs: [ABIType] = []) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The canonical signature, `name(type1,type2)` with no spaces: what the selector hashes.
    public var signature: String {
        name + "(" + inputs.map(\.description).joined(separator: ",") + ")"
    }

    /// The first 4 bytes of Keccak-256 of the signature.
    public var selector: [UInt8] {
        Array(Hashing.keccak256(Array(signature.utf8)).bytes.prefix(4))
    }

    /// The call data: the selector, then the arguments encoded as a tuple of `inputs`.
    /// - Throws: `ABIError` when an argument does not fit its type.
    public func encodeCall(_ arguments: [ABIValue]) throws(ABIError) -> [UInt8] {
        selector + (try ABI.encode(arguments, as: inputs))
    }

    /// The arguments of call data for this function (checks the selector first).
    /// - Throws: `ABIError` for another selector or undecodable arguments.
    public func decodeCall(_ callData: [UInt8]) throws(ABIError) -> [ABIValue] {
        guard callData.count >= 4, Array(callData.prefix(4)) == selector else {
            throw .selectorMismatch(expected: selector, actual: Array(callData.prefix(4)))
        }
        return try ABI.decode(Array(callData.dropFirst(4)), as: inputs)
    }

    /// The return values in `data` (an `eth_call` result), decoded as `outputs`.
    /// - Throws: `ABIError` for data that does not hold `outputs`.
    public func decodeOutput(_ data: [UInt8]) throws(ABIError) -> [ABIValue] {
        try ABI.decode(data, as: outputs)
    }
}
