import PostgresNIO

/// A `float8[]` parameter that may hold NULL elements (postgres-nio encodes only arrays without NULLs).
struct NullableFloat8Array: PostgresNonThrowingEncodable {
    var values: [Double?]

    init(_ values: [Double?]) { self.values = values }

    static var psqlType: PostgresDataType { .float8Array }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        guard buffer.writeArrayHeader(count: self.values.count, element: .float8, hasNulls: self.values.contains(nil))
        else { return }
        for value in self.values {
            if let value {
                buffer.writeInteger(8, as: Int32.self)
                buffer.writeInteger(value.bitPattern)
            } else {
                buffer.writeInteger(-1, as: Int32.self)
            }
        }
    }
}

/// A `float8[]` parameter encoded in one pass with its buffer reserved up front (bulk imports).
struct Float8Array: PostgresNonThrowingEncodable {
    var values: ArraySlice<Double>

    init<C: Collection<Double>>(_ values: C) { self.values = ArraySlice(values) }

    static var psqlType: PostgresDataType { .float8Array }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        guard buffer.writeArrayHeader(count: self.values.count, element: .float8, hasNulls: false) else { return }
        for value in self.values {
            buffer.writeInteger(8, as: Int32.self)
            buffer.writeInteger(value.bitPattern)
        }
    }
}

/// An `int8[]` parameter encoded in one pass with its buffer reserved up front (bulk imports).
struct Int8Array: PostgresNonThrowingEncodable {
    var values: ArraySlice<Int64>

    init<C: Collection<Int64>>(_ values: C) { self.values = ArraySlice(values) }

    static var psqlType: PostgresDataType { .int8Array }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        guard buffer.writeArrayHeader(count: self.values.count, element: .int8, hasNulls: false) else { return }
        for value in self.values {
            buffer.writeInteger(8, as: Int32.self)
            buffer.writeInteger(value)
        }
    }
}

extension ByteBuffer {
    /// Writes a one-dimensional binary array header (ndim, has-null flag, element type, then length and lower bound)
    /// with room reserved for `count` 8-byte elements; returns false for an empty array, which has no dimension.
    fileprivate mutating func writeArrayHeader(count: Int, element: PostgresDataType, hasNulls: Bool) -> Bool {
        self.reserveCapacity(minimumWritableBytes: 20 + count * 12)
        self.writeInteger(count == 0 ? 0 : 1, as: Int32.self)
        self.writeInteger(hasNulls ? 1 : 0, as: Int32.self)
        self.writeInteger(element.rawValue)
        guard count > 0 else { return false }
        self.writeInteger(Int32(count))
        self.writeInteger(1, as: Int32.self)
        return true
    }
}
