import Foundation
import KuraCore
import KuraS3
import OutputPostgreSQL

extension RedshiftOutputPlugin {
    /// How rows reach the server.
    public enum CopyMethod: String, ConfigEnum, Sendable {
        /// S3 staging on Redshift; `COPY FROM STDIN` when the server turns out to be PostgreSQL (the default).
        case auto
        /// Always gzip'd CSV parts in S3 and Redshift's `COPY … FROM 's3://…'`.
        case s3
        /// `COPY FROM STDIN` as output `postgresql` does (PostgreSQL only: Redshift has no COPY from the client).
        case stdin
        /// Batched multi-row `INSERT … VALUES` with parameters, for endpoints with neither COPY FROM STDIN nor S3.
        case insert
    }

    /// Where the S3 credentials come from.
    public enum AuthMethod: String, ConfigEnum, Sendable {
        /// `aws_access_key_id` and `aws_secret_access_key` (and `aws_session_token`, when set) from the config.
        case basic
        /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` from the environment.
        case env
        /// Temporary credentials: the keys and `aws_session_token`, all from the config.
        case session
    }

    /// The options of output `redshift`: every key of output `postgresql` plus embulk-output-redshift's own.
    public struct Options: Decodable, Sendable {
        /// The connection, target, mode and column keys, as output `postgresql` reads them.
        public var connection: PostgreSQLOutputPlugin.Options
        /// Where the S3 credentials come from: `basic`, `env` or `session` (default `basic` when
        /// `aws_access_key_id` is set, else `env`).
        public var awsAuthMethod: AuthMethod
        /// The access key of the S3 uploads (and of Redshift's COPY, unless `copy_iam_role_name` is set).
        public var awsAccessKeyID: String?
        /// Its secret; never shown in any message.
        public var awsSecretAccessKey: String?
        /// The session token of temporary credentials (default: none).
        public var awsSessionToken: String?
        /// Accepted for embulk-output-redshift configs (which fetch federated credentials for this IAM user);
        /// kura signs with the configured keys themselves (default: none).
        public var iamUserName: String?
        /// The bucket that stages the rows (required when rows go through S3).
        public var s3Bucket: String?
        /// The key prefix of the staged parts; each run writes under `PREFIX/RUN_ID/` (default: none).
        public var s3KeyPrefix: String
        /// The bucket's region (default `us-east-1`).
        public var s3Region: String
        /// A custom S3 endpoint, such as `http://127.0.0.1:9000` for an S3-compatible server (default: AWS's).
        public var s3Endpoint: String?
        /// With `copy_aws_account_id`: Redshift's COPY reads S3 as role `arn:aws:iam::ACCOUNT:role/NAME` instead of
        /// with the access keys (default: none).
        public var copyIamRoleName: String?
        /// The account of `copy_iam_role_name` (default: none).
        public var copyAwsAccountID: String?
        /// Whether the staged parts are deleted after the load, whatever its outcome (default true).
        public var deleteS3TempFile: Bool
        /// How rows reach the server: `auto`, `s3`, `stdin` or `insert` (default `auto`).
        public var copyMethod: CopyMethod
        /// Bytes of CSV per staged part before compression (default 16 MiB, Embulk's `batch_size`).
        public var batchSize: Int

        enum CodingKeys: String, CodingKey {
            case awsAuthMethod = "aws_auth_method"
            case awsAccessKeyID = "aws_access_key_id"
            case awsSecretAccessKey = "aws_secret_access_key"
            case awsSessionToken = "aws_session_token"
            case iamUserName = "iam_user_name"
            case s3Bucket = "s3_bucket"
            case s3KeyPrefix = "s3_key_prefix"
            case s3Region = "s3_region"
            case s3Endpoint = "s3_endpoint"
            case copyIamRoleName = "copy_iam_role_name"
            case copyAwsAccountID = "copy_aws_account_id"
            case deleteS3TempFile = "delete_s3_temp_file"
            case copyMethod = "copy_method"
            case batchSize = "batch_size"
        }

