namespace Sluice.Generators.Model;

/// <summary>Where a partial type lives: its namespace and the chain of types it is nested in, outermost first.</summary>
internal sealed record TypeDeclarationSpec(
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string Keyword,
    string Name,
    string FullyQualifiedName)
{
    /// <summary>The type's name with containing types, without namespace: used for hint names and messages.</summary>
    public string DisplayName
    {
        get
        {
            var prefix = string.Empty;
            foreach (var containing in ContainingTypes)
            {
                prefix += containing.Name + ".";
            }

            return prefix + Name;
        }
    }
}

/// <summary>A type that contains a generated partial, e.g. <c>partial class</c> <c>Outer</c>.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);
