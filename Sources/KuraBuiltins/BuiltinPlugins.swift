import DecoderBzip2
import DecoderGzip
import EncoderGzip
import FilterColumn
import FilterExpandJSON
import FilterRemoveColumns
import FilterRow
import FilterRename
import FormatterCSV
import FormatterJSONL
import InputFile
import KuraCore
import OutputFile
import OutputJDBC
import OutputNull
import OutputPostgreSQL
import OutputRedshift
import OutputSQLite
import OutputStdout
import ParserJSON
import ParserCSV

/// Every built-in plugin, in one explicit list: `kura plugins` and the docs are generated from it.
public enum BuiltinPlugins {
    /// The descriptors, grouped by kind in pipeline order.
    public static let descriptors: [PluginDescriptor] = [
        LocalFileInputPlugin.descriptor,
        GzipDecoderPlugin.descriptor,
        Bzip2DecoderPlugin.descriptor,
        CSVParserPlugin.descriptor,
        JSONParserPlugin.descriptor,
        JSONParserPlugin.jsonlDescriptor,
        RenameFilterPlugin.descriptor,
        RemoveColumnsFilterPlugin.descriptor,
        ColumnFilterPlugin.descriptor,
        RowFilterPlugin.descriptor,
        ExpandJSONFilterPlugin.descriptor,
        CSVFormatterPlugin.descriptor,
        JSONLFormatterPlugin.descriptor,
        GzipEncoderPlugin.descriptor,
        NullOutputPlugin.descriptor,
        StdoutOutputPlugin.descriptor,
        LocalFileOutputPlugin.descriptor,
        SQLiteOutputPlugin.descriptor,
        PostgreSQLOutputPlugin.descriptor,
        JDBCOutputPlugin.descriptor,
        RedshiftOutputPlugin.descriptor,
    ]

    /// The registry of built-ins (traps on a duplicate kind and name).
    public static let registry = PluginRegistry(descriptors)
}
