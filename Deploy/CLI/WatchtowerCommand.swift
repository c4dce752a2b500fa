import ArgumentParser
import Chain
import ChannelAdjudicator
import ChannelCore
import ChannelWatchtower
import Foundation
import Primitives
import RPC

/// `aether watchtower`: watches the adjudicator for its clients' channels and answers for them.
struct WatchtowerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchtower",
        abstract: "Watch clients' channels on a node and refute stale registrations, conclude and withdraw for them.",
        discussion: """
            Each file in --channels is one channel a client handed over (JSON): {"client": 0|1, "register": \
            "<hex of the canonical Register message: parameters and the latest fully signed state>", \
            "meter": {"preimage": "<hex>", "units": N}, "child": true|false} (meter optional: a provider's \
            best preimage; child: a sub- or virtual channel, registered with RegisterChild). A \
            client replaces its file when it signs a newer state. After each block the tower reads each \
            channel's record from the node (getProof of the channels module's key) and sends what the \
            record calls for: the newer state against a stale registration, meter progress, the \
            conclusion when the window closes, the client's withdrawal. It keeps O(1) state per channel \
            and trusts its node for the records (Docs/spec/channels.md, "Watchtower").
            """)
    @Option(help: "The directory of channel files.") var channels: String
    @OptionGroup var signer: TxCommand.Signer
    @Option(help: "Seconds between passes.") var interval: Double = 1
    @Flag(help: "One pass, then exit (for scripts and tests).") var once = false

    func run() throws {
        try reportingErrors(json: false) {
            repeat {
                try pass()
                if !once { Thread.sleep(forTimeInterval: interval) }
            } while !once
        }
    }

    /// Loads every channel file, reads each record, and sends what is due.
    func pass() throws {
        let client = try signer.rpc.client()
        guard case .object(let status) = try client.call("getStatus"),
            let chainID = status["chainId"]?.stringValue, let height = status["height"]?.uint64Value
        else { throw CommandFailure("the node did not report its chain id and height") }
        var tower = Watchtower(chainID: chainID)
        let names = try FileManager.default.contentsOfDirectory(atPath: channels).filter { !$0.hasPrefix(".") }.sorted()
        for name in names {
            do { try load(URL(fileURLWithPath: channels).appendingPathComponent(name).path, into: &tower) } catch {
                print("\(name): skipped: \(error)")
            }
        }
        // Child channels' records first: a disputed parent's actions include its children's.
        var children: [Hash: ChildRecord] = [:]
        for (id, watched) in tower.channels where watched.isChild {
            if let bytes = try Self.value(client, key: [0x02] + id.bytes) {
                children[id] = try Canonical.decode(ChildRecord.self, from: bytes)
            }
        }
        var handled = Set<Hash>()
        for id in tower.channels.keys.sorted() where tower.channels[id]?.isChild == false {
            let record =
                try Self.value(client, key: [0x01] + id.bytes).map {
                    try Canonical.decode(ChannelRecord.self, from: $0)
                } ?? .empty
            let actions = tower.actions(channelID: id, record: record, height: height + 1, children: children)
            try send(actions, for: id)
            for action in actions {
                switch action {
                case .registerChild(let parameters, _): handled.insert(parameters.channelID(chainID: chainID))
                case .progress(let child, _, _) where children[child] != nil: handled.insert(child)
                default: break
                }
            }
        }
        for id in children.keys.sorted() where !handled.contains(id) {
            try send(tower.childActions(channelID: id, record: children[id], height: height + 1), for: id)
        }
    }

    /// The value of the channels module's state key `key` on the node (getProof), nil when absent.
    static func value(_ client: RPCClient, key: [UInt8]) throws -> [UInt8]? {
        var params = JSONObject()
        params["key"] = .string(Hex.encode(Array("\(Adjudicator.moduleName)/".utf8) + key))
        guard case .object(let proof) = try client.call("getProof", params) else {
            throw CommandFailure("the node's getProof answer is not an object")
        }
        guard proof["exists"]?.boolValue == true, let value = proof["value"]?.stringValue else { return nil }
        return try Hex.decode(value)
    }

    /// Sends each action for channel `id` as its own transaction and says so.
    func send(_ actions: [Watchtower.Action], for id: Hash) throws {
        for action in actions {
            let message: Message
            switch action {
            case .register(let parameters, let signed):
                message = Message(Adjudicator.Register(parameters: parameters, signed: signed))
            case .registerChild(let parameters, let signed):
                message = Message(Adjudicator.RegisterChild(parameters: parameters, signed: signed))
            case .progress(let channelID, let preimage, let units):
                message = Message(Adjudicator.ProgressMeter(channelID: channelID, preimage: preimage, units: units))
            case .conclude(let channelID): message = Message(Adjudicator.Conclude(channelID: channelID))
            case .withdraw(let channelID, let participant):
                message = Message(Adjudicator.Withdraw(channelID: channelID, participant: participant))
            }
            let answer = try signer.send([message])
            print("channel \(id.hex.prefix(16)): \(Self.describe(action)) sent: \(answer)")
        }
    }

    func load(_ path: String, into tower: inout Watchtower) throws {
        let value = try JSONValue(parsing: try readInput(path))
        guard let client = value["client"]?.uint64Value, client < 2, let hex = value["register"]?.stringValue else {
            throw CommandFailure("needs \"client\" (0 or 1) and \"register\" (hex)")
        }
        let register = try Canonical.decode(Adjudicator.Register.self, from: try Hex.decode(hex))
        try tower.watch(
            parameters: register.parameters, client: Int(client), latest: register.signed,
            child: value["child"]?.boolValue ?? false)
        if let meter = value["meter"], let preimage = meter["preimage"]?.stringValue,
            let units = meter["units"]?.uint64Value
        {
            try tower.meterEvidence(
                channelID: register.parameters.channelID(chainID: tower.chainID), preimage: try Hash(hex: preimage),
                units: units)
        }
    }

    static func describe(_ action: Watchtower.Action) -> String {
        switch action {
        case .register(_, let signed): "refute with version \(signed.state.version)"
        case .registerChild(_, let signed): "register child version \(signed.state.version)"
        case .progress(_, _, let units): "meter progress of \(units) units"
        case .conclude: "conclude"
        case .withdraw(_, let participant): "withdraw for participant \(participant)"
        }
    }
}
