import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import Testing

@testable import StreamServer

/// Issue 9 §7, tried with raw sockets against the live server (it runs in this process, so its
/// descriptors are this process's).
@Suite("Connections: descriptors, timeouts, Host")
struct ConnectionGuardTests {
    static func bearer() async throws -> String {
        "Bearer \(try await TestApp.token(for: Identity(userID: UUID(), role: .user)))"
    }

    @Test("early rejections of Connection: close requests leave no descriptor open", arguments: DatabaseEngine.allCases)
    func earlyRejectionsRelease(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine, live: true) { _, client in
            let port = try #require(client.port)
            let request =
                "POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nContent-Length: 4194304\r\n\r\n"
            func reject() async throws {
                // The whole 4 MiB, as far as the server takes it before it stops reading.
                let connection = try RawConnection(port: port, sendTimeout: .milliseconds(500))
                await connection.send(request)
                await connection.send([UInt8](repeating: 0x20, count: 4 * 1024 * 1024))
                #expect(await connection.readResponse()?.status == 401)
            }
            try await reject()  // warm-up: whatever the first request opens lazily
            try await Task.sleep(for: .milliseconds(500))
            let before = serverConnectionCount(port: port)
            for _ in 0..<10 { try await reject() }
            var after = serverConnectionCount(port: port)
            let deadline = ContinuousClock.now + .seconds(8)
            while after > before + 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                after = serverConnectionCount(port: port)
            }
            #expect(after <= before + 2, "server connections before \(before), after \(after)")
        }
    }

    @Test("an idle connection is closed after HTTP_IDLE_TIMEOUT", arguments: DatabaseEngine.allCases)
    func idleTimeout(engine: DatabaseEngine) async throws {
        let environment = ["HTTP_IDLE_TIMEOUT": "1s", "HTTP_HEADER_TIMEOUT": "30s"]
        try await TestApp.with(engine, live: true, environment: environment) { _, client in
            let port = try #require(client.port)
            // Never a byte.
            let silent = try RawConnection(port: port)
            let start = ContinuousClock.now
            #expect(await silent.readAll(timeout: .seconds(6)).closed)
            #expect(ContinuousClock.now - start < .seconds(4))
            // Kept alive after a response, then idle.
            let kept = try RawConnection(port: port)
            await kept.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await kept.readResponse()?.status == 200)
            #expect(await kept.readAll(timeout: .seconds(6)).closed)
        }
    }

    @Test("a request head that does not complete within HTTP_HEADER_TIMEOUT closes", arguments: DatabaseEngine.allCases)
    func headerTimeout(engine: DatabaseEngine) async throws {
        let environment = ["HTTP_IDLE_TIMEOUT": "30s", "HTTP_HEADER_TIMEOUT": "1s"]
        try await TestApp.with(engine, live: true, environment: environment) { _, client in
            let port = try #require(client.port)
            let slow = try RawConnection(port: port)
            await slow.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let start = ContinuousClock.now
            #expect(await slow.readAll(timeout: .seconds(6)).closed)
            #expect(ContinuousClock.now - start < .seconds(4))
            // A complete request on a fresh connection is unaffected.
            let quick = try RawConnection(port: port)
            await quick.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await quick.readResponse()?.status == 200)
        }
    }

    @Test("no Host, two Hosts, or an absolute-form target naming another host: 400", arguments: DatabaseEngine.allCases)
    func hostRules(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine, live: true) { _, client in
            let port = try #require(client.port)
            let refused = [
                "GET /health HTTP/1.1\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n",
                "GET http://evil.example/health HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n",
            ]
            for request in refused {
                let connection = try RawConnection(port: port)
                await connection.send(request)
                let response = try #require(await connection.readResponse(), "\(request)")
                #expect(response.status == 400, "\(request)")
                #expect(response.body.apiErrorCode == "invalid_host", "\(request)")
                #expect(await connection.readAll().closed)
            }
            // An absolute-form target naming the Host is served like its origin form.
            let connection = try RawConnection(port: port)
            await connection.send("GET http://127.0.0.1:\(port)/health HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
            #expect(await connection.readResponse()?.status == 200)
        }
    }
}
