using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Sluice.Generators.Model;

/// <summary>
/// A diagnostic as plain data, so it can travel beside a model through the pipeline without holding a
/// <see cref="Location"/> (which keeps a syntax tree, and with it a whole compilation, alive).
/// </summary>
internal sealed record DiagnosticInfo(
    string Id,
    string? FilePath,
    int SpanStart,
    int SpanLength,
    int StartLine,
    int StartCharacter,
    int EndLine,
    int EndCharacter,
    EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] messageArgs)
    {
        if (location is null || !location.IsInSource)
        {
            return new DiagnosticInfo(descriptor.Id, null, 0, 0, 0, 0, 0, 0, new EquatableArray<string>(messageArgs));
        }

        var lineSpan = location.GetLineSpan();
        return new DiagnosticInfo(
            descriptor.Id,
            lineSpan.Path,
            location.SourceSpan.Start,
            location.SourceSpan.Length,
            lineSpan.StartLinePosition.Line,
            lineSpan.StartLinePosition.Character,
            lineSpan.EndLinePosition.Line,
            lineSpan.EndLinePosition.Character,
            new EquatableArray<string>(messageArgs));
    }

    public Diagnostic ToDiagnostic()
    {
        var location = FilePath is null
            ? Location.None
            : Location.Create(
                FilePath,
                new TextSpan(SpanStart, SpanLength),
                new LinePositionSpan(new LinePosition(StartLine, StartCharacter), new LinePosition(EndLine, EndCharacter)));
        var args = new object[MessageArgs.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = MessageArgs[i];
        }

        return Diagnostic.Create(DiagnosticDescriptors.ById(Id), location, args);
    }
}

/// <summary>What a parser produced for one annotated declaration: a spec to emit (null when it cannot be) and diagnostics.</summary>
internal sealed record ParseResult<TSpec>(TSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
    where TSpec : class
{
    /// <summary>
    /// Runs a parser and turns any exception it throws into an SL9999 diagnostic on <paramref name="symbol"/>:
    /// the generator never fails the build with an exception.
    /// </summary>
    public static ParseResult<TSpec> Catching(ISymbol symbol, System.Func<System.Collections.Generic.List<DiagnosticInfo>, TSpec?> parse)
    {
        var diagnostics = new System.Collections.Generic.List<DiagnosticInfo>();
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
}
