using System;
using System.Reflection;

namespace Sluice.Generators.Helpers;

/// <summary>
/// The help link of every diagnostic, built from the repository address this generator was built with
/// (<c>SluiceRepositoryUrl</c> in Directory.Build.props, stamped into the assembly as <see cref="AssemblyMetadataAttribute"/>
/// by Sluice.Generators.csproj): <c>{url}/blob/{commit}/docs/diagnostics/{id}.md</c>, the page at the commit the
/// generator was built from (<c>main</c> when the commit is unknown). Without an address there is no link (empty): a
/// relative path is no link an IDE can open, and an address is never invented. The pages then ship inside the Sluice
/// package, under <c>docs/diagnostics/</c>.
/// </summary>
internal static class HelpLinks
{
    public static string RepositoryUrl { get; } = ReadMetadata("SluiceRepositoryUrl");

    public static string RepositoryCommit { get; } = ReadMetadata("SluiceRepositoryCommit");

    /// <summary>The help link of diagnostic <paramref name="id"/> in this build of the generator.</summary>
    public static string For(string id) => Build(RepositoryUrl, RepositoryCommit, id);

    /// <summary>The rule: an absolute link to the page of <paramref name="id"/>, or empty without a repository address.</summary>
    public static string Build(string repositoryUrl, string commit, string id)
    {
        if (repositoryUrl.Length == 0)
        {
            return string.Empty;
        }

        var revision = commit.Length == 0 ? "main" : commit;
        return repositoryUrl.TrimEnd('/') + "/blob/" + revision + "/docs/diagnostics/" + id + ".md";
    }

    private static string ReadMetadata(string key)
    {
        foreach (var attribute in typeof(HelpLinks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        {
            if (string.Equals(attribute.Key, key, StringComparison.Ordinal))
            {
                return attribute.Value ?? string.Empty;
            }
        }

        return string.Empty;
    }
}
