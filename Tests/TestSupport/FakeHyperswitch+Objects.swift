import Foundation

extension FakeHyperswitch {
    /// `POST /payments`: validates like Hyperswitch, answers HE_01 for a known `payment_id`.
    func createPayment(_ request: FakeHTTPRequest, state: inout State) -> FakeHTTPResponse {
        guard let body = request.jsonObject else {
            return Self.error(400, "invalid_request", "IR_06", "Json deserialize error: expected an object")
        }
        guard let amountValue = body["amount"] else {
            return Self.error(400, "invalid_request", "IR_04", "Missing required param: amount")
        }
        guard let amount = Self.integer(amountValue), amount > 0 else {
            return Self.error(
                400,
                "invalid_request",
                "IR_05",
                "amount contains invalid data. Expected format is a positive integer in minor units"
            )
        }
        guard let currency = body["currency"] as? String else {
            return Self.error(400, "invalid_request", "IR_04", "Missing required param: currency")
        }
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            return Self.error(400, "invalid_request", "IR_06", "Json deserialize error: unknown variant `\(currency)`")
        }
        let id = (body["payment_id"] as? String) ?? state.nextID("pay_")
        guard state.payments[id] == nil else {
            return Self.error(
                400,
                "invalid_request",
                "HE_01",
                "The payment with the specified payment_id '\(id)' already exists in our records"
            )
        }
        let confirm = (body["confirm"] as? Bool) ?? false
        let payment = Payment(
            id: id,
            amount: amount,
            currency: currency,
            status: confirm ? state.confirmedStatus : "requires_payment_method",
            customerID: body["customer_id"] as? String,
            metadata: Self.stringMetadata(body["metadata"]),
            clientSecret: id + "_secret_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            created: Date()
        )
        state.payments[id] = payment
        return .json(200, self.render(payment).bytes)
    }

    /// The fields a `RefundRequest` may carry (it is `deny_unknown_fields`).
    static let refundFields: Set<String> = [
        "payment_id", "refund_id", "merchant_id", "amount", "reason", "refund_type", "metadata",
        "merchant_connector_details", "charges",
    ]

    /// `POST /refunds`: the payment must exist and have succeeded; the amount defaults to what is left.
    func createRefund(_ request: FakeHTTPRequest, state: inout State) -> FakeHTTPResponse {
        guard let body = request.jsonObject else {
            return Self.error(400, "invalid_request", "IR_06", "Json deserialize error: expected an object")
        }
        if let unknown = body.keys.sorted().first(where: { !Self.refundFields.contains($0) }) {
            return Self.error(400, "invalid_request", "IR_06", "Json deserialize error: unknown field `\(unknown)`")
        }
        guard let paymentID = body["payment_id"] as? String else {
            return Self.error(400, "invalid_request", "IR_04", "Missing required param: payment_id")
        }
        guard let payment = state.payments[paymentID] else {
            return Self.error(404, "invalid_request", "HE_02", "Payment does not exist in our records")
        }
        let id = (body["refund_id"] as? String) ?? state.nextID("ref_")
        guard state.refunds[id] == nil else {
            return Self.error(
                400,
                "invalid_request",
                "HE_01",
                "Duplicate refund request. Refund already attempted with the refund ID"
            )
        }
        guard payment.status == "succeeded" || payment.status == "partially_captured" else {
            return Self.error(
                400,
                "invalid_request",
                "HE_03",
                "The payment has not succeeded yet. Please pass a successful payment to initiate refund"
            )
        }
        let remaining = payment.amount - payment.refunded
        let amount = body["amount"].flatMap(Self.integer) ?? remaining
        guard amount > 0, amount <= remaining else {
            return Self.error(400, "invalid_request", "IR_13", "The refund amount exceeds the amount captured")
        }
        let refund = Refund(
            id: id,
            paymentID: paymentID,
            amount: amount,
            currency: payment.currency,
            status: state.newRefundStatus,
            reason: body["reason"] as? String,
            metadata: Self.stringMetadata(body["metadata"]),
            created: Date()
        )
        state.refunds[id] = refund
        state.payments[paymentID]?.refunded += amount
        return .json(200, self.render(refund).bytes)
    }

    /// A `PaymentsResponse`, fields in Hyperswitch's order (the ones this product reads, and some more).
    func render(_ payment: Payment) -> OrderedJSON {
        let received: Int64 = payment.status == "succeeded" ? payment.amount : 0
        return .object([
            ("payment_id", .string(payment.id)),
            ("merchant_id", .string(self.merchantID)),
            ("status", .string(payment.status)),
            ("amount", .integer(payment.amount)),
            ("net_amount", .integer(payment.amount)),
            ("amount_capturable", .integer(payment.status == "succeeded" ? 0 : payment.amount)),
            ("amount_received", received > 0 ? .integer(received) : .null),
            ("connector", .null),
            ("client_secret", .string(payment.clientSecret)),
            ("created", .string(Self.timestamp(payment.created))),
            ("currency", .string(payment.currency)),
            ("customer_id", payment.customerID.map { .string($0) } ?? .null),
            ("description", .null),
            ("metadata", .strings(payment.metadata)),
            ("capture_method", .string("automatic")),
            ("profile_id", .string("pro_veza_test")),
            ("attempt_count", .integer(1)),
            ("expires_on", .string(Self.timestamp(payment.created.addingTimeInterval(15 * 60)))),
        ])
    }

    /// A `RefundResponse`, fields in Hyperswitch's order.
    func render(_ refund: Refund) -> OrderedJSON {
        .object([
            ("refund_id", .string(refund.id)),
            ("payment_id", .string(refund.paymentID)),
            ("amount", .integer(refund.amount)),
            ("currency", .string(refund.currency)),
            ("status", .string(refund.status)),
            ("reason", refund.reason.map { .string($0) } ?? .null),
            ("metadata", .strings(refund.metadata)),
            ("error_message", .null),
            ("error_code", .null),
            ("created_at", .string(Self.timestamp(refund.created))),
            ("updated_at", .string(Self.timestamp(refund.created))),
            ("connector", .string("stripe")),
            ("profile_id", .string("pro_veza_test")),
            ("merchant_connector_id", .string("mca_veza_test")),
        ])
    }

    static func integer(_ value: Any) -> Int64? {
        // JSONSerialization gives numbers as NSNumber (booleans too: `true` reads as 1 here, which a
        // fake may accept).
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double == double.rounded(), abs(double) < 9e15 else { return nil }
        return number.int64Value
    }

    static func stringMetadata(_ value: Any?) -> [String: String] {
        guard let object = value as? [String: Any] else { return [:] }
        return object.compactMapValues { $0 as? String }
    }
}
