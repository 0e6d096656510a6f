import Foundation

/// What a licence grants; an `exclusive` one, once paid, unlists the product.
public enum LicenceKind: String, Codable, Sendable, CaseIterable {
    case basic
    case premium
    case exclusive
}

/// Whether a product can be bought.
public enum ProductStatus: String, Codable, Sendable, CaseIterable {
    case listed
    case unlisted
}

/// One licence on offer: a kind at a price.
public struct Licence: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var productID: UUID
    public var kind: LicenceKind
    public var priceCents: Int64
    /// ISO 4217, uppercase.
    public var currency: String
    /// False once a `PUT …/licences` replaced it (orders keep referring to it).
    public var active: Bool

    public init(id: UUID = UUID(), productID: UUID, kind: LicenceKind, priceCents: Int64, currency: String) {
        self.id = id
        self.productID = productID
        self.kind = kind
        self.priceCents = priceCents
        self.currency = currency
        self.active = true
    }
}

/// A track offered for sale, with its active licences.
public struct Product: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var trackID: UUID
    public var sellerID: UUID
    public var status: ProductStatus
    public var licences: [Licence]
    public var createdAt: Date

    public init(
        id: UUID = UUID(),
        trackID: UUID,
        sellerID: UUID,
        status: ProductStatus = .listed,
        licences: [Licence],
        createdAt: Date
    ) {
        self.id = id
        self.trackID = trackID
        self.sellerID = sellerID
        self.status = status
        self.licences = licences
        self.createdAt = createdAt
    }
}

/// A licence as the seller asks for it, before it has an id.
public struct LicenceOffer: Sendable, Equatable {
    public var kind: LicenceKind
    public var priceCents: Int64
    public var currency: String

    public init(kind: LicenceKind, priceCents: Int64, currency: String) {
        self.kind = kind
        self.priceCents = priceCents
        self.currency = currency
    }

    /// Checks a set of offers: at least one, one per kind, prices > 0, ISO 4217 currencies.
    ///
    /// - Returns: The offers with their currencies uppercased.
    /// - Throws: ``MarketplaceError`` `invalid_input`.
    public static func validated(_ offers: [LicenceOffer]) throws -> [LicenceOffer] {
        guard !offers.isEmpty else { throw MarketplaceError.refused(.invalidInput, "send at least one licence") }
        guard offers.count <= LicenceKind.allCases.count, Set(offers.map(\.kind)).count == offers.count else {
            throw MarketplaceError.refused(.invalidInput, "each licence kind may appear once")
        }
        return try offers.map { offer in
            guard offer.priceCents > 0, offer.priceCents <= 100_000_000_00 else {
                throw MarketplaceError.refused(.invalidInput, "price_cents must be a positive integer")
            }
            let currency = offer.currency.uppercased()
            guard ISOCurrency.isKnown(currency) else {
                throw MarketplaceError.refused(
                    .invalidInput,
                    "currency must be an ISO 4217 code such as USD or EUR"
                )
            }
            return LicenceOffer(kind: offer.kind, priceCents: offer.priceCents, currency: currency)
        }
    }
}

/// ISO 4217 codes.
enum ISOCurrency {
    /// Three ASCII letters that Foundation knows as an ISO currency code.
    static func isKnown(_ code: String) -> Bool {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else { return false }
        return Self.codes.contains(code)
    }

    static let codes = Set(Locale.commonISOCurrencyCodes.map { $0.uppercased() })
}
