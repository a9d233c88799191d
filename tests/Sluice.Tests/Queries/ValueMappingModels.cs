using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sluice.Tests.Queries;

// ------------------------------------------------------------ the mapped types (issue 13), declared as a user would

public readonly record struct AccountId(long Value);

public readonly record struct TeamId(Guid Value);

public readonly record struct Handle(string Value);

/// <summary>Money in cents; a converter stores it as an integer and refuses negative amounts both ways.</summary>
public readonly record struct Cents(long Amount);

public sealed class CentsConverter : ISluiceConverter<Cents, long>
{
    public static long ToProvider(Cents value) =>
        value.Amount < 0 ? throw new ArgumentOutOfRangeException(nameof(value), value.Amount, "a balance is never negative") : value.Amount;

    public static Cents FromProvider(long value) =>
        value < 0 ? throw new ArgumentOutOfRangeException(nameof(value), value, "a balance is never negative") : new Cents(value);
}

[EnumAsText(Casing = EnumTextCasing.SnakeCase)]
public enum AccountStatus { Active, OnHold, Closed }

public enum AccountRole { Member, Owner }

[PostgresEnum("mood")]
public enum Mood { Happy, Sad, VeryHappy }

public sealed record Preferences(string Theme, int FontSize, IReadOnlyList<string> Tags);

[JsonSerializable(typeof(Preferences))]
internal sealed partial class MappingJson : JsonSerializerContext;

[SluiceConverter(typeof(CentsConverter))]
public sealed record Account(
    AccountId Id,
    Handle? Handle,
    AccountStatus Status,
    [EnumAsText] AccountRole Role,
    Cents Balance,
    [JsonColumn(typeof(MappingJson))] Preferences Preferences,
    [JsonColumn(typeof(MappingJson))] Preferences? Draft,
    JsonElement? Extra,
    TeamId? Team);

/// <summary>The same columns with every member nullable, to read NULLs and bad values.</summary>
public sealed record LooseAccount(AccountId Id, string? Status, string? Role, long? Balance, string? Preferences);

public readonly record struct TeamMemberKey(TeamId Team, AccountId Account);

public sealed record TeamMember(TeamId Team, AccountId Account, AccountStatus Status);

public sealed record Moments(long Id, DateOnly Day, TimeOnly Time, TimeSpan Span, DateTime At, DateTimeOffset AtOffset, DateOnly? MaybeDay, TimeSpan? MaybeSpan);

public sealed record PgArrays(AccountId Id, long[] Tags, AccountId[] Friends, List<string>? Labels, Guid[]? Teams, Mood Mood, Mood? MaybeMood);

// ------------------------------------------------------------ SQLite

public static partial class MappedSqliteQueries
{
    public const string Schema = """
        CREATE TABLE accounts (id INTEGER PRIMARY KEY, handle TEXT, status TEXT, role TEXT NOT NULL, balance INTEGER NOT NULL,
            preferences TEXT NOT NULL, draft TEXT, extra TEXT, team TEXT);
        CREATE TABLE team_members (team TEXT NOT NULL, account INTEGER NOT NULL, status TEXT NOT NULL, PRIMARY KEY (team, account));
        CREATE TABLE moments (id INTEGER PRIMARY KEY, day TEXT NOT NULL, time TEXT NOT NULL, span TEXT NOT NULL, at TEXT NOT NULL, at_offset TEXT NOT NULL, maybe_day TEXT, maybe_span TEXT);
        """;

    [Query("INSERT INTO accounts (id, handle, status, role, balance, preferences, draft, extra, team) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")]
    [SluiceConverter(typeof(CentsConverter))]
    public static partial Task<int> InsertAccountAsync(this SqliteConnection db, AccountId id, Handle? handle, AccountStatus status, [EnumAsText] AccountRole role, Cents balance,
        [JsonColumn(typeof(MappingJson))] Preferences preferences, [JsonColumn(typeof(MappingJson))] Preferences? draft, JsonDocument? extra, TeamId? team);

    [Query("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE id = $1")]
    public static partial Task<Account?> AccountAsync(this SqliteConnection db, AccountId id);

    [Query("SELECT * FROM accounts WHERE id = $1")]
    public static partial Task<Account?> AccountStarAsync(this SqliteConnection db, AccountId id);

    [Query("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE status = $1 ORDER BY id")]
    public static partial Task<List<Account>> AccountsWithStatusAsync(this SqliteConnection db, AccountStatus status);

    [Query("SELECT id, status, role, balance, preferences FROM accounts WHERE id = $1")]
    public static partial Task<LooseAccount?> LooseAccountAsync(this SqliteConnection db, AccountId id);

    [Query("SELECT id FROM accounts WHERE handle = $1")]
    public static partial Task<AccountId?> AccountIdByHandleAsync(this SqliteConnection db, Handle handle);

    [Query("SELECT id, handle, status, role, balance, preferences, $2 AS draft, extra, team FROM accounts WHERE id = $1")]
    public static partial Task<Account?> AccountWithDraftTextAsync(this SqliteConnection db, AccountId id, string draftText);

