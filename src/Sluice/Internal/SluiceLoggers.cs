using System;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Internal;

/// <summary>
/// The one way Sluice gets a logger: public types take an optional <see cref="ILogger"/> (null logs nothing), and
/// Sluice's own service registrations create it here, from the container's <see cref="ILoggerFactory"/>, under a
/// <see cref="SluiceLogCategory"/> name (never the user's type name, so <c>Logging:LogLevel:Sluice</c> tunes it).
/// </summary>
internal static class SluiceLoggers
{
    public static ILogger Create(IServiceProvider provider, string category) =>
        provider.GetService<ILoggerFactory>()?.CreateLogger(category) ?? NullLogger.Instance;
}
