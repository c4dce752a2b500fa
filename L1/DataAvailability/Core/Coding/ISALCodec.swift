internal import CIsal

/// The systematic Reed–Solomon code of one row or column: `k` data shards, `k` parity shards,
/// over GF(2^8), through Intel ISA-L. This file is the one wrapper of libisal.
///
/// The generator is ISA-L's Cauchy matrix (`gf_gen_cauchy1_matrix`): identity on top, a Cauchy
/// matrix below. Every square submatrix of a Cauchy matrix is invertible, so any `k` of the `2k`
/// shards recover the rest (the Vandermonde form ISA-L also offers is not MDS for all sizes).
/// Rows and columns use the same code, which is what makes the 2D extension commute: extending the
/// columns of the row-extended square gives the same bottom-right quadrant as extending its rows.
/// ISA-L's encoder tables are built once per codec and reused for every row and column.
public final class ErasureCodec: Sendable {
    /// Data shards per codeword (`k`); the codeword has `2k` shards.
    public let dataShards: Int
    /// The `2k × k` generator, row-major.
    private let matrix: [UInt8]
    /// ISA-L's expanded multiplication tables for the parity rows of `matrix`.
    private let encodeTables: [UInt8]

    /// The code for squares `dataShards` wide (1…`ShareFormat.maxOriginalWidth`).
    public init(dataShards: Int) throws(DataAvailabilityError) {
        guard (1...ShareFormat.maxOriginalWidth).contains(dataShards) else { throw .invalidSquareWidth(dataShards) }
        let k = dataShards
        var matrix = [UInt8](repeating: 0, count: 2 * k * k)
        gf_gen_cauchy1_matrix(&matrix, Int32(2 * k), Int32(k))
        var tables = [UInt8](repeating: 0, count: 32 * k * k)
        matrix.withUnsafeMutableBufferPointer { generator in
            ec_init_tables(Int32(k), Int32(k), generator.baseAddress! + k * k, &tables)
        }
        self.dataShards = k
        self.matrix = matrix
        self.encodeTables = tables
    }

    /// `codec` when given (it must be for `dataShards`), else a new codec for `dataShards`.
    static func reusing(_ codec: ErasureCodec?, dataShards: Int) throws(DataAvailabilityError) -> ErasureCodec {
        guard let codec else { return try ErasureCodec(dataShards: dataShards) }
        guard codec.dataShards == dataShards else {
            throw .codec("the codec is for width \(codec.dataShards), the square is \(dataShards) wide")
        }
        return codec
    }

    /// Writes the `k` parity shards of `length` bytes computed from the `k` data shards.
    ///
    /// `data` and `parity` each hold `k` pointers to `length` bytes; the pointer arrays are the
    /// caller's so a square can reuse one pair for all its rows.
    func encode(
        length: Int, data: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
        parity: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    ) {
        encodeTables.withUnsafeBufferPointer { tables in
            ec_encode_data(
                Int32(length), Int32(dataShards), Int32(dataShards),
                UnsafeMutablePointer(mutating: tables.baseAddress!),
                data, parity)
        }
    }

    /// The tables that recompute the shards at `missing` from the `k` shards at `sources`
    /// (codeword positions `0..<2k`, `sources` distinct and exactly `k` of them).
    func decoder(sources: [Int], missing: [Int]) throws(DataAvailabilityError) -> Decoder {
        let k = dataShards
        guard sources.count == k else { throw .codec("decoding needs \(k) source shards, got \(sources.count)") }
        var submatrix = [UInt8](repeating: 0, count: k * k)
        for (row, position) in sources.enumerated() {
            for column in 0..<k { submatrix[row * k + column] = matrix[position * k + column] }
        }
        var inverse = [UInt8](repeating: 0, count: k * k)
        guard gf_invert_matrix(&submatrix, &inverse, Int32(k)) == 0 else {
            throw .codec("the generator rows \(sources) are singular")
        }
        // Missing shard p = generator row p · inverse · sources.
        var recovery = [UInt8](repeating: 0, count: max(missing.count, 1) * k)
        for (row, position) in missing.enumerated() {
            for column in 0..<k {
                var sum: UInt8 = 0
                for term in 0..<k {
                    let coefficient = matrix[position * k + term]
                    if coefficient != 0 { sum ^= gf_mul(coefficient, inverse[term * k + column]) }
                }
                recovery[row * k + column] = sum
            }
        }
        var tables = [UInt8](repeating: 0, count: 32 * k * max(missing.count, 1))
        ec_init_tables(Int32(k), Int32(missing.count), &recovery, &tables)
        return Decoder(sourceCount: k, outputCount: missing.count, tables: tables)
    }

    /// Recomputes `decoder.outputCount` shards of `length` bytes from its `k` source shards.
    func decode(
        _ decoder: Decoder, length: Int, sources: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
        outputs: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
    ) {
        guard decoder.outputCount > 0 else { return }
        decoder.tables.withUnsafeBufferPointer { tables in
            ec_encode_data(
                Int32(length), Int32(decoder.sourceCount), Int32(decoder.outputCount),
                UnsafeMutablePointer(mutating: tables.baseAddress!), sources, outputs)
        }
    }

    /// Precomputed tables for one erasure pattern.
    struct Decoder {
        let sourceCount: Int
        let outputCount: Int
        let tables: [UInt8]
    }
}
