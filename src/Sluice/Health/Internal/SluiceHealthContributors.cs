using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sluice.Internal;

/// <summary>One Sluice component that reports its health (a worker, an audit channel, a feed source, a batch).</summary>
internal abstract class SluiceHealthContributor
{
    /// <summary>The health check's name, e.g. <c>sluice.worker.Orders</c>.</summary>
    public abstract string Name { get; }

    public abstract Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken);
}

internal sealed class WorkerHealthContributor<TConnection>(CommandWorker<TConnection> worker) : SluiceHealthContributor
    where TConnection : DbConnection
{
    public override string Name => "sluice.worker." + worker.Name;

    public override Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var state = worker.State;
        var data = new Dictionary<string, object>
        {
            ["state"] = state.ToString(),
            ["queue_length"] = worker.QueueLength,
            ["in_process_fallback"] = worker.ServesInProcess,
        };
        var result = state switch
        {
            WorkerState.Running => HealthCheckResult.Healthy($"Worker {worker.Name} is running.", data),
            WorkerState.Created or WorkerState.Booting when worker.ServesInProcess =>
                HealthCheckResult.Degraded($"Worker {worker.Name} has not booted ({state}); commands run in-process until it does.", data: data),
            WorkerState.Created or WorkerState.Booting =>
                HealthCheckResult.Unhealthy($"Worker {worker.Name} has not booted ({state}) and InProcessFallback is off: commands wait in its inbox.", data: data),
            _ => HealthCheckResult.Unhealthy($"Worker {worker.Name} is {state}: commands are refused.", data: data),
        };
        return Task.FromResult(result);
    }
}

internal sealed class AuditHealthContributor<T>(AuditChannel<T> channel) : SluiceHealthContributor
    where T : class, IAuditEntry<T>
{
    public override string Name => "sluice.audit." + T.TableName;

    /// <summary>The backlog, as a fraction of the capacity, from which the channel is degraded: writers are about to wait for room.</summary>
    private const double DegradedRatio = 0.8;

    public override Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var backlog = channel.Unwritten;
        var failures = channel.ConsecutiveWriteFailures;
        var lastError = channel.LastWriteError;
        var data = new Dictionary<string, object>
        {
            ["backlog"] = backlog,
            ["capacity"] = channel.Capacity,
            ["written"] = channel.Written,
            ["dead_lettered"] = channel.DeadLettered,
            ["consecutive_write_failures"] = failures,
        };
        if (lastError is not null)
        {
            data["last_write_error"] = lastError.Message;
        }

        HealthCheckResult result;
        if (failures > 0)
        {
            result = HealthCheckResult.Unhealthy(
                $"Audit channel {T.TableName}: the last {failures} batch attempt(s) failed and are being retried ({backlog} entries waiting): {lastError?.Message}",
                lastError,
                data);
        }
        else if (backlog >= channel.Capacity * DegradedRatio)
        {
            result = HealthCheckResult.Degraded($"Audit channel {T.TableName}: {backlog} entries waiting of a capacity of {channel.Capacity}; writers will soon wait.", data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy($"Audit channel {T.TableName}: {backlog} entries waiting.", data);
        }

        return Task.FromResult(result);
    }
}

internal sealed class FeedHealthContributor(string name, FeedNotificationSource source) : SluiceHealthContributor
{
    public override string Name => "sluice.feed." + name;

    public override Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object>
        {
            ["started"] = source.IsStarted,
            ["listening"] = source.IsListening,
            ["sessions"] = source.Sessions,
        };
        var error = source.LastSessionError;
        if (error is not null)
        {
            data["last_session_error"] = error.Message;
        }

        HealthCheckResult result;
        if (!source.IsStarted)
        {
            result = HealthCheckResult.Healthy($"Feed {name} ({source.DisplayName}) has no subscriber yet; it connects on the first.", data);
        }
        else if (source.IsListening)
        {
            result = HealthCheckResult.Healthy($"Feed {name} ({source.DisplayName}) is listening.", data);
        }
        else if (source.HasPollingBackstop)
        {
            result = HealthCheckResult.Degraded($"Feed {name} ({source.DisplayName}) lost its subscription and is re-subscribing; the polling backstop still wakes its drainers.", error, data);
        }
        else
        {
            result = HealthCheckResult.Unhealthy($"Feed {name} ({source.DisplayName}) lost its subscription and is re-subscribing; without a polling backstop its tails are not woken.", error, data);
        }

        return Task.FromResult(result);
    }
}

internal sealed class BatchHealthContributor(string batchName, Func<DbConnection> connect, TimeSpan staleAfter, TimeProvider time) : SluiceHealthContributor
{
    public override string Name => "sluice.batch." + batchName;

    public override async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        BatchStatus? status;
        try
        {
            var connection = connect();
            await using (connection.ConfigureAwait(false))
            {
                if (connection.State != ConnectionState.Open)
                {
                    await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                }

                status = await BatchStatus.ReadAsync(connection, batchName, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Batch {batchName}: its status could not be read: {exception.Message}", exception);
        }

        if (status is null)
        {
            return HealthCheckResult.Healthy($"Batch {batchName} has not run yet.");
        }

        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>
        {
            ["state"] = status.State.ToString(),
            ["rows_scanned"] = status.RowsScanned,
            ["total_rows"] = status.TotalRows,
            ["batches"] = status.Batches,
            ["updated_at"] = status.UpdatedAt,
        };
        if (status.LeaseExpiresAt is { } lease)
        {
            data["lease_expires_at"] = lease;
        }

        if (status.LastError is { } lastError)
        {
            data["last_error"] = lastError;
        }

        if (status.ThrottleReason is { } throttleReason)
        {
            data["throttle_reason"] = throttleReason;
        }

        if (status.State == BatchState.Failed)
        {
            return HealthCheckResult.Unhealthy($"Batch {batchName} failed: {status.LastError}", data: data);
        }

        // A runner holds the row — running, throttled by a health signal, or paused by a control request — and renews its
        // lease at every batch and every poll; a held row whose lease ran out or that stands still lost its runner.
        if (status.State == BatchState.Running || status.LeaseExpiresAt is not null)
        {
            var what = status.State switch
            {
                BatchState.Throttled => "throttled",
                BatchState.Paused => "paused by a control request",
                _ => "running",
            };
            var leaseExpired = status.LeaseExpiresAt is { } expires && expires < now;
            var idle = now - status.UpdatedAt;
            if (leaseExpired || idle > staleAfter)
            {
                return HealthCheckResult.Degraded(
                    leaseExpired
                        ? $"Batch {batchName} is {what} but its runner's lease expired at {status.LeaseExpiresAt:O} (the runner stopped without finishing)."
                        : $"Batch {batchName} is {what} but its runner has not updated it for {idle} (more than {staleAfter}).",
                    data: data);
            }

            // Held by a signal, the run protects the database as configured: healthy, with the reason for whoever looks.
            return HealthCheckResult.Healthy(
                status.State == BatchState.Throttled
                    ? $"Batch {batchName} is throttled at {status.RowsScanned} of {status.TotalRows} keys: {status.ThrottleReason}"
                    : $"Batch {batchName} is {what} ({status.RowsScanned} of {status.TotalRows} keys).",
                data);
        }

        return HealthCheckResult.Healthy($"Batch {batchName} is {status.State}.", data);
    }
}
