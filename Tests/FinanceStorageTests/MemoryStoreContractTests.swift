import FinanceStorage
import FinanceStorageTesting
import XCTest

/// The storage contract run against the in-memory reference store.
final class MemoryStoreContractTests: XCTestCase {
    private func run(_ name: String, line: UInt = #line) async throws {
        try await StoreContract.run(name, on: MemoryStore(), line: line)
    }

    static let covered = [
        "migrateIdempotent",
        "assetCRUD",
        "writeBarsCreatesUnknownAssets",
        "symbolsWithPunctuation",
        "upsertReplaces",
        "valuesRoundTrip",
        "multipleBatchesAndProgress",
        "failedWriteLeavesNothing",
        "barsRangeLimitOrder",
        "rollupsMatchAggregate",
        "rollupsLateData",
        "rollupsCorrectionLowersHigh",
        "rollupsOf5mBase",
        "rollupsPerBaseInterval",
        "rollupsBeforeEpoch",
        "rollupsSeveralBatchesOneCall",
        "concurrentWritesSameBuckets",
        "ticksBuildMinuteBars",
        "ticksAcrossCallsAndReplaceBars",
        "ticksRangeAndLatest",
        "deleteAssetCascades",
        "storedIntervalsFinestFirst",
        "providerBudgets",
        "providerKeyStates",
        "providerUsageAndHealth",
        "assetSources",
        "providerSymbolMap",
        "usersCRUD",
        "refreshTokenRotation",
        "apiKeysCRUD",
        "tokenRevocations",
        "secretsFirstWriterWins",
        "auditAppendAndQuery",
        "auditCursorPaging",
        "auditPrune",
        "portfolioCRUD",
        "portfolioPaging",
        "portfolioSnapshots",
        "assetMarketCap",
        "alertsCRUD",
        "alertsQuotaAndPaging",
        "alertEngineStates",
        "emailConfirmations",
        "outboxDedupesFirings",
        "outboxLeasesAndOutcomes",
        "outboxConcurrentClaimers",
        "alertHistoryPaging",
    ]

    func testEveryContractCheckHasATest() {
        XCTAssertEqual(StoreContract.missing(from: Self.covered), [], "add a test method per new contract check")
        XCTAssertEqual(Self.covered.count, Set(Self.covered).count)
    }

    func testMigrateIdempotent() async throws { try await self.run("migrateIdempotent") }
    func testAssetCRUD() async throws { try await self.run("assetCRUD") }
    func testWriteBarsCreatesUnknownAssets() async throws { try await self.run("writeBarsCreatesUnknownAssets") }
    func testSymbolsWithPunctuation() async throws { try await self.run("symbolsWithPunctuation") }
    func testUpsertReplaces() async throws { try await self.run("upsertReplaces") }
    func testValuesRoundTrip() async throws { try await self.run("valuesRoundTrip") }
    func testMultipleBatchesAndProgress() async throws { try await self.run("multipleBatchesAndProgress") }
    func testFailedWriteLeavesNothing() async throws { try await self.run("failedWriteLeavesNothing") }
    func testBarsRangeLimitOrder() async throws { try await self.run("barsRangeLimitOrder") }
    func testRollupsMatchAggregate() async throws { try await self.run("rollupsMatchAggregate") }
    func testRollupsLateData() async throws { try await self.run("rollupsLateData") }
    func testRollupsCorrectionLowersHigh() async throws { try await self.run("rollupsCorrectionLowersHigh") }
    func testRollupsOf5mBase() async throws { try await self.run("rollupsOf5mBase") }
    func testRollupsPerBaseInterval() async throws { try await self.run("rollupsPerBaseInterval") }
    func testRollupsBeforeEpoch() async throws { try await self.run("rollupsBeforeEpoch") }
    func testRollupsSeveralBatchesOneCall() async throws { try await self.run("rollupsSeveralBatchesOneCall") }
    func testConcurrentWritesSameBuckets() async throws { try await self.run("concurrentWritesSameBuckets") }
    func testTicksBuildMinuteBars() async throws { try await self.run("ticksBuildMinuteBars") }
    func testTicksAcrossCallsAndReplaceBars() async throws { try await self.run("ticksAcrossCallsAndReplaceBars") }
    func testTicksRangeAndLatest() async throws { try await self.run("ticksRangeAndLatest") }
    func testDeleteAssetCascades() async throws { try await self.run("deleteAssetCascades") }
    func testStoredIntervalsFinestFirst() async throws { try await self.run("storedIntervalsFinestFirst") }
    func testProviderBudgets() async throws { try await self.run("providerBudgets") }
    func testProviderKeyStates() async throws { try await self.run("providerKeyStates") }
    func testProviderUsageAndHealth() async throws { try await self.run("providerUsageAndHealth") }
    func testAssetSources() async throws { try await self.run("assetSources") }
    func testProviderSymbolMap() async throws { try await self.run("providerSymbolMap") }
    func testUsersCRUD() async throws { try await self.run("usersCRUD") }
    func testRefreshTokenRotation() async throws { try await self.run("refreshTokenRotation") }
    func testAPIKeysCRUD() async throws { try await self.run("apiKeysCRUD") }
    func testTokenRevocations() async throws { try await self.run("tokenRevocations") }
    func testSecretsFirstWriterWins() async throws { try await self.run("secretsFirstWriterWins") }
    func testAuditAppendAndQuery() async throws { try await self.run("auditAppendAndQuery") }
    func testAuditCursorPaging() async throws { try await self.run("auditCursorPaging") }
    func testAuditPrune() async throws { try await self.run("auditPrune") }
    func testPortfolioCRUD() async throws { try await self.run("portfolioCRUD") }
    func testPortfolioPaging() async throws { try await self.run("portfolioPaging") }
    func testPortfolioSnapshots() async throws { try await self.run("portfolioSnapshots") }
    func testAssetMarketCap() async throws { try await self.run("assetMarketCap") }
    func testAlertsCRUD() async throws { try await self.run("alertsCRUD") }
    func testAlertsQuotaAndPaging() async throws { try await self.run("alertsQuotaAndPaging") }
    func testAlertEngineStates() async throws { try await self.run("alertEngineStates") }
    func testEmailConfirmations() async throws { try await self.run("emailConfirmations") }
    func testOutboxDedupesFirings() async throws { try await self.run("outboxDedupesFirings") }
    func testOutboxLeasesAndOutcomes() async throws { try await self.run("outboxLeasesAndOutcomes") }
    func testOutboxConcurrentClaimers() async throws { try await self.run("outboxConcurrentClaimers") }
    func testAlertHistoryPaging() async throws { try await self.run("alertHistoryPaging") }
}
