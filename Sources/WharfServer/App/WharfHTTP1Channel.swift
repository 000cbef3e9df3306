import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with the relay's front handler placed right after HTTP parsing: relayed
/// `/v1` requests are answered there on NIO's own types, and only the other requests are converted to HTTP types
/// and reach the router. Otherwise the same pipeline as `HTTP1Channel` (limits, connection state, half-closure).
struct WharfHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let engine: RelayEngine

    /// A server builder for `Application(server:)`.
    static func builder(engine: RelayEngine) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in WharfHTTP1Channel(responder: responder, engine: engine) }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = 80 * 1024
            limits.maxHeaderListSize = 80 * 1024
            limits.maxHeaderFieldCount = 1000
            let sync = channel.pipeline.syncOperations
            let front = RelayFrontHandler(engine: engine)
            try sync.addHandler(RelayWireGate())
            try sync.addHandler(RelayFastPath(sink: front))
            // The encoder and decoder are not paired (as `configureHTTPServerPipeline` pairs them to frame answers
            // to HEAD): relayed answers bypass the encoder, so its queue of request methods would drift.
            // RelayFrontHandler answers HEAD itself (see there); it also keeps pipelined answers in order.
            try sync.addHandler(HTTPResponseEncoder(configuration: .init()))
            try sync.addHandler(
                ByteToMessageHandler(
                    HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits),
                    // After an upgrade or CONNECT the decoder stops parsing; what follows must not pile up.
                    maximumBufferSize: 1 << 20))
            try sync.addHandler(front)
            try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try sync.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
