using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sluice.Generators.Helpers;
using Sluice.Generators.Model;

namespace Sluice.Generators;

public sealed partial class SluiceGenerator
{
    /// <summary>Turns a <c>[Worker]</c> class into a <see cref="WorkerSpec"/> and diagnostics.</summary>
    internal static class WorkerParser
    {

        public static ParseResult<WorkerSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var worker = (INamedTypeSymbol)context.TargetSymbol;
            return ParseResult<WorkerSpec>.Catching(worker, diagnostics => Parse(worker, KnownTypes.For(context.SemanticModel.Compilation), diagnostics, cancellationToken));
        }

        private static WorkerSpec? Parse(INamedTypeSymbol worker, KnownTypes known, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        {
            var ok = true;
            if (!worker.IsPartial())
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WorkerNotPartial, worker.FirstLocation(), worker.Name));
                ok = false;
            }

            var declaration = worker.DescribeDeclaration(diagnostics);
            ok &= declaration is not null;

            var workerContext = known.WorkerContextOfT;
            var result = known.ResultOfTTError;
            var command = known.ICommandOfTTError;
            var valueTask = known.ValueTaskOfT;
            if (workerContext is null || result is null || command is null || valueTask is null)
            {
                return null; // Sluice itself is not referenced; the compiler already reports the missing attribute types.
            }

            ITypeSymbol? connection = null;
            var handlers = new List<HandlerSpec>();
            var handlerByCommand = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var method in worker.GetMembers().OfType<IMethodSymbol>())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var handlerAttribute = KnownTypes.Attribute(method, known.HandlerAttribute);
                if (handlerAttribute is null)
                {
                    continue;
                }

                var handler = ParseHandler(method, handlerAttribute, known, workerContext, result, command, valueTask, diagnostics, out var handlerConnection);
                if (handler is null)
                {
                    ok = false;
                    continue;
                }

                if (connection is null)
                {
                    connection = handlerConnection;
                }
                else if (!SymbolEqualityComparer.Default.Equals(connection, handlerConnection))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MixedConnectionTypes, method.FirstLocation(), method.Name, handlerConnection!.Name, worker.Name, connection.Name));
                    ok = false;
                    continue;
                }

                if (handlerByCommand.TryGetValue(handler.CommandFullyQualifiedName, out var existing))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateHandler, method.FirstLocation(), handler.CommandName, worker.Name, existing, method.Name));
                    ok = false;
                    continue;
                }

                handlerByCommand.Add(handler.CommandFullyQualifiedName, method.Name);
                handlers.Add(handler);
            }

            if (handlers.Count == 0)
            {
                if (ok)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WorkerHasNoHandlers, worker.FirstLocation(), worker.Name));
                }

                return null;
            }

            return ok ? new WorkerSpec(declaration!, connection!.ToFullyQualified(), handlers.ToEquatableArray()) : null;
        }

        private static HandlerSpec? ParseHandler(
            IMethodSymbol method,
            AttributeData attribute,
            KnownTypes known,
            INamedTypeSymbol workerContext,
            INamedTypeSymbol result,
            INamedTypeSymbol commandInterface,
            INamedTypeSymbol valueTask,
            List<DiagnosticInfo> diagnostics,
            out ITypeSymbol? connection)
        {
            connection = null;
            var location = method.FirstLocation();

            // Shape: (TCommand command, WorkerContext<TConnection> context) → Result<,> or ValueTask<Result<,>>.
            var returned = method.ReturnType as INamedTypeSymbol;
            var isAsync = returned is not null && SymbolEqualityComparer.Default.Equals(returned.OriginalDefinition, valueTask);
            var resultType = isAsync ? returned!.TypeArguments[0] as INamedTypeSymbol : returned;
            if (method.Parameters.Length != 2
                || method.IsGenericMethod
                || method.Parameters.Any(p => p.RefKind != RefKind.None)
                || method.Parameters[1].Type is not INamedTypeSymbol contextType
                || !SymbolEqualityComparer.Default.Equals(contextType.OriginalDefinition, workerContext)
                || resultType is null
                || !SymbolEqualityComparer.Default.Equals(resultType.OriginalDefinition, result)
                || method.Parameters[0].Type is not INamedTypeSymbol commandType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HandlerSignature, location, method.Name));
                return null;
            }

            connection = contextType.TypeArguments[0];
            var implementations = commandType.AllInterfaces
                .Where(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, commandInterface))
                .ToArray();
            var handlerResult = resultType.TypeArguments[0];
            var handlerError = resultType.TypeArguments[1];
            if (implementations.Length == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CommandNotICommand, location, method.Name, commandType.Name, handlerResult.ToDisplayString(), handlerError.ToDisplayString()));
                return null;
            }

            if (implementations.Length > 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CommandImplementsICommandTwice, commandType.FirstLocation() ?? location, commandType.Name));
                return null;
            }

            var declared = implementations[0];
            var commandResult = declared.TypeArguments[0];
            var commandError = declared.TypeArguments[1];
            if (!SymbolEqualityComparer.Default.Equals(commandResult, handlerResult) || !SymbolEqualityComparer.Default.Equals(commandError, handlerError))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.HandlerResultMismatch,
                    location,
                    method.Name,
                    handlerResult.ToDisplayString(),
                    handlerError.ToDisplayString(),
                    commandType.Name,
                    commandResult.ToDisplayString(),
                    commandError.ToDisplayString()));
                return null;
            }

            if (!KnownTypes.HasAttribute(commandError, known.WireErrorsAttribute))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ErrorTypeNotWireErrors, location, commandType.Name, commandError.Name));
                return null;
            }

            var transactional = true;
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "Transactional" && argument.Value.Value is bool value)
                {
                    transactional = value;
                }
            }

            var positional = PrimaryConstructor(commandType);
            var parameters = positional is null
                ? EquatableArray<CommandParameterSpec>.Empty
                : positional.Parameters.Select(p => new CommandParameterSpec(Naming.EscapeIdentifier(Naming.ToCamelCase(p.Name)), p.Type.ToFullyQualified(), DefaultValue(p))).ToEquatableArray();

            return new HandlerSpec(
                method.Name,
                method.IsStatic,
                isAsync,
                transactional,
                commandType.Name,
                commandType.ToFullyQualified(),
                commandResult.ToFullyQualified(),
                commandError.ToFullyQualified(),
                parameters,
                positional is not null);
        }

        /// <summary>The constructor declared by a parameter list on the type itself (<c>record R(int A)</c>), if any.</summary>
        private static IMethodSymbol? PrimaryConstructor(INamedTypeSymbol type) =>
            type.InstanceConstructors.FirstOrDefault(c =>
                c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal
                && c.Parameters.Length > 0
                && c.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax));

        internal static string? DefaultValue(IParameterSymbol parameter)
        {
            if (!parameter.HasExplicitDefaultValue)
            {
                return null;
            }

            var value = parameter.ExplicitDefaultValue;
            if (value is null)
            {
                return "default";
            }

            if (parameter.Type.TypeKind == TypeKind.Enum)
            {
                return $"({parameter.Type.ToFullyQualified()}){Convert.ToString(value, CultureInfo.InvariantCulture)}";
            }

            return value switch
            {
                string text => Naming.Literal(text),
                bool flag => flag ? "true" : "false",
                char c => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(c, quote: true),
                float f => f.ToString("R", CultureInfo.InvariantCulture) + "F",
                double d => d.ToString("R", CultureInfo.InvariantCulture) + "D",
                decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
                long l => l.ToString(CultureInfo.InvariantCulture) + "L",
                ulong u => u.ToString(CultureInfo.InvariantCulture) + "UL",
                uint u => u.ToString(CultureInfo.InvariantCulture) + "U",
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
        }
    }
}
