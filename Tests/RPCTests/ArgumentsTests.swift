import Primitives
import RPC
import Testing

@Suite("Typed params")
struct ArgumentsTests {
    private let names = ["height", "hash", "full"]

    @Test("positional and named params resolve to the same values; null counts as absent")
    func resolution() throws {
        let hash = Hash.zero.hex
        let positional = try RPCArguments(
            method: "getBlock", names: names, params: .positional([7, .null, true]))
        let named = try RPCArguments(
            method: "getBlock", names: names, params: .named(["full": true, "height": "7", "hash": .null]))
        for arguments in [positional, named] {
            #expect(try arguments.required("height", as: UInt64.self) == 7)
            #expect(try arguments.optional("hash", as: Hash.self) == nil)
            #expect(try arguments.optional("full", as: Bool.self) == true)
        }
        let withHash = try RPCArguments(method: "getBlock", names: names, params: .positional([.null, .string(hash)]))
        #expect(try withHash.optional("hash", as: Hash.self) == .zero)
        #expect(try withHash.optional("height", as: UInt64.self) == nil)
        #expect(throws: RPCError.invalidParams("is required", param: "height")) {
            try withHash.required("height", as: UInt64.self)
        }
    }

    @Test("extra or unknown params are refused, naming the method's params")
    func refusals() {
        #expect(throws: RPCError.invalidParams("getBlock takes 3 params (height, hash, full), got 4 positional params"))
        {
            try RPCArguments(method: "getBlock", names: names, params: .positional([1, 2, 3, 4]))
        }
        #expect(
            throws: RPCError.invalidParams(
                "is not a param of getBlock, which takes 3 params (height, hash, full)", param: "heigth")
        ) {
            try RPCArguments(method: "getBlock", names: names, params: .named(["heigth": 1]))
        }
        #expect(throws: RPCError.invalidParams("getStatus takes no params, got 1 positional params")) {
            try RPCArguments(method: "getStatus", names: [], params: .positional([1]))
        }
    }

    @Test("application error codes must lie in the reserved server range")
    func applicationCodes() {
        #expect(RPCError.ApplicationCode(rawValue: -32000) != nil)
        #expect(RPCError.ApplicationCode(rawValue: -32099) != nil)
        #expect(RPCError.ApplicationCode(rawValue: -32100) == nil)
        #expect(RPCError.ApplicationCode(rawValue: -31999) == nil)
        let error = RPCError.application(code: -32010, message: "insufficient balance", data: ["needed": 5])
        #expect(error.json == ["code": -32010, "message": "insufficient balance", "data": ["needed": 5]])
    }
}
