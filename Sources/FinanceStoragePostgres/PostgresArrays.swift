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
        // Binary array layout: ndim, has-null flag, element type, then per dimension (length, lower bound), then
        // each element as a length (-1 for NULL) and its bytes.
        buffer.reserveCapacity(minimumWritableBytes: 20 + self.values.count * 12)
        buffer.writeInteger(self.values.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(self.values.contains(nil) ? 1 : 0, as: Int32.self)
        buffer.writeInteger(PostgresDataType.float8.rawValue)
        guard !self.values.isEmpty else { return }
        buffer.writeInteger(Int32(self.values.count))
        buffer.writeInteger(1, as: Int32.self)
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
        buffer.reserveCapacity(minimumWritableBytes: 20 + self.values.count * 12)
        buffer.writeInteger(self.values.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(0, as: Int32.self)
        buffer.writeInteger(PostgresDataType.float8.rawValue)
        guard !self.values.isEmpty else { return }
        buffer.writeInteger(Int32(self.values.count))
        buffer.writeInteger(1, as: Int32.self)
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
        buffer.reserveCapacity(minimumWritableBytes: 20 + self.values.count * 12)
        buffer.writeInteger(self.values.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(0, as: Int32.self)
        buffer.writeInteger(PostgresDataType.int8.rawValue)
        guard !self.values.isEmpty else { return }
        buffer.writeInteger(Int32(self.values.count))
        buffer.writeInteger(1, as: Int32.self)
        for value in self.values {
            buffer.writeInteger(8, as: Int32.self)
            buffer.writeInteger(value)
        }
    }
}
