using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Sluice.Tests.Queries;

/// <summary>The PostgreSQL queries under test, declared exactly as a user would.</summary>
public static partial class NpgsqlQueries
{
    public const string Schema = """
        CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text);
        CREATE SEQUENCE users_id_seq START 100;
        CREATE TABLE members (channel_id bigint NOT NULL, user_id bigint NOT NULL, role text NOT NULL, PRIMARY KEY (channel_id, user_id));
        CREATE TABLE tags (code text PRIMARY KEY, title text NOT NULL);
        CREATE TABLE documents (id uuid PRIMARY KEY, title text NOT NULL);
        CREATE TABLE counters (id integer PRIMARY KEY, value bigint NOT NULL);
        CREATE TABLE all_types (
            id bigint PRIMARY KEY, i64 bigint, i32 integer, i16 smallint, u8 smallint, flag boolean, dbl double precision, flt real,
            dec numeric, txt text, uid uuid, at timestamptz, at_offset timestamptz, bytes bytea, status integer, weight bigint);
        """;

    // ------------------------------------------------------------ return shapes

    [Query("SELECT id, name, email FROM users WHERE id = $1")]
    public static partial Task<User?> UserByIdAsync(this NpgsqlConnection db, long id, CancellationToken cancellationToken = default);

    [Query("SELECT id, name, email FROM users ORDER BY id")]
    public static partial Task<List<User>> UsersAsync(this NpgsqlConnection db);

