using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Execution;
using GraphQL.SystemTextJson;
using GraphQL.Types;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sluice.Generated;
using Sluice.Tests.Infrastructure;
using Xunit;

namespace Sluice.Tests.Queries;

/// <summary>How the tree's field resolvers hand a load to GraphQL.NET.</summary>
public enum GraphQLResolution
{
    /// <summary>The resolver awaits <c>loader.LoadAsync(key)</c> and returns the value (a plain <see cref="Task"/>).</summary>
    Task,

    /// <summary>The resolver returns a <see cref="SluiceDataLoaderResult{T}"/> over the pending load.</summary>
    DataLoaderResult,
}

/// <summary>
/// GraphQL.NET's <see cref="IDataLoaderResult{T}"/> over a pending Sluice load: GraphQL.NET collects the results of a
/// level first and asks for the values after, and the first ask dispatches the scope's pending loads at once
/// (<see cref="DataLoaderScope.DispatchAsync"/>). docs/queries.md shows this class.
/// </summary>
/// <typeparam name="T">The loaded value.</typeparam>
public sealed class SluiceDataLoaderResult<T>(DataLoaderScope scope, Task<T> load) : IDataLoaderResult<T>
{
    /// <inheritdoc />
    public async Task<T> GetResultAsync(CancellationToken cancellationToken = default)
    {
        if (!load.IsCompleted)
        {
            await scope.DispatchAsync(cancellationToken).ConfigureAwait(false);
        }

        return await load.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) =>
        await GetResultAsync(cancellationToken).ConfigureAwait(false);
}

/// <summary>The root of the tree in GraphQL: an organisation is only its id.</summary>
public sealed record TreeOrganisation(long Id);

/// <summary>
/// The tree schema in GraphQL.NET's code-first API. Resolvers take the request's loaders from
/// <c>RequestServices</c> (the DI scope of the request) through the loaders' base class, so one schema serves the
/// SQLite and the PostgreSQL loaders.
/// </summary>
internal static class TreeSchema
{
    public const string Query = """
        {
          organisations(ids: [1, 2, 3, 4]) {
            id
            channels {
              id
              name
              creator { id name }
              members { userId user { id name } }
            }
          }
        }
        """;

    public static Schema Create()
    {
        var schema = new Schema { Query = new TreeQueryType() };
        schema.Initialize();
        return schema;
    }

    /// <summary>A channel's creator (beside its members: two loaders pending on one level).</summary>
    public static long CreatorOf(long channelId) => channelId % 60 + 1;

    /// <summary>Loads <paramref name="key"/> as the request's <see cref="GraphQLResolution"/> says.</summary>
    public static Task<object?> Load<TValue>(IResolveFieldContext context, long key)
    {
        var services = context.RequestServices!;
        var loader = services.GetRequiredService<DataLoader<long, TValue>>();
        var load = loader.LoadAsync(key, context.CancellationToken);
        return services.GetRequiredService<GraphQLResolutionSetting>().Value == GraphQLResolution.DataLoaderResult
            ? Task.FromResult<object?>(new SluiceDataLoaderResult<TValue>(loader.Scope, load))
            : AwaitAsync(load);

        static async Task<object?> AwaitAsync(Task<TValue> load) => await load;
    }
}

/// <summary>The <see cref="GraphQLResolution"/> of a request (a scoped service).</summary>
internal sealed class GraphQLResolutionSetting
{
    public GraphQLResolution Value { get; set; }
}

internal sealed class TreeQueryType : ObjectGraphType
{
    public TreeQueryType()
    {
        Name = "Query";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<TreeOrganisationType>>>>("organisations")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<LongGraphType>>>>("ids")
            .Resolve(context => context.GetArgument<List<long>>("ids").Select(id => new TreeOrganisation(id)).ToList());
    }
}

internal sealed class TreeOrganisationType : ObjectGraphType<TreeOrganisation>
{
    public TreeOrganisationType()
    {
        Name = "Organisation";
        Field<NonNullGraphType<LongGraphType>>("id").Resolve(context => context.Source.Id);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<TreeChannelType>>>>("channels")
            .ResolveAsync(context => TreeSchema.Load<IReadOnlyList<TreeChannel>>(context, context.Source.Id));
    }
}

