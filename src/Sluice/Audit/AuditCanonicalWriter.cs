using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;

namespace Sluice;

/// <summary>
/// Builds the canonical bytes of an audit row, the input of its chain hash: the same on every machine, culture and
/// time zone. Layout: a format byte (1), the row's <c>seq</c> (8 bytes, big-endian), then each field in declaration
/// order as a marker byte (0 = null, 1 = value) followed, for values, by: strings and byte arrays as a 4-byte
/// big-endian length and the UTF-8 (or raw) bytes; integers and booleans as 8 big-endian bytes (widened to 64 bits).
/// doubles as their 8-byte IEEE 754 bit pattern; GUIDs as their 16 RFC 4122 (big-endian) bytes; date-times as the UTC
/// ticks truncated to whole microseconds (PostgreSQL's precision, so a value read back hashes the same).
/// </summary>
/// <remarks>For generated code: this API is for use by the output of the Sluice source generator and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AuditCanonicalWriter
{
    /// <summary>The version of the layout written first into every row's bytes.</summary>
    public const byte FormatVersion = 1;

    /// <summary>The length of a chain hash (SHA-256).</summary>
    public const int HashLength = 32;

    private byte[] _buffer = new byte[256];
    private int _length;

    /// <summary>The hash input written since the last <see cref="Reset"/>: prev_hash followed by the canonical bytes.</summary>
    internal ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Starts the hash input of row <paramref name="seq"/> whose previous hash is <paramref name="prevHash"/>.</summary>
    internal void Reset(ReadOnlySpan<byte> prevHash, long seq)
    {
        _length = 0;
        Append(prevHash);
        Span<byte> header = stackalloc byte[9];
        header[0] = FormatVersion;
        BinaryPrimitives.WriteInt64BigEndian(header[1..], seq);
        Append(header);
    }

    /// <summary>SHA-256 over everything written since <see cref="Reset"/>: prev_hash ‖ canonical bytes.</summary>
    internal byte[] Hash()
    {
        var hash = new byte[HashLength];
        SHA256.HashData(Written, hash);
        return hash;
    }

    /// <summary>The chain hash of row <paramref name="seq"/> holding <paramref name="entry"/> after <paramref name="prevHash"/>.</summary>
    public static byte[] ComputeHash<T>(ReadOnlySpan<byte> prevHash, long seq, T entry, AuditCanonicalWriter? scratch = null)
        where T : class, IAuditEntry<T>
    {
        scratch ??= new AuditCanonicalWriter();
        scratch.Reset(prevHash, seq);
        T.WriteCanonical(entry, scratch);
        return scratch.Hash();
    }

    /// <summary>Writes a null field.</summary>
    public void WriteNull() => AppendByte(0);

    /// <summary>Writes a string field as its length-prefixed UTF-8 bytes.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteNull();
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = Grow(1 + 4 + max);
        var count = Encoding.UTF8.GetBytes(value, span[5..]);
        span[0] = 1;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], count);
        _length += 5 + count;
    }

    /// <summary>Writes a byte-array field as its length-prefixed bytes.</summary>
    public void WriteBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteNull();
            return;
        }

        var span = Grow(5 + value.Length);
        span[0] = 1;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], value.Length);
        value.CopyTo(span[5..]);
        _length += 5 + value.Length;
    }

    /// <summary>Writes an integer field (any integral type or enum, widened to 64 bits).</summary>
    public void WriteInt64(long value)
    {
        var span = Grow(9);
        span[0] = 1;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
        _length += 9;
    }

    /// <summary>Writes a nullable integer field.</summary>
    public void WriteInt64(long? value)
    {
        if (value is { } v)
        {
            WriteInt64(v);
        }
        else
        {
            WriteNull();
        }
    }

    /// <summary>Writes a boolean field (as the integer 0 or 1).</summary>
    public void WriteBoolean(bool value) => WriteInt64(value ? 1L : 0L);

    /// <summary>Writes a nullable boolean field.</summary>
    public void WriteBoolean(bool? value) => WriteInt64(value is { } v ? (v ? 1L : 0L) : null);

    /// <summary>Writes a double field as its IEEE 754 bit pattern.</summary>
    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    /// <summary>Writes a nullable double field.</summary>
    public void WriteDouble(double? value) => WriteInt64(value is { } v ? BitConverter.DoubleToInt64Bits(v) : null);

    /// <summary>Writes a GUID field as its 16 big-endian (RFC 4122) bytes.</summary>
    public void WriteGuid(Guid value)
    {
        var span = Grow(17);
        span[0] = 1;
        value.TryWriteBytes(span.Slice(1, 16), bigEndian: true, out _);
        _length += 17;
    }

    /// <summary>Writes a nullable GUID field.</summary>
    public void WriteGuid(Guid? value)
    {
        if (value is { } v)
        {
            WriteGuid(v);
        }
        else
        {
            WriteNull();
        }
    }

    /// <summary>Writes a point in time as its UTC ticks truncated to whole microseconds; the offset is not part of it.</summary>
    public void WriteDateTimeOffset(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        WriteInt64(ticks - (ticks % 10));
    }

    /// <summary>Writes a nullable point in time.</summary>
    public void WriteDateTimeOffset(DateTimeOffset? value)
    {
        if (value is { } v)
        {
            WriteDateTimeOffset(v);
        }
        else
        {
            WriteNull();
        }
    }

    private void AppendByte(byte value)
    {
        Grow(1)[0] = value;
        _length++;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Grow(bytes.Length));
        _length += bytes.Length;
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        return _buffer.AsSpan(_length, count);
    }
}
