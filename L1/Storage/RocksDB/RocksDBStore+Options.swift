extension RocksDBStore {
    /// Tuning for a `RocksDBStore`. The defaults suit a node on a small machine; the write-ahead log is
    /// always on and is not an option.
    public struct Options: Sendable, Equatable {
        /// Bytes of uncompressed blocks kept in the shared LRU block cache (all columns together).
        public var blockCacheBytes: Int

        /// Bits per key of the bloom filter in each table file; it lets a `get` of an absent key skip
        /// files. 10 bits gives about a 1% false-positive rate. 0 turns the filter off.
        public var bloomFilterBitsPerKey: Double

        /// The most table files RocksDB keeps open at once. Bounded, so a large database does not run
        /// into the process's file descriptor limit; -1 means unbounded.
        public var maxOpenFiles: Int

        /// Background threads for flushes and compactions (RocksDB's `IncreaseParallelism`).
        public var backgroundThreads: Int

        /// Options with the defaults: a 64 MiB block cache, a 10-bit bloom filter, at most 512 open
        /// files, 2 background threads.
        public init(
            blockCacheBytes: Int = 64 << 20,
            bloomFilterBitsPerKey: Double = 10,
            maxOpenFiles: Int = 512,
            backgroundThreads: Int = 2
        ) {
            self.blockCacheBytes = blockCacheBytes
            self.bloomFilterBitsPerKey = bloomFilterBitsPerKey
            self.maxOpenFiles = maxOpenFiles
            self.backgroundThreads = backgroundThreads
        }
    }
}
