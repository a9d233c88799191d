using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Sluice.Tests.Queries;

/// <summary>The SQLite queries under test, declared exactly as a user would.</summary>
public static partial class SqliteQueries
{
    public const string Schema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
        CREATE TABLE members (channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL, PRIMARY KEY (channel_id, user_id));
        CREATE TABLE tags (code TEXT PRIMARY KEY, title TEXT NOT NULL);
        CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT NOT NULL);
        CREATE TABLE counters (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE all_types (
            id INTEGER PRIMARY KEY, i64 INTEGER, i32 INTEGER, i16 INTEGER, u8 INTEGER, flag INTEGER, dbl REAL, flt REAL,
            dec TEXT, txt TEXT, uid TEXT, at TEXT, at_offset TEXT, bytes BLOB, status INTEGER, weight INTEGER);
        """;

    // ------------------------------------------------------------ return shapes

    [Query("SELECT id, name, email FROM users WHERE id = $1")]
    public static partial Task<User?> UserByIdAsync(this SqliteConnection db, long id, CancellationToken cancellationToken = default);

    [Query("SELECT id, name, email FROM users ORDER BY id")]
    public static partial Task<List<User>> UsersAsync(this SqliteConnection db);

    [Query("SELECT id, name, email FROM users ORDER BY id")]
    public static partial IAsyncEnumerable<User> StreamUsersAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query("SELECT * FROM users ORDER BY id")]
    public static partial IAsyncEnumerable<UserRow> StreamUserRowsAsync(this SqliteConnection db, CancellationToken cancellationToken = default);

    [Query("SELECT * FROM users WHERE id = @id")]
    public static partial Task<UserRow?> UserRowByIdAsync(this SqliteConnection db, long id);

    [Query("SELECT id, name FROM users WHERE id = $1")]
    public static partial Task<UserWithNickname?> UserWithNicknameAsync(this SqliteConnection db, long id);

    [Query("SELECT * FROM users WHERE id = $1")]
    public static partial Task<UserWithNickname?> UserWithNicknameStarAsync(this SqliteConnection db, long id);

    [Query("SELECT email, id, name FROM users ORDER BY id")]
    public static partial Task<List<User>> UsersColumnsReorderedAsync(this SqliteConnection db);

    [Query("SELECT id, name FROM users ORDER BY id")]
    public static partial Task<List<UserLabel>> UserLabelsAsync(this SqliteConnection db);

    [Query("SELECT count(*) FROM users")]
    public static partial Task<long> CountUsersAsync(this SqliteConnection db);

    [Query("SELECT count(*) FROM users")]
    public static partial ValueTask<int> CountUsersValueTaskAsync(this SqliteConnection db);

    [Query("SELECT name FROM users WHERE id = $1")]
    public static partial Task<string> NameOfAsync(this SqliteConnection db, long id);

    [Query("SELECT email FROM users WHERE id = $1")]
    public static partial Task<string?> EmailOfAsync(this SqliteConnection db, long id);

    [Query("SELECT id FROM users WHERE name = $1")]
    public static partial Task<long> IdByNameAsync(this SqliteConnection db, string name);

    [Query("SELECT id FROM users WHERE name = $1")]
    public static partial Task<long?> IdByNameOrNullAsync(this SqliteConnection db, string name);

    [Query("SELECT id FROM users ORDER BY id")]
    public static partial Task<List<long>> UserIdsAsync(this SqliteConnection db);

    [Query("SELECT name FROM users ORDER BY id")]
    public static partial IAsyncEnumerable<string> StreamNamesAsync(this SqliteConnection db);

    [Query("UPDATE users SET name = @name WHERE id = @id")]
    public static partial Task<int> RenameAsync(this SqliteConnection db, long id, string name);

    [Query("DELETE FROM users WHERE id > $1")]
    public static partial Task<long> DeleteAboveAsync(this SqliteConnection db, long id);

    [Query("INSERT INTO users (id, name, email) VALUES ($1, $2, $3)")]
    public static partial Task InsertUserAsync(this SqliteConnection db, long id, string name, string? email);

    [Query("INSERT INTO users (name, email) VALUES (@name, @email) RETURNING id")]
    public static partial Task<long> InsertUserReturningIdAsync(this SqliteConnection db, string name, string? email);

    // ------------------------------------------------------------ parameters

    [Query("SELECT id, name, email FROM users WHERE name = $2 AND id > $1 ORDER BY id")]
    public static partial Task<List<User>> UsersNamedAboveAsync(this SqliteConnection db, long minId, string name);

    [Query("SELECT id, name, email FROM users WHERE id >= @min_id AND id <= @maxId AND (name = @name OR @name IS NULL) ORDER BY id")]
    public static partial Task<List<User>> UsersBetweenAsync(this SqliteConnection db, string? name, long maxId, long minId);

    [Query("SELECT id, name, email FROM users WHERE id = $id")]
    public static partial Task<User?> UserByDollarNameAsync(this SqliteConnection db, long id);

    [Query("SELECT id, name, email FROM users WHERE id = :id")]
    public static partial Task<User?> UserByColonNameAsync(this SqliteConnection db, long id);

    [Query("SELECT id, name, email FROM users WHERE email IS $1 ORDER BY id")]
    public static partial Task<List<User>> UsersWithEmailAsync(this SqliteConnection db, string? email);

    [Query("SELECT $1 IS NULL")]
    public static partial Task<bool> IsNullAsync(this SqliteConnection db, long? value);

    [Query("SELECT count(*) FROM users WHERE name = '$1 @name -- not a parameter' OR id = $1 /* @other */")]
    public static partial Task<long> CountWithLiteralsAsync(this SqliteConnection db, long id);

    [Query("SELECT id, name, email FROM users WHERE id = $1")]
    public static partial Task<User?> UserByIdInTransactionAsync(this SqliteConnection db, long id, SqliteTransaction transaction);

    [Query("INSERT INTO users (id, name, email) VALUES ($1, $2, NULL)")]
    public static partial Task<int> InsertUserInTransactionAsync(this SqliteConnection db, long id, string name, SqliteTransaction? transaction);

    // ------------------------------------------------------------ column types

    [Query("""
        INSERT INTO all_types (id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes, status, weight)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        """)]
    public static partial Task<int> InsertAllTypesAsync(
        this SqliteConnection db, long id, long i64, int i32, short i16, byte u8, bool flag, double dbl, float flt, decimal dec,
        string txt, Guid uid, DateTime at, DateTimeOffset atOffset, byte[] bytes, UserStatus status, Weight weight);

    [Query("""
        INSERT INTO all_types (id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes, status, weight)
        VALUES (@id, @i64, @i32, @i16, @u8, @flag, @dbl, @flt, @dec, @txt, @uid, @at, @at_offset, @bytes, @status, @weight)
        """)]
    public static partial Task<int> InsertNullableTypesAsync(
        this SqliteConnection db, long id, long? i64, int? i32, short? i16, byte? u8, bool? flag, double? dbl, float? flt, decimal? dec,
        string? txt, Guid? uid, DateTime? at, DateTimeOffset? atOffset, byte[]? bytes, UserStatus? status, Weight? weight);

    [Query("SELECT id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes, status, weight FROM all_types WHERE id = $1")]
    public static partial Task<AllTypes?> AllTypesByIdAsync(this SqliteConnection db, long id);

    [Query("SELECT id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes, status, weight FROM all_types WHERE id = $1")]
    public static partial Task<NullableTypes?> NullableTypesByIdAsync(this SqliteConnection db, long id);

    [Query("SELECT * FROM all_types WHERE id = $1")]
    public static partial Task<AllTypes?> AllTypesStarByIdAsync(this SqliteConnection db, long id);

    [Query("SELECT uid FROM all_types WHERE id = $1")]
    public static partial Task<Guid> GuidOfAsync(this SqliteConnection db, long id);

    [Query("SELECT at_offset FROM all_types WHERE id = $1")]
    public static partial Task<DateTimeOffset?> AtOffsetOfAsync(this SqliteConnection db, long id);

    [Query("SELECT status FROM all_types WHERE id = $1")]
    public static partial Task<UserStatus> StatusOfAsync(this SqliteConnection db, long id);

    [Query("SELECT bytes FROM all_types WHERE id = $1")]
    public static partial Task<byte[]?> BytesOfAsync(this SqliteConnection db, long id);

    [Query("SELECT id FROM all_types WHERE status = $1 ORDER BY id")]
    public static partial Task<List<long>> IdsWithStatusAsync(this SqliteConnection db, UserStatus status);

    [Query("SELECT id FROM all_types WHERE status IS $1 ORDER BY id")]
    public static partial Task<List<long>> IdsWithNullableStatusAsync(this SqliteConnection db, UserStatus? status);

    [Query("SELECT id FROM all_types WHERE uid = $1 ORDER BY id")]
    public static partial Task<List<long>> IdsWithGuidAsync(this SqliteConnection db, Guid uid);

    // ------------------------------------------------------------ bulk loaders

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each($1)) ORDER BY channel_id, user_id")]
    public static partial Task<ILookup<long, Member>> MembersByChannelAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each($channel_ids)) ORDER BY channel_id, user_id", MaxBatchSize = 2)]
    public static partial Task<RowLookup<long, Member>> MembersByChannelChunkedAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each(@ids)) AND role = @role ORDER BY user_id")]
    public static partial Task<RowLookup<long, Member>> MembersByChannelWithRoleAsync(this SqliteConnection db, IReadOnlyCollection<long> ids, string role);

    [BulkLoader("SELECT * FROM members WHERE channel_id IN (SELECT value FROM json_each($1)) ORDER BY user_id")]
    public static partial Task<ILookup<long, Member>> MembersByChannelStarAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT id, name, email FROM users WHERE id IN (SELECT value FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(this SqliteConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name, email FROM users WHERE id IN (SELECT value FROM json_each($1))", MaxBatchSize = 2)]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdChunkedAsync(this SqliteConnection db, IReadOnlyCollection<long> ids);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<long, Member>> OneMemberPerChannelAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT code, title FROM tags WHERE code IN (SELECT value FROM json_each($1))")]
    public static partial Task<Dictionary<string, Tag>> TagsByCodeAsync(this SqliteConnection db, IReadOnlyCollection<string> codes);

    [BulkLoader("SELECT code, title FROM tags WHERE code IN (SELECT value FROM json_each($1))")]
    public static partial Task<ILookup<string, Tag>> TagLookupByCodeAsync(this SqliteConnection db, IReadOnlyCollection<string> codes);

    [BulkLoader("SELECT id, title FROM documents WHERE id IN (SELECT value FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<Guid, Document>> DocumentsByIdAsync(this SqliteConnection db, IReadOnlyCollection<Guid> ids);

    [BulkLoader("SELECT id, value FROM counters WHERE id IN (SELECT value FROM json_each($1))")]
    public static partial Task<IReadOnlyDictionary<int, Counter>> CountersByIdAsync(this SqliteConnection db, IReadOnlyCollection<int> ids);

    /// <summary><c>batch_probe</c> is a function the test registers on the connection; it records each statement's key array.</summary>
    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each($1)) AND batch_probe($1) ORDER BY channel_id, user_id", MaxBatchSize = 3)]
    public static partial Task<ILookup<long, Member>> MembersProbedAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each($1)) AND batch_probe($1)", MaxBatchSize = 100_000)]
    public static partial Task<ILookup<long, Member>> MembersProbedUnchunkedAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id IN (SELECT value FROM json_each($1)) AND user_id > $2")]
    public static partial Task<ILookup<long, Member>> MembersAboveUserAsync(this SqliteConnection db, IReadOnlyCollection<long> channelIds, long minUserId, SqliteTransaction? transaction = null);
}
