import KuraCore

extension LocalFileInputPlugin {
    /// Options of the `file` input (Embulk's `LocalFileInputPlugin`).
    public struct Options: Decodable, Sendable {
        /// Path prefix of the files to read (required): every regular file whose path starts with it, below the
        /// prefix's directory and recursively, in byte order of the path. A prefix ending in `/` means everything
        /// under that directory. Relative prefixes resolve against the working directory.
        public var pathPrefix: String
        /// Read only files whose path sorts strictly after this one; default none (read every matching file).
        public var lastPath: String?
        /// Whether symbolic links to files and directories are followed; default false (they are skipped).
        public var followSymlinks: Bool
        /// The most files to read in one run (the first ones in path order); default none (no limit).
        public var totalFileCountLimit: Int?

        /// Creates options.
        public init(
            pathPrefix: String, lastPath: String? = nil, followSymlinks: Bool = false,
            totalFileCountLimit: Int? = nil
        ) {
            self.pathPrefix = pathPrefix
            self.lastPath = lastPath
            self.followSymlinks = followSymlinks
            self.totalFileCountLimit = totalFileCountLimit
        }

        enum CodingKeys: String, CodingKey {
            case pathPrefix = "path_prefix"
            case lastPath = "last_path"
            case followSymlinks = "follow_symlinks"
            case totalFileCountLimit = "total_file_count_limit"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            pathPrefix = try c.decode(String.self, forKey: .pathPrefix)
            lastPath = try c.decodeIfPresent(String.self, forKey: .lastPath)
            followSymlinks = try c.decodeIfPresent(Bool.self, forKey: .followSymlinks) ?? false
            totalFileCountLimit = try c.decodeIfPresent(Int.self, forKey: .totalFileCountLimit)
            if pathPrefix.isEmpty {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.pathPrefix, "path_prefix is empty",
                    fix: "set it to a directory ending in '/' or to the start of the file paths, such as 'data/sales_'")
            }
            if let limit = totalFileCountLimit, limit < 0 {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.totalFileCountLimit, "total_file_count_limit is negative (\(limit))",
                    fix: "use 0 or a positive number of files, or remove the key for no limit")
            }
        }
    }
}
