using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Threading;

namespace Sluice;

/// <summary>
/// The providers the loaded provider packages registered, by connection type. <c>Sluice.Sqlite</c> and
/// <c>Sluice.Npgsql</c> register theirs from a module initializer; public APIs that take a plain
/// <see cref="System.Data.Common.DbConnection"/> find the provider here by the connection's type.
/// </summary>
/// <remarks>For generated code and provider packages: this API is for use by the output of the Sluice source generator and by Sluice's provider packages, and should not be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SluiceProviders
{
    private static readonly Dictionary<Type, SluiceProvider> ByConnectionType = new();
    private static readonly Lock Gate = new();

    /// <summary>Registers <paramref name="provider"/> for its <see cref="SluiceProvider.ConnectionType"/>; the last registration wins.</summary>
    public static void Register(SluiceProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (Gate)
        {
            ByConnectionType[provider.ConnectionType] = provider;
        }
    }

    /// <summary>The provider registered for <paramref name="connectionType"/> or the nearest of its base types.</summary>
    public static bool TryGet(Type connectionType, [NotNullWhen(true)] out SluiceProvider? provider)
    {
        ArgumentNullException.ThrowIfNull(connectionType);
        lock (Gate)
        {
            for (var type = connectionType; type is not null; type = type.BaseType)
            {
                if (ByConnectionType.TryGetValue(type, out provider))
                {
                    return true;
                }
            }
        }

        provider = null;
        return false;
    }

    /// <summary>The provider for <paramref name="connectionType"/>; throws <see cref="NotSupportedException"/> naming the package to reference when none is registered.</summary>
    internal static SluiceProvider For(Type connectionType) =>
        TryGet(connectionType, out var provider) ? provider : throw new NotSupportedException(NotRegisteredMessage(connectionType));

    internal static string NotRegisteredMessage(Type connectionType) =>
        $"Sluice has no provider for connection type '{connectionType.FullName}'. Reference the Sluice package for your database "
        + "(Sluice.Sqlite for Microsoft.Data.Sqlite, Sluice.Npgsql for Npgsql); it registers its provider when it loads "
        + "(generated methods load it themselves; before calling Sluice with a plain connection, touch its provider, e.g. SqliteProvider.Instance).";
}
