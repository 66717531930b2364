import ArgumentParser
import Foundation
import KuraBuiltins
import KuraCore

/// `kura example DIR`: writes a small gzip CSV file and a config that loads it.
struct ExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Write a small gzip CSV file and a config that loads it into DIR (default ./kura-example).")

    @Argument(help: "The directory to create.")
    var directory: String = "kura-example"

    static let csv = """
        id,account,time,purchase,comment
        1,32864,2015-01-27 19:23:49,20150127,embulk
        2,14824,2015-01-27 19:01:23,20150127,embulk jruby
        3,27559,2015-01-28 02:20:02,20150128,"Embulk ""csv"" parser plugin"
        4,11270,2015-01-29 11:54:36,20150129,
        5,53231,2015-01-30 07:12:45,20150130,"multi-line
        comment"

        """

    static let config = """
        # Loads csv/sample_01.csv.gz into an SQLite database beside this file.
        # Run it with:  kura run %CONFIG%
        in:
          type: file
          path_prefix: %DIR%/csv/sample_
          decoders:
            - {type: gzip}
          parser:
            type: csv
            charset: UTF-8
            newline: LF
            delimiter: ','
            quote: '"'
            escape: '"'
            skip_header_lines: 1
            columns:
              - {name: id, type: long}
              - {name: account, type: long}
              - {name: time, type: timestamp, format: '%Y-%m-%d %H:%M:%S'}
              - {name: purchase, type: timestamp, format: '%Y%m%d'}
              - {name: comment, type: string}
        out:
          type: sqlite
          path: %DIR%/example.db
          table: sample
          mode: replace

        """

    func run() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/csv", withIntermediateDirectories: true)
        guard case .encoder(let make)? = BuiltinPlugins.registry.descriptor(.encoder, "gzip")?.factory else {
            throw ValidationError("the gzip encoder is not available")
        }
        let encoder = try make(PluginConfig(node: ConfigNode(.mapping([])), path: "example")).makeEncoder()
        var gz: [UInt8] = []
        try Array(Self.csv.utf8).withUnsafeBytes { try encoder.push($0) { gz.append(contentsOf: $0) } }
        try encoder.finish { gz.append(contentsOf: $0) }
        let dataPath = directory + "/csv/sample_01.csv.gz"
        try Data(gz).write(to: URL(fileURLWithPath: dataPath))
        let configPath = directory + "/example.yml"
        let text = Self.config.replacingOccurrences(of: "%DIR%", with: directory).replacingOccurrences(of: "%CONFIG%", with: configPath)
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        print("Created \(dataPath) and \(configPath).")
        print("Next:  kura preview \(configPath)   then   kura run \(configPath)")
    }
}
