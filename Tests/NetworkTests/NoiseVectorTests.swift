import Foundation
import Primitives
import Testing

@testable import NetworkCore
@testable import PeerNetwork

@Suite("Noise XX against published vectors")
struct NoiseVectorTests {
    @Test("every vector file in Tests/Vectors/noise replays byte for byte")
    func vectorFiles() throws {
        let files = try Vectors.jsonFiles(in: "noise")
        try #require(!files.isEmpty, "no vector files in Tests/Vectors/noise")
        var count = 0
        for file in files {
            let vectors = try NoiseVector.load(file)
            #expect(!vectors.isEmpty, "\(file.lastPathComponent) has no vectors")
            for (index, vector) in vectors.enumerated() {
                try replay(vector, context: "\(file.lastPathComponent) #\(index)")
                count += 1
            }
        }
        #expect(count >= 2)
    }

    private func replay(_ vector: NoiseVector, context: String) throws {
        // The folder holds only the suite we implement; anything else is a mistake, not a skip.
        try #require(vector.protocolName == NoiseConstants.protocolName, "\(context): \(vector.protocolName)")
        try #require(vector.messages.count >= 3, "\(context): fewer than three handshake messages")
        var initiator = try NoiseXXHandshake(
            role: .initiator, prologue: hex(vector.initPrologue), staticKey: hex(vector.initStatic),
            ephemeralKey: hex(vector.initEphemeral))
        var responder = try NoiseXXHandshake(
            role: .responder, prologue: hex(vector.respPrologue), staticKey: hex(vector.respStatic),
            ephemeralKey: hex(vector.respEphemeral))

        for (index, message) in vector.messages.prefix(3).enumerated() {
            let payload = try hex(message.payload)
            let ciphertext: [UInt8]
            let received: [UInt8]
            if index % 2 == 0 {
                ciphertext = try initiator.writeMessage(payload: payload)
                received = try responder.readMessage(ciphertext)
            } else {
                ciphertext = try responder.writeMessage(payload: payload)
                received = try initiator.readMessage(ciphertext)
            }
            #expect(Hex.encode(ciphertext) == message.ciphertext, "\(context): handshake message \(index)")
            #expect(received == payload, "\(context): handshake payload \(index)")
        }
        #expect(initiator.isComplete && responder.isComplete, "\(context)")
        #expect(initiator.handshakeHash == responder.handshakeHash, "\(context)")
        if let expected = vector.handshakeHash {
            #expect(Hex.encode(initiator.handshakeHash) == expected, "\(context): handshake hash")
        }

        let (initiatorSend, initiatorReceive) = try initiator.split()
        let (responderSend, responderReceive) = try responder.split()
        var initiatorCipher = TransportCipher(send: initiatorSend, receive: initiatorReceive)
        var responderCipher = TransportCipher(send: responderSend, receive: responderReceive)
        for (index, message) in vector.messages.enumerated().dropFirst(3) {
            let payload = try hex(message.payload)
            let ciphertext: [UInt8]
            let received: [UInt8]
            if index % 2 == 0 {
                ciphertext = try initiatorCipher.seal(payload)
                received = try responderCipher.open(ciphertext)
            } else {
                ciphertext = try responderCipher.seal(payload)
                received = try initiatorCipher.open(ciphertext)
            }
            #expect(Hex.encode(ciphertext) == message.ciphertext, "\(context): transport message \(index)")
            #expect(received == payload, "\(context): transport payload \(index)")
        }
    }
}
