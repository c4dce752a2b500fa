import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a command gets a keystore password: `--password-file`, else the environment variable
/// named by `--password-env` (default `AETHER_PASSWORD`), else a prompt on the terminal.
struct PasswordOptions: ParsableArguments {
    @Option(help: "Read the password from the first line of this file.")
    var passwordFile: String?

    @Option(help: "Environment variable holding the password.")
    var passwordEnv: String = "AETHER_PASSWORD"

    /// The password bytes. `confirm` asks twice when prompting (for new keys).
    func read(confirm: Bool) throws -> [UInt8] {
        let password: String
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw CommandFailure("cannot read password file \(passwordFile)")
            }
            password =
                String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .first.map(String.init) ?? ""
        } else if let value = ProcessInfo.processInfo.environment[passwordEnv] {
            password = value
        } else {
            password = try prompt("Password: ")
            if confirm, try prompt("Repeat password: ") != password {
                throw CommandFailure("the passwords do not match")
            }
        }
        guard !password.isEmpty else { throw CommandFailure("the password is empty") }
        return Array(password.utf8)
    }

    /// Reads a line from the controlling terminal with echo turned off.
    private func prompt(_ text: String) throws -> String {
        let tty = open("/dev/tty", O_RDWR)
        guard tty >= 0 else {
            throw CommandFailure(
                "no terminal to ask for a password: use --password-file or set \(passwordEnv)")
        }
        defer { close(tty) }
        _ = text.withCString { write(tty, $0, strlen($0)) }
        var saved = termios()
        let canSilence = tcgetattr(tty, &saved) == 0
        if canSilence {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSAFLUSH, &silent)
        }
        defer {
            if canSilence { tcsetattr(tty, TCSAFLUSH, &saved) }
            _ = write(tty, "\n", 1)
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            line.append(byte)
            if line.count > 4096 { throw CommandFailure("password longer than 4096 bytes") }
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }
}
