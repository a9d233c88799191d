using System.Linq;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Committed expected output of mapped values (issue 13): typed ids, converters, enums by name, JSON columns, PostgreSQL
/// arrays and enums, on parameters, columns, scalars, bulk-loader and DataLoader keys and composite-key members. Each
/// must compile.
/// </summary>
public sealed class ValueMappingSnapshotTests
{
    private const string Types = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using System.Text.Json.Serialization.Metadata;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        [assembly: SluiceConverter(typeof(Relay.Data.MoneyConverter))]

        namespace Relay.Data;

        public readonly record struct UserId(long Value);
        public readonly record struct ChannelId(Guid Value);
        public readonly record struct Handle(string Value);
        public readonly record struct Money(long Cents);
        public sealed class MoneyConverter : ISluiceConverter<Money, long>
        {
            public static long ToProvider(Money value) => value.Cents;
            public static Money FromProvider(long value) => new(value);
        }

        [EnumAsText(Casing = EnumTextCasing.SnakeCase)]
        public enum Status { Active, OnHold, Closed, Shut = Closed }
        public enum Role { Member, Owner }
        [PostgresEnum("mood")]
        public enum Mood { Happy, Sad }

        public sealed record Preferences(string Theme, int FontSize);

        // A stand-in for a source-generated context (the harness runs only Sluice's generator).
        [JsonSerializable(typeof(Preferences))]
        public sealed class AppJson : JsonSerializerContext
        {
            public AppJson() : base(null) { }
            public static AppJson Default { get; } = new();
            public JsonTypeInfo<Preferences> Preferences => throw new NotSupportedException();
            public override JsonTypeInfo? GetTypeInfo(Type type) => null;
            protected override JsonSerializerOptions? GeneratedSerializerOptions => null;
        }

        public sealed record Account(
            UserId Id,
            Handle? Handle,
            Status Status,
            [EnumAsText] Role Role,
            Money Balance,
            [JsonColumn(typeof(AppJson))] Preferences Preferences,
            [JsonColumn(typeof(AppJson))] Preferences? Draft,
            JsonElement? Extra);

        """;

    [Theory]
    [InlineData("Sqlite_typed_row_and_parameters", """
        public static partial class Q
        {
            [Query("SELECT id, handle, status, role, balance, preferences, draft, extra FROM accounts WHERE id = $1 AND status = $2 AND (handle = $3 OR $3 IS NULL) AND balance >= $4")]
            public static partial Task<Account?> AccountAsync(this SqliteConnection db, UserId id, Status status, Handle? handle, Money balance, CancellationToken cancellationToken = default);

            [Query("INSERT INTO accounts (id, status, role, preferences, draft, extra) VALUES ($1, $2, $3, $4, $5, $6)")]
            public static partial Task<int> InsertAsync(this SqliteConnection db, UserId id, Status? status, [EnumAsText] Role role, [JsonColumn(typeof(AppJson))] Preferences preferences, [JsonColumn(typeof(AppJson))] Preferences? draft, JsonDocument? extra);
        }
        """)]
    [InlineData("Sqlite_typed_scalars", """
        public static partial class Q
        {
            [Query("SELECT id FROM accounts WHERE handle = $1")]
            public static partial Task<UserId?> IdOfAsync(this SqliteConnection db, Handle handle);

            [Query("SELECT status FROM accounts ORDER BY id")]
            public static partial Task<List<Status>> StatusesAsync(this SqliteConnection db);

