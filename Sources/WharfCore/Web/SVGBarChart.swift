/// Draws a bar chart as an SVG element on the server (no JavaScript): one bar per point, a baseline, the largest
/// value on the axis, and every label of a bar in its tooltip. Text is XML-escaped here, so labels are safe to embed.
public struct SVGBarChart: Sendable {
    /// One bar.
    public struct Bar: Sendable, Equatable {
        public var label: String
        public var value: Int64
        /// The value as shown (e.g. formatted money).
        public var shown: String

        /// Creates a bar.
        public init(label: String, value: Int64, shown: String) {
            self.label = label
            self.value = value
            self.shown = shown
        }
    }

    public var title: String
    public var bars: [Bar]
    /// The word before the largest value on the top line ("max").
    public var peakLabel = "max"
    public var width = 640
    public var height = 180

    /// Creates a chart.
    public init(title: String, bars: [Bar]) {
        self.title = title
        self.bars = bars
    }

    /// The chart as an `<svg>` element.
    public func render() -> String {
        let top = 16
        let bottom = 22
        let left = 8
        let right = 8
        let plotHeight = height - top - bottom
        let maxValue = max(1, bars.map(\.value).max() ?? 1)
        let slot = bars.isEmpty ? 0 : Double(width - left - right) / Double(bars.count)
        var out = """
            <svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" role="img" \
            aria-label="\(Self.escape(title))"><title>\(Self.escape(title))</title>
            """
        out += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width - right)\" y2=\"\(top + plotHeight)\" "
        out += "stroke=\"#8a94a6\" stroke-width=\"1\"/>"
        // A dashed line at the top of the plot with the largest value: the scale of every bar below it.
        let peak = bars.first { $0.value == maxValue }?.shown ?? "0"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(width - right)\" y2=\"\(top)\" stroke=\"#dde1e8\" "
        out += "stroke-dasharray=\"4 3\" stroke-width=\"1\"/>"
        out += "<text x=\"\(width - right)\" y=\"11\" font-size=\"11\" fill=\"#4a5468\" text-anchor=\"end\">"
        out += "\(Self.escape(peakLabel)) \(Self.escape(peak))</text>"
        for (i, bar) in bars.enumerated() {
            let h = bar.value <= 0 ? 0 : max(1, Int(Double(bar.value) / Double(maxValue) * Double(plotHeight)))
            let x = Double(left) + Double(i) * slot + slot * 0.15
            let w = max(1, slot * 0.7)
            out +=
                "<rect class=\"bar\" x=\"\(Self.fixed(x))\" y=\"\(top + plotHeight - h)\" width=\"\(Self.fixed(w))\" "
            out +=
                "height=\"\(h)\" fill=\"#2f6fde\"><title>\(Self.escape(bar.label)): \(Self.escape(bar.shown))</title></rect>"
            let every = max(1, bars.count / 6)
            if i % every == 0 || i == bars.count - 1 {
                let last = i == bars.count - 1
                let anchor = last ? " text-anchor=\"end\"" : ""
                let labelX = last ? Double(width - right) : x
                out +=
                    "<text x=\"\(Self.fixed(labelX))\" y=\"\(height - 6)\" font-size=\"10\" fill=\"#4a5468\"\(anchor)>"
                out += "\(Self.escape(bar.label))</text>"
            }
        }
        return out + "</svg>"
    }

    static func fixed(_ v: Double) -> String {
        let scaled = Int((v * 10).rounded())
        return "\(scaled / 10).\(abs(scaled % 10))"
    }

    /// XML-escapes text for element content and attribute values (``HTMLEscaping/escape(_:)``).
    static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }
}
