/// Encodes a message for the `DATA` command (RFC 5321 §4.5.2): every line break becomes CRLF, a line that starts
/// with `.` gets one more `.` (dot-stuffing), and the `CRLF.CRLF` terminator is appended.
enum SMTPDataEncoder {
    /// The bytes to send after the server's 354 reply, terminator included.
    static func encode(_ message: [UInt8]) -> [UInt8] {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if atLineStart, byte == dot { out.append(dot) }
            switch byte {
            case cr:
                out += [cr, lf]
                if index + 1 < message.count, message[index + 1] == lf { index += 1 }
                atLineStart = true
            case lf:
                out += [cr, lf]
                atLineStart = true
            default:
                out.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart { out += [cr, lf] }
        out += [dot, cr, lf]
        return out
    }
}