    [Query("SELECT id, name, email FROM users ORDER BY id")]
    public static partial IAsyncEnumerable<User> StreamUsersAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query("SELECT * FROM users ORDER BY id")]
    public static partial IAsyncEnumerable<UserRow> StreamUserRowsAsync(this NpgsqlConnection db, CancellationToken cancellationToken = default);

    [Query("SELECT * FROM users WHERE id = @id")]
    public static partial Task<UserRow?> UserRowByIdAsync(this NpgsqlConnection db, long id);

    [Query("SELECT email, id, name FROM users ORDER BY id")]
    public static partial Task<List<User>> UsersColumnsReorderedAsync(this NpgsqlConnection db);

    [Query("SELECT u.id, u.name FROM users AS u ORDER BY u.id")]
    public static partial Task<List<UserLabel>> UserLabelsAsync(this NpgsqlConnection db);

    [Query("SELECT count(*) FROM users")]
    public static partial Task<long> CountUsersAsync(this NpgsqlConnection db);

    [Query("SELECT count(*)::int FROM users")]
    public static partial ValueTask<int> CountUsersAsIntAsync(this NpgsqlConnection db);

    [Query("SELECT name FROM users WHERE id = $1")]
    public static partial Task<string> NameOfAsync(this NpgsqlConnection db, long id);

    [Query("SELECT email FROM users WHERE id = $1")]
    public static partial Task<string?> EmailOfAsync(this NpgsqlConnection db, long id);

    [Query("SELECT id FROM users WHERE name = $1")]
    public static partial Task<long> IdByNameAsync(this NpgsqlConnection db, string name);

    [Query("SELECT id FROM users WHERE name = $1")]
    public static partial Task<long?> IdByNameOrNullAsync(this NpgsqlConnection db, string name);

    [Query("SELECT id FROM users ORDER BY id")]
    public static partial Task<List<long>> UserIdsAsync(this NpgsqlConnection db);

    [Query("SELECT name FROM users ORDER BY id")]
    public static partial IAsyncEnumerable<string> StreamNamesAsync(this NpgsqlConnection db);

    [Query("UPDATE users SET name = @name WHERE id = @id")]
    public static partial Task<int> RenameAsync(this NpgsqlConnection db, long id, string name);

    [Query("DELETE FROM users WHERE id > $1")]
    public static partial Task<long> DeleteAboveAsync(this NpgsqlConnection db, long id);

    [Query("INSERT INTO users (id, name, email) VALUES ($1, $2, $3)")]
    public static partial Task InsertUserAsync(this NpgsqlConnection db, long id, string name, string? email);

    [Query("INSERT INTO users (id, name, email) VALUES (nextval('users_id_seq'), @name, @email) RETURNING id")]
    public static partial Task<long> InsertUserReturningIdAsync(this NpgsqlConnection db, string name, string? email);

    // ------------------------------------------------------------ parameters

    [Query("SELECT id, name, email FROM users WHERE name = $2 AND id > $1 ORDER BY id")]
    public static partial Task<List<User>> UsersNamedAboveAsync(this NpgsqlConnection db, long minId, string name);

    [Query("SELECT id, name, email FROM users WHERE id >= @min_id AND id <= @maxId AND (name = @name OR @name::text IS NULL) ORDER BY id")]
    public static partial Task<List<User>> UsersBetweenAsync(this NpgsqlConnection db, string? name, long maxId, long minId);

    [Query("SELECT id, name, email FROM users WHERE email IS NOT DISTINCT FROM $1 ORDER BY id")]
    public static partial Task<List<User>> UsersWithEmailAsync(this NpgsqlConnection db, string? email);

    [Query("SELECT $1::bigint IS NULL")]
    public static partial Task<bool> IsNullAsync(this NpgsqlConnection db, long? value);

    [Query("SELECT count(*) FROM users WHERE name = '$1 @name -- not a parameter' OR id = @id /* @other */ OR name = $tag$@name$tag$")]
    public static partial Task<long> CountWithLiteralsAsync(this NpgsqlConnection db, long id);

    [Query("SELECT id, name, email FROM users WHERE id = $1")]
    public static partial Task<User?> UserByIdInTransactionAsync(this NpgsqlConnection db, long id, NpgsqlTransaction transaction);

    [Query("INSERT INTO users (id, name, email) VALUES ($1, $2, NULL)")]
    public static partial Task<int> InsertUserInTransactionAsync(this NpgsqlConnection db, long id, string name, NpgsqlTransaction? transaction);

    // ------------------------------------------------------------ data source

    [Query("SELECT id, name, email FROM users WHERE id = @id")]
    public static partial Task<User?> UserByIdFromDataSourceAsync(this NpgsqlDataSource db, long id, CancellationToken cancellationToken = default);

    [Query("SELECT id, name, email FROM users ORDER BY id")]
    public static partial IAsyncEnumerable<User> StreamUsersFromDataSourceAsync(this NpgsqlDataSource db, CancellationToken cancellationToken = default);

    [Query("UPDATE users SET email = $2 WHERE id = $1")]
    public static partial Task<int> SetEmailFromDataSourceAsync(this NpgsqlDataSource db, long id, string? email);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1) ORDER BY channel_id, user_id")]
    public static partial Task<ILookup<long, Member>> MembersByChannelFromDataSourceAsync(this NpgsqlDataSource db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name, email FROM users WHERE id = ANY(@ids)", MaxBatchSize = 2)]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdFromDataSourceAsync(this NpgsqlDataSource db, IReadOnlyCollection<long> ids);

    // ------------------------------------------------------------ column types

    [Query("""
        INSERT INTO all_types (id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes, status, weight)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        """)]
    public static partial Task<int> InsertAllTypesAsync(
        this NpgsqlConnection db, long id, long i64, int i32, short i16, byte u8, bool flag, double dbl, float flt, decimal dec,
        string txt, Guid uid, DateTime at, DateTimeOffset atOffset, byte[] bytes, UserStatus status, Weight weight);

    [Query("""
        INSERT INTO all_types (id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes)
        VALUES (@id, @i64, @i32, @i16, @u8, @flag, @dbl, @flt, @dec, @txt, @uid, @at, @at_offset, @bytes)
        """)]
    public static partial Task<int> InsertNullableTypesAsync(
        this NpgsqlConnection db, long id, long? i64, int? i32, short? i16, byte? u8, bool? flag, double? dbl, float? flt, decimal? dec,
        string? txt, Guid? uid, DateTime? at, DateTimeOffset? atOffset, byte[]? bytes);

    [Query("UPDATE all_types SET status = @status, weight = @weight WHERE id = @id")]
    public static partial Task<int> SetNullableEnumsAsync(this NpgsqlConnection db, long id, UserStatus? status, Weight? weight);

    [Query("SELECT id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes, status, weight FROM all_types WHERE id = $1")]
    public static partial Task<AllTypes?> AllTypesByIdAsync(this NpgsqlConnection db, long id);

    [Query("SELECT id, i64, i32, i16, u8, flag, dbl, flt, dec, txt, uid, at, at_offset, bytes, status, weight FROM all_types WHERE id = $1")]
    public static partial Task<NullableTypes?> NullableTypesByIdAsync(this NpgsqlConnection db, long id);

    [Query("SELECT * FROM all_types WHERE id = $1")]
    public static partial Task<AllTypes?> AllTypesStarByIdAsync(this NpgsqlConnection db, long id);

    [Query("SELECT uid FROM all_types WHERE id = $1")]
    public static partial Task<Guid> GuidOfAsync(this NpgsqlConnection db, long id);

    [Query("SELECT at_offset FROM all_types WHERE id = $1")]
    public static partial Task<DateTimeOffset?> AtOffsetOfAsync(this NpgsqlConnection db, long id);

    [Query("SELECT status FROM all_types WHERE id = $1")]
    public static partial Task<UserStatus> StatusOfAsync(this NpgsqlConnection db, long id);

    [Query("SELECT bytes FROM all_types WHERE id = $1")]
    public static partial Task<byte[]?> BytesOfAsync(this NpgsqlConnection db, long id);

    [Query("SELECT id FROM all_types WHERE status = $1 ORDER BY id")]
    public static partial Task<List<long>> IdsWithStatusAsync(this NpgsqlConnection db, UserStatus status);

    // ------------------------------------------------------------ bulk loaders

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1) ORDER BY channel_id, user_id")]
    public static partial Task<ILookup<long, Member>> MembersByChannelAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1) ORDER BY channel_id, user_id", MaxBatchSize = 2)]
    public static partial Task<RowLookup<long, Member>> MembersByChannelChunkedAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY(@ids) AND role = @role ORDER BY user_id")]
    public static partial Task<RowLookup<long, Member>> MembersByChannelWithRoleAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, string role);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1) AND user_id > $2 ORDER BY user_id")]
    public static partial Task<ILookup<long, Member>> MembersAboveUserAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds, long minUserId, NpgsqlTransaction? transaction = null);

    [BulkLoader("SELECT * FROM members WHERE channel_id = ANY($1) ORDER BY user_id")]
    public static partial Task<ILookup<long, Member>> MembersByChannelStarAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT id, name, email FROM users WHERE id = ANY($1)")]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    [BulkLoader("SELECT id, name, email FROM users WHERE id = ANY($1) /* chunked */", MaxBatchSize = 2)]
    public static partial Task<IReadOnlyDictionary<long, User>> UsersByIdChunkedAsync(this NpgsqlConnection db, IReadOnlyCollection<long> ids);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1)")]
    public static partial Task<IReadOnlyDictionary<long, Member>> OneMemberPerChannelAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds);

    [BulkLoader("SELECT code, title FROM tags WHERE code = ANY($1)")]
    public static partial Task<Dictionary<string, Tag>> TagsByCodeAsync(this NpgsqlConnection db, IReadOnlyCollection<string> codes);

    [BulkLoader("SELECT code, title FROM tags WHERE code = ANY($1)")]
    public static partial Task<ILookup<string, Tag>> TagLookupByCodeAsync(this NpgsqlConnection db, IReadOnlyCollection<string> codes);

    [BulkLoader("SELECT id, title FROM documents WHERE id = ANY($1)")]
    public static partial Task<IReadOnlyDictionary<Guid, Document>> DocumentsByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<Guid> ids);

    [BulkLoader("SELECT id, value FROM counters WHERE id = ANY($1)")]
    public static partial Task<IReadOnlyDictionary<int, Counter>> CountersByIdAsync(this NpgsqlConnection db, IReadOnlyCollection<int> ids);

    [BulkLoader("SELECT channel_id, user_id, role FROM members WHERE channel_id = ANY($1) /* large */", MaxBatchSize = 100_000)]
    public static partial Task<ILookup<long, Member>> MembersUnchunkedAsync(this NpgsqlConnection db, IReadOnlyCollection<long> channelIds);
}