internal sealed class TreeChannelType : ObjectGraphType<TreeChannel>
{
    public TreeChannelType()
    {
        Name = "Channel";
        Field<NonNullGraphType<LongGraphType>>("id").Resolve(context => context.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(context => context.Source.Name);
        Field<TreeUserType>("creator")
            .ResolveAsync(context => TreeSchema.Load<TreeUser?>(context, TreeSchema.CreatorOf(context.Source.Id)));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<TreeMemberType>>>>("members")
            .ResolveAsync(context => TreeSchema.Load<IReadOnlyList<TreeMember>>(context, context.Source.Id));
    }
}

internal sealed class TreeMemberType : ObjectGraphType<TreeMember>
{
    public TreeMemberType()
    {
        Name = "Member";
        Field<NonNullGraphType<LongGraphType>>("userId").Resolve(context => context.Source.UserId);
        Field<TreeUserType>("user").ResolveAsync(context => TreeSchema.Load<TreeUser?>(context, context.Source.UserId));
    }
}

internal sealed class TreeUserType : ObjectGraphType<TreeUser>
{
    public TreeUserType()
    {
        Name = "User";
        Field<NonNullGraphType<LongGraphType>>("id").Resolve(context => context.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(context => context.Source.Name);
    }
}

/// <summary>GraphQL.NET's <see cref="DocumentExecuter"/> with the serial execution strategy for queries.</summary>
internal sealed class SerialDocumentExecuter : DocumentExecuter
{
    protected override IExecutionStrategy SelectExecutionStrategy(GraphQL.Execution.ExecutionContext context) => SerialExecutionStrategy.Instance;
}

/// <summary>
/// Sluice DataLoaders under a real execution engine, GraphQL.NET 8, on a real SQLite file and a real PostgreSQL
/// server: organisations → channels → (members, creator) → member's user, executed as one GraphQL document inside
/// <see cref="DataLoaderScope.RunAsync(Func{CancellationToken, Task}, CancellationToken)"/>. The statements are counted
/// by the engines' own tracing (SQLite's <c>sqlite3_trace</c>, Npgsql's <see cref="ActivitySource"/>), and the
/// result is compared with naive per-parent queries.
/// </summary>
public sealed class GraphQLIntegrationTests(PostgresDatabaseFixture<GraphQLIntegrationTests> postgres)
    : IClassFixture<PostgresDatabaseFixture<GraphQLIntegrationTests>>, IAsyncLifetime
{
    private const int Runs = 25;
    private static readonly Schema Schema = TreeSchema.Create();
    private readonly SqliteTestDatabase _sqlite = new(nameof(GraphQLIntegrationTests));
    private ServiceProvider _sqliteServices = null!;
    private ServiceProvider _npgsqlServices = null!;

    public enum Engine
    {
        Sqlite,
        Postgres,
    }

    public enum Strategy
    {
        Parallel,
        Serial,
    }

    public async Task InitializeAsync()
    {
        using (var connection = _sqlite.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = ResolverTree.Schema(postgres: false);
            command.ExecuteNonQuery();
        }

        await using (var connection = await postgres.OpenConnectionAsync())
        await using (var command = new NpgsqlCommand(ResolverTree.Schema(postgres: true), connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        var sqlite = new ServiceCollection();
        sqlite.AddScoped(_ => _sqlite.OpenConnection());
        sqlite.AddSluiceDataLoaders();
        sqlite.AddScoped<DataLoader<long, IReadOnlyList<TreeChannel>>>(s => s.GetRequiredService<SqliteTreeQueries.ChannelsByOrgLoader>());
        sqlite.AddScoped<DataLoader<long, IReadOnlyList<TreeMember>>>(s => s.GetRequiredService<SqliteTreeQueries.MembersByChannelLoader>());
        sqlite.AddScoped<DataLoader<long, TreeUser?>>(s => s.GetRequiredService<SqliteTreeQueries.UsersByIdLoader>());
        sqlite.AddScoped<GraphQLResolutionSetting>();
        _sqliteServices = sqlite.BuildServiceProvider();

        var npgsql = new ServiceCollection();
        npgsql.AddScoped(_ =>
        {
            var connection = new NpgsqlConnection(postgres.ConnectionString);
            connection.Open();
            return connection;
        });
        npgsql.AddSingleton(_ => NpgsqlDataSource.Create(postgres.ConnectionString));
        npgsql.AddSluiceDataLoaders();
        npgsql.AddScoped<DataLoader<long, IReadOnlyList<TreeChannel>>>(s => s.GetRequiredService<NpgsqlTreeQueries.ChannelsByOrgLoader>());
        npgsql.AddScoped<DataLoader<long, IReadOnlyList<TreeMember>>>(s => s.GetRequiredService<NpgsqlTreeQueries.MembersByChannelLoader>());
        npgsql.AddScoped<DataLoader<long, TreeUser?>>(s => s.GetRequiredService<NpgsqlTreeQueries.UsersByIdLoader>());
        npgsql.AddScoped<GraphQLResolutionSetting>();
        _npgsqlServices = npgsql.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _npgsqlServices.DisposeAsync();
        await _sqliteServices.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _sqlite.Dispose();
    }

    /// <summary>
    /// Batched: three levels are three dispatches; level 1 is the channels statement, level 2 the members and the
    /// creators statements (on PostgreSQL both in one <see cref="NpgsqlBatch"/> round trip), level 3 the members'
    /// users statement. Plain Task-returning resolvers batch under the parallel strategy with no adapter; the
    /// <see cref="SluiceDataLoaderResult{T}"/> adapter batches under both strategies, and also when
    /// <see cref="ExecutionOptions.MaxParallelExecutionCount"/> limits how many resolvers run at once.
    /// </summary>
    [Theory]
    [InlineData(Engine.Sqlite, Strategy.Parallel, GraphQLResolution.Task, null)]
    [InlineData(Engine.Postgres, Strategy.Parallel, GraphQLResolution.Task, null)]
    [InlineData(Engine.Sqlite, Strategy.Parallel, GraphQLResolution.DataLoaderResult, null)]
    [InlineData(Engine.Postgres, Strategy.Parallel, GraphQLResolution.DataLoaderResult, null)]
    [InlineData(Engine.Sqlite, Strategy.Parallel, GraphQLResolution.DataLoaderResult, 4)]
    [InlineData(Engine.Postgres, Strategy.Parallel, GraphQLResolution.DataLoaderResult, 4)]
    [InlineData(Engine.Sqlite, Strategy.Serial, GraphQLResolution.DataLoaderResult, null)]
    [InlineData(Engine.Postgres, Strategy.Serial, GraphQLResolution.DataLoaderResult, null)]
    public async Task A_nested_selection_is_one_statement_per_loader_per_level_every_time(Engine engine, Strategy strategy, GraphQLResolution resolution, int? maxParallelExecutionCount)
    {
        var expected = await NaiveResultAsync(engine);
        for (var run = 0; run < Runs; run++)
        {
            var outcome = await ExecuteAsync(engine, strategy, resolution, maxParallelExecutionCount);

            Assert.True(JsonNode.DeepEquals(expected, outcome.Data), $"run {run}: {outcome.Data?.ToJsonString()}");
            Assert.Equal((1, 1, 2), outcome.Batches);
            Assert.Equal((3, 0), (outcome.Dispatches, outcome.BackstopDispatches));

            // Every statement, as the engine saw it, by level: channels | members + creators | members' users.
            var levels = outcome.RoundTrips.Select(trip => string.Join(" + ", trip.Order(StringComparer.Ordinal))).ToArray();
            if (engine == Engine.Postgres)
            {
                Assert.Equal(["tree_channels", "tree_members + tree_users", "tree_users"], levels);
                Assert.Equal(3, outcome.ScopeRoundTrips);
            }
            else
            {
                // SQLite has no multi-statement round trip: level 2's two statements run one after the other.
                Assert.Equal("tree_channels", levels[0]);
                Assert.Equal(["tree_members", "tree_users"], levels[1..3].Order(StringComparer.Ordinal));
                Assert.Equal("tree_users", levels[3]);
                Assert.Equal(4, levels.Length);
                Assert.Equal(4, outcome.ScopeRoundTrips);
            }
        }
    }

    /// <summary>
    /// The serial strategy awaits each resolver before it starts the next, so a plain awaited load is alone whenever the
    /// scope goes quiet: one statement per parent (104 statements for the tree instead of 4). That is the strategy's
    /// contract (serial), not a scheduling fault; <see cref="SluiceDataLoaderResult{T}"/> is how to batch under it (the
    /// test above).
    /// </summary>
    [Theory]
    [InlineData(Engine.Sqlite)]
    [InlineData(Engine.Postgres)]
    public async Task The_serial_strategy_with_plain_task_resolvers_loads_per_parent(Engine engine)
    {
        var expected = await NaiveResultAsync(engine);
        for (var run = 0; run < 3; run++)
        {
            var outcome = await ExecuteAsync(engine, Strategy.Serial, GraphQLResolution.Task);

            Assert.True(JsonNode.DeepEquals(expected, outcome.Data), $"run {run}: {outcome.Data?.ToJsonString()}");
            Assert.Equal(ResolverTree.Organisations, outcome.Batches.Channels);
            Assert.Equal(ResolverTree.Organisations * ResolverTree.ChannelsPerOrganisation, outcome.Batches.Members);
            Assert.Equal(0, outcome.BackstopDispatches);
        }
    }

    /// <summary>
    /// With <see cref="ExecutionOptions.MaxParallelExecutionCount"/> the parallel strategy runs only that many resolvers
    /// and waits for them before it starts more; the scope then goes quiet with only their loads pending (nothing else
    /// can run), so plain awaited loads split into windows. The adapter's resolvers return at once, so the limit does
    /// not hold them back (the test above batches with a limit of 4).
    /// </summary>
    [Theory]
    [InlineData(Engine.Sqlite)]
    [InlineData(Engine.Postgres)]
    public async Task A_parallelism_limit_splits_plain_task_resolvers_into_windows(Engine engine)
    {
        var expected = await NaiveResultAsync(engine);
        var outcome = await ExecuteAsync(engine, Strategy.Parallel, GraphQLResolution.Task, maxParallelExecutionCount: 4);

        Assert.True(JsonNode.DeepEquals(expected, outcome.Data), outcome.Data?.ToJsonString());
        Assert.Equal(1, outcome.Batches.Channels);
        Assert.True(outcome.Batches.Members > 1, $"members were fetched in {outcome.Batches.Members} batches");
        Assert.Equal(0, outcome.BackstopDispatches);
    }

    private sealed record Outcome(
        JsonNode? Data,
        (int Channels, int Members, int Users) Batches,
        int Dispatches,
        int ScopeRoundTrips,
        int BackstopDispatches,
        IReadOnlyList<IReadOnlyList<string>> RoundTrips);

    private async Task<Outcome> ExecuteAsync(Engine engine, Strategy strategy, GraphQLResolution resolution, int? maxParallelExecutionCount = null)
    {
        var services = engine == Engine.Sqlite ? _sqliteServices : _npgsqlServices;
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<GraphQLResolutionSetting>().Value = resolution;
        var dataLoaders = scope.ServiceProvider.GetRequiredService<DataLoaderScope>();
        IDocumentExecuter executer = strategy == Strategy.Serial ? new SerialDocumentExecuter() : new DocumentExecuter();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        using var trace = engine == Engine.Sqlite
            ? StatementTrace.Sqlite(scope.ServiceProvider.GetRequiredService<SqliteConnection>())
            : StatementTrace.Npgsql(scope.ServiceProvider.GetRequiredService<NpgsqlConnection>());

        // The integration: the whole execution runs in the request's DataLoader scope.
        var result = await dataLoaders.RunAsync(ct => executer.ExecuteAsync(new ExecutionOptions
        {
            Schema = Schema,
            Query = TreeSchema.Query,
            RequestServices = scope.ServiceProvider,
            CancellationToken = ct,
            MaxParallelExecutionCount = maxParallelExecutionCount,
        }), cancellation.Token);

        var json = JsonNode.Parse(new GraphQLSerializer().Serialize(result))!;
        Assert.Null(json["errors"]);
        return new Outcome(
            json["data"],
            (scope.ServiceProvider.GetRequiredService<DataLoader<long, IReadOnlyList<TreeChannel>>>().BatchCount,
             scope.ServiceProvider.GetRequiredService<DataLoader<long, IReadOnlyList<TreeMember>>>().BatchCount,
             scope.ServiceProvider.GetRequiredService<DataLoader<long, TreeUser?>>().BatchCount),
            dataLoaders.DispatchCount,
            dataLoaders.RoundTripCount,
            dataLoaders.BackstopDispatchCount,
            trace.RoundTrips);
    }

    /// <summary>The same document's data from per-parent queries (N+1, on purpose), as JSON.</summary>
    private async Task<JsonNode> NaiveResultAsync(Engine engine)
    {
        await using var scope = (engine == Engine.Sqlite ? _sqliteServices : _npgsqlServices).CreateAsyncScope();
        Func<long, Task<IReadOnlyList<TreeChannel>>> channelsOf;
        Func<long, Task<IReadOnlyList<TreeMember>>> membersOf;
        Func<long, Task<TreeUser?>> user;
        if (engine == Engine.Sqlite)
        {
            var db = scope.ServiceProvider.GetRequiredService<SqliteConnection>();
            channelsOf = async org => (await SqliteTreeQueries.ChannelsByOrgAsync(db, [org]))[org].ToList();
            membersOf = async channel => (await SqliteTreeQueries.MembersByChannelAsync(db, [channel]))[channel].ToList();
            user = async id => (await SqliteTreeQueries.UsersByIdAsync(db, [id])).GetValueOrDefault(id);
        }
        else
        {
            var db = scope.ServiceProvider.GetRequiredService<NpgsqlConnection>();
            channelsOf = async org => (await NpgsqlTreeQueries.ChannelsByOrgAsync(db, [org]))[org].ToList();
            membersOf = async channel => (await NpgsqlTreeQueries.MembersByChannelAsync(db, [channel]))[channel].ToList();
            user = async id => (await NpgsqlTreeQueries.UsersByIdAsync(db, [id])).GetValueOrDefault(id);
        }

        static JsonNode? UserJson(TreeUser? u) => u is null ? null : new JsonObject { ["id"] = u.Id, ["name"] = u.Name };

        var organisations = new JsonArray();
        for (long org = 1; org <= ResolverTree.Organisations; org++)
        {
            var channels = new JsonArray();
            foreach (var channel in await channelsOf(org))
            {
                var members = new JsonArray();
                foreach (var member in await membersOf(channel.Id))
                {
                    members.Add(new JsonObject { ["userId"] = member.UserId, ["user"] = UserJson(await user(member.UserId)) });
                }

                channels.Add(new JsonObject
                {
                    ["id"] = channel.Id,
                    ["name"] = channel.Name,
                    ["creator"] = UserJson(await user(TreeSchema.CreatorOf(channel.Id))),
                    ["members"] = members,
                });
            }

            organisations.Add(new JsonObject { ["id"] = org, ["channels"] = channels });
        }

        var data = new JsonObject { ["organisations"] = organisations };
        Assert.Equal(ResolverTree.Organisations * ResolverTree.ChannelsPerOrganisation, data["organisations"]!.AsArray().Sum(o => o!["channels"]!.AsArray().Count));
        return data;
    }

    /// <summary>
    /// The round trips one connection made, as the engine reports them, each as the tree tables its statements read:
    /// SQLite calls <c>sqlite3_trace</c> once per statement it runs; Npgsql starts one activity per command or batch.
    /// </summary>
    private sealed class StatementTrace : IDisposable
    {
        private readonly ConcurrentQueue<IReadOnlyList<string>> _roundTrips = new();
        private Action? _stop;

        public IReadOnlyList<IReadOnlyList<string>> RoundTrips => _roundTrips.ToArray();

        public static StatementTrace Sqlite(SqliteConnection connection)
        {
            var trace = new StatementTrace();
            var handle = connection.Handle!;
            SQLitePCL.raw.sqlite3_trace(handle, (SQLitePCL.delegate_trace)((_, sql) => trace.Add([sql.utf8_to_string()])), null);

            // The handle goes back to the pool with the connection: take the callback off it.
            trace._stop = () => SQLitePCL.raw.sqlite3_trace(handle, (SQLitePCL.delegate_trace?)null, null);
            return trace;
        }

        public static StatementTrace Npgsql(NpgsqlConnection connection)
        {
            var trace = new StatementTrace();
            var processId = connection.ProcessID;
            var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    // Other test classes run beside this one: keep only this connection's commands (its backend process).
                    // A batch is one activity whose text is its statements joined by ";\n".
                    if (Equals(activity.GetTagItem("db.npgsql.connection_id"), processId) && activity.GetTagItem("db.query.text") is string text)
                    {
                        trace.Add(text.Split(";\n"));
                    }
                },
            };
            ActivitySource.AddActivityListener(listener);
            trace._stop = listener.Dispose;
            return trace;
        }

        public void Dispose() => _stop?.Invoke();

        private void Add(string[] texts)
        {
            var tables = texts
                .SelectMany(text => new[] { "tree_channels", "tree_members", "tree_users" }.Where(table => text.Contains(table, StringComparison.Ordinal) && !text.Contains("DROP TABLE", StringComparison.Ordinal)))
                .ToList();
            if (tables.Count > 0)
            {
                _roundTrips.Enqueue(tables);
            }
        }
    }
}