        public init(from decoder: Decoder) throws {
            connection = try PostgreSQLOutputPlugin.Options(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            awsAccessKeyID = try c.decodeIfPresent(String.self, forKey: .awsAccessKeyID)
            awsSecretAccessKey = try c.decodeIfPresent(String.self, forKey: .awsSecretAccessKey)
            awsSessionToken = try c.decodeIfPresent(String.self, forKey: .awsSessionToken)
            awsAuthMethod = try c.decodeIfPresent(AuthMethod.self, forKey: .awsAuthMethod) ?? (awsAccessKeyID == nil ? .env : .basic)
            iamUserName = try c.decodeIfPresent(String.self, forKey: .iamUserName)
            s3Bucket = try c.decodeIfPresent(String.self, forKey: .s3Bucket)
            s3KeyPrefix = try c.decodeIfPresent(String.self, forKey: .s3KeyPrefix) ?? ""
            s3Region = try c.decodeIfPresent(String.self, forKey: .s3Region) ?? "us-east-1"
            s3Endpoint = try c.decodeIfPresent(String.self, forKey: .s3Endpoint)
            copyIamRoleName = try c.decodeIfPresent(String.self, forKey: .copyIamRoleName)
            copyAwsAccountID = try c.decodeIfPresent(String.self, forKey: .copyAwsAccountID)
            deleteS3TempFile = try c.decodeIfPresent(Bool.self, forKey: .deleteS3TempFile) ?? true
            copyMethod = try c.decodeIfPresent(CopyMethod.self, forKey: .copyMethod) ?? .auto
            batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 16 << 20
            try validate(c.codingPath)
        }

        /// Checks the S3 keys against each other; errors are located under `codingPath`.
        func validate(_ codingPath: [CodingKey]) throws {
            func fail(_ key: CodingKeys, _ message: String, _ fix: String) -> ConfigError {
                ConfigError(at: codingPath, key, message, fix: fix)
            }
            if copyMethod == .s3 && s3Bucket == nil {
                throw fail(.s3Bucket, "copy_method is s3 but s3_bucket is not set", "name the bucket that stages the rows")
            }
            if let bucket = s3Bucket, bucket.isEmpty || bucket.contains("/") {
                throw fail(.s3Bucket, "'\(bucket)' is not a bucket name", "write the bucket alone, and the path under s3_key_prefix")
            }
            if awsAuthMethod != .env && (awsAccessKeyID == nil) != (awsSecretAccessKey == nil) {
                throw fail(
                    awsAccessKeyID == nil ? .awsAccessKeyID : .awsSecretAccessKey,
                    "aws_access_key_id and aws_secret_access_key go together", "set both, or neither to use aws_auth_method: env")
            }
            if awsAuthMethod == .session && awsSessionToken == nil {
                throw fail(.awsSessionToken, "aws_auth_method is session but aws_session_token is not set", "set the token")
            }
            if (copyIamRoleName == nil) != (copyAwsAccountID == nil) {
                throw fail(
                    copyIamRoleName == nil ? .copyIamRoleName : .copyAwsAccountID,
                    "copy_iam_role_name and copy_aws_account_id go together", "set both, or neither")
            }
            if batchSize < 1024 { throw fail(.batchSize, "batch_size \(batchSize) is too small", "use bytes ≥ 1024 (default 16777216)") }
            if let endpoint = s3Endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
                throw fail(.s3Endpoint, "'\(endpoint)' is not an http(s) URL", "write it as https://host[:port]")
            }
        }

        /// The credentials for the S3 uploads, or an error that says where they were looked for.
        func credentials(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Credentials {
            if awsAuthMethod == .env {
                guard let fromEnv = S3Credentials.fromEnvironment(environment) else {
                    throw SystemError(
                        "output redshift has no AWS credentials: aws_auth_method is env but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; "
                            + "set them, or aws_access_key_id and aws_secret_access_key in the config")
                }
                return fromEnv
            }
            return S3Credentials(accessKeyID: awsAccessKeyID ?? "", secretAccessKey: awsSecretAccessKey ?? "", sessionToken: awsSessionToken)
        }

        /// The key prefix of run `runID`'s parts, ending in `/`.
        func runPrefix(_ runID: String) -> String {
            let base = s3KeyPrefix.isEmpty || s3KeyPrefix.hasSuffix("/") ? s3KeyPrefix : s3KeyPrefix + "/"
            return base + runID + "/"
        }
    }
}
