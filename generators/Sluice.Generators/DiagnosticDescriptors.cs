using Microsoft.CodeAnalysis;

namespace Sluice.Generators;

/// <summary>
/// Every diagnostic the generator reports. Ids are assigned by hand, never reused, and documented in
/// docs/diagnostics/SLxxxx.md; a retired id stays retired. Tracked in AnalyzerReleases.*.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "Sluice";

    // An absolute link to docs/diagnostics/<id>.md in the repository when SluiceRepositoryUrl is set, else none.
    private static string HelpLink(string id) => Helpers.HelpLinks.For(id);

    public static readonly DiagnosticDescriptor WorkerNotPartial = Error(
        "SL0001",
        "[Worker] class must be partial",
        "[Worker] class '{0}' must be declared partial so Sluice can add its dispatcher and client; write 'partial class {0}'");

    public static readonly DiagnosticDescriptor WireErrorsNotPartial = Error(
        "SL0002",
        "[WireErrors] record must be partial",
        "[WireErrors] type '{0}' must be declared partial so Sluice can add its wire members; write 'abstract partial record {0}'");

    public static readonly DiagnosticDescriptor WireErrorsNotAbstract = Error(
        "SL0003",
        "[WireErrors] record must be abstract",
        "[WireErrors] type '{0}' must be abstract: only its nested sealed records are cases; write 'abstract partial record {0}'");

    public static readonly DiagnosticDescriptor WireErrorsCaseNotSealed = Error(
        "SL0004",
        "[WireErrors] case must be sealed",
        "Case '{0}' of [WireErrors] union '{1}' must be sealed so the union stays closed; write 'sealed partial record {0}'");

    public static readonly DiagnosticDescriptor DuplicateWireReason = Error(
        "SL0005",
        "Duplicate wire reason",
        "Cases '{0}' and '{1}' of '{2}' share the wire reason '{3}'; give one of them a distinct [WireReason(\"...\")]");

    public static readonly DiagnosticDescriptor WireReasonNotKebabCase = Error(
        "SL0006",
        "Wire reason must be kebab-case",
        "Wire reason '{0}' of case '{1}' is not kebab-case; use lowercase letters, digits and single hyphens, starting with a letter, e.g. '{2}'");

    public static readonly DiagnosticDescriptor ReservedWireReason = Error(
        "SL0007",
        "Wire reason is reserved",
        "Wire reason '{0}' of case '{1}' is reserved for Result's own cases ('defect', 'interrupted'); rename the case or set [WireReason(\"...\")]");

    public static readonly DiagnosticDescriptor MapDbErrorNeedsOneCode = Error(
        "SL0008",
        "[MapDbError] must set exactly one code",
        "[MapDbError] on '{0}' must set exactly one of SqlState (e.g. SqlState = \"40001\") or SqliteCode (e.g. SqliteCode = 5); use two attributes to map both");

    public static readonly DiagnosticDescriptor MapDbErrorCaseHasParameters = Error(
        "SL0009",
        "[MapDbError] case must be constructible without arguments",
        "Case '{0}' is marked [MapDbError] but its constructor takes parameters; a mapped database error carries no values, so declare it as 'sealed partial record {0} : {1};'");

    public static readonly DiagnosticDescriptor MapDbErrorSqliteNotReferenced = Error(
        "SL0010",
        "[MapDbError(SqliteCode)] needs Microsoft.Data.Sqlite",
        "[MapDbError(SqliteCode = ...)] on '{0}' matches SqliteException, but the project does not reference Microsoft.Data.Sqlite; reference it (or the Sluice.Sqlite package) or map by SqlState");

    public static readonly DiagnosticDescriptor WireErrorsHasNoCases = Error(
        "SL0011",
        "[WireErrors] union has no cases",
        "[WireErrors] union '{0}' has no cases; declare at least one nested 'public sealed partial record Name(...) : {0};'");

    public static readonly DiagnosticDescriptor HandlerSignature = Error(
        "SL0012",
        "Handler has the wrong signature",
        "Handler '{0}' must take (TCommand command, WorkerContext<TConnection> context) and return Result<TResult, TError> or ValueTask<Result<TResult, TError>>");

    public static readonly DiagnosticDescriptor CommandNotICommand = Error(
        "SL0013",
        "Command does not implement ICommand<TResult, TError>",
        "Handler '{0}' takes '{1}', which does not implement ICommand<TResult, TError>; declare it as 'record {1}(...) : ICommand<{2}, {3}>'");

    public static readonly DiagnosticDescriptor DuplicateHandler = Error(
        "SL0014",
        "Two handlers for one command",
        "Command '{0}' has two handlers in worker '{1}': '{2}' and '{3}'; remove one");

    public static readonly DiagnosticDescriptor HandlerResultMismatch = Error(
        "SL0015",
        "Handler result disagrees with the command",
        "Handler '{0}' returns Result<{1}, {2}> but command '{3}' implements ICommand<{4}, {5}>; make them agree");

    public static readonly DiagnosticDescriptor MixedConnectionTypes = Error(
        "SL0016",
        "Handlers of one worker use different connection types",
        "Handler '{0}' takes WorkerContext<{1}> but worker '{2}' owns a {3}; a worker has one connection, so move the handler to a worker of its own");

    public static readonly DiagnosticDescriptor WorkerHasNoHandlers = Warning(
        "SL0017",
        "[Worker] has no handlers",
        "[Worker] class '{0}' has no [Handler] methods; add one, e.g. 'Result<TResult, TError> Handle(MyCommand command, WorkerContext<SqliteConnection> context)'");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(
        "SL0018",
        "Containing type must be partial",
        "'{0}' is nested in '{1}', which must also be declared partial so Sluice can add members to '{0}'");

    public static readonly DiagnosticDescriptor GenericNotSupported = Error(
        "SL0019",
        "Generic [Worker] or [WireErrors] types are not supported",
        "'{0}' is generic; [Worker] and [WireErrors] types must not have type parameters");

    public static readonly DiagnosticDescriptor CommandImplementsICommandTwice = Error(
        "SL0020",
        "Command implements ICommand<TResult, TError> more than once",
        "Command '{0}' implements ICommand<TResult, TError> more than once; a command has exactly one result and one error type");

    public static readonly DiagnosticDescriptor ErrorTypeNotWireErrors = Error(
        "SL0021",
        "Command error type is not a [WireErrors] union",
        "Command '{0}' uses '{1}' as its error type, which is not a [WireErrors] union; mark it '[WireErrors] abstract partial record {1}'");

    public static readonly DiagnosticDescriptor CaseNotConstructible = Error(
        "SL0022",
        "[WireErrors] case cannot be rebuilt from its wire form",
        "Case '{0}' needs a public constructor whose parameters all match public properties by name (a positional record does); the reader rebuilds the case through it");

    public static readonly DiagnosticDescriptor QueryNotStaticPartial = Error(
        "SL0030",
        "[Query] or [BulkLoader] method must be static partial",
        "'{0}' must be a non-generic 'static partial' method declaration without a body; Sluice writes the body");

    public static readonly DiagnosticDescriptor SqlNotConstant = Error(
        "SL0031",
        "SQL must be a non-empty constant",
        "The SQL of '{0}' is empty; pass the statement as a constant string (e.g. a const field or a raw string literal)");

    public static readonly DiagnosticDescriptor QueryConnectionParameter = Error(
        "SL0032",
        "The first parameter must be the connection",
        "The first parameter of '{0}' must be a SqliteConnection, NpgsqlConnection or NpgsqlDataSource (usually 'this SqliteConnection db')");

    public static readonly DiagnosticDescriptor LoaderReturnType = Error(
        "SL0033",
        "Bulk loader has an unsupported return type",
        "Bulk loader '{0}' must return Task<RowLookup<TKey, TRow>> (or ILookup) for one-to-many, or Task<IReadOnlyDictionary<TKey, TRow>> for one row per key, with TRow a row type");

    public static readonly DiagnosticDescriptor LoaderKeys = Error(
        "SL0034",
        "Bulk loader keys are missing or unsupported",
        "Bulk loader '{0}' needs its keys as the parameter after the connection (e.g. IReadOnlyCollection<{1}> ids); supported key types are long, int, string, Guid, enums (by value or name), typed ids over them, and types whose converter converts to one of them");

    public static readonly DiagnosticDescriptor QueryReturnType = Error(
        "SL0035",
        "Query has an unsupported return type",
        "'{0}' must return Task<T?> (first row), Task<List<T>>, IAsyncEnumerable<T>, Task<scalar> or Task<int> (affected rows), where T is a record or class with a public constructor");

    public static readonly DiagnosticDescriptor QueryParameterMismatch = Error(
        "SL0036",
        "Statement parameters do not match the method parameters",
        "The statement of '{0}' uses parameters ({1}) that do not match the method's parameters ({2}); use $1…$n in method order, or @name matching parameter names, each method parameter exactly once");

    public static readonly DiagnosticDescriptor LoaderCorrelatedExists = Error(
        "SL0037",
        "Bulk loader uses a correlated EXISTS over the key set",
        "Bulk loader '{0}' filters with EXISTS (… json_each/unnest …), which rescans the key set for every row (74 s for 1,000 keys when measured); write 'key IN (SELECT value FROM json_each($1))' or 'key = ANY($1)'");

    public static readonly DiagnosticDescriptor LoaderNpgsqlInList = Error(
        "SL0038",
        "PostgreSQL bulk loader uses an IN list",
        "PostgreSQL bulk loader '{0}' uses IN (…); bind the keys as one array parameter with 'key_column = ANY($1)', which keeps one statement text for any number of keys");

    public static readonly DiagnosticDescriptor LoaderKeyPredicate = Error(
        "SL0039",
        "Bulk loader has no recognizable key predicate",
        "Bulk loader '{0}' must filter its key column with '{1}' so Sluice knows the key column and binds the keys in one parameter");

    public static readonly DiagnosticDescriptor LoaderSqliteWithoutJsonEach = Error(
        "SL0040",
        "SQLite bulk loader without json_each",
        "SQLite bulk loader '{0}' must pass its keys through json_each: '{1}' (one parameter for any number of keys; SQLite has no array parameters)");

    public static readonly DiagnosticDescriptor LoaderKeyColumnNotSelected = Error(
        "SL0041",
        "Bulk loader key column is not selected",
        "Bulk loader '{0}' filters on '{1}' but does not select it; add '{1}' to the SELECT list so rows can be grouped by key");

    public static readonly DiagnosticDescriptor RowMemberWithoutColumn = Error(
        "SL0042",
        "Row member has no column",
        "'{0}' has no column in the SELECT list of '{1}' ({2}); select it (e.g. '{3}'), rename the column with AS, or map it with [Column(\"...\")]");

    public static readonly DiagnosticDescriptor UnsupportedColumnType = Error(
        "SL0043",
        "Row member type cannot be read from a column",
        "'{0}' has type '{1}', which Sluice cannot read from a column; use an integer, bool, double, float, decimal, string, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, byte[], an enum, a typed id (a struct with a constructor taking one such value and a 'Value' property), JsonDocument/JsonElement, a PostgreSQL array, or their nullable forms; for other types register a converter ([SluiceConverter]) or store it as JSON ([JsonColumn])");

    public static readonly DiagnosticDescriptor DataLoaderShape = Error(
        "SL0044",
        "DataLoader needs a keys-only bulk loader",
        "'{0}' sets DataLoader = true, so its parameters must be the connection, the keys as IEnumerable/IReadOnlyCollection/IReadOnlyList<{1}>, and optionally a CancellationToken; move other filters into a separate loader");

    public static readonly DiagnosticDescriptor DataSourceWithTransaction = Error(
        "SL0045",
        "A data-source query cannot take a transaction",
        "'{0}' runs on an NpgsqlDataSource, whose commands open their own pooled connection, so the transaction parameter '{1}' could never apply; take an NpgsqlConnection (the transaction's) as the first parameter instead");

    public static readonly DiagnosticDescriptor FeedCursorOrder = Error(
        "SL0050",
        "Cursor feed must bound and order by the cursor column",
        "'{0}' is a cursor feed, so its cursor column must be both the lower bound and the only ORDER BY column: {1}; write 'WHERE … AND seq > $after ORDER BY seq LIMIT $pageSize' with your cursor column");

    public static readonly DiagnosticDescriptor FeedWithoutLimit = Error(
        "SL0051",
        "Cursor feed needs a LIMIT bound to its page size",
        "'{0}' is a cursor feed but its statement has no 'LIMIT' bound to an int or long page-size parameter ({1}); end the statement with 'LIMIT $pageSize' and take 'int pageSize' as a parameter");

    public static readonly DiagnosticDescriptor FeedCursorNotOnRow = Error(
        "SL0052",
        "Cursor feed row must carry the cursor",
        "'{0}' advances its cursor from the last row of each page, but {1}; select the cursor column into a public member of the row whose type matches the cursor parameter");

    public static readonly DiagnosticDescriptor FeedReturnType = Error(
        "SL0053",
        "Cursor feed must return IAsyncEnumerable of a row",
        "'{0}' is a cursor feed and must return IAsyncEnumerable<TRow> where TRow is a record or class with the cursor column as a member; write 'public static partial IAsyncEnumerable<TRow> {0}(…)'");
    public static readonly DiagnosticDescriptor ChunkedBatchNotStaticPartial = Error(
        "SL0060",
        "[ChunkedBatch] class must be static partial",
        "[ChunkedBatch] class '{0}' must be declared 'static partial class {0}' so Sluice can add its Definition and RunAsync/DryRunAsync methods");

    public static readonly DiagnosticDescriptor ChunkedBatchInvalidIdentifier = Error(
        "SL0061",
        "[ChunkedBatch] name, table or key is not valid",
        "[ChunkedBatch] on '{0}': {1} '{2}' is not valid; {3}");

    public static readonly DiagnosticDescriptor ChunkedBatchSqlMissing = Error(
        "SL0062",
        "[ChunkedBatch] class has no constant Sql statement",
        "[ChunkedBatch] class '{0}' must hold its statement as 'public const string Sql = \"UPDATE ... WHERE {1} > @lo AND {1} <= @hi AND ...\";'");

    public static readonly DiagnosticDescriptor ChunkedBatchStatementKind = Error(
        "SL0063",
        "Chunked batch statement must be an UPDATE or DELETE on its table",
        "The statement of '{0}' must be a single UPDATE or DELETE FROM on '{1}', but it is {2}");

    public static readonly DiagnosticDescriptor ChunkedBatchMissingKeyBound = Error(
        "SL0064",
        "Chunked batch statement lacks the key range bound",
        "The statement of '{0}' must be bounded by the key range at the top level of its WHERE clause, joined with AND: add '{1} > @lo AND {1} <= @hi' (without it each batch would touch rows outside its range, or the whole table)");

    public static readonly DiagnosticDescriptor ChunkedBatchUnknownParameter = Error(
        "SL0065",
        "Chunked batch statement binds an unknown parameter",
        "The statement of '{0}' uses parameter '{1}'; a chunked batch binds only @lo and @hi (the key range), so write other values into the statement");

    public static readonly DiagnosticDescriptor ChunkedBatchNoIdempotenceGuard = Warning(
        "SL0066",
        "Chunked batch UPDATE has no idempotence guard",
        "The UPDATE of '{0}' sets {1} but its WHERE clause never tests it, so rows it already changed keep matching and a resumed or repeated batch rewrites them; add a guard such as 'AND {1} IS NOT <new value>' (SQLite) or 'AND {1} IS DISTINCT FROM <new value>' (PostgreSQL)");

    public static readonly DiagnosticDescriptor ChunkedBatchNoProvider = Error(
        "SL0067",
        "[ChunkedBatch] needs a database provider",
        "[ChunkedBatch] class '{0}' needs Microsoft.Data.Sqlite or Npgsql to run on; reference one of them (or the Sluice.Sqlite / Sluice.Npgsql package)");
    public static readonly DiagnosticDescriptor CachedTtl = Error(
        "SL0070",
        "[Cached] needs a positive Ttl",
        "[Cached] on '{0}' needs Ttl as a positive TimeSpan string such as \"00:00:10\" (hh:mm:ss); '{1}' is not one");

    public static readonly DiagnosticDescriptor CachedCapacity = Error(
        "SL0071",
        "[Cached] needs a positive Capacity",
        "[Cached] on '{0}' has Capacity = {1}; a cache must be able to hold at least 1 entry");

    public static readonly DiagnosticDescriptor CachedNotQuery = Error(
        "SL0072",
        "[Cached] goes on a [Query] or [BulkLoader] method",
        "[Cached] on '{0}' does nothing: it wraps a [Query] or [BulkLoader] method; add one of those to it, or cache the call site with a SluiceCache yourself");

    public static readonly DiagnosticDescriptor CachedShape = Error(
        "SL0073",
        "This query cannot be cached",
        "'{0}' cannot be [Cached]: {1}");

    public static readonly DiagnosticDescriptor InvalidatesCommand = Error(
        "SL0074",
        "[Invalidates] goes on a partial command record",
        "[Invalidates] on '{0}' needs a partial record or class implementing ICommand<TResult, TError>, so the worker can evict after the command commits; declare it 'partial' and implement ICommand");

    public static readonly DiagnosticDescriptor InvalidatesTarget = Error(
        "SL0075",
        "[Invalidates] must name one [Cached] method",
        "[Invalidates(typeof({1}))] on '{0}' names no single cache: {2}");

    public static readonly DiagnosticDescriptor InvalidatesKeyMember = Error(
        "SL0076",
        "[Invalidates] Key names a missing member",
        "[Invalidates] on '{0}' takes the key from '{1}', but '{0}' has no readable instance property or field of that name; use Key = nameof(...) with one of its members");

    public static readonly DiagnosticDescriptor InvalidatesKeyType = Error(
        "SL0077",
        "[Invalidates] Key does not match the cache key",
        "[Invalidates] on '{0}' builds the key from ({1}), but '{2}' is keyed by ({3}); name members of exactly those types in that order (or one collection of the key type)");

    public static readonly DiagnosticDescriptor CachedFailSafe = Error(
        "SL0170",
        "[Cached] fail-safe settings need positive TimeSpans",
        "[Cached] on '{0}' has {1} = \"{2}\"; it must be a positive TimeSpan string such as \"00:05:00\" (hh:mm:ss); leave MaxStale out to turn fail-safe off");

    public static readonly DiagnosticDescriptor CachedTag = Error(
        "SL0171",
        "[Cached] Tags must name key parameters",
        "[Cached(Tags = ...)] on '{0}' names '{1}', which is not {2}; a tag is one of the query's key parameters (nameof(channelId)), so a group of its entries can be invalidated at once");

    public static readonly DiagnosticDescriptor InvalidatesTagUnknown = Error(
        "SL0172",
        "[Invalidates] Tag must be declared on the cached method",
        "[Invalidates(Tag = \"{1}\")] on '{0}' names a tag '{2}' does not declare (its tags: {3}); add it to [Cached(Tags = ...)] or use one of those");

    public static readonly DiagnosticDescriptor InvalidatesTagKey = Error(
        "SL0173",
        "[Invalidates] Tag needs the member holding its value",
        "[Invalidates(Tag = \"{1}\")] on '{0}' must say which member holds the tag's value: add Key = nameof(...) naming one member of the tag's type (or a collection of it)");

    public static readonly DiagnosticDescriptor InvalidatesTagType = Error(
        "SL0174",
        "[Invalidates] Tag value does not match the tag",
        "[Invalidates(Tag = \"{1}\")] on '{0}' reads the tag's value from ({2}), but tag '{1}' of '{3}' is a {4}; name one member of that type or a collection of it");

    public static readonly DiagnosticDescriptor AuditEntryNotPartial = Error(
        "SL0080",
        "[AuditEntry] type must be partial",
        "[AuditEntry] type '{0}' must be declared partial so Sluice can add its column mapping, insert and canonical bytes; write 'partial record {0}'");

    public static readonly DiagnosticDescriptor AuditEntryMemberType = Error(
        "SL0081",
        "Audit entry member type has no canonical form",
        "Member '{0}' of audit entry '{1}' has type '{2}', which has no canonical form for the hash chain; use string, byte[], bool, short, int, long, double, Guid, DateTimeOffset (not DateTime, whose Kind makes it ambiguous) or an enum over short/int/long, or their nullable forms");

    public static readonly DiagnosticDescriptor AuditEntryTableName = Error(
        "SL0082",
        "Invalid audit table or column identifier",
        "'{0}' is not a valid identifier for audit entry '{1}'; use an unquoted SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters), optionally schema-qualified for the table (audit.log)");

    public static readonly DiagnosticDescriptor AuditEntryNotConstructible = Error(
        "SL0083",
        "Audit entry needs a positional constructor",
        "Audit entry '{0}' needs a public constructor with at least one parameter, each naming a public property (a positional record such as 'record {0}(DateTimeOffset At, string Actor)'), so rows can be mapped and read back for verification");

    public static readonly DiagnosticDescriptor AuditEntryReservedColumn = Error(
        "SL0084",
        "Audit entry member uses a chain column name",
        "Member '{0}' of audit entry '{1}' maps to column '{2}', which the hash chain reserves (seq, prev_hash, hash); rename the member");

    public static readonly DiagnosticDescriptor AuditEntryDuplicateColumn = Error(
        "SL0085",
        "Two audit entry members map to one column",
        "Members '{0}' and '{1}' of audit entry '{2}' both map to column '{3}'; rename one of them");

    public static readonly DiagnosticDescriptor AuditEntryNoProvider = Warning(
        "SL0086",
        "Audit entry without a provider package",
        "Audit entry '{0}' gets no insert because the project references neither Sluice.Sqlite nor Sluice.Npgsql; add the package for your database");

    public static readonly DiagnosticDescriptor WireErrorsInJsonContextWithoutConverter = Error(
        "SL0087",
        "[WireErrors] union in a JsonSerializerContext needs its [JsonConverter] in source",
        "JsonSerializerContext '{0}' serializes [WireErrors] union '{1}'{2}, but System.Text.Json's source generator cannot see the [JsonConverter] Sluice generates, so it would write {{}} and fail to read it back; write [JsonConverter(typeof(WireErrorJsonConverter<{1}>))] on the declaration of '{1}' (namespaces System.Text.Json.Serialization and Sluice)");

    // ---------------------------------------------------------------- value mappings (SL0100–SL0119)

    public static readonly DiagnosticDescriptor ConverterShape = Error(
        "SL0100",
        "Converter does not fit the member",
        "Converter '{0}' on '{1}' must be a non-generic class or struct implementing ISluiceConverter<{2}, TProvider> (static ToProvider and FromProvider); it does not convert '{2}'");

    public static readonly DiagnosticDescriptor ConverterProviderType = Error(
        "SL0101",
        "Converter's provider type cannot be bound or read",
        "Converter '{0}' on '{1}' converts to '{2}', which the provider cannot bind or read; convert to long, int, short, byte, bool, double, float, decimal, string, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan or byte[] (non-nullable)");

    public static readonly DiagnosticDescriptor ConflictingMappings = Error(
        "SL0102",
        "Conflicting value mappings",
        "'{0}' has more than one mapping for '{1}' ({2}); keep exactly one at that level (the member's own wins over its row type, query class, the type itself and the assembly)");

    public static readonly DiagnosticDescriptor JsonColumnContext = Error(
        "SL0103",
        "JSON column needs a source-generated JsonTypeInfo",
        "'{0}' is stored as JSON through '{1}', which must be an accessible JsonSerializerContext with [JsonSerializable(typeof({2}))]; add the attribute to the context (or set TypeInfoPropertyName for a generic or renamed type)");

    public static readonly DiagnosticDescriptor EnumAsTextNotEnum = Error(
        "SL0104",
        "[EnumAsText] needs an enum",
        "[EnumAsText] on '{0}' needs an enum or nullable enum, but its type is '{1}'; remove the attribute or use a converter");

    public static readonly DiagnosticDescriptor PostgresEnumOnSqlite = Error(
        "SL0105",
        "PostgreSQL enum on SQLite",
        "'{0}' has enum '{1}', which is mapped to a PostgreSQL enum type by [PostgresEnum], but '{2}' runs on SQLite; put [EnumAsText] on the member (or the enum) to store its name, or use a PostgreSQL connection");

    public static readonly DiagnosticDescriptor ArrayOnSqlite = Error(
        "SL0106",
        "Arrays are PostgreSQL only",
        "'{0}' has type '{1}', an array; arrays are columns and parameters on PostgreSQL only (SQLite has no array type); store it as JSON with [JsonColumn] or use a bulk loader for keys");

    public static readonly DiagnosticDescriptor FlagsEnumAsText = Error(
        "SL0107",
        "A [Flags] enum cannot be stored by name",
        "[EnumAsText] on '{0}': enum '{1}' is [Flags], and a combination of flags has no single name; store it as its integer (remove [EnumAsText])");

    public static readonly DiagnosticDescriptor MappingTypeInaccessible = Error(
        "SL0108",
        "Mapping type is not accessible to generated code",
        "'{0}' (used for '{1}') is private or protected, so the generated code cannot call it; make it internal or public");

    public static readonly DiagnosticDescriptor UnsupportedArrayElement = Error(
        "SL0109",
        "Array element type is not supported",
        "'{0}' has type '{1}'; a PostgreSQL array maps long, int, short, bool, double, float, decimal, string, Guid, DateTime, DateOnly, TimeOnly, TimeSpan and typed ids as T[] or List<T> (typed ids: T[] only)");
    // ---- Nested rows and one-to-many (SL0120–SL0129)

    public static readonly DiagnosticDescriptor NestedRowWithoutColumns = Error(
        "SL0120",
        "Nested row has no columns",
        "'{0}' is a nested row of type '{1}', but no column of the SELECT list of '{2}' ({3}) has its prefix '{4}'; alias its columns with the prefix (e.g. 'a.{5} AS {6}'), or name the prefix with [ColumnPrefix(\"...\")]");

    public static readonly DiagnosticDescriptor OneToManyWithoutKey = Error(
        "SL0121",
        "One-to-many row has no parent key",
        "'{0}' has the child list '{1}', so the rows of '{2}' are grouped by the parent's key, but '{0}' has no member marked [RowKey] and no 'Id' member; mark the members that identify a parent with [RowKey]");

    public static readonly DiagnosticDescriptor AmbiguousNestedColumn = Error(
        "SL0122",
        "Column claimed by two row members",
        "Column '{0}' of '{1}' is read by both '{2}' and '{3}'; give the nested row a distinct prefix with [ColumnPrefix(\"...\")] or alias the columns apart");

    public static readonly DiagnosticDescriptor OneToManyShape = Error(
        "SL0123",
        "Child list not supported by this method",
        "'{0}' has the child list '{1}', which only a [Query] returning a list (Task<List<T>>, Task<IReadOnlyList<T>>) or one row (Task<T?>) can fill; a bulk loader, cursor feed or stream reads one object per result row, so return a list or drop the child list");

    public static readonly DiagnosticDescriptor OneToManyDepth = Error(
        "SL0124",
        "Only one child list, on the top-level row",
        "'{0}' is a child list inside '{1}'; a row may hold one child list, on the row the query returns, and a child row may not hold another; load the other level with a second query or a [BulkLoader]");

    public static readonly DiagnosticDescriptor NestedRowType = Error(
        "SL0125",
        "Nested row type cannot be constructed",
        "'{0}' has type '{1}', which Sluice cannot build as a nested row: {2}; use a non-abstract record or class with a public constructor whose parameters are columns or nested rows");

    public static readonly DiagnosticDescriptor NestedRowSelectStar = Error(
        "SL0126",
        "Nested rows need an explicit SELECT list",
        "'{0}' of '{1}' is a nested row or child list, whose columns are matched by prefix at build time; 'SELECT *' names its columns only at run time, so list the columns (e.g. 'SELECT u.id, u.name, a.street AS address_street ...')");

    public static readonly DiagnosticDescriptor RowKeyMember = Error(
        "SL0127",
        "[RowKey] member must be a non-nullable column",
        "'{0}' is marked [RowKey] (or is the parent key 'Id') but {1}; a parent key must be a non-nullable column member of the row the query returns");

    public static readonly DiagnosticDescriptor ColumnPrefixOnColumn = Warning(
        "SL0128",
        "[ColumnPrefix] on a column member does nothing",
        "'{0}' is read from one column, so [ColumnPrefix(\"{1}\")] on it does nothing; put it on a nested row or child list member, or use [Column(\"...\")] to rename the column");

    public static readonly DiagnosticDescriptor ChildCollectionType = Error(
        "SL0129",
        "Child collection type not supported",
        "'{0}' has type '{1}'; a child list of rows is declared as IReadOnlyList<T>, List<T>, IList<T>, IReadOnlyCollection<T> or IEnumerable<T> of a row type");
    public static readonly DiagnosticDescriptor BulkNotStaticPartial = Error(
        "SL0130",
        "Bulk or batch method must be static partial in a partial type",
        "Method '{0}' must be a non-generic 'static partial' method of a partial type so Sluice can write its body; write 'public static partial Task<long> {0}(...)' inside 'static partial class ...'");

    public static readonly DiagnosticDescriptor BulkConnection = Error(
        "SL0131",
        "Bulk or batch method needs a connection first",
        "The first parameter of '{0}' must be a SqliteConnection or an NpgsqlConnection (a bulk write and a batch run on one open connection; open one from an NpgsqlDataSource first)");

    public static readonly DiagnosticDescriptor BulkRowsParameter = Error(
        "SL0132",
        "Bulk method needs one collection of rows",
        "'{0}' must take exactly one collection of rows after the connection (IEnumerable<T>, IReadOnlyList<T>, a list or array of T, or IAsyncEnumerable<T>, where T is a class or struct with a property per column), then an optional transaction and CancellationToken");

    public static readonly DiagnosticDescriptor BulkReturnType = Error(
        "SL0133",
        "Unsupported bulk method return type",
        "'{0}' must return Task, Task<int> or Task<long> (the rows written; ValueTask too){1}");

    public static readonly DiagnosticDescriptor BulkMemberType = Error(
        "SL0134",
        "Row member has no column type",
        "Member '{0}' of row type '{1}' has type '{2}', which has no column mapping; use a scalar (integers, bool, double, float, decimal, string, char, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, byte[], an enum, or their nullable forms), or make the member non-public");

    public static readonly DiagnosticDescriptor BulkIdentifier = Error(
        "SL0135",
        "Invalid bulk table or column name",
        "'{0}' is not a valid {1} name for '{2}'; use an unquoted SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters; a table may be schema-qualified)");

    public static readonly DiagnosticDescriptor BulkConflictColumns = Error(
        "SL0136",
        "Upsert key names a column the row type lacks",
        "[BulkUpsert] on '{0}' detects conflicts on '{1}', but row type '{2}' has no member for column '{3}' (its columns: {4}); set ConflictColumns to the columns of a unique key the row type writes");

    public static readonly DiagnosticDescriptor BulkUpdateColumns = Error(
        "SL0137",
        "Upsert update columns are invalid",
        "[BulkUpsert] on '{0}': {1}");

    public static readonly DiagnosticDescriptor BulkDuplicateColumn = Error(
        "SL0138",
        "Two row members map to one column",
        "Members '{0}' and '{1}' of row type '{2}' both map to column '{3}'; rename one of them or give it a [Column(\"...\")]");

    public static readonly DiagnosticDescriptor BulkReturningDoNothing = Error(
        "SL0139",
        "RETURNING with DO NOTHING cannot keep input order",
        "[BulkUpsert] on '{0}' sets both DoNothing and Returning, but a skipped row returns no key, so the keys could not be given back in input order; drop Returning, or update instead of DoNothing");

    public static readonly DiagnosticDescriptor BulkNullableConflictKey = Warning(
        "SL0140",
        "Upsert key member is nullable",
        "Member '{0}' of row type '{1}' is part of the upsert key of '{2}' but is nullable; NULL never conflicts, so such rows are always inserted; make the member non-nullable");

    public static readonly DiagnosticDescriptor BulkNoColumns = Error(
        "SL0141",
        "Row type has no columns to write",
        "Row type '{0}' of '{1}' has no public readable property to write (besides the Returning column); declare the columns as properties, e.g. 'record {0}(long Id, string Name)'");

    public static readonly DiagnosticDescriptor QueryBatchUnknownQuery = Error(
        "SL0142",
        "[QueryBatch] names no usable [Query] method",
        "[QueryBatch] on '{0}' names '{1}', which {2}; name [Query] methods of the same type (nameof(...)), one method per name");

    public static readonly DiagnosticDescriptor QueryBatchShape = Error(
        "SL0143",
        "Query cannot be part of a batch",
        "Query '{1}' in [QueryBatch] '{0}' {2}; a batch reads whole result sets: batch queries returning one row, a scalar, a list or the rows affected");

    public static readonly DiagnosticDescriptor QueryBatchParameters = Error(
        "SL0144",
        "[QueryBatch] parameters do not match its queries",
        "After the connection, '{0}' must take the value parameters of its queries in order ({1}), then an optional transaction and CancellationToken; it takes ({2})");

    public static readonly DiagnosticDescriptor QueryBatchReturnType = Error(
        "SL0145",
        "[QueryBatch] return type does not match its queries",
        "'{0}' must return {1}: a Task (or ValueTask) of the results of its queries in order, as a tuple when there are several");

    public static readonly DiagnosticDescriptor QueryBatchDialect = Error(
        "SL0146",
        "[QueryBatch] mixes connections",
        "Query '{1}' takes a different connection than [QueryBatch] '{0}'; every query of a batch must take the batch's connection type as its first parameter");

    public static readonly DiagnosticDescriptor BulkNoProvider = Error(
        "SL0147",
        "Bulk or batch method without its provider package",
        "'{0}' runs on {1} but the project does not reference {2}; add the package");

    public static readonly DiagnosticDescriptor UnsupportedParameterType = Error(
        "SL0110",
        "Parameter type cannot be bound",
        "Parameter '{0}' of '{1}' has type '{2}', which Sluice cannot bind to a statement parameter; use a scalar, a typed id, an enum, JsonDocument/JsonElement, a PostgreSQL array, or register a converter ([SluiceConverter]) or JSON ([JsonColumn]) for it");

    public static readonly DiagnosticDescriptor GeneratorFault = Error(
        "SL9999",
        "Sluice generator fault",
        "The Sluice generator failed on '{0}' and generated nothing for it: {1}. Please report this with the declaration that triggers it.");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink(id));
}
