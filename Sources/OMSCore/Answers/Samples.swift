import Foundation

/// One reading of a numeric stream (steps, heart rate, an owner-declared number): when, and
/// the value. Times are milliseconds since the Unix epoch, as everywhere in storage.
public struct NumericSample: Hashable, Sendable {
    public var time: Int64
    public var value: Double

    public init(time: Int64, value: Double) {
        self.time = time
        self.value = value
    }
}

/// One GPS fix.
public struct GPSFix: Hashable, Sendable {
    public var time: Int64
    public var latitude: Double
    public var longitude: Double
    /// Metres, as the device reports it.
    public var accuracy: Double?

    public init(time: Int64, latitude: Double, longitude: Double, accuracy: Double? = nil) {
        self.time = time
        self.latitude = latitude
        self.longitude = longitude
        self.accuracy = accuracy
    }
}
