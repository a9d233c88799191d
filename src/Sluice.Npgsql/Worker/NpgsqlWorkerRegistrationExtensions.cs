using System;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Sluice.Npgsql;

/// <summary>PostgreSQL shortcuts for <see cref="SluiceWorkerRegistration"/>.</summary>
public static class NpgsqlWorkerRegistrationExtensions
{
    /// <summary>Makes the worker own a connection from a data source built for <paramref name="connectionString"/>.</summary>
    public static SluiceWorkerRegistration UseNpgsql(this SluiceWorkerRegistration registration, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        return registration.UseConnectionFactory<NpgsqlConnection>(_ => new NpgsqlWorkerConnectionFactory(dataSource));
    }

    /// <summary>Makes the worker own a connection from the <see cref="NpgsqlDataSource"/> registered in the container.</summary>
    public static SluiceWorkerRegistration UseNpgsql(this SluiceWorkerRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return registration.UseConnectionFactory<NpgsqlConnection>(
            provider => new NpgsqlWorkerConnectionFactory(provider.GetRequiredService<NpgsqlDataSource>()));
    }

    /// <summary>Creates an <see cref="NpgsqlCommand"/> on the worker's connection, enlisted in the command's transaction.</summary>
    public static NpgsqlCommand CreateNpgsqlCommand(this WorkerContext<NpgsqlConnection> context, string commandText)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (NpgsqlCommand)context.CreateCommand(commandText);
    }
}
