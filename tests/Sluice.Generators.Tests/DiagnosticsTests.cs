using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;
using Sluice.Generators.Tests.Harness;
using Sluice.Generators.Tests.Infrastructure;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// Every misuse becomes a diagnostic with a fixed id; each case here has its expected diagnostics committed in
/// <c>Snapshots/Diagnostics_SLxxxx.verified.txt</c>, and every id has a page in docs/diagnostics/.
/// </summary>
public sealed class DiagnosticsTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Data.Sqlite;
        using Npgsql;
        using Sluice;

        """;

    private const string Union = """
        [WireErrors]
        public abstract partial record E
        {
            public sealed partial record NotFound(long Id) : E;
        }

        """;

    public static readonly Dictionary<string, (string Source, string[] Excluded)> Cases = new()
    {
        ["SL0001"] = (Union + """
            public sealed record Cmd : ICommand<Done, E>;
            [Worker]
            public sealed class W
            {
                [Handler] Result<Done, E> Handle(Cmd command, WorkerContext<SqliteConnection> context) => Done.Value;
            }
            """, []),
        ["SL0002"] = ("""
            [WireErrors]
            public abstract record E
            {
                public sealed record NotFound(long Id) : E;
            }
            """, []),
        ["SL0003"] = ("""
            [WireErrors]
            public partial record E
            {
                public sealed partial record NotFound(long Id) : E;
            }
            """, []),
        ["SL0004"] = ("""
            [WireErrors]
            public abstract partial record E
            {
                public partial record NotFound(long Id) : E;
            }
            """, []),
        ["SL0005"] = ("""
            [WireErrors]
            public abstract partial record E
            {
                public sealed partial record NotFound(long Id) : E;
                [WireReason("not-found")] public sealed partial record Missing(long Id) : E;
            }
            """, []),
        ["SL0006"] = ("""
            [WireErrors]
            public abstract partial record E
            {
                [WireReason("NotFound")] public sealed partial record NotFound(long Id) : E;
            }
            """, []),
        ["SL0007"] = ("""
            [WireErrors]
            public abstract partial record E
            {
                public sealed partial record Defect(string Detail) : E;
                [WireReason("interrupted")] public sealed partial record Stopped : E;
            }
            """, []),
        ["SL0008"] = ("""
            [WireErrors]
            public abstract partial record E
            {
                [MapDbError] public sealed partial record Neither : E;
                [MapDbError(SqlState = "40001", SqliteCode = 5)] public sealed partial record Both : E;
            }
            """, []),
        ["SL0009"] = ("""
            [WireErrors]
            public abstract partial record E
            {
                [MapDbError(SqlState = "40001")] public sealed partial record Busy(int Attempt) : E;
            }
            """, []),
        ["SL0010"] = ("""
            using Sluice;

            [WireErrors]
            public abstract partial record E
            {
                [MapDbError(SqliteCode = 5)] public sealed partial record Busy : E;
            }
            """, ["Microsoft.Data.Sqlite"]),
        ["SL0011"] = ("""
            [WireErrors]
            public abstract partial record E;
            """, []),
        ["SL0012"] = (Union + """
            public sealed record Cmd : ICommand<Done, E>;
            [Worker]
            public sealed partial class W
            {
                [Handler] Result<Done, E> Handle(Cmd command) => Done.Value;
                [Handler] Task<Result<Done, E>> HandleTask(Cmd command, WorkerContext<SqliteConnection> context) => Task.FromResult<Result<Done, E>>(Done.Value);
            }
            """, []),
        ["SL0013"] = (Union + """
            public sealed record NotACommand;
            [Worker]
            public sealed partial class W
            {
                [Handler] Result<Done, E> Handle(NotACommand command, WorkerContext<SqliteConnection> context) => Done.Value;
            }
            """, []),
        ["SL0014"] = (Union + """
            public sealed record Cmd : ICommand<Done, E>;
            [Worker]
            public sealed partial class W
            {
                [Handler] Result<Done, E> Handle(Cmd command, WorkerContext<SqliteConnection> context) => Done.Value;
                [Handler] Result<Done, E> HandleAgain(Cmd command, WorkerContext<SqliteConnection> context) => Done.Value;
            }
            """, []),
        ["SL0015"] = (Union + """
            public sealed record Cmd : ICommand<long, E>;
            [Worker]
            public sealed partial class W
            {
                [Handler] Result<int, E> Handle(Cmd command, WorkerContext<SqliteConnection> context) => 1;
            }
            """, []),
        ["SL0016"] = (Union + """
            public sealed record A : ICommand<Done, E>;
            public sealed record B : ICommand<Done, E>;
            [Worker]
            public sealed partial class W
            {
                [Handler] Result<Done, E> Handle(A command, WorkerContext<SqliteConnection> context) => Done.Value;
                [Handler] Result<Done, E> Handle(B command, WorkerContext<NpgsqlConnection> context) => Done.Value;
            }
            """, []),
        ["SL0017"] = ("""
            [Worker]
            public sealed partial class W
            {
            }
            """, []),
        ["SL0018"] = ("""
            public static class Outer
            {
                [WireErrors]
                public abstract partial record E
                {
                    public sealed partial record NotFound(long Id) : E;
                }
            }
            """, []),
        ["SL0019"] = (Union + """
            public sealed record Cmd : ICommand<Done, E>;
            [Worker]
            public sealed partial class W<T>
            {
                [Handler] Result<Done, E> Handle(Cmd command, WorkerContext<SqliteConnection> context) => Done.Value;
            }
            """, []),
        ["SL0020"] = (Union + """
            public sealed record Cmd : ICommand<Done, E>, ICommand<long, E>;
            [Worker]
            public sealed partial class W
            {
                [Handler] Result<Done, E> Handle(Cmd command, WorkerContext<SqliteConnection> context) => Done.Value;
            }
            """, []),
        ["SL0021"] = ("""
            public abstract record Plain;
            public sealed record Cmd : ICommand<Done, Plain>;
            [Worker]
            public sealed partial class W
            {
                [Handler] Result<Done, Plain> Handle(Cmd command, WorkerContext<SqliteConnection> context) => Done.Value;
            }
            """, []),
        ["SL0022"] = ("""
            [WireErrors]
            public abstract partial record E
            {
                public sealed partial record Odd : E
                {
                    public Odd(int unrelated) { }
                }
            }
            """, []),
        ["SL0030"] = ("""
            public static partial class Q
            {
                [Query("SELECT 1")]
                public static Task<long> NotPartial(this SqliteConnection db) => Task.FromResult(1L);
            }
            """, []),
        ["SL0031"] = ("""
            public static partial class Q
            {
                [Query("")]
                public static partial Task<long> Empty(this SqliteConnection db);
            }
            """, []),
        ["SL0032"] = ("""
            public static partial class Q
            {
                [Query("SELECT 1")]
                public static partial Task<long> NoConnection(long id);
            }
            """, []),
        ["SL0033"] = ("""
            public sealed record Member(long ChannelId, long UserId);
            public static partial class Q
            {
                [BulkLoader("SELECT channel_id, user_id FROM members WHERE channel_id IN (SELECT value FROM json_each($1))")]
                public static partial Task<List<Member>> Members(this SqliteConnection db, IReadOnlyCollection<long> ids);
            }
            """, []),
        ["SL0034"] = ("""
            public sealed record Member(long ChannelId, long UserId);
            public static partial class Q
            {
                [BulkLoader("SELECT channel_id, user_id FROM members WHERE channel_id IN (SELECT value FROM json_each($1))")]
                public static partial Task<IReadOnlyDictionary<long, Member>> Members(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0035"] = ("""
            public static partial class Q
            {
                [Query("SELECT 1")]
                public static partial Task<System.IO.Stream> Weird(this SqliteConnection db);
            }
            """, []),
        ["SL0036"] = ("""
            public static partial class Q
            {
                [Query("SELECT count(*) FROM users WHERE id = $1 AND name = $2")]
                public static partial Task<long> Count(this SqliteConnection db, long id);

                [Query("SELECT count(*) FROM users WHERE id = @id")]
                public static partial Task<long> ByName(this SqliteConnection db, long userId);
            }
            """, []),
        ["SL0037"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [BulkLoader("SELECT id, name FROM users u WHERE EXISTS (SELECT 1 FROM json_each($1) k WHERE k.value = u.id)")]
                public static partial Task<IReadOnlyDictionary<long, User>> Users(this SqliteConnection db, IReadOnlyCollection<long> ids);
            }
            """, []),
        ["SL0038"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [BulkLoader("SELECT id, name FROM users WHERE id IN ($1)")]
                public static partial Task<IReadOnlyDictionary<long, User>> Users(this NpgsqlConnection db, IReadOnlyCollection<long> ids);
            }
            """, []),
        ["SL0039"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [BulkLoader("SELECT id, name FROM users WHERE id = $1")]
                public static partial Task<IReadOnlyDictionary<long, User>> Users(this NpgsqlConnection db, IReadOnlyCollection<long> ids);
            }
            """, []),
        ["SL0040"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [BulkLoader("SELECT id, name FROM users WHERE id IN ($1)")]
                public static partial Task<IReadOnlyDictionary<long, User>> Users(this SqliteConnection db, IReadOnlyCollection<long> ids);
            }
            """, []),
        ["SL0041"] = ("""
            public sealed record User(string Name);
            public static partial class Q
            {
                [BulkLoader("SELECT name FROM users WHERE id = ANY($1)")]
                public static partial Task<IReadOnlyDictionary<long, User>> Users(this NpgsqlConnection db, IReadOnlyCollection<long> ids);
            }
            """, []),
        ["SL0042"] = ("""
            public sealed record User(long Id, string Name, string Email);
            public static partial class Q
            {
                [Query("SELECT id, name FROM users WHERE id = $1")]
                public static partial Task<User?> User(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0043"] = ("""
            public sealed record User(long Id, System.Uri Home);
            public static partial class Q
            {
                [Query("SELECT id, home FROM users WHERE id = $1")]
                public static partial Task<User?> User(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0044"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [BulkLoader("SELECT id, name FROM users WHERE id IN (SELECT value FROM json_each($1)) AND name <> $2", DataLoader = true)]
                public static partial Task<IReadOnlyDictionary<long, User>> Users(this SqliteConnection db, IReadOnlyCollection<long> ids, string excluded);
            }
            """, []),
        ["SL0045"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [Query("SELECT id, name FROM users WHERE id = $1")]
                public static partial Task<User?> UserAsync(this NpgsqlDataSource db, long id, NpgsqlTransaction? transaction);
            }
            """, []),
        ["SL0050"] = ("""
            public sealed record Event(long Seq, string Kind);
            public static partial class Q
            {
                [CursorFeed("SELECT seq, kind FROM events WHERE seq > $1 ORDER BY kind LIMIT $2")]
                public static partial IAsyncEnumerable<Event> EventsAfterAsync(this NpgsqlConnection db, long after, int pageSize);
            }
            """, []),
        ["SL0051"] = ("""
            public sealed record Event(long Seq, string Kind);
            public static partial class Q
            {
                [CursorFeed("SELECT seq, kind FROM events WHERE seq > $1 ORDER BY seq")]
                public static partial IAsyncEnumerable<Event> EventsAfterAsync(this SqliteConnection db, long after);
            }
            """, []),
        ["SL0052"] = ("""
            public sealed record Event(int Seq, string Kind);
            public static partial class Q
            {
                [CursorFeed("SELECT seq, kind FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")]
                public static partial IAsyncEnumerable<Event> EventsAfterAsync(this SqliteConnection db, long after, int pageSize);
            }
            """, []),
        ["SL0053"] = ("""
            public sealed record Event(long Seq, string Kind);
            public static partial class Q
            {
                [CursorFeed("SELECT seq, kind FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")]
                public static partial Task<List<Event>> EventsAfterAsync(this SqliteConnection db, long after, int pageSize);
            }
            """, []),
        // Nested rows and one-to-many (SL0120–SL0129).
        ["SL0120"] = ("""
            public sealed record Address(string Street, string City);
            public sealed record User(long Id, string Name, Address Address);
            public static partial class Q
            {
                [Query("SELECT u.id, u.name, a.street, a.city FROM users u JOIN addresses a ON a.user_id = u.id")]
                public static partial Task<List<User>> Users(this SqliteConnection db);
            }
            """, []),
        ["SL0121"] = ("""
            public sealed record Line(long LineId, string Sku);
            public sealed record Order(long Number, string Customer, IReadOnlyList<Line> Lines);
            public static partial class Q
            {
                [Query("SELECT o.number, o.customer, l.id AS line_line_id, l.sku AS line_sku FROM orders o JOIN lines l ON l.order_number = o.number")]
                public static partial Task<List<Order>> Orders(this SqliteConnection db);
            }
            """, []),
        ["SL0122"] = ("""
            public sealed record Address(string Street);
            public sealed record User(long Id, [ColumnPrefix("")] Address Home, [ColumnPrefix("")] Address Work);
            public static partial class Q
            {
                [Query("SELECT id, street FROM users")]
                public static partial Task<List<User>> Users(this SqliteConnection db);
            }
            """, []),
        ["SL0123"] = ("""
            public sealed record Line(long Id, string Sku);
            public sealed record Order(long Id, IReadOnlyList<Line> Lines);
            public static partial class Q
            {
                [Query("SELECT o.id, l.id AS line_id, l.sku AS line_sku FROM orders o JOIN lines l ON l.order_id = o.id")]
                public static partial IAsyncEnumerable<Order> Orders(this SqliteConnection db);
            }
            """, []),
        ["SL0124"] = ("""
            public sealed record Parcel(long Id);
            public sealed record Line(long Id, IReadOnlyList<Parcel> Parcels);
            public sealed record Order(long Id, IReadOnlyList<Line> Lines);
            public static partial class Q
            {
                [Query("SELECT o.id, l.id AS line_id, p.id AS line_parcel_id FROM orders o JOIN lines l ON l.order_id = o.id JOIN parcels p ON p.line_id = l.id")]
                public static partial Task<List<Order>> Orders(this SqliteConnection db);
            }
            """, []),
        ["SL0125"] = ("""
            public abstract record Address(string Street);
            public sealed record User(long Id, Address Address);
            public static partial class Q
            {
                [Query("SELECT id, street AS address_street FROM users")]
                public static partial Task<List<User>> Users(this SqliteConnection db);
            }
            """, []),
        ["SL0126"] = ("""
            public sealed record Address(string Street);
            public sealed record User(long Id, Address Address);
            public static partial class Q
            {
                [Query("SELECT * FROM users")]
                public static partial Task<List<User>> Users(this SqliteConnection db);
            }
            """, []),
        ["SL0127"] = ("""
            public sealed record Line(long Id);
            public sealed record Order([property: RowKey] string? Number, IReadOnlyList<Line> Lines);
            public static partial class Q
            {
                [Query("SELECT o.number, l.id AS line_id FROM orders o JOIN lines l ON l.order_number = o.number")]
                public static partial Task<List<Order>> Orders(this SqliteConnection db);
            }
            """, []),
        ["SL0128"] = ("""
            public sealed record User(long Id, [ColumnPrefix("u_")] string Name);
            public static partial class Q
            {
                [Query("SELECT id, name FROM users")]
                public static partial Task<List<User>> Users(this SqliteConnection db);
            }
            """, []),
        ["SL0129"] = ("""
            public sealed record Line(long Id);
            public sealed record Order(long Id, Line[] Lines);
            public static partial class Q
            {
                [Query("SELECT o.id, l.id AS line_id FROM orders o JOIN lines l ON l.order_id = o.id")]
                public static partial Task<List<Order>> Orders(this SqliteConnection db);
            }
            """, []),
        ["SL0060"] = ("""
            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public partial class B
            {
                public const string Sql = "DELETE FROM transmissions WHERE id > @lo AND id <= @hi";
            }
            """, []),
        ["SL0061"] = ("""
            [ChunkedBatch("b v1!", Table = "transmissions; DROP TABLE x", Key = "")]
            public static partial class B
            {
                public const string Sql = "DELETE FROM transmissions WHERE id > @lo AND id <= @hi";
            }
            """, []),
        ["SL0062"] = ("""
            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public static partial class B
            {
                public static readonly string Statement = "DELETE FROM transmissions WHERE id > @lo AND id <= @hi";
            }
            """, []),
        ["SL0063"] = ("""
            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public static partial class B
            {
                public const string Sql = "UPDATE observations SET ts = 0 WHERE id > @lo AND id <= @hi AND ts IS NOT 0";
            }
            """, []),
        ["SL0064"] = ("""
            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public static partial class B
            {
                public const string Sql = "UPDATE transmissions SET last_seen = 0 WHERE id IN (SELECT id FROM transmissions WHERE last_seen IS NULL LIMIT 1000) OR id > @lo AND id <= @hi";
            }
            """, []),
        ["SL0065"] = ("""
            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public static partial class B
            {
                public const string Sql = "DELETE FROM transmissions WHERE id > @lo AND id <= @hi AND created < @cutoff";
            }
            """, []),
        ["SL0066"] = ("""
            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public static partial class B
            {
                public const string Sql = "UPDATE transmissions SET last_seen = (SELECT MAX(o.ts) FROM observations o WHERE o.tx_id = transmissions.id) WHERE id > @lo AND id <= @hi";
            }
            """, []),
        ["SL0067"] = ("""
            using Sluice;

            [ChunkedBatch("b_v1", Table = "transmissions", Key = "id")]
            public static partial class B
            {
                public const string Sql = "DELETE FROM transmissions WHERE id > @lo AND id <= @hi";
            }
            """, ["Microsoft.Data.Sqlite", "Npgsql"]),
        ["SL0070"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [Cached(Ttl = "10 seconds")]
                [Query("SELECT id, name FROM users WHERE id = $1")]
                public static partial Task<User?> UserAsync(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0071"] = ("""
            public sealed record User(long Id, string Name);
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10", Capacity = 0)]
                [Query("SELECT id, name FROM users WHERE id = $1")]
                public static partial Task<User?> UserAsync(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0072"] = ("""
            public static class Q
            {
                [Cached(Ttl = "00:00:10")]
                public static Task<int> AnswerAsync(this SqliteConnection db) => Task.FromResult(42);
            }
            """, []),
        ["SL0073"] = ("""
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10")]
                [Query("UPDATE users SET seen = seen + 1 WHERE id = $1")]
                public static partial Task<int> TouchAsync(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0074"] = (Union + """
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10")]
                [Query("SELECT name FROM users WHERE id = $1")]
                public static partial Task<string?> NameAsync(this SqliteConnection db, long id);
            }
            [Invalidates(typeof(Q), Key = nameof(Id))]
            public sealed record Rename(long Id, string Name) : ICommand<Done, E>;
            """, []),
        ["SL0075"] = (Union + """
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10")]
                [Query("SELECT name FROM users WHERE id = $1")]
                public static partial Task<string?> NameAsync(this SqliteConnection db, long id);
                [Cached(Ttl = "00:00:10")]
                [Query("SELECT email FROM users WHERE id = $1")]
                public static partial Task<string?> EmailAsync(this SqliteConnection db, long id);
            }
            [Invalidates(typeof(Q), Key = nameof(Id))]
            public sealed partial record Rename(long Id, string Name) : ICommand<Done, E>;
            """, []),
        ["SL0076"] = (Union + """
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10")]
                [Query("SELECT name FROM users WHERE id = $1")]
                public static partial Task<string?> NameAsync(this SqliteConnection db, long id);
            }
            [Invalidates(typeof(Q), Key = "UserId")]
            public sealed partial record Rename(long Id, string Name) : ICommand<Done, E>;
            """, []),
        ["SL0077"] = (Union + """
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10")]
                [Query("SELECT name FROM users WHERE id = $1")]
                public static partial Task<string?> NameAsync(this SqliteConnection db, long id);
            }
            [Invalidates(typeof(Q), Key = nameof(Name))]
            public sealed partial record Rename(long Id, string Name) : ICommand<Done, E>;
            """, []),
        ["SL0170"] = ("""
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10", MaxStale = "soon")]
                [Query("SELECT name FROM users WHERE id = $1")]
                public static partial Task<string?> NameAsync(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0171"] = ("""
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10", Tags = ["channel"])]
                [Query("SELECT role FROM members WHERE channel_id = $1 AND user_id = $2")]
                public static partial Task<string?> RoleAsync(this SqliteConnection db, long channelId, long userId);
            }
            """, []),
        ["SL0172"] = (Union + """
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10", Tags = [nameof(channelId)])]
                [Query("SELECT role FROM members WHERE channel_id = $1 AND user_id = $2")]
                public static partial Task<string?> RoleAsync(this SqliteConnection db, long channelId, long userId);
            }
            [Invalidates(typeof(Q), Tag = "userId", Key = nameof(UserId))]
            public sealed partial record Ban(long UserId) : ICommand<Done, E>;
            """, []),
        ["SL0173"] = (Union + """
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10", Tags = [nameof(channelId)])]
                [Query("SELECT role FROM members WHERE channel_id = $1 AND user_id = $2")]
                public static partial Task<string?> RoleAsync(this SqliteConnection db, long channelId, long userId);
            }
            [Invalidates(typeof(Q), Tag = "channelId")]
            public sealed partial record Archive(long ChannelId) : ICommand<Done, E>;
            """, []),
        ["SL0174"] = (Union + """
            public static partial class Q
            {
                [Cached(Ttl = "00:00:10", Tags = [nameof(channelId)])]
                [Query("SELECT role FROM members WHERE channel_id = $1 AND user_id = $2")]
                public static partial Task<string?> RoleAsync(this SqliteConnection db, long channelId, long userId);
            }
            [Invalidates(typeof(Q), Tag = "channelId", Key = nameof(Name))]
            public sealed partial record Archive(long ChannelId, string Name) : ICommand<Done, E>;
            """, []),
        ["SL0080"] = ("""
            [AuditEntry("audit_log")]
            public sealed record AuditRecord(System.DateTimeOffset At, string Actor);
            """, []),
        ["SL0081"] = ("""
            [AuditEntry("audit_log")]
            public sealed partial record AuditRecord(System.DateTime At, decimal Amount, string Actor);
            """, []),
        ["SL0082"] = ("""
            [AuditEntry("audit log; DROP TABLE users")]
            public sealed partial record AuditRecord(System.DateTimeOffset At, string Actor);
            """, []),
        ["SL0083"] = ("""
            [AuditEntry("audit_log")]
            public sealed partial record AuditRecord
            {
                public string Actor { get; init; } = "";
            }
            """, []),
        ["SL0084"] = ("""
            [AuditEntry("audit_log")]
            public sealed partial record AuditRecord(long Seq, byte[] PrevHash, string Actor);
            """, []),
        ["SL0085"] = ("""
            [AuditEntry("audit_log")]
            public sealed partial record AuditRecord(long UserId, long User_Id);
            """, []),
        ["SL0086"] = ("""
            using Sluice;

            [AuditEntry("audit_log")]
            public sealed partial record AuditRecord(System.DateTimeOffset At, string Actor);
            """, ["Sluice.Sqlite", "Sluice.Npgsql"]),
        ["SL0087"] = (Union + """
            public sealed record Shipment(long Id, E? Error);
            [System.Text.Json.Serialization.JsonSerializable(typeof(E))]
            [System.Text.Json.Serialization.JsonSerializable(typeof(List<Shipment>))]
            internal sealed partial class AppJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
            """, []),

        // ------------------------------------------------------------ value mappings (SL0100–SL0119)
        ["SL0100"] = ("""
            public readonly record struct Money(long Cents);
            public sealed class NotAConverter { }
            public sealed record Account(long Id, [SluiceConverter(typeof(NotAConverter))] Money Balance);
            public static partial class Q
            {
                [Query("SELECT id, balance FROM accounts WHERE id = $1")]
                public static partial Task<Account?> Account(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0101"] = ("""
            public readonly record struct Money(long Cents);
            public sealed class MoneyAsUri : ISluiceConverter<Money, System.Uri>
            {
                public static System.Uri ToProvider(Money value) => new("x:" + value.Cents);
                public static Money FromProvider(System.Uri value) => new(0);
            }
            public sealed record Account(long Id, [SluiceConverter(typeof(MoneyAsUri))] Money Balance);
            public static partial class Q
            {
                [Query("SELECT id, balance FROM accounts WHERE id = $1")]
                public static partial Task<Account?> Account(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0102"] = ("""
            public enum Status { Active, Closed }
            public sealed class StatusCode : ISluiceConverter<Status, string>
            {
                public static string ToProvider(Status value) => value == Status.Active ? "A" : "C";
                public static Status FromProvider(string value) => value == "A" ? Status.Active : Status.Closed;
            }
            public sealed record Account(long Id, [EnumAsText, SluiceConverter(typeof(StatusCode))] Status Status);
            public static partial class Q
            {
                [Query("SELECT id, status FROM accounts WHERE id = $1")]
                public static partial Task<Account?> Account(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0103"] = ("""
            public sealed record Preferences(string Theme);
            [System.Text.Json.Serialization.JsonSerializable(typeof(string))]
            internal sealed partial class AppJson : System.Text.Json.Serialization.JsonSerializerContext;
            public sealed record Account(long Id, [JsonColumn(typeof(AppJson))] Preferences Preferences);
            public static partial class Q
            {
                [Query("SELECT id, preferences FROM accounts WHERE id = $1")]
                public static partial Task<Account?> Account(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0104"] = ("""
            public sealed record Account(long Id, [EnumAsText] string Status);
            public static partial class Q
            {
                [Query("SELECT id, status FROM accounts WHERE id = $1")]
                public static partial Task<Account?> Account(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0105"] = ("""
            [PostgresEnum("mood")]
            public enum Mood { Happy, Sad }
            public sealed record Person(long Id, Mood Mood);
            public static partial class Q
            {
                [Query("SELECT id, mood FROM people WHERE id = $1")]
                public static partial Task<Person?> Person(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0106"] = ("""
            public sealed record Post(long Id, string[] Tags);
            public static partial class Q
            {
                [Query("SELECT id, tags FROM posts WHERE id = $1")]
                public static partial Task<Post?> Post(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0107"] = ("""
            [System.Flags, EnumAsText]
            public enum Permissions { None = 0, Read = 1, Write = 2 }
            public sealed record Grant(long Id, Permissions Permissions);
            public static partial class Q
            {
                [Query("SELECT id, permissions FROM grants WHERE id = $1")]
                public static partial Task<Grant?> Grant(this NpgsqlConnection db, long id);
            }
            """, []),
        ["SL0108"] = ("""
            public readonly record struct Money(long Cents);
            public static class Holder
            {
                private sealed class HiddenConverter : ISluiceConverter<Money, long>
                {
                    public static long ToProvider(Money value) => value.Cents;
                    public static Money FromProvider(long value) => new(value);
                }

                public sealed record Account(long Id, [SluiceConverter(typeof(HiddenConverter))] Money Balance);
            }
            public static partial class Q
            {
                [Query("SELECT id, balance FROM accounts WHERE id = $1")]
                public static partial Task<Holder.Account?> Account(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0109"] = ("""
            public sealed record Post(long Id, byte[][] Chunks);
            public static partial class Q
            {
                [Query("SELECT id, chunks FROM posts WHERE id = $1")]
                public static partial Task<Post?> Post(this NpgsqlConnection db, long id);
            }
            """, []),
        ["SL0130"] = ("""
            public sealed record R(long Id, string Name);
            public partial class W
            {
                [BulkInsert("items")]
                public partial Task<long> InsertAsync(SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0131"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkInsert("items")]
                public static partial Task<long> InsertAsync(this NpgsqlDataSource db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0132"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkInsert("items")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<R> rows, long tenant);
            }
            """, []),
        ["SL0133"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkInsert("items")]
                public static partial Task<string> InsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0134"] = ("""
            public sealed record R(long Id, System.Uri Link);
            public static partial class W
            {
                [BulkInsert("items")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0135"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkInsert("items; DROP TABLE users")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0136"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkUpsert("items", ConflictColumns = "email")]
                public static partial Task<long> UpsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0137"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkUpsert("items", ConflictColumns = "id", UpdateColumns = "title")]
                public static partial Task<long> UpsertAsync(this NpgsqlConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0138"] = ("""
            public sealed record R(long UserId, long User_Id);
            public static partial class W
            {
                [BulkInsert("items")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0139"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkUpsert("items", ConflictColumns = "name", DoNothing = true, Returning = "id")]
                public static partial Task<IReadOnlyList<long>> UpsertAsync(this NpgsqlConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0140"] = ("""
            public sealed record R(string? Sku, string Name);
            public static partial class W
            {
                [BulkUpsert("items", ConflictColumns = "sku")]
                public static partial Task<long> UpsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0141"] = ("""
            public sealed class R { internal long Id { get; set; } }
            public static partial class W
            {
                [BulkInsert("items")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, []),
        ["SL0142"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [QueryBatch("ItemAsync")]
                public static partial Task<R?> BatchAsync(this NpgsqlConnection db, long id);
            }
            """, []),
        ["SL0143"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [Query("SELECT id, name FROM items")]
                public static partial IAsyncEnumerable<R> ItemsAsync(this NpgsqlConnection db);

                [QueryBatch(nameof(ItemsAsync))]
                public static partial Task BatchAsync(this NpgsqlConnection db);
            }
            """, []),
        ["SL0144"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [Query("SELECT id, name FROM items WHERE id = $1")]
                public static partial Task<R?> ItemAsync(this NpgsqlConnection db, long id);

                [Query("SELECT count(*) FROM items WHERE name = $1")]
                public static partial Task<long> CountAsync(this NpgsqlConnection db, string name);

                [QueryBatch(nameof(ItemAsync), nameof(CountAsync))]
                public static partial Task<(R?, long)> BatchAsync(this NpgsqlConnection db, string name, long id);
            }
            """, []),
        ["SL0145"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [Query("SELECT id, name FROM items WHERE id = $1")]
                public static partial Task<R?> ItemAsync(this NpgsqlConnection db, long id);

                [Query("SELECT count(*) FROM items")]
                public static partial Task<long> CountAsync(this NpgsqlConnection db);

                [QueryBatch(nameof(ItemAsync), nameof(CountAsync))]
                public static partial Task<(long, R?)> BatchAsync(this NpgsqlConnection db, long id);
            }
            """, []),
        ["SL0146"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [Query("SELECT id, name FROM items WHERE id = $1")]
                public static partial Task<R?> ItemAsync(this NpgsqlConnection db, long id);

                [QueryBatch(nameof(ItemAsync))]
                public static partial Task<R?> BatchAsync(this SqliteConnection db, long id);
            }
            """, []),
        ["SL0147"] = ("""
            public sealed record R(long Id, string Name);
            public static partial class W
            {
                [BulkInsert("items")]
                public static partial Task<long> InsertAsync(this SqliteConnection db, IEnumerable<R> rows);
            }
            """, ["Sluice.Sqlite"]),
        ["SL0110"] = ("""
            public sealed record Address(string Street, string City);
            public static partial class Q
            {
                [Query("UPDATE users SET address = $2 WHERE id = $1")]
                public static partial Task<int> SetAddress(this NpgsqlConnection db, long id, Address address);
            }
            """, []),
    };

    public static TheoryData<string> Ids => new(Cases.Keys.OrderBy(k => k, StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Ids))]
    public void Misuse_is_reported_with_its_id_and_never_throws(string id)
    {
        var (source, excluded) = Cases[id];
        var text = source.StartsWith("using Sluice;", StringComparison.Ordinal) ? source : Usings + source;

        var run = GeneratorHarness.Run(text, excluded);

        Assert.All(run.Result.Results, result => Assert.Null(result.Exception));
        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == id);
        Assert.All(run.GeneratorDiagnostics, d => Assert.StartsWith("SL", d.Id, StringComparison.Ordinal));
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal(HelpLinkTests.Expected(d.Id), d.Descriptor.HelpLinkUri));
        Snapshot.Match(GeneratorHarness.Format(run.GeneratorDiagnostics), "Diagnostics_" + id, SnapshotKind.Text);
    }

    [Fact]
    public void Every_descriptor_has_a_test_case_except_the_fault_path()
    {
        var ids = AllDescriptors.Select(d => d.Id).Where(id => id != "SL9999").OrderBy(id => id, StringComparer.Ordinal);
        Assert.Equal(ids, Cases.Keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Fact]
    public void Every_descriptor_is_documented_and_tracked()
    {
        var root = RepositoryRoot();
        var unshipped = File.ReadAllText(Path.Combine(root, "generators", "Sluice.Generators", "AnalyzerReleases.Unshipped.md"));
        foreach (var descriptor in AllDescriptors)
        {
            var page = Path.Combine(root, "docs", "diagnostics", descriptor.Id + ".md");
            Assert.True(File.Exists(page), $"{descriptor.Id} has no page at {page}");
            Assert.Contains("# " + descriptor.Id, File.ReadAllText(page), StringComparison.Ordinal);
            Assert.Contains(descriptor.Id + " | Sluice | " + descriptor.DefaultSeverity, unshipped, StringComparison.Ordinal);
            Assert.Equal(DiagnosticDescriptors.Category, descriptor.Category);
        }
    }

    [Fact]
    public void Fault_diagnostic_travels_as_plain_data_and_names_the_type()
    {
        var info = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFault, Location.None, "Worker", "boom");

        var diagnostic = info.ToDiagnostic(null);

        Assert.Equal("SL9999", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("'Worker'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(info, DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFault, Location.None, "Worker", "boom"));
    }

    [Fact]
    public void A_parser_that_throws_becomes_SL9999_on_the_declaration_instead_of_an_exception()
    {
        var compilation = GeneratorHarness.CreateCompilation(new[] { "public sealed partial class Broken { }" });
        var symbol = compilation.GetTypeByMetadataName("Broken")!;

        var result = ParseResult<WorkerSpec>.Catching(symbol, _ => throw new System.InvalidOperationException("boom"));

        Assert.Null(result.Spec);
        var diagnostic = Assert.Single(result.Diagnostics).ToDiagnostic(compilation);
        Assert.Equal("SL9999", diagnostic.Id);
        Assert.Contains("'Broken'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains("boom", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
    }

    /// <summary>Every descriptor the generator declares, read off <see cref="DiagnosticDescriptors"/>'s fields.</summary>
    internal static IEnumerable<DiagnosticDescriptor> AllDescriptors =>
        typeof(DiagnosticDescriptors).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(member => member.FieldType == typeof(DiagnosticDescriptor))
            .Select(member => (DiagnosticDescriptor)member.GetValue(null)!);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Toolkit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }
}
