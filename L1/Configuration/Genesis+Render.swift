import Primitives

extension Genesis {
    /// The genesis as a `genesis.toml` that `load` turns back into this exact value.
    ///
    /// Layout: the sections in a fixed order, integers with `_` every three digits, fractions as
    /// quoted decimals when they have a finite decimal form (`"0.05"`) and `"n/d"` otherwise,
    /// keys and addresses as lower-case hex. Used by `aether node init` and `aether localnet`.
    public func render() -> String {
        var out = "# Aether genesis: validated on load (Docs/spec/genesis.md).\n"
        out += "\n[chain]\n"
        out += line("chain_id", Self.quoted(chain.chainId))
        out += line("genesis_time_ms", Self.integer(chain.genesisTimeMilliseconds))
        out += line("slot_ms", Self.integer(chain.slotMilliseconds))
        out += line("block_bytes_max", Self.integer(chain.blockBytesMax))
        out += line("epoch_slots", Self.integer(chain.epochSlots))
        out += line("tx_signatures", Self.quoted(chain.transactionSignatures.rawValue))

        out += "\n[consensus]\n"
        out += line("tau", Self.ratio(consensus.tau))
        out += line("quorum", Self.ratio(consensus.quorum))
        out += line("slash_double", Self.ratio(consensus.slashDouble))
        out += line("leak_downtime", Self.ratio(consensus.leakDowntime))

        out += "\n[fees]\n"
        out += line("a", Self.integer(fees.a))
        out += line("b", Self.integer(fees.b))
        out += line("c", Self.integer(fees.c))
        out += line("d", Self.integer(fees.d))

        out += "\n[rent]\n"
        out += line("rho_per_byte_per_epoch", Self.integer(rent.rhoPerBytePerEpoch))
        out += line("horizon_epochs", Self.integer(rent.horizonEpochs))

        out += "\n[staking]\n"
        out += line("unbonding_delay_epochs", Self.integer(staking.unbondingDelayEpochs))
        switch staking.reward {
        case .fixed(let amount): out += line("reward_per_epoch", Self.integer(amount))
        case .inflation(let rate): out += line("inflation_per_epoch", Self.ratio(rate))
        }
        out += line("min_commission", Self.ratio(staking.minCommission))
        out += line("max_commission", Self.ratio(staking.maxCommission))
        out += line("min_self_bond", Self.integer(staking.minSelfBond))
        out += line("downtime_window_slots", Self.integer(staking.downtimeWindowSlots))
        out += line("jail_threshold_slots", Self.integer(staking.jailThresholdSlots))
        out += line("jail_epochs", Self.integer(staking.jailEpochs))
        out += line("max_validators", Self.integer(staking.maxValidators))

        for validator in validators {
            out += "\n[[validators]]\n"
            out += line("name", Self.quoted(validator.name))
            out += line("public_key", Self.quoted(Hex.encode(validator.publicKey.bytes)))
            out += line("vrf_public_key", Self.quoted(Hex.encode(validator.vrfPublicKey.bytes)))
            out += line("stake", Self.integer(validator.stake))
            out += line("operator", Self.quoted(Hex.encode(validator.operatorAddress)))
            out += line("commission", Self.ratio(validator.commission))
        }
        for account in accounts {
            out += "\n[[accounts]]\n"
            switch account.id {
            case .address(let bytes): out += line("address", Self.quoted(Hex.encode(bytes)))
            case .publicKey(let key): out += line("public_key", Self.quoted(Hex.encode(key.bytes)))
            }
            if account.aic > 0 { out += line("aic", Self.integer(account.aic)) }
            if account.swr > 0 { out += line("swr", Self.integer(account.swr)) }
        }
        for authority in authorities {
            out += "\n[[authorities]]\n"
            out += line("address", Self.quoted(Hex.encode(authority.address)))
            out += line("denomination", Self.quoted(authority.token.rawValue))
            out += line("mint", authority.mint ? "true" : "false")
            out += line("burn", authority.burn ? "true" : "false")
        }
        return out
    }

    private func line(_ key: String, _ value: String) -> String { "\(key) = \(value)\n" }

    /// Decimal digits with `_` every three from the right for values of five digits or more.
    static func integer(_ value: UInt64) -> String {
        let digits = Array(String(value))
        guard digits.count >= 5 else { return String(digits) }
        var out: [Character] = []
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append("_") }
            out.append(digit)
        }
        return String(out)
    }

    /// A fraction as a quoted string: exact decimal when it has one, else `n/d`.
    static func ratio(_ ratio: Ratio) -> String { quoted(ratio.description) }

    /// A TOML basic string: `"` and `\` escaped, control characters as `\uXXXX`.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
