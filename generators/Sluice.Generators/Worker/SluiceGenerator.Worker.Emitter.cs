using System.Linq;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>Writes the partial of a <c>[Worker]</c> class: factory methods, DI registration, dispatcher and client.</summary>
    internal static class WorkerEmitter
    {
        public static string Emit(WorkerSpec spec)
        {
            var writer = GeneratedFile.Start();
            var type = spec.Type;
            GeneratedFile.WriteInType(writer, type, $"partial class {type.Name} : global::Sluice.ISluiceWorker<{type.FullyQualifiedName}>", () =>
            {
                WriteFactories(writer, spec);
                writer.WriteLine();
                WriteDispatcher(writer, spec);
                writer.WriteLine();
                WriteClient(writer, spec);
            });
            return writer.ToString();
        }

        private static void WriteFactories(SourceWriter writer, WorkerSpec spec)
        {
            var self = spec.Type.FullyQualifiedName;
            var connection = spec.ConnectionFullyQualifiedName;
            writer.WriteLine($$"""
                /// <summary>
                /// Creates a worker that runs this class's handlers on a dedicated thread owning a connection opened by
                /// <paramref name="connections"/>. Call <c>StartAsync</c> to boot it; wrap it in a <see cref="Client"/> to send commands.
                /// </summary>
                {{GeneratedFile.GeneratedCodeAttribute}}
                public static global::Sluice.CommandWorker<{{connection}}> CreateWorker(
                    {{self}} handlers,
                    global::Sluice.IWorkerConnectionFactory<{{connection}}> connections,
                    global::Sluice.CommandWorkerOptions? options = null,
                    global::Microsoft.Extensions.Logging.ILogger? logger = null) =>
                    new(new Dispatcher(handlers), connections, options, logger);

                /// <summary>Creates an executor that runs this class's handlers on the caller's thread, with the worker's transaction and error rules.</summary>
                {{GeneratedFile.GeneratedCodeAttribute}}
                public static global::Sluice.InProcessExecutor<{{connection}}> CreateInProcess(
                    {{self}} handlers,
                    global::Sluice.IWorkerConnectionFactory<{{connection}}> connections,
                    global::Microsoft.Extensions.Logging.ILogger? logger = null) =>
                    new(new Dispatcher(handlers), connections, logger);

                {{GeneratedFile.GeneratedCodeAttribute}}
                static void global::Sluice.ISluiceWorker<{{self}}>.AddServices(
                    global::Microsoft.Extensions.DependencyInjection.IServiceCollection services,
                    global::Sluice.SluiceWorkerRegistration registration) =>
                    registration.Register<{{self}}, {{connection}}, Client>(
                        services,
                        static handlers => new Dispatcher(handlers),
                        static sender => new Client(sender));
                """);
        }

        private static void WriteDispatcher(SourceWriter writer, WorkerSpec spec)
        {
            var self = spec.Type.FullyQualifiedName;
            var connection = spec.ConnectionFullyQualifiedName;
            writer.WriteLine($"/// <summary>Runs the handler of each command; a switch over the command types, no reflection.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces($"public sealed class Dispatcher : global::Sluice.ICommandDispatcher<{connection}>"))
            {
                writer.WriteLine($$"""
                    private readonly {{self}} _handlers;

                    /// <summary>Creates the dispatcher over <paramref name="handlers"/>.</summary>
                    public Dispatcher({{self}} handlers)
                    {
                        global::System.ArgumentNullException.ThrowIfNull(handlers);
                        _handlers = handlers;
                    }

                    /// <inheritdoc />
                    public string WorkerName => {{Naming.Literal(spec.Type.DisplayName)}};

                    """);

                var nonTransactional = spec.Handlers.Where(h => !h.Transactional).Select(h => h.CommandFullyQualifiedName).ToArray();
                writer.WriteLine("/// <inheritdoc />");
                writer.WriteLine(nonTransactional.Length == 0
                    ? "public bool IsTransactional(global::Sluice.CommandRequest request) => true;"
                    : $"public bool IsTransactional(global::Sluice.CommandRequest request) => request.Command is not ({string.Join(" or ", nonTransactional)});");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc />");
                using (writer.Braces($"public global::System.Threading.Tasks.ValueTask DispatchAsync(global::Sluice.CommandRequest request, global::Sluice.WorkerContext<{connection}> context)"))
                {
                    using (writer.Braces("switch (request)"))
                    {
                        foreach (var handler in spec.Handlers)
                        {
                            var target = handler.IsStatic ? self : "_handlers";
                            writer.WriteLine($"case global::Sluice.CommandRequest<{handler.ResultFullyQualifiedName}, {handler.ErrorFullyQualifiedName}> {{ Command: {handler.CommandFullyQualifiedName} command }} typed:");
                            writer.WriteLine($"    return typed.SetResult({target}.{handler.MethodName}(command, context));");
                        }

                        writer.WriteLine("default:");
                        writer.WriteLine($"    return global::System.Threading.Tasks.ValueTask.FromException(new global::System.InvalidOperationException($\"Worker {spec.Type.DisplayName} has no handler for {{request.Command.GetType().FullName}}.\"));");
                    }
                }
            }
        }

        private static void WriteClient(SourceWriter writer, WorkerSpec spec)
        {
            writer.WriteLine($"/// <summary>Sends {spec.Type.DisplayName}'s commands to a worker (or in-process executor) and streams its change events.</summary>");
            writer.WriteLine(GeneratedFile.GeneratedCodeAttribute);
            using (writer.Braces("public sealed class Client"))
            {
                writer.WriteLine("""
                    private readonly global::Sluice.ICommandSender _sender;

                    /// <summary>Creates a client over a <c>CommandWorker</c> or <c>InProcessExecutor</c>.</summary>
                    public Client(global::Sluice.ICommandSender sender)
                    {
                        global::System.ArgumentNullException.ThrowIfNull(sender);
                        _sender = sender;
                    }

                    /// <summary>The worker or executor this client sends to.</summary>
                    public global::Sluice.ICommandSender Sender => _sender;
                    """);
                foreach (var handler in spec.Handlers)
                {
                    writer.WriteLine();
                    var resultType = $"global::System.Threading.Tasks.Task<global::Sluice.Result<{handler.ResultFullyQualifiedName}, {handler.ErrorFullyQualifiedName}>>";
                    var send = $"_sender.SendAsync<{handler.ResultFullyQualifiedName}, {handler.ErrorFullyQualifiedName}>";
                    writer.WriteLine($"/// <summary>Sends <see cref=\"{handler.CommandFullyQualifiedName.Replace("global::", string.Empty)}\"/>. Never throws for command failures: see <see cref=\"global::Sluice.Result{{T, TError}}\"/>.</summary>");
                    if (handler.IsPositional)
                    {
                        var parameters = handler.Parameters.Select(p => p.DefaultValue is null ? $"{p.TypeFullyQualifiedName} {p.Name}" : $"{p.TypeFullyQualifiedName} {p.Name} = {p.DefaultValue}");
                        var arguments = string.Join(", ", handler.Parameters.Select(p => p.Name));
                        writer.WriteLine($"public {resultType} {handler.CommandName}Async({string.Join(", ", parameters.Concat(new[] { "global::System.Threading.CancellationToken cancellationToken = default" }))}) =>");
                        writer.WriteLine($"    {send}(new {handler.CommandFullyQualifiedName}({arguments}), cancellationToken);");
                    }
                    else
                    {
                        writer.WriteLine($"public {resultType} {handler.CommandName}Async({handler.CommandFullyQualifiedName} command, global::System.Threading.CancellationToken cancellationToken = default) =>");
                        writer.WriteLine($"    {send}(command, cancellationToken);");
                    }
                }

                writer.WriteLine();
                writer.WriteLine("""
                    /// <summary>Streams change events of type <typeparamref name="TChange"/> published by committed commands, in commit order.</summary>
                    public global::System.Collections.Generic.IAsyncEnumerable<TChange> Changes<TChange>(global::System.Threading.CancellationToken cancellationToken = default) =>
                        _sender.Changes<TChange>(cancellationToken);
                    """);
            }
        }
    }
}
