public import Foundation
public import Primitives

#if canImport(Glibc)
    import Glibc
#endif

extension StateSnapshot {
    /// Writes a snapshot file frame by frame into a temporary file next to the destination, and
    /// renames it into place (after an fsync) only when `finish()` has appended the trailing hash:
    /// the destination is never a partial file.
    public final class Writer {
        /// Where the finished file goes.
        public let destination: URL
        private let temporary: URL
        private let handle: FileHandle
        private var hasher = SHA256Hasher()
        private var buffer: [UInt8] = []
        private var finished = false

        /// Creates the temporary file and writes the magic and format version.
        /// - Throws: `StateSnapshotError.io` when the file cannot be created.
        public init(destination: URL) throws(StateSnapshotError) {
            self.destination = destination
            temporary = destination.deletingLastPathComponent().appendingPathComponent(
                ".\(destination.lastPathComponent).partial-\(getpid())")
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw .io("cannot create \(temporary.path)")
            }
            do { handle = try FileHandle(forWritingTo: temporary) } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw .io("cannot open \(temporary.path): \(error)")
            }
            var encoder = CanonicalEncoder()
            encoder.write(fixed: StateSnapshot.magic)
            encoder.write(StateSnapshot.formatVersion)
            try append(encoder.bytes)
        }

        deinit {
            if !finished {
                try? handle.close()
                try? FileManager.default.removeItem(at: temporary)
            }
        }

        /// Appends one frame.
        public func write(_ frame: Frame) throws(StateSnapshotError) {
            let payload = frame.payload
            guard payload.count <= StateSnapshot.maximumFrameBytes else {
                throw .malformed("a frame of \(payload.count) bytes exceeds \(StateSnapshot.maximumFrameBytes)")
            }
            var header = CanonicalEncoder()
            header.write(frame.kind)
            header.write(UInt32(payload.count))
            try append(header.bytes)
            try append(payload)
        }

        /// Appends the trailing hash, syncs the file and renames it to `destination`.
        /// - Returns: the trailing hash.
        @discardableResult
        public func finish() throws(StateSnapshotError) -> Hash {
            let digest = hasher.finalize()
            buffer += digest.bytes
            try flush()
            do {
                try handle.synchronize()
                try handle.close()
            } catch {
                throw .io("cannot sync \(temporary.path): \(error)")
            }
            guard rename(temporary.path, destination.path) == 0 else {
                throw .io("cannot rename \(temporary.path) to \(destination.path): errno \(errno)")
            }
            finished = true
            syncDirectory(of: destination)
            return digest
        }

        private func append(_ bytes: [UInt8]) throws(StateSnapshotError) {
            hasher.update(bytes)
            buffer += bytes
            if buffer.count >= StateSnapshot.chunkBytes { try flush() }
        }

        private func flush() throws(StateSnapshotError) {
            guard !buffer.isEmpty else { return }
            do { try handle.write(contentsOf: buffer) } catch { throw .io("cannot write \(temporary.path): \(error)") }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Reads a snapshot file frame by frame, hashing what it reads; `next()` returns nil after the
    /// end frame once the trailing hash is read and matches.
    public final class Reader {
        /// The file.
        public let source: URL
        private let handle: FileHandle
        private var hasher = SHA256Hasher()
        private var buffer: [UInt8] = []
        private var position = 0
        private var ended = false
        /// The file's trailing hash, once the reader got past the end frame.
        public private(set) var trailingHash: Hash?

        /// Opens `source` and checks the magic and format version.
        /// - Throws: `StateSnapshotError` (`.io`, `.notASnapshot`, `.unsupportedVersion`, `.truncated`).
        public init(source: URL) throws(StateSnapshotError) {
            self.source = source
            do { handle = try FileHandle(forReadingFrom: source) } catch {
                throw .io("cannot open \(source.path): \(error)")
            }
            let start = try read(StateSnapshot.magic.count + 4, what: "the file header")
            guard Array(start[..<StateSnapshot.magic.count]) == StateSnapshot.magic else { throw .notASnapshot }
            let version = start[StateSnapshot.magic.count...].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard version == StateSnapshot.formatVersion else { throw .unsupportedVersion(version) }
        }

        deinit { try? handle.close() }

        /// The next frame's kind and raw payload, or nil after the end frame and a matching hash.
        /// - Throws: `.truncated` when the file ends early, `.malformed` for a frame that is too
        ///   large or bytes after the hash, `.integrity` when the trailing hash does not match.
        public func nextRaw() throws(StateSnapshotError) -> (kind: UInt8, payload: [UInt8])? {
            if ended { return nil }
            let header = try read(StateSnapshot.frameHeaderBytes, what: "a frame header")
            let kind = header[0]
            let length = header[1...].reversed().reduce(0) { $0 << 8 | Int($1) }
            guard length <= StateSnapshot.maximumFrameBytes else {
                throw .malformed("a frame announces \(length) bytes, more than \(StateSnapshot.maximumFrameBytes)")
            }
            let payload = try read(length, what: "a frame of kind \(kind)")
            if kind == 4 { try readTrailer() }
            return (kind, payload)
        }

        /// The next decoded frame, or nil after the end.
        public func next() throws(StateSnapshotError) -> Frame? {
            guard let (kind, payload) = try nextRaw() else { return nil }
            return try Frame.decode(kind: kind, payload: payload)
        }

        /// Reads the 32-byte trailing hash, checks it, and that nothing follows.
        private func readTrailer() throws(StateSnapshotError) {
            let computed = hasher.finalize()
            let stored = try readUnhashed(32, what: "the trailing hash")
            guard let expected = try? Hash(stored) else { throw .truncated("the file ends inside the trailing hash") }
            guard try readUnhashed(1, what: "", allowShort: true).isEmpty else {
                throw .malformed("bytes follow the trailing hash")
            }
            guard expected == computed else { throw .integrity(expected: expected, computed: computed) }
            trailingHash = expected
            ended = true
        }

        private func read(_ count: Int, what: String) throws(StateSnapshotError) -> [UInt8] {
            let bytes = try readUnhashed(count, what: what)
            hasher.update(bytes)
            return bytes
        }

        private func readUnhashed(_ count: Int, what: String, allowShort: Bool = false) throws(StateSnapshotError)
            -> [UInt8]
        {
            while buffer.count - position < count {
                let more: Data?
                do { more = try handle.read(upToCount: max(StateSnapshot.chunkBytes, count)) } catch {
                    throw .io("cannot read \(source.path): \(error)")
                }
                guard let more, !more.isEmpty else {
                    if allowShort { return Array(buffer[position...]) }
                    throw .truncated("the file ends inside \(what)")
                }
                if position > 0 {
                    buffer.removeFirst(position)
                    position = 0
                }
                buffer += more
            }
            let bytes = Array(buffer[position..<(position + count)])
            position += count
            return bytes
        }
    }

    /// Reads `source` to its end without decoding anything but the frame structure, and checks
    /// the trailing hash: a damaged or truncated file fails here, before any check of its contents.
    /// - Returns: the trailing hash.
    public static func checkIntegrity(of source: URL) throws(StateSnapshotError) -> Hash {
        let reader = try Reader(source: source)
        var sawEnd = false
        while let (kind, _) = try reader.nextRaw() {
            guard (1...4).contains(kind) else { throw .malformed("unknown frame kind \(kind)") }
            sawEnd = kind == 4
        }
        guard sawEnd, let hash = reader.trailingHash else { throw .truncated("the end frame is missing") }
        return hash
    }
}

/// Makes a rename or a new entry in the directory of `url` durable (best effort: some file systems
/// refuse to open a directory).
func syncDirectory(of url: URL) {
    let descriptor = open(url.deletingLastPathComponent().path, O_RDONLY)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    _ = close(descriptor)
}
