namespace Sluice.Generators;

/// <summary>Names of the pipeline steps, so incrementality tests can check each one.</summary>
internal static class TrackingNames
{
    public const string WireErrorsParse = nameof(WireErrorsParse);
    public const string WireErrorsSpec = nameof(WireErrorsSpec);
    public const string JsonContextCheck = nameof(JsonContextCheck);
    public const string WorkerParse = nameof(WorkerParse);
    public const string WorkerSpec = nameof(WorkerSpec);
    public const string QueryParse = nameof(QueryParse);
    public const string QuerySpec = nameof(QuerySpec);
    public const string BulkLoaderParse = nameof(BulkLoaderParse);
    public const string BulkLoaderSpec = nameof(BulkLoaderSpec);
    public const string Catalog = nameof(Catalog);
    public const string CatalogBulkWrites = nameof(CatalogBulkWrites);
    public const string ProviderPackages = nameof(ProviderPackages);
    public const string CursorFeedParse = nameof(CursorFeedParse);
    public const string CursorFeedSpec = nameof(CursorFeedSpec);
    public const string ChunkedBatchParse = nameof(ChunkedBatchParse);
    public const string ChunkedBatchSpec = nameof(ChunkedBatchSpec);
    public const string CachedParse = nameof(CachedParse);
    public const string CachedSpec = nameof(CachedSpec);
    public const string InvalidatesParse = nameof(InvalidatesParse);
    public const string InvalidatesSpec = nameof(InvalidatesSpec);
    public const string AuditEntryParse = nameof(AuditEntryParse);
    public const string AuditEntrySpec = nameof(AuditEntrySpec);
    public const string BulkInsertParse = nameof(BulkInsertParse);
    public const string BulkInsertSpec = nameof(BulkInsertSpec);
    public const string BulkUpsertParse = nameof(BulkUpsertParse);
    public const string BulkUpsertSpec = nameof(BulkUpsertSpec);
    public const string QueryBatchParse = nameof(QueryBatchParse);
    public const string QueryBatchSpec = nameof(QueryBatchSpec);
}
