using System;

namespace Sluice.Tests.Queries;

// Row types as a user writes them; the generator maps columns to them by name at build time.

/// <summary>A record with a primary constructor.</summary>
public sealed record User(long Id, string Name, string? Email);

/// <summary>A class with settable and init-only properties (read by <c>SELECT *</c>, mapped at run time).</summary>
public sealed class UserRow
{
    public long Id { get; set; }

    public string Name { get; init; } = "";

    public string? Email { get; set; }
}

/// <summary>A class with an optional settable property that the users table does not have.</summary>
public sealed class UserWithNickname
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public string? Nickname { get; set; }
}

/// <summary>A one-to-many row: a channel's members.</summary>
public sealed record Member(long ChannelId, long UserId, string Role);

/// <summary>A record whose member names do not follow the column names, fixed with <c>[Column]</c>.</summary>
public sealed record UserLabel([property: Column("id")] long Key, [Column("name")] string Label);

/// <summary>A row keyed by string.</summary>
public sealed record Tag(string Code, string Title);

/// <summary>A row keyed by Guid.</summary>
public sealed record Document(Guid Id, string Title);

/// <summary>A row keyed by int.</summary>
public sealed record Counter(int Id, long Value);

/// <summary>An int-backed enum, stored as an integer.</summary>
public enum UserStatus
{
    Active = 1,
    Suspended = 2,
    Deleted = 3,
}

/// <summary>A long-backed enum, stored as an integer.</summary>
public enum Weight : long
{
    Light = 1,
    Heavy = 5_000_000_000,
}

/// <summary>Every supported column type, non-nullable.</summary>
public sealed record AllTypes(
    long Id,
    long I64,
    int I32,
    short I16,
    byte U8,
    bool Flag,
    double Dbl,
    float Flt,
    decimal Dec,
    string Txt,
    Guid Uid,
    DateTime At,
    DateTimeOffset AtOffset,
    byte[] Bytes,
    UserStatus Status,
    Weight Weight);

/// <summary>Every supported column type in its nullable form (a class with init properties this time).</summary>
public sealed class NullableTypes
{
    public long Id { get; init; }

    public long? I64 { get; init; }

    public int? I32 { get; init; }

    public short? I16 { get; init; }

    public byte? U8 { get; init; }

    public bool? Flag { get; init; }

    public double? Dbl { get; init; }

    public float? Flt { get; init; }

    public decimal? Dec { get; init; }

    public string? Txt { get; init; }

    public Guid? Uid { get; init; }

    public DateTime? At { get; init; }

    public DateTimeOffset? AtOffset { get; init; }

    public byte[]? Bytes { get; init; }

    public UserStatus? Status { get; init; }

    public Weight? Weight { get; init; }
}

/// <summary>Sample values shared by the SQLite and PostgreSQL type tests.</summary>
internal static class Samples
{
    public static readonly Guid Uid = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");

    /// <summary>Microsecond precision (PostgreSQL's), so both engines round-trip it exactly.</summary>
    public static readonly DateTime At = new(2024, 2, 29, 13, 45, 30, 123, 456, DateTimeKind.Utc);

    public static readonly DateTimeOffset AtOffset = new(2024, 2, 29, 13, 45, 30, 123, 456, TimeSpan.Zero);

    public static readonly byte[] Bytes = [0, 1, 2, 254, 255];

    public static AllTypes Full(long id) => new(
        id,
        I64: long.MaxValue - 1,
        I32: int.MinValue + 1,
        I16: short.MaxValue,
        U8: 200,
        Flag: true,
        Dbl: 1.5e300,
        Flt: 3.25f,
        Dec: 12345678901234.5678m,
        Txt: "héllo 'quoted' \"text\" ✓",
        Uid: Uid,
        At: At,
        AtOffset: AtOffset,
        Bytes: Bytes,
        Status: UserStatus.Suspended,
        Weight: Weight.Heavy);
}