    [Query("SELECT status FROM accounts ORDER BY id")]
    public static partial Task<List<AccountStatus>> StatusesAsync(this SqliteConnection db);

    [Cached(Ttl = "00:10:00")]
    [Query("SELECT handle FROM accounts WHERE id = $1")]
    public static partial Task<Handle?> HandleOfAsync(this SqliteConnection db, AccountId id);

    [Cached(Ttl = "00:10:00")]
    [BulkLoader("SELECT team, account, status FROM team_members WHERE team IN (SELECT value FROM json_each($1)) ORDER BY account")]
    public static partial Task<RowLookup<TeamId, TeamMember>> TeamMembersOfAsync(this SqliteConnection db, IReadOnlyCollection<TeamId> teams);

    [Query("SELECT preferences FROM accounts WHERE id = $1")]
    [return: JsonColumn(typeof(MappingJson))]
    public static partial Task<Preferences> PreferencesOfAsync(this SqliteConnection db, AccountId id);

    [Query("SELECT extra FROM accounts WHERE id = $1")]
    public static partial Task<JsonDocument?> ExtraDocumentAsync(this SqliteConnection db, AccountId id);

    [BulkLoader("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE id IN (SELECT value FROM json_each($1))", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<AccountId, Account>> AccountsByIdAsync(this SqliteConnection db, IReadOnlyCollection<AccountId> ids, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE status IN (SELECT value FROM json_each($1))")]
    public static partial Task<RowLookup<AccountStatus, Account>> AccountsByStatusAsync(this SqliteConnection db, IReadOnlyCollection<AccountStatus> statuses);

    [Query("INSERT INTO team_members (team, account, status) VALUES ($1, $2, $3)")]
    public static partial Task<int> InsertTeamMemberAsync(this SqliteConnection db, TeamId team, AccountId account, AccountStatus status);

    [BulkLoader("SELECT team, account, status FROM team_members WHERE team IN (SELECT value FROM json_each($1)) ORDER BY account")]
    public static partial Task<RowLookup<TeamId, TeamMember>> TeamMembersAsync(this SqliteConnection db, IReadOnlyCollection<TeamId> teams);

    [BulkLoader("SELECT team, account, status FROM team_members WHERE (team, account) IN (SELECT value->>0, value->>1 FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<TeamMemberKey, TeamMember>> TeamMembersByKeyAsync(this SqliteConnection db, IReadOnlyCollection<TeamMemberKey> keys);

    [Query("INSERT INTO moments (id, day, time, span, at, at_offset, maybe_day, maybe_span) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")]
    public static partial Task<int> InsertMomentsAsync(this SqliteConnection db, long id, DateOnly day, TimeOnly time, TimeSpan span, DateTime at, DateTimeOffset atOffset, DateOnly? maybeDay, TimeSpan? maybeSpan);

    [Query("SELECT id, day, time, span, at, at_offset, maybe_day, maybe_span FROM moments WHERE id = $1")]
    public static partial Task<Moments?> MomentsAsync(this SqliteConnection db, long id);

    [Query("SELECT id FROM moments WHERE day = $1 AND time >= $2")]
    public static partial Task<List<long>> MomentsOnAsync(this SqliteConnection db, DateOnly day, TimeOnly from);
}

// ------------------------------------------------------------ PostgreSQL

public static partial class MappedNpgsqlQueries
{
    public const string Schema = """
        DROP TABLE IF EXISTS accounts, team_members, moments, pg_arrays;
        DROP TYPE IF EXISTS mood;
        CREATE TYPE mood AS ENUM ('happy', 'sad', 'very_happy');
        CREATE TABLE accounts (id bigint PRIMARY KEY, handle text, status text, role text NOT NULL, balance bigint NOT NULL,
            preferences jsonb NOT NULL, draft json, extra jsonb, team uuid);
        CREATE TABLE team_members (team uuid NOT NULL, account bigint NOT NULL, status text NOT NULL, PRIMARY KEY (team, account));
        CREATE TABLE moments (id bigint PRIMARY KEY, day date NOT NULL, time time NOT NULL, span interval NOT NULL, at timestamptz NOT NULL,
            at_offset timestamptz NOT NULL, maybe_day date, maybe_span interval, local_at timestamp);
        CREATE TABLE pg_arrays (id bigint PRIMARY KEY, tags bigint[] NOT NULL, friends bigint[] NOT NULL, labels text[], teams uuid[], mood mood NOT NULL, maybe_mood mood);
        """;

    [Query("INSERT INTO accounts (id, handle, status, role, balance, preferences, draft, extra, team) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")]
    [SluiceConverter(typeof(CentsConverter))]
    public static partial Task<int> InsertAccountAsync(this NpgsqlConnection db, AccountId id, Handle? handle, AccountStatus status, [EnumAsText] AccountRole role, Cents balance,
        [JsonColumn(typeof(MappingJson))] Preferences preferences, [JsonColumn(typeof(MappingJson), PostgresType = "json")] Preferences? draft, JsonElement? extra, TeamId? team);

    [Query("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE id = $1")]
    public static partial Task<Account?> AccountAsync(this NpgsqlConnection db, AccountId id);

    [Query("SELECT * FROM accounts WHERE id = $1")]
    public static partial Task<Account?> AccountStarAsync(this NpgsqlConnection db, AccountId id);

    [Query("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE status = $1 ORDER BY id")]
    public static partial Task<List<Account>> AccountsWithStatusAsync(this NpgsqlConnection db, AccountStatus status);

    [Query("SELECT id, status, role, balance, preferences::text AS preferences FROM accounts WHERE id = $1")]
    public static partial Task<LooseAccount?> LooseAccountAsync(this NpgsqlConnection db, AccountId id);

    [Query("SELECT id FROM accounts WHERE handle = $1")]
    public static partial Task<AccountId?> AccountIdByHandleAsync(this NpgsqlConnection db, Handle handle);

    [Query("SELECT id, handle, status, role, balance, preferences, $2::text AS draft, extra, team FROM accounts WHERE id = $1")]
    public static partial Task<Account?> AccountWithDraftTextAsync(this NpgsqlConnection db, AccountId id, string draftText);

    [Query("SELECT status FROM accounts ORDER BY id")]
    public static partial Task<List<AccountStatus>> StatusesAsync(this NpgsqlConnection db);

    [Query("SELECT preferences FROM accounts WHERE id = $1")]
    [return: JsonColumn(typeof(MappingJson))]
    public static partial Task<Preferences> PreferencesOfAsync(this NpgsqlConnection db, AccountId id);

    [Query("SELECT extra FROM accounts WHERE id = $1")]
    public static partial Task<JsonDocument?> ExtraDocumentAsync(this NpgsqlConnection db, AccountId id);

    [BulkLoader("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE id = ANY($1)", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<AccountId, Account>> AccountsByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<AccountId> ids, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, handle, status, role, balance, preferences, draft, extra, team FROM accounts WHERE status = ANY($1)")]
    public static partial Task<RowLookup<AccountStatus, Account>> AccountsByStatusAsync(this NpgsqlConnection db, IReadOnlyCollection<AccountStatus> statuses);

    [Query("INSERT INTO team_members (team, account, status) VALUES ($1, $2, $3)")]
    public static partial Task<int> InsertTeamMemberAsync(this NpgsqlConnection db, TeamId team, AccountId account, AccountStatus status);

    [BulkLoader("SELECT team, account, status FROM team_members WHERE team = ANY($1) ORDER BY account")]
    public static partial Task<RowLookup<TeamId, TeamMember>> TeamMembersAsync(this NpgsqlConnection db, IReadOnlyCollection<TeamId> teams);

    [BulkLoader("SELECT team, account, status FROM team_members WHERE (team, account) IN (SELECT * FROM unnest($1, $2))", DataLoader = true)]
    public static partial Task<IReadOnlyDictionary<TeamMemberKey, TeamMember>> TeamMembersByKeyAsync(this NpgsqlConnection db, IReadOnlyCollection<TeamMemberKey> keys, CancellationToken cancellationToken = default);

    [Query("INSERT INTO moments (id, day, time, span, at, at_offset, maybe_day, maybe_span, local_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")]
    public static partial Task<int> InsertMomentsAsync(this NpgsqlConnection db, long id, DateOnly day, TimeOnly time, TimeSpan span, DateTime at, DateTimeOffset atOffset, DateOnly? maybeDay, TimeSpan? maybeSpan, DateTime? localAt);

    [Query("SELECT id, day, time, span, at, at_offset, maybe_day, maybe_span FROM moments WHERE id = $1")]
    public static partial Task<Moments?> MomentsAsync(this NpgsqlConnection db, long id);

    [Query("SELECT local_at FROM moments WHERE id = $1")]
    public static partial Task<DateTime?> LocalAtAsync(this NpgsqlConnection db, long id);

    [Query("SELECT id FROM moments WHERE day = $1 AND time >= $2")]
    public static partial Task<List<long>> MomentsOnAsync(this NpgsqlConnection db, DateOnly day, TimeOnly from);

    [Query("INSERT INTO pg_arrays (id, tags, friends, labels, teams, mood, maybe_mood) VALUES ($1, $2, $3, $4, $5, $6, $7)")]
    public static partial Task<int> InsertArraysAsync(this NpgsqlConnection db, AccountId id, long[] tags, AccountId[] friends, List<string>? labels, Guid[]? teams, Mood mood, Mood? maybeMood);

    [Query("SELECT id, tags, friends, labels, teams, mood, maybe_mood FROM pg_arrays WHERE id = $1")]
    public static partial Task<PgArrays?> ArraysAsync(this NpgsqlConnection db, AccountId id);

    [Query("SELECT id FROM pg_arrays WHERE friends && $1 AND mood = $2 ORDER BY id")]
    public static partial Task<List<AccountId>> ArraysWithFriendsAsync(this NpgsqlConnection db, AccountId[] anyOf, Mood mood);

    [Query("SELECT friends FROM pg_arrays WHERE id = $1")]
    public static partial Task<AccountId[]?> FriendsOfAsync(this NpgsqlConnection db, AccountId id);
}
