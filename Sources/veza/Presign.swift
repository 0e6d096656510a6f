import ArgumentParser
import Foundation
import SignedURL
import Storage

struct Presign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a SigV4 presigned URL for an object, using the S3_* settings.",
        discussion: """
            Reads S3_ENDPOINT, S3_REGION (default us-east-1), S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY. \
            With --at the URL is reproducible (the signing time is fixed), which is how the AWS \
            documentation example is checked:
              S3_ENDPOINT=https://s3.amazonaws.com S3_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \\
              S3_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \\
              veza presign --bucket examplebucket --key test.txt --expires 86400 --at 20130524T000000Z --virtual-hosted
            """
    )

    @Option(help: "The bucket.")
    var bucket: String

    @Option(help: "The object key (unencoded; it is encoded per S3's rules).")
    var key: String

    @Option(help: "GET or HEAD.")
    var method: String = "GET"

    @Option(help: "Lifetime in seconds, 1 to 604800.")
    var expires: Int = 900

    @Option(help: "Signing time as YYYYMMDDTHHMMSSZ (default: now).")
    var at: String?

    @Flag(help: "Virtual-hosted addressing (bucket.endpoint-host), as AWS prefers; default is path style.")
    var virtualHosted = false

    func validate() throws {
        guard SignedURLMethod(rawValue: self.method.uppercased()) != nil else {
            throw ValidationError("--method must be GET or HEAD")
        }
        guard (1...604_800).contains(self.expires) else {
            throw ValidationError("--expires must be between 1 and 604800 seconds (7 days)")
        }
        if let at = self.at, AmzDate.parse(at) == nil {
            throw ValidationError("--at must look like 20130524T000000Z")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        func required(_ name: String) -> String {
            guard let value = environment[name], !value.isEmpty else {
                CommandSupport.fail(ValidationError("\(name) must be set for veza presign"))
            }
            return value
        }
        let region = environment["S3_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        do {
            let store = try S3Store(
                configuration: .init(
                    endpoint: required("S3_ENDPOINT"),
                    region: region,
                    bucket: self.bucket,
                    credentials: AWSCredentials(
                        accessKeyID: required("S3_ACCESS_KEY_ID"),
                        secretAccessKey: required("S3_SECRET_ACCESS_KEY")
                    ),
                    addressingStyle: self.virtualHosted ? .virtualHosted : .path
                )
            )
            let url: String
            do {
                url = try store.signedURL(
                    method: SignedURLMethod(rawValue: self.method.uppercased())!,
                    key: self.key,
                    expires: .seconds(self.expires),
                    responseContentDisposition: nil,
                    date: self.at.flatMap(AmzDate.parse) ?? Date()
                )
            } catch {
                // The store's HTTP client must be shut down before it is released.
                try? await store.shutdown()
                throw error
            }
            try await store.shutdown()
            print(url)
        } catch {
            CommandSupport.fail(error)
        }
    }
}
