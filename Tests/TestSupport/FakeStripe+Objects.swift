import Foundation

extension FakeStripe {
    /// The pairs of an `application/x-www-form-urlencoded` body (`+` is a space), in order.
    public static func parseForm(_ request: FakeHTTPRequest) -> [(String, String)] {
        guard !request.body.isEmpty else { return [] }
        return request.bodyText.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring?) -> String {
                let spaced = (text ?? "").replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts.first), decode(parts.count > 1 ? parts[1] : nil))
        }
    }

    /// The `metadata[key]=value` pairs of a form.
    static func metadata(_ form: [(String, String)]) -> [String: String] {
        var metadata: [String: String] = [:]
        for (key, value) in form where key.hasPrefix("metadata[") && key.hasSuffix("]") {
            metadata[String(key.dropFirst("metadata[".count).dropLast())] = value
        }
        return metadata
    }

    static func value(_ form: [(String, String)], _ key: String) -> String? {
        form.last { $0.0 == key }?.1
    }

    /// `POST /v1/transfers`.
    func createTransfer(_ form: [(String, String)], state: inout State) -> FakeHTTPResponse {
        let known: Set<String> = [
            "amount", "currency", "destination", "transfer_group", "description", "source_transaction", "source_type",
        ]
        if let unknown = form.first(where: { !known.contains($0.0) && !$0.0.hasPrefix("metadata[") }) {
            return Self.error(
                400,
                "invalid_request_error",
                "parameter_unknown",
                "Received unknown parameter: \(unknown.0)",
                param: unknown.0
            )
        }
        for required in ["amount", "currency", "destination"] where Self.value(form, required) == nil {
            return Self.error(
                400,
                "invalid_request_error",
                "parameter_missing",
                "Missing required param: \(required).",
                param: required
            )
        }
        guard let amount = Int64(Self.value(form, "amount")!), amount > 0 else {
            return Self.error(
                400,
                "invalid_request_error",
                "parameter_invalid_integer",
                "Invalid integer: \(Self.value(form, "amount")!)",
                param: "amount"
            )
        }
        let currency = Self.value(form, "currency")!
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLowercase }) else {
            return Self.error(400, "invalid_request_error", nil, "Invalid currency: \(currency).", param: "currency")
        }
        let destination = Self.value(form, "destination")!
        guard destination.hasPrefix("acct_") else {
            return Self.error(
                400,
                "invalid_request_error",
                "resource_missing",
                "No such destination: '\(destination)'",
                param: "destination"
            )
        }
        if let balance = state.availableBalance {
            guard balance >= amount else {
                return Self.error(
                    400,
                    "invalid_request_error",
                    "balance_insufficient",
                    "You have insufficient available funds in your Stripe account.",
                    param: nil
                )
            }
            state.availableBalance = balance - amount
        }
        let transfer = Transfer(
            id: state.newID("tr_"),
            amount: amount,
            amountReversed: 0,
            currency: currency,
            destination: destination,
            transferGroup: Self.value(form, "transfer_group"),
            metadata: Self.metadata(form),
            reversalIDs: [],
            created: Int64(Date().timeIntervalSince1970)
        )
        state.transfers[transfer.id] = transfer
        return .json(200, self.render(transfer, state: state).bytes)
    }

    /// `POST /v1/transfers/{id}/reversals`: the amount defaults to what is left.
    func reverseTransfer(_ id: String, _ form: [(String, String)], state: inout State) -> FakeHTTPResponse {
        guard var transfer = state.transfers[id] else { return Self.noSuchTransfer(id) }
        guard !transfer.reversed else {
            return Self.error(
                400,
                "invalid_request_error",
                nil,
                "The transfer \(id) is already fully reversed.",
                param: nil
            )
        }
        let remaining = transfer.amount - transfer.amountReversed
        let requested = Self.value(form, "amount")
        let amount = requested.map { Int64($0) ?? -1 } ?? remaining
        guard amount > 0, amount <= remaining else {
            return Self.error(
                400,
                "invalid_request_error",
                nil,
                "You have attempted to reverse more than the remaining amount of the transfer.",
                param: "amount"
            )
        }
        let reversal = Reversal(
            id: state.newID("trr_"),
            transferID: id,
            amount: amount,
            currency: transfer.currency,
            metadata: Self.metadata(form),
            created: Int64(Date().timeIntervalSince1970)
        )
        transfer.amountReversed += amount
        transfer.reversalIDs.append(reversal.id)
        state.transfers[id] = transfer
        state.reversals[reversal.id] = reversal
        if let balance = state.availableBalance { state.availableBalance = balance + amount }
        return .json(200, self.render(reversal).bytes)
    }

    /// A `transfer` object, fields as Stripe lists them.
    func render(_ transfer: Transfer, state: State) -> OrderedJSON {
        let reversals = transfer.reversalIDs.compactMap { state.reversals[$0] }.map(self.render)
        return .object([
            ("id", .string(transfer.id)),
            ("object", .string("transfer")),
            ("amount", .integer(transfer.amount)),
            ("amount_reversed", .integer(transfer.amountReversed)),
            ("balance_transaction", .string("txn_" + transfer.id.dropFirst(3))),
            ("created", .integer(transfer.created)),
            ("currency", .string(transfer.currency)),
            ("description", .null),
            ("destination", .string(transfer.destination)),
            ("destination_payment", .string("py_" + transfer.id.dropFirst(3))),
            ("livemode", .bool(false)),
            ("metadata", .strings(transfer.metadata)),
            (
                "reversals",
                .object([
                    ("object", .string("list")),
                    ("data", .array(reversals)),
                    ("has_more", .bool(false)),
                    ("total_count", .integer(Int64(reversals.count))),
                    ("url", .string("/v1/transfers/\(transfer.id)/reversals")),
                ])
            ),
            ("reversed", .bool(transfer.reversed)),
            ("source_transaction", .null),
            ("source_type", .string("card")),
            ("transfer_group", transfer.transferGroup.map { .string($0) } ?? .null),
        ])
    }

    /// A `transfer_reversal` object.
    func render(_ reversal: Reversal) -> OrderedJSON {
        .object([
            ("id", .string(reversal.id)),
            ("object", .string("transfer_reversal")),
            ("amount", .integer(reversal.amount)),
            ("balance_transaction", .string("txn_" + reversal.id.dropFirst(4))),
            ("created", .integer(reversal.created)),
            ("currency", .string(reversal.currency)),
            ("destination_payment_refund", .string("pyr_" + reversal.id.dropFirst(4))),
            ("metadata", .strings(reversal.metadata)),
            ("source_refund", .null),
            ("transfer", .string(reversal.transferID)),
        ])
    }
}
