import ArgumentParser
import Chain
import Foundation
import Keystore
import Primitives
import RPC
import Staking

/// Where a command finds the node: `--rpc`.
struct RPCOptions: ParsableArguments {
    @Option(help: "The node's JSON-RPC address.") var rpc = "http://127.0.0.1:8645"

    func client() throws -> RPCClient { try RPCClient(url: rpc) }
}

/// Prints an RPC result: JSON as it came, for people and programs alike.
func printResult(_ value: JSONValue) {
    print(JSONWriter.encode(value).stringValue)
}

/// `aether tx`: sign and send transactions.
struct TxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx", abstract: "Sign a transaction with a keystore key and send it to a node.",
        subcommands: [
            Transfer.self, Bond.self, Unbond.self, Delegate.self, Undelegate.self, JoinDomain.self, LeaveDomain.self,
        ])

    struct Signer: ParsableArguments {
        @Option(help: "The keystore key that signs and pays.") var key: String
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var password: PasswordOptions
        @OptionGroup var rpc: RPCOptions
        @Option(help: "The most AIC base units the transaction may cost.") var maxFee: UInt64 = 1_000_000
        @Option(help: "AIC base units paid on top to be included sooner.") var priorityFee: UInt64 = 0
        @Option(help: "The nonce to sign with (default: the node's next nonce, counting its mempool).")
        var nonce: UInt64?

        /// The signing account's address.
        func address() throws -> Address {
            guard
                case .ed25519(let secret) = try store.keystore.unlock(
                    name: key, password: try password.read(confirm: false))
            else { throw CommandFailure("key '\(key)' is not an Ed25519 account key") }
            return Address(publicKey: secret.publicKey)
        }

        /// Signs `messages` with the account's next nonce and sends them; returns the node's answer.
        func send(_ messages: [Message]) throws -> JSONValue { try send { _, _ in messages } }

        /// Signs the messages `build` makes for the sender's address and the node's chain id, with
        /// the account's next nonce, and sends them; returns the node's answer.
        func send(building build: (_ sender: Address, _ chainId: String) throws -> [Message]) throws -> JSONValue {
            guard
                case .ed25519(let secret) = try store.keystore.unlock(
                    name: key, password: try password.read(confirm: false))
            else { throw CommandFailure("key '\(key)' is not an Ed25519 account key") }
            let client = try rpc.client()
            let status = try client.call("getStatus")
            guard case .object(let statusObject) = status, let chainId = statusObject["chainId"]?.stringValue else {
                throw CommandFailure("the node did not report its chain id")
            }
            let address = Address(publicKey: secret.publicKey)
            var params = JSONObject()
            params["address"] = .string(address.description)
            let nonce: UInt64
            if let chosen = self.nonce {
                nonce = chosen
            } else {
                guard case .object(let account) = try client.call("getAccount", params),
                    let next = (account["nextNonce"] ?? account["nonce"])?.uint64Value
                else { throw CommandFailure("the node did not report the account's nonce") }
                nonce = next
            }
            let transaction = Transaction(
                chainId: chainId, sender: secret.publicKey, nonce: nonce, maxFee: maxFee,
                priorityFee: priorityFee, messages: try build(address, chainId))
            let signed = try transaction.signed(by: secret)
            var send = JSONObject()
            send["tx"] = .string(Hex.encode(signed.encoded))
            return try client.call("sendRawTx", send)
        }
    }

    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send AIC or SWR to an address.")
        @Option(help: "The recipient's address (40 hex digits).") var to: String
        @Option(help: "Base units to send.") var amount: UInt64
        @Option(help: "aic or swr.") var denomination = "aic"
        @OptionGroup var signer: Signer

        func run() throws {
            try reportingErrors(json: true) {
                let recipient = try Address(hex: to)
                guard let denomination = Denomination.allCases.first(where: { $0.description == self.denomination })
                else {
                    throw CommandFailure("--denomination must be aic or swr")
                }
                printResult(try signer.send([Message(Bank.Transfer(to: recipient, amount, denomination))]))
            }
        }
    }

    struct Bond: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add SWR to your validator's self-bond.")
        @Option(help: "SWR base units.") var amount: UInt64
        @OptionGroup var signer: Signer

        func run() throws {
            try reportingErrors(json: true) { printResult(try signer.send([Message(Staking.Bond(amount))])) }
        }
    }

    struct Unbond: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start unbonding SWR from your validator (paid out after the unbonding delay).")
        @Option(help: "SWR base units.") var amount: UInt64
        @OptionGroup var signer: Signer

        func run() throws {
            try reportingErrors(json: true) { printResult(try signer.send([Message(Staking.Unbond(amount))])) }
        }
    }

    struct Delegate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delegate SWR to a validator's operator address.")
        @Option(help: "The validator's operator address.") var validator: String
        @Option(help: "SWR base units.") var amount: UInt64
        @OptionGroup var signer: Signer

        func run() throws {
            try reportingErrors(json: true) {
                printResult(try signer.send([Message(Staking.Delegate(to: try Address(hex: validator), amount))]))
            }
        }
    }

    struct JoinDomain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join a domain's validator set with your validator (in force two epochs later).")
        @Option(help: "The domain (its chain id).") var domain: String
        @OptionGroup var signer: Signer

        func run() throws {
            try reportingErrors(json: true) { printResult(try signer.send([Message(Staking.JoinDomain(domain))])) }
        }
    }

    struct LeaveDomain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leave a domain's validator set.")
        @Option(help: "The domain (its chain id).") var domain: String
        @OptionGroup var signer: Signer

        func run() throws {
            try reportingErrors(json: true) { printResult(try signer.send([Message(Staking.LeaveDomain(domain))])) }
        }
    }

    struct Undelegate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Undelegate SWR from a validator.")
        @Option(help: "The validator's operator address.") var validator: String
        @Option(help: "SWR base units.") var amount: UInt64
        @OptionGroup var signer: Signer

        func run() throws {
            try reportingErrors(json: true) {
                printResult(try signer.send([Message(Staking.Undelegate(from: try Address(hex: validator), amount))]))
            }
        }
    }
}