            [Query("SELECT preferences FROM accounts WHERE id = $1")]
            [return: JsonColumn(typeof(AppJson))]
            public static partial Task<Preferences> PreferencesOfAsync(this SqliteConnection db, UserId id);
        }
        """)]
    [InlineData("Sqlite_typed_id_loaders", """
        public readonly record struct MemberKey(ChannelId ChannelId, UserId UserId);
        public sealed record Member(ChannelId ChannelId, UserId UserId, Status Status);
        public static partial class Q
        {
            [BulkLoader("SELECT id, handle, status, role, balance, preferences, draft, extra FROM accounts WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true)]
            public static partial Task<IReadOnlyDictionary<UserId, Account>> AccountsAsync(this SqliteConnection db, IReadOnlyCollection<UserId> ids, CancellationToken cancellationToken = default);

            [BulkLoader("SELECT channel_id, user_id, status FROM members WHERE channel_id IN (SELECT value FROM json_each($1))")]
            public static partial Task<RowLookup<ChannelId, Member>> MembersAsync(this SqliteConnection db, IReadOnlyCollection<ChannelId> channels);

            [BulkLoader("SELECT channel_id, user_id, status FROM members WHERE (channel_id, user_id) IN (SELECT value->>0, value->>1 FROM json_each($1))")]
            public static partial Task<IReadOnlyDictionary<MemberKey, Member>> MembersByKeyAsync(this SqliteConnection db, IReadOnlyCollection<MemberKey> keys);

            [BulkLoader("SELECT id, handle, status, role, balance, preferences, draft, extra FROM accounts WHERE status IN (SELECT value FROM json_each($1))")]
            public static partial Task<RowLookup<Status, Account>> AccountsByStatusAsync(this SqliteConnection db, IReadOnlyCollection<Status> statuses);
        }
        """)]
    [InlineData("Sqlite_cached_by_typed_ids_and_converted_keys", """
        public static partial class Q
        {
            [Cached(Ttl = "00:01:00")]
            [Query("SELECT id, handle, status, role, balance, preferences, draft, extra FROM accounts WHERE id = $1 AND balance >= $2")]
            public static partial Task<Account?> AccountAsync(this SqliteConnection db, UserId id, Money atLeast);
        }
        """)]
    [InlineData("Npgsql_typed_row_loaders_and_arrays", """
        public readonly record struct MemberKey(ChannelId ChannelId, UserId UserId);
        public sealed record Member(ChannelId ChannelId, UserId UserId, Status Status, Mood Mood, long[] Tags, UserId[] Friends, List<string>? Labels);
        public static partial class Q
        {
            [Query("SELECT id, handle, status, role, balance, preferences, draft, extra FROM accounts WHERE id = $1 AND status = $2 AND balance = $3")]
            public static partial Task<Account?> AccountAsync(this NpgsqlConnection db, UserId id, Status status, Money? balance, CancellationToken cancellationToken = default);

            [Query("INSERT INTO accounts (id, preferences, draft, extra, friends, mood) VALUES ($1, $2, $3, $4, $5, $6)")]
            public static partial Task InsertAsync(this NpgsqlDataSource db, UserId id, [JsonColumn(typeof(AppJson))] Preferences preferences, [JsonColumn(typeof(AppJson), PostgresType = "json")] Preferences? draft, JsonElement extra, UserId[] friends, Mood? mood);

            [BulkLoader("SELECT id, handle, status, role, balance, preferences, draft, extra FROM accounts WHERE id = ANY($1)", DataLoader = true)]
            public static partial Task<IReadOnlyDictionary<UserId, Account>> AccountsAsync(this NpgsqlConnection db, IReadOnlyCollection<UserId> ids, CancellationToken cancellationToken = default);

            [BulkLoader("SELECT channel_id, user_id, status, mood, tags, friends, labels FROM members WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1, $2))", DataLoader = true)]
            public static partial Task<IReadOnlyDictionary<MemberKey, Member>> MembersAsync(this NpgsqlConnection db, IReadOnlyCollection<MemberKey> keys, CancellationToken cancellationToken = default);

            [BulkLoader("SELECT channel_id, user_id, status, mood, tags, friends, labels FROM members WHERE status = ANY($1)")]
            public static partial Task<RowLookup<Status, Member>> MembersByStatusAsync(this NpgsqlConnection db, IReadOnlyCollection<Status> statuses);
        }
        """)]
    public void Mapped_values(string name, string declarations)
    {
        var run = GeneratorHarness.Run(Types + declarations);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        foreach (var source in run.Sources.Where(s => s.Key != "Sluice.Catalog.g.cs").OrderBy(s => s.Key, System.StringComparer.Ordinal))
        {
            var stem = source.Key.Replace("Relay.Data.Q.", string.Empty).Replace(".Query.g.cs", string.Empty).Replace(".g.cs", string.Empty);
            Snapshot.Match(source.Value, "Mapped_" + name + "_" + stem, versionToNormalize: GeneratorHarness.Version);
        }

        Snapshot.Match(run.Sources["Sluice.Catalog.g.cs"], "Mapped_Catalog_" + name, versionToNormalize: GeneratorHarness.Version);
    }
}
