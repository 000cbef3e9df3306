import SQLKit
import WharfCore

extension WharfStore {
    /// Sets the price of a model (per million tokens).
    public func setPrice(model: String, price: ModelPrice) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw("DELETE FROM model_prices WHERE model = \(bind: model)").run()
            try await db.raw(
                """
                INSERT INTO model_prices (model, input_per_million, output_per_million, cached_input_per_million,
                    cache_write_per_million, updated_at)
                VALUES (\(bind: model), \(bind: price.inputPerMillion.micros), \(bind: price.outputPerMillion.micros),
                    \(bind: price.cachedInputPerMillion.micros), \(bind: price.cacheWritePerMillion.micros), \(bind: at))
                """
            ).run()
            try await Self.bumpConfigVersion(db)
        }
    }

    /// Every model price.
    public func prices() async throws -> [String: ModelPrice] {
        try await database.withConnection { db in
            var out: [String: ModelPrice] = [:]
            for row in try await db.raw("SELECT * FROM model_prices").all() {
                out[try row.string("model")] = ModelPrice(
                    inputPerMillion: Money(micros: try row.int64("input_per_million")),
                    outputPerMillion: Money(micros: try row.int64("output_per_million")),
                    cachedInputPerMillion: Money(micros: try row.int64("cached_input_per_million")),
                    // Prices set before cache writes were billed apart: a write costs what input costs.
                    cacheWritePerMillion: try row.optionalInt64("cache_write_per_million").map(Money.init(micros:)))
            }
            return out
        }
    }
}