/// `aether query`: read the chain through a node.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Read chain state and blocks from a node's JSON-RPC.",
        subcommands: [
            Status.self, Block.self, Account.self, Balance.self, Validators.self, Validator.self, Tx.self, Proof.self,
        ])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Height, epoch, peers, mempool of a node.")
        @OptionGroup var rpc: RPCOptions
        func run() throws { try reportingErrors(json: true) { printResult(try rpc.client().call("getStatus")) } }
    }

    struct Block: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A committed block with its commit certificate.")
        @Option(help: "Block height.") var height: UInt64?
        @Option(help: "Block id (hex).") var hash: String?
        @OptionGroup var rpc: RPCOptions
        func run() throws {
            try reportingErrors(json: true) {
                var params = JSONObject()
                if let height { params["height"] = JSONValue(height) }
                if let hash { params["hash"] = .string(hash) }
                printResult(try rpc.client().call("getBlock", params))
            }
        }
    }

    struct Account: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An account's nonce and balances.")
        @Argument(help: "The address (40 hex digits).") var address: String
        @OptionGroup var rpc: RPCOptions
        func run() throws {
            try reportingErrors(json: true) {
                var params = JSONObject()
                params["address"] = .string(address)
                printResult(try rpc.client().call("getAccount", params))
            }
        }
    }

    struct Balance: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One balance of an account.")
        @Argument(help: "The address (40 hex digits).") var address: String
        @Option(help: "aic or swr.") var denomination = "aic"
        @OptionGroup var rpc: RPCOptions
        func run() throws {
            try reportingErrors(json: true) {
                var params = JSONObject()
                params["address"] = .string(address)
                params["denomination"] = .string(denomination)
                printResult(try rpc.client().call("getBalance", params))
            }
        }
    }

    struct Validator: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A validator's staking record: stake, shares, jail and tombstone, missed slots.")
        @Argument(help: "The operator address (40 hex digits) or the signing key (64).") var validator: String
        @OptionGroup var rpc: RPCOptions
        func run() throws {
            try reportingErrors(json: true) {
                var params = JSONObject()
                params["validator"] = .string(validator)
                printResult(try rpc.client().call("getStakingValidator", params))
            }
        }
    }

    struct Validators: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The validator set of an epoch (default: current).")
        @Option(help: "The epoch.") var epoch: UInt64?
        @OptionGroup var rpc: RPCOptions
        func run() throws {
            try reportingErrors(json: true) {
                var params = JSONObject()
                if let epoch { params["epoch"] = JSONValue(epoch) }
                printResult(try rpc.client().call("getValidators", params))
            }
        }
    }

    struct Tx: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A transaction by hash, and its receipt.")
        @Argument(help: "The transaction hash (hex).") var hash: String
        @OptionGroup var rpc: RPCOptions
        func run() throws {
            try reportingErrors(json: true) {
                var params = JSONObject()
                params["hash"] = .string(hash)
                printResult(try rpc.client().call("getTxReceipt", params))
            }
        }
    }

    struct Proof: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An ICS-23 proof (SMT spec) of a state key at a height (default: latest).")
        @Argument(help: "The state key (hex).") var key: String
        @Option(help: "Block height.") var height: UInt64?
        @OptionGroup var rpc: RPCOptions
        func run() throws {
            try reportingErrors(json: true) {
                var params = JSONObject()
                params["key"] = .string(key)
                if let height { params["height"] = JSONValue(height) }
                printResult(try rpc.client().call("getProof", params))
            }
        }
    }
}
