namespace Sluice.Generators.Model;

/// <summary>
/// A partial method the generator rejected with an SL error. Its implementing declaration (a body that throws) keeps
/// the compiler from adding CS8795 ("partial method must have an implementation") to the SL error, so the error
/// that says what to change is the only one.
/// </summary>
internal sealed record RejectedMethodSpec(
    TypeDeclarationSpec Type,
    string MethodName,
    string HintPart,
    EquatableArray<string> Modifiers,
    string ReturnTypeFullyQualifiedName,
    EquatableArray<RejectedParameterSpec> Parameters,
    string DiagnosticId);

/// <summary>A parameter of a rejected method: its ref kind (<c>ref </c>, <c>out </c>, <c>in </c>, <c>params </c> or empty), type and name.</summary>
internal sealed record RejectedParameterSpec(string Prefix, string TypeFullyQualifiedName, string Name);
