using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Sluice.Generators.Model;

namespace Sluice.Generators.Helpers;

/// <summary>
/// A diagnostic as data that can travel beside a model through the pipeline (System.Text.Json's
/// <c>Helpers/DiagnosticInfo.cs</c>): its descriptor (a singleton, compared by value), its message arguments and where
/// it is, without a <see cref="Location"/> (which keeps a syntax tree, and with it a whole compilation, alive).
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] messageArgs) =>
        new(descriptor, LocationInfo.From(location), new EquatableArray<string>(messageArgs));

    /// <summary>
    /// The diagnostic, located in the syntax tree of <paramref name="compilation"/> it was found in, so that
    /// <c>#pragma warning disable SLxxxx</c> around the declaration suppresses it as it would a compiler warning.
    /// </summary>
    public Diagnostic ToDiagnostic(Compilation? compilation)
    {
        var args = new object[MessageArgs.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = MessageArgs[i];
        }

        return Diagnostic.Create(Descriptor, Location?.ToLocation(compilation) ?? Microsoft.CodeAnalysis.Location.None, args);
    }
}

/// <summary>Where a diagnostic is, as plain numbers: the syntax tree's file path, the span and its line positions.</summary>
internal sealed record LocationInfo(string FilePath, int SpanStart, int SpanLength, int StartLine, int StartCharacter, int EndLine, int EndCharacter)
{
    public static LocationInfo? From(Location? location)
    {
        if (location is null || !location.IsInSource)
        {
            return null;
        }

        var lineSpan = location.GetLineSpan();
        return new LocationInfo(
            location.SourceTree?.FilePath ?? lineSpan.Path,
            location.SourceSpan.Start,
            location.SourceSpan.Length,
            lineSpan.StartLinePosition.Line,
            lineSpan.StartLinePosition.Character,
            lineSpan.EndLinePosition.Line,
            lineSpan.EndLinePosition.Character);
    }

    /// <summary>
    /// A location in the compilation's syntax tree of that path when there is one (what pragma suppression reads), else a
    /// location by path and line span.
    /// </summary>
    public Location ToLocation(Compilation? compilation)
    {
        var span = new TextSpan(SpanStart, SpanLength);
        if (compilation is not null)
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (tree.FilePath == FilePath && span.End <= tree.Length)
                {
                    return Location.Create(tree, span);
                }
            }
        }

        return Location.Create(FilePath, span, new LinePositionSpan(new LinePosition(StartLine, StartCharacter), new LinePosition(EndLine, EndCharacter)));
    }
}

/// <summary>What a parser produced for one annotated declaration: a spec to emit (null when it cannot be) and diagnostics.</summary>
/// <param name="Stub">
/// When a partial method was rejected, the implementation that keeps the compiler from adding CS8795 to the SL error.
/// </param>
internal sealed record ParseResult<TSpec>(TSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics, RejectedMethodSpec? Stub = null)
    where TSpec : class
{
    /// <summary>
    /// Runs a parser and turns any exception it throws into an SL9999 diagnostic on <paramref name="symbol"/>:
    /// the generator never fails the build with an exception.
    /// </summary>
    public static ParseResult<TSpec> Catching(ISymbol symbol, System.Func<List<DiagnosticInfo>, TSpec?> parse)
    {
        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            return new ParseResult<TSpec>(parse(diagnostics), diagnostics.ToEquatableArray());
        }
        catch (System.Exception exception) when (exception is not System.OperationCanceledException)
        {
            var location = symbol.Locations.Length > 0 ? symbol.Locations[0] : null;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFault, location, symbol.Name, exception.Message));
            return new ParseResult<TSpec>(null, diagnostics.ToEquatableArray());
        }
    }

    /// <summary>Whether a diagnostic is an error (a rejected declaration, as opposed to a warning about an accepted one).</summary>
    public bool HasError
    {
        get
        {
            foreach (var diagnostic in Diagnostics)
            {
                if (diagnostic.Descriptor.DefaultSeverity == DiagnosticSeverity.Error)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
