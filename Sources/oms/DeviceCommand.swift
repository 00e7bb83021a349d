import ArgumentParser
import Foundation
import OMSAPI
import OMSCore
import OMSNode
import OMSStore

struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Devices that push records to a TCC (POST /v1/ingest with their token).",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a device and print its token (shown once).")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "A name for the device (phone, watch, ...).") var name: String
        @Option(help: "The streams it may write, comma-separated (gps,steps,heart_rate or declared ones).") var streams: String
        @Flag(help: "Print only the token (for scripts).") var quiet = false

        func run() async throws {
            let added: AddedDevice = try await dataDir.client().send(
                .POST, apiPath("tccs", tcc.tcc, "devices"),
                json: AddDeviceRequest(name: name, streams: streams.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }))
            if quiet { return print(added.token) }
            print("device \(added.device.name) may write \(added.device.streams.map(\.rawValue).joined(separator: ", "))")
            print("token (shown once; keep it on the device): \(added.token)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The TCC's devices.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let devices: [DeviceRecord] = try await dataDir.client().get(apiPath("tccs", tcc.tcc, "devices"))
            if json { return try printJSON(devices) }
            for d in devices { print("\(column(d.name.rawValue, 16))\(column(d.streams.map(\.rawValue).joined(separator: ","), 28))\(d.createdAt.formatted(.iso8601))") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a device: its token stops working at once.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The device's name.") var name: String

        func run() async throws {
            _ = try await dataDir.client().send(.DELETE, apiPath("tccs", tcc.tcc, "devices", name))
            print("device \(name) removed")
        }
    }
}

struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream", abstract: "A TCC's streams: gps, steps and heart_rate are built in; declare others with a schema.",
        subcommands: [List.self, Declare.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Streams with their fields and how many records they hold.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let streams: [StreamBody] = try await dataDir.client().get(apiPath("tccs", tcc.tcc, "streams"))
            if json { return try printJSON(streams) }
            for s in streams {
                let fields = s.schema.fields.map { "\($0.name)\($0.required ? "" : "?"):\($0.type.rawValue)" }.joined(separator: " ")
                let span = s.first.map { "\($0.formatted(.iso8601)) .. \(s.last!.formatted(.iso8601))" } ?? ""
                print("\(column(s.name.rawValue, 14))\(column(String(s.records) + " records", 16))\(column(fields, 44))\(span)")
            }
        }
    }

    struct Declare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare a stream: --field NAME:TYPE[:MIN:MAX] (number, integer, boolean, text), '?' after NAME for optional.")
        @OptionGroup var dataDir: DataDirectoryOptions
        @OptionGroup var tcc: TCCOptions
        @Argument(help: "The stream's name.") var name: String
        @Option(help: "A field, e.g. celsius:number:-50:60 or note?:text.") var field: [String]
        @Option(help: "The numeric field answers compute over (needs a minimum and a maximum).") var value: String?

        func run() async throws {
            let fields = try field.map { text -> StreamSchema.Field in
                let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2 || parts.count == 4, let type = StreamSchema.FieldType(rawValue: parts[1]) else {
                    throw ValidationError("'\(text)' is not NAME:TYPE or NAME:TYPE:MIN:MAX")
                }
                let optional = parts[0].hasSuffix("?")
                let bounds = parts.count == 4 ? (Double(parts[2]), Double(parts[3])) : (nil, nil)
                if parts.count == 4 && (bounds.0 == nil || bounds.1 == nil) { throw ValidationError("'\(text)': the bounds are numbers") }
                return StreamSchema.Field(
                    name: optional ? String(parts[0].dropLast()) : parts[0], type: type, required: !optional, minimum: bounds.0, maximum: bounds.1)
            }
            let schema: StreamSchema
            do { schema = try StreamSchema(fields: fields, value: value) } catch { throw ValidationError("\(error)") }
            let record: StreamRecord = try await dataDir.client().send(.PUT, apiPath("tccs", tcc.tcc, "streams", name), json: schema)
            print("stream \(record.name) declared with \(record.schema.fields.count) fields")
        }
    }
}
