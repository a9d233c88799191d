using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Sluice.Internal;

namespace Sluice;

/// <summary>Adds Sluice's health checks to ASP.NET Core / Generic Host health checks.</summary>
public static class SluiceHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds one health check per Sluice component: every worker registered with <c>AddSluiceWorker</c>
    /// (<c>sluice.worker.{name}</c>: running is healthy, serving in-process while it boots is degraded, stopped is
    /// unhealthy), every audit channel registered with <c>AddAuditChannel</c> (<c>sluice.audit.{table}</c>: a failing
    /// writer is unhealthy, a backlog of 80% of the capacity or more is degraded), and the feed sources and chunked
    /// batches named in <paramref name="configure"/> (<c>sluice.feed.{name}</c>, <c>sluice.batch.{name}</c>). Components
    /// registered before or after this call are all covered.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="configure">Adds feed sources and batches to check, and the tags every Sluice check carries.</param>
    /// <example><code>builder.Services.AddHealthChecks().AddSluiceHealthChecks(h =&gt; h.AddBatch("tx_last_seen_backfill_v1", sp =&gt; new SqliteConnection("Data Source=app.db")));</code></example>
    public static IHealthChecksBuilder AddSluiceHealthChecks(this IHealthChecksBuilder builder, Action<SluiceHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new SluiceHealthCheckOptions();
        configure?.Invoke(options);
        foreach (var contributor in options.Contributors)
        {
            builder.Services.Add(contributor);
        }

        // Called twice (say, once more to add a batch), the checks are still registered once, with the first call's tags.
        if (!builder.Services.Any(d => d.ServiceType == typeof(SluiceHealthRegistrationsAdded)))
        {
            var tags = options.Tags.ToArray();
            builder.Services.AddSingleton<SluiceHealthRegistrationsAdded>();
            builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(provider => new SluiceHealthRegistrations(provider, tags));
        }

        return builder;
    }

    /// <summary>Adds the Sluice health checks (see <see cref="AddSluiceHealthChecks(IHealthChecksBuilder, Action{SluiceHealthCheckOptions}?)"/>) and the health check service.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds feed sources and batches to check.</param>
    public static IHealthChecksBuilder AddSluiceHealthChecks(this IServiceCollection services, Action<SluiceHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddHealthChecks().AddSluiceHealthChecks(configure);
    }

    /// <summary>Marks a service collection whose Sluice checks are registered.</summary>
    private sealed class SluiceHealthRegistrationsAdded;

    /// <summary>Registers a check per contributor when the health check service is built (after every registration).</summary>
    private sealed class SluiceHealthRegistrations(IServiceProvider provider, string[] tags) : IConfigureOptions<HealthCheckServiceOptions>
    {
        public void Configure(HealthCheckServiceOptions options)
        {
            foreach (var contributor in provider.GetServices<SluiceHealthContributor>())
            {
                options.Registrations.Add(new HealthCheckRegistration(contributor.Name, _ => new ContributorCheck(contributor), failureStatus: null, tags));
            }
        }
    }

    private sealed class ContributorCheck(SluiceHealthContributor contributor) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            contributor.CheckAsync(cancellationToken);
    }
}

/// <summary>What <see cref="SluiceHealthChecksBuilderExtensions.AddSluiceHealthChecks(IHealthChecksBuilder, Action{SluiceHealthCheckOptions}?)"/> checks besides the workers and audit channels it finds.</summary>
public sealed class SluiceHealthCheckOptions
{
    internal List<ServiceDescriptor> Contributors { get; } = new();

    /// <summary>Tags every Sluice health check carries (for <c>MapHealthChecks</c> predicates); <c>"sluice"</c> by default.</summary>
    public ICollection<string> Tags { get; } = new List<string> { "sluice" };

    /// <summary>
    /// Checks a feed notification source (<c>sluice.feed.{name}</c>): healthy while listening or before its first
    /// subscriber; while it re-subscribes, degraded when a polling backstop still wakes the drainers, else unhealthy.
    /// </summary>
    /// <param name="name">The check's name suffix.</param>
    /// <param name="source">Resolves the source (usually a singleton in the container).</param>
    public SluiceHealthCheckOptions AddFeed(string name, Func<IServiceProvider, FeedNotificationSource> source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(source);
        Contributors.Add(ServiceDescriptor.Singleton<SluiceHealthContributor>(provider => new FeedHealthContributor(name, source(provider))));
        return this;
    }

    /// <summary>
    /// Checks a chunked batch's row in <c>sluice_batches</c> (<c>sluice.batch.{name}</c>), read with
    /// <see cref="BatchStatus.ReadAsync(DbConnection, string, CancellationToken)"/> on a connection opened for each check:
    /// failed is unhealthy; running with a stale heartbeat (lease expired, or no progress for
    /// <paramref name="staleAfter"/>) is degraded; pending, paused, done, or no row yet are healthy.
    /// </summary>
    /// <param name="batchName">The batch's name (its <c>[ChunkedBatch]</c> name).</param>
    /// <param name="connection">Creates a connection (opened and disposed by the check when it is closed).</param>
    /// <param name="staleAfter">How long a running batch may go without progress before it is degraded (default 5 minutes).</param>
    public SluiceHealthCheckOptions AddBatch(string batchName, Func<IServiceProvider, DbConnection> connection, TimeSpan? staleAfter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchName);
        ArgumentNullException.ThrowIfNull(connection);
        var stale = staleAfter ?? TimeSpan.FromMinutes(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stale, TimeSpan.Zero, nameof(staleAfter));
        Contributors.Add(ServiceDescriptor.Singleton<SluiceHealthContributor>(provider => new BatchHealthContributor(
            batchName, () => connection(provider), stale, provider.GetService<TimeProvider>() ?? TimeProvider.System)));
        return this;
    }
}
