import Testing
import WharfCore

@Suite("Batched system randomness")
struct BatchedSystemRandomTests {
    @Test("Words keep coming past a refill of the buffer, without repeats, from many threads at once")
    func wordsAcrossRefills() async {
        // 4 tasks × 2,000 words: several refills of the 512-word buffer, drawn concurrently.
        let words = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var rng = BatchedSystemRandom()
                    return (0..<2_000).map { _ in rng.next() }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(words.count == 8_000)
        #expect(Set(words).count == words.count)
        // Every bit position takes both values: the words are not zero-filled or stuck.
        let ones = words.reduce(0 as UInt64) { $0 | $1 }
        let zeros = words.reduce(0 as UInt64) { $0 | ~$1 }
        #expect(ones == .max && zeros == .max)
    }
}
