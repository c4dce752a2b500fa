import Chain
import Foundation
import Node
import Primitives
import RPC
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The L1 as operators run it: four `aether node start` processes on loopback, driven through the
/// command line and JSON-RPC, with validators killed, isolated and turned byzantine.
@Suite("Localnet of real validator processes", .serialized)
struct LocalnetTests {
    /// Fresh recipient addresses.
    static func address(_ seed: UInt8) -> String {
        Address(publicKey: try! Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32)).publicKey).description
    }

    /// Every listed validator holds the same block at every height in `heights`.
    static func expectAgreement(_ net: LocalnetHarness, on validators: [Int], heights: ClosedRange<UInt64>) {
        for height in heights {
            let ids = validators.map { net.blockID($0, height: height) }
            #expect(ids.allSatisfy { $0 != nil && $0 == ids[0] }, "height \(height): \(ids)")
        }
    }

    @Test("four validators finalize transfers and agree on every block")
    func transfers() async throws {
        let net = try LocalnetHarness(portBase: 27_000)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2)
        let recipients = (1...3).map { Self.address(UInt8($0)) }
        var hashes: [String] = []
        // One after the other through different validators: once gossip has brought a transfer to
        // the next validator, that validator's next nonce counts it.
        for (offset, recipient) in recipients.enumerated() {
            let via = offset % 2
            let hash = try net.transfer(to: recipient, amount: 1_000 + UInt64(offset), via: via)
            try await net.waitUntil("validator \(1 - via) has transfer \(offset)", seconds: 30) {
                net.transaction(1 - via, hash) != nil
            }
            hashes.append(hash)
        }
        try await net.waitUntil("every transfer is committed on every validator", seconds: 60) {
            hashes.allSatisfy { hash in (0..<4).allSatisfy { net.transaction($0, hash)?.status == "committed" } }
        }
        for (offset, recipient) in recipients.enumerated() {
            for index in 0..<4 {
                #expect(net.transaction(index, hashes[offset])?.succeeded == true)
                #expect(net.balance(index, of: recipient) == 1_000 + UInt64(offset))
            }
        }
        let top = (0..<4).compactMap { net.height($0) }.min() ?? 1
        Self.expectAgreement(net, on: [0, 1, 2, 3], heights: 1...top)
    }

    @Test("kill -9 one validator: the chain goes on; restarted, it catches up and has lost nothing")
    func killAndRestart() async throws {
        let net = try LocalnetHarness(portBase: 27_200)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2)
        let before = try net.transfer(to: Self.address(11), amount: 500)
        try await net.waitUntil("the first transfer is committed everywhere", seconds: 60) {
            (0..<4).allSatisfy { net.transaction($0, before)?.status == "committed" }
        }
        net.kill(2)
        let atKill = net.height(0) ?? 0
        // Three of four are a quorum: the chain goes on, and takes transactions.
        let during = try net.transfer(to: Self.address(12), amount: 700, via: 1)
        try await net.waitForHeight(atKill + 8, on: [0, 1, 3])
        try await net.waitUntil("the second transfer is committed on the live validators", seconds: 30) {
            [0, 1, 3].allSatisfy { net.transaction($0, during)?.status == "committed" }
        }
        try net.start(2)
        let target = (net.height(0) ?? 0) + 2
        try await net.waitForHeight(target, on: [2], seconds: 90)
        #expect(net.transaction(2, before)?.status == "committed")
        #expect(net.transaction(2, during)?.status == "committed")
        #expect(net.balance(2, of: Self.address(11)) == 500)
        #expect(net.balance(2, of: Self.address(12)) == 700)
        Self.expectAgreement(net, on: [0, 1, 2, 3], heights: 1...target)
    }

    @Test("a validator jailed for downtime while it was down is still let in by its peers, and catches up")
    func jailedValidatorCatchesUp() async throws {
        // 6-slot epochs and the localnet's downtime rule (5 missed slots in 10): validator 3 is
        // jailed within a few blocks of going down and leaves the set at the next boundary.
        let net = try LocalnetHarness(portBase: 26_800, epochSlots: 6)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2)
        let key = try #require(net.status(3)?["nodeKey"]?.stringValue)
        var params = JSONObject()
        params["validator"] = .string(key)
        net.kill(3)
        try await net.waitUntil("validator 3 is jailed in the committed state", seconds: 90) {
            net.call(0, "getStakingValidator", params)?.objectValue?["jailed"]?.boolValue == true
        }
        // Well past the epochs whose sets still named it (a node keeps the last three).
        let jailedAt = net.height(0) ?? 0
        try await net.waitForHeight(jailedAt + 30, on: [0, 1, 2], seconds: 120)
        try net.start(3)
        let target = (net.height(0) ?? 0) + 2
        try await net.waitForHeight(target, on: [3], seconds: 90)
        Self.expectAgreement(net, on: [0, 1, 2, 3], heights: 1...target)
    }

    @Test("a byzantine validator that equivocates is caught, the evidence lands, and it is slashed in state")
    func byzantineIsSlashed() async throws {
        let net = try LocalnetHarness(portBase: 27_400, byzantine: [3])
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2, on: [0, 1, 2])
        let key = try #require(net.status(3)?["nodeKey"]?.stringValue)
        var params = JSONObject()
        params["validator"] = .string(key)
        // The evidence may land before the first query, so the bond comes from the localnet plan.
        let initial = LocalnetPlan.validatorStake
        try await net.waitUntil("validator 3 is tombstoned in the committed state", seconds: 60) {
            net.call(0, "getStakingValidator", params)?.objectValue?["tombstoned"]?.boolValue == true
        }
        let record = try #require(net.call(0, "getStakingValidator", params)?.objectValue)
        #expect(record["jailed"]?.boolValue == true)
        // slash_double is 1/20 in the localnet genesis.
        #expect(record["tokens"]?.uint64Value == initial - initial / 20)
        #expect((0..<3).contains { (net.status($0)?["evidenceSubmitted"]?.uint64Value ?? 0) > 0 })
        // The honest validators go on and never disagree.
        let now = net.height(0) ?? 0
        try await net.waitForHeight(now + 4, on: [0, 1, 2])
        Self.expectAgreement(net, on: [0, 1, 2], heights: 1...(now + 4))
    }

    @Test("an isolated validator commits nothing that conflicts, and rejoins when the network heals")
    func isolation() async throws {
        let net = try LocalnetHarness(portBase: 27_600, faultSignals: true)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(3)
        net.signal(SIGUSR1, to: 1)
        try await Task.sleep(for: .milliseconds(500))
        let cut = net.height(1) ?? 0
        try await net.waitForHeight(cut + 10, on: [0, 2, 3])
        // Alone it cannot form a quorum: it has committed at most what was in flight when cut off.
        let alone = net.height(1) ?? 0
        #expect(alone <= cut + 2, "isolated validator moved from \(cut) to \(alone)")
        Self.expectAgreement(net, on: [0, 1, 2, 3], heights: 1...alone)
        net.signal(SIGUSR2, to: 1)
        let target = (net.height(0) ?? 0) + 2
        try await net.waitForHeight(target, on: [1], seconds: 90)
        Self.expectAgreement(net, on: [0, 1, 2, 3], heights: 1...target)
    }

    @Test("malformed RPC requests, transactions and P2P frames get clear errors and change nothing")
    func malformedInput() async throws {
        let net = try LocalnetHarness(portBase: 27_800)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2)
        let rpcPort = net.rpcBase
        let statusBefore = try #require(net.status(0))

        // Not JSON, not JSON-RPC, unknown method, bad params: standard codes with useful messages.
        let notJSON = try Self.post("{\"jsonrpc\":\"2.0\",", port: rpcPort)
        #expect(notJSON.contains("-32700"))
        let notRPC = try Self.post("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"getStatus\"}", port: rpcPort)
        #expect(notRPC.contains("-32600"))
        let client = try net.client(0)
        #expect(throws: RPCClientError.self) { try client.call("noSuchMethod") }
        do {
            _ = try client.call("noSuchMethod")
        } catch {
            #expect(
                error == .server(method: "noSuchMethod", code: -32601, message: "method \"noSuchMethod\" not found"))
        }
        var both = JSONObject()
        both["height"] = 1
        both["hash"] = .string(String(repeating: "0", count: 64))
        #expect(Self.code { try client.call("getBlock", both) } == -32602)

        // Transactions: garbage bytes, a bad signature, another chain, an empty account.
        let faucetless = try Ed25519.PrivateKey(seed: [UInt8](repeating: 42, count: 32))
        let chainId = try #require(statusBefore["chainId"]?.stringValue)
        func raw(_ transaction: Transaction) throws -> [UInt8] { try transaction.signed(by: faucetless).encoded }
        let transfer = Message(Bank.Transfer(to: try Address(hex: Self.address(9)), 1, .aic))
        var badSignature = try raw(
            Transaction(
                chainId: chainId, sender: faucetless.publicKey, nonce: 0, maxFee: 1_000_000, priorityFee: 0,
                messages: [transfer]))
        badSignature[badSignature.count - 1] ^= 1
        let otherChain = try raw(
            Transaction(
                chainId: "another-chain", sender: faucetless.publicKey, nonce: 0, maxFee: 1_000_000, priorityFee: 0,
                messages: [transfer]))
        let unfunded = try raw(
            Transaction(
                chainId: chainId, sender: faucetless.publicKey, nonce: 0, maxFee: 1_000_000, priorityFee: 0,
                messages: [transfer]))
        for bytes in [[1, 2, 3], badSignature, otherChain, unfunded] {
            var params = JSONObject()
            params["tx"] = .string(Hex.encode(bytes))
            #expect(Self.code { try client.call("sendRawTx", params) } == -32010)
        }
        var notHex = JSONObject()
        notHex["tx"] = "zz"
        #expect(Self.code { try client.call("sendRawTx", notHex) } == -32602)

        // P2P: a stranger sending garbage is cut off; the validator keeps its peers.
        let closed = try Self.sendGarbage(port: net.p2pBase)
        #expect(closed, "the node should close a link that sends garbage")

        try await net.waitForHeight((net.height(0) ?? 0) + 3)
        let after = try #require(net.status(0))
        #expect(after["peers"]?.uint64Value == 3)
        #expect(after["mempool"]?.uint64Value == 0)
        #expect(net.balance(0, of: Self.address(9)) == 0)
        var account = JSONObject()
        account["address"] = .string(Address(publicKey: faucetless.publicKey).description)
        #expect(net.call(0, "getAccount", account)?.objectValue?["nonce"]?.uint64Value == 0)
    }

    // MARK: - Raw sockets

    /// The JSON-RPC error code of a failing call, or nil if it did not fail that way.
    static func code(_ body: () throws -> JSONValue) -> Int? {
        do {
            _ = try body()
            return nil
        } catch let error as RPCClientError {
            if case .server(_, let code, _) = error { return code }
            return nil
        } catch {
            return nil
        }
    }

    /// POSTs `body` as is and returns the whole HTTP answer.
    static func post(_ body: String, port: Int) throws -> String {
        let request =
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        return String(decoding: try exchange(Array(request.utf8), port: port), as: UTF8.self)
    }

    /// Sends garbage where a Noise handshake should start; true when the node closes the link.
    static func sendGarbage(port: Int) throws -> Bool {
        let garbage = [UInt8](repeating: 0xAB, count: 4_096)
        let answer = try exchange(garbage, port: port, timeoutSeconds: 10)
        // The node may answer nothing or a refusal, but it must hang up (exchange returns on close).
        return answer.count < 4_096
    }

    /// Writes `bytes`, then reads until the peer closes (or the timeout passes: then throws).
    static func exchange(_ bytes: [UInt8], port: Int, timeoutSeconds: Int = 5) throws -> [UInt8] {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HarnessError("socket failed") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw HarnessError("cannot connect to port \(port)") }
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count == 0 { return answer }
            if count < 0 {
                if errno == ECONNRESET { return answer }
                throw HarnessError("port \(port) kept the connection open for \(timeoutSeconds) s")
            }
            answer += buffer[..<count]
        }
    }

    @Test("the localnet benchmark loads real validators and reports finalized transfers, latency, CPU and RSS")
    func benchmarkRuns() throws {
        let aether = try BuiltProducts.executable("aether")
        let result = try runProcess(
            aether, ["bench", "localnet", "--quick", "--json", "--p2p-port", "28400", "--rpc-port", "28500"])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try #require(try result.json()["rows"] as? [[String: Any]])
        func value(_ prefix: String) -> Double? {
            rows.first { ($0["name"] as? String)?.hasPrefix(prefix) == true }?["value"] as? Double
        }
        // The quick run offers 200 transfers/s; most of them must be finalized within the window.
        #expect((value("sustained TPS") ?? 0) > 50, "\(rows)")
        #expect((value("finality latency p50") ?? 0) > 0)
        #expect((value("validator 3 CPU") ?? 0) > 0)
        #expect((value("validator 3 peak RSS") ?? 0) > 10)
        #expect(rows.first { ($0["name"] as? String)?.hasPrefix("sustained TPS") == true }?["baselineValue"] is Double)
    }
}

extension JSONValue {
    /// The object, if this is one.
    var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }
}
